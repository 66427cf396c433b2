"""Parsing SOURCE and TARGET arguments (DESIGN §1) and finding the source's pods."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from kexplore.checks.suggest import did_you_mean, missing_namespace, names_of
from kexplore.errors import NotFoundError, UsageError
from kexplore.model.pods import Pod
from kexplore.model.services import Service
from kexplore.model.state import ClusterState
from kexplore.model.workloads import Workload
from kexplore.shell import kubectl

KIND_ALIASES = {
    "pod": "Pod",
    "po": "Pod",
    "deploy": "Deployment",
    "deployment": "Deployment",
    "sts": "StatefulSet",
    "statefulset": "StatefulSet",
    "ds": "DaemonSet",
    "daemonset": "DaemonSet",
    "rs": "ReplicaSet",
    "replicaset": "ReplicaSet",
    "svc": "Service",
    "service": "Service",
    "job": "Job",
    "cronjob": "CronJob",
    "cj": "CronJob",
}

PROTOCOLS = ("TCP", "UDP", "SCTP")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class TargetSpec:
    """A parsed TARGET: what the application dials.

    `kind` is "Service" or "Pod" when the argument named the object explicitly
    (`NS/svc/NAME:PORT`, `NS/POD:PORT`), "IP" for an address, else "DNS" (a name to resolve).
    """

    dialed: str
    kind: str
    host: str
    port: int | str
    protocol: str
    namespace: str = ""


@dataclass
class SourceSpec:
    """A resolved SOURCE: the object and the pods that stand for it."""

    namespace: str
    kind: str
    name: str
    pods: list[Pod]
    # why the source (or its pods) could not be read: its pods are then not known
    unreadable: str = ""
    # how the pods were found when the object itself is not in the data
    note: str = ""


def parse_port(text: str, arg: str) -> int | str:
    """A port number (1-65535) or a port name."""
    if text.isdigit():
        number = int(text)
        if not 1 <= number <= 65535:
            raise UsageError(f"{arg}: port {number} is out of range 1-65535")
        return number
    if not text or not _DNS_LABEL.match(text) or len(text) > 63:
        raise UsageError(f"{arg}: {text!r} is neither a port number nor a port name")
    return text


def parse_target(text: str, protocol: str = "TCP", default_port: int | None = None) -> TargetSpec:
    """Parse TARGET per DESIGN §1; raises UsageError naming the argument."""
    arg = f"TARGET {text!r}"
    protocol = protocol.upper()
    if protocol not in PROTOCOLS:
        raise UsageError(f"--protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}")
    host, port_text = _split_host_port(text, arg, default_port)
    port = parse_port(port_text, arg)
    if host == text.strip("[]"):  # the port came from --port: show what is really dialed
        text = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if "/" in host:
        parts = host.split("/")
        if len(parts) == 3 and parts[1].lower() in ("svc", "service"):
            _check_names(arg, parts[0], parts[2])
            return TargetSpec(text, "Service", parts[2], port, protocol, parts[0])
        if len(parts) == 2:
            _check_names(arg, *parts)
            return TargetSpec(text, "Pod", parts[1], port, protocol, parts[0])
        raise UsageError(f"{arg}: expected NS/svc/NAME:PORT, NS/POD:PORT, NAME:PORT or IP:PORT")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return TargetSpec(text, "IP", host, port, protocol)
    labels = host.rstrip(".").lower().split(".")
    if not all(_DNS_LABEL.match(label) and len(label) <= 63 for label in labels):
        raise UsageError(f"{arg}: {host!r} is not a valid DNS name")
    return TargetSpec(text, "DNS", host.rstrip(".").lower(), port, protocol)


def _split_host_port(text: str, arg: str, default_port: int | None) -> tuple[str, str]:
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise UsageError(f"{arg}: unclosed '[' in an IPv6 address")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") > 1:
        host, port_text = text, ""
    else:
        host, _, port_text = text.partition(":")
    if port_text and default_port is not None and port_text != str(default_port):
        raise UsageError(f"--port {default_port}: TARGET already dials port {port_text}; drop one")
    if not port_text:
        if default_port is None and ":" in host:
            raise UsageError(
                f"{arg}: no port; an IPv6 address with a port is written [ADDRESS]:PORT "
                "(e.g. [fd00::1]:8080), or pass --port"
            )
        if default_port is None:
            raise UsageError(f"{arg}: no port; write {host}:PORT or pass --port")
        port_text = str(default_port)
    if not host:
        raise UsageError(f"{arg}: empty host")
    return host, port_text


def _check_names(arg: str, *names: str) -> None:
    for name in names:
        if not name:
            raise UsageError(f"{arg}: empty name")


def namespaces_in_play(source_text: str, target: TargetSpec, default_namespace: str) -> list[str]:
    """The namespaces an edge involves (DESIGN §9): SOURCE's, TARGET's, a dialed name's."""
    parts = source_text.split("/")
    out = [parts[0] if len(parts) > 1 else default_namespace]
    if target.kind in ("Service", "Pod"):
        out.append(target.namespace)
    elif target.kind == "DNS":
        out.append(_dialed_namespace(target.host.split(".")))
    return [ns for ns in dict.fromkeys(out) if ns]


def _dialed_namespace(labels: list[str]) -> str:
    """`cart.shop`, `cart.shop.svc…`, `db-0.db.data.svc…` name a namespace; `cart` does not."""
    if "svc" in labels[2:]:
        return labels[labels.index("svc", 2) - 1]
    return labels[1] if len(labels) == 2 else ""


def resolve_source(state: ClusterState, text: str, default_namespace: str = "") -> SourceSpec:
    """Find SOURCE (`NS/POD`, `NS/KIND/NAME`, `NS/NAME`) and the pods that stand for it."""
    arg = f"SOURCE {text!r}"
    parts = text.split("/")
    if len(parts) == 1 and default_namespace:
        parts = [default_namespace, *parts]
    if len(parts) == 3:
        kind = KIND_ALIASES.get(parts[1].lower())
        if kind is None:
            known = ", ".join(sorted(set(KIND_ALIASES)))
            raise UsageError(f"{arg}: unknown kind {parts[1]!r} (known: {known})")
        return _source_of_kind(state, arg, parts[0], kind, parts[2])
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"{arg}: expected NS/POD, NS/KIND/NAME or NS/NAME")
    namespace, name = parts
    _require_namespace(state, arg, namespace)
    kinds = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet")
    for kind in kinds:
        if state.get(kind, namespace, name) is not None:
            return _source_of_kind(state, arg, namespace, kind, name)
    for kind in kinds[1:]:
        owned = _owned_pods(state, namespace, kind, name)
        if owned is not None:
            return owned
    gaps = [g for g in (state.meta.gap(k, namespace) for k in kinds) if g]
    if gaps:
        return SourceSpec(namespace, "Pod", name, [], unreadable=gaps[0])
    hint = did_you_mean(name, names_of(state, kinds, namespace))
    raise NotFoundError(
        f"{arg}: no pod or workload {name!r} in namespace {namespace!r}{hint}",
        fix=f"list what exists with: {kubectl('get', 'pods,deploy,sts,ds', '-n', namespace)}",
    )


def _require_namespace(state: ClusterState, arg: str, namespace: str) -> None:
    """A SOURCE in a namespace the data does not have is a typo, not an empty namespace."""
    missing = missing_namespace(state, namespace)
    if missing:
        raise NotFoundError(f"{arg}: {missing}", fix="kubectl get namespaces")


def _source_of_kind(
    state: ClusterState, arg: str, namespace: str, kind: str, name: str
) -> SourceSpec:
    _require_namespace(state, arg, namespace)
    obj = state.get(kind, namespace, name)
    if obj is None:
        found = _owned_pods(state, namespace, kind, name)
        if found is not None:
            return found
        gap = state.meta.gap(kind, namespace)
        if gap:
            return SourceSpec(namespace, kind, name, [], unreadable=gap)
        hint = did_you_mean(name, names_of(state, [kind], namespace))
        raise NotFoundError(
            f"{arg}: no {kind} {name!r} in namespace {namespace!r}{hint}",
            fix=kubectl("get", kind.lower(), "-n", namespace),
        )
    pod_gap = state.meta.gap("Pod", namespace)
    if isinstance(obj, Pod):
        return SourceSpec(namespace, "Pod", name, [obj])
    if isinstance(obj, Service):
        selector = obj.spec.selector or {}
        pods = state.pods_matching(namespace, selector) if selector else []
        return SourceSpec(namespace, "Service", name, sorted(pods, key=_pod_name), pod_gap)
    assert isinstance(obj, Workload)
    pods = sorted(state.pods_of_workload(obj), key=_pod_name)
    return SourceSpec(namespace, obj.kind, name, pods, pod_gap)


def _owned_pods(state: ClusterState, namespace: str, kind: str, name: str) -> SourceSpec | None:
    """A workload the data lacks (a dump holds no Jobs), found through its pods'
    ownerReferences: a Job's pods name it, a CronJob's Jobs are `<cronjob>-<minute>`."""
    if not state.meta.gap(kind, namespace) or kind in ("Pod", "Service"):
        return None
    pods = state.pods_owned_by(namespace, kind, name)
    if not pods:
        return None
    note = (
        f"{kind} {namespace}/{name} is not in the data ({state.meta.gap(kind, namespace)}): "
        "its pods were found through their ownerReferences"
    )
    return SourceSpec(namespace, kind, name, sorted(pods, key=_pod_name), note=note)


def _pod_name(pod: Pod) -> str:
    return pod.name
