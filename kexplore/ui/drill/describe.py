"""Plain-text views of objects: kubectl-describe layout, YAML, events table, policy rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from kexplore.model.base import K8s, LabelSelector
from kexplore.model.cluster import Event
from kexplore.model.compare import drop_empty
from kexplore.model.pods import Container, Pod
from kexplore.model.policies import NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort
from kexplore.model.services import Service
from kexplore.model.state import ClusterState, meta_of
from kexplore.model.workloads import Workload

Line = tuple[str, bool]  # text, highlighted


def _pairs(values: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(values.items())) or "<none>"


def _field(name: str, value: object, indent: int = 0) -> str:
    return f"{' ' * indent}{name + ':':<20}{value}"


def describe(state: ClusterState, obj: K8s) -> str:
    """kubectl describe's layout for the kinds kexplore reads."""
    meta = meta_of(obj)
    kind = str(getattr(obj, "kind", type(obj).__name__))
    lines = [_field("Name", meta.name)]
    if meta.namespace:
        lines.append(_field("Namespace", meta.namespace))
    lines.append(_field("Labels", _pairs(meta.labels)))
    lines.append(_field("Annotations", _pairs(meta.annotations)))
    if isinstance(obj, Pod):
        lines += _describe_pod(obj)
    elif isinstance(obj, Service):
        lines += _describe_service(state, obj)
    elif isinstance(obj, Workload):
        lines += _describe_workload(state, obj)
    elif isinstance(obj, NetworkPolicy):
        lines += [text for text, _ in policy_lines(obj, None)]
    events = state.events_for(kind, meta.namespace, meta.name)
    lines.append("Events:" if events else "Events:             <none>")
    lines += ["  " + row for row in event_rows(events)] if events else []
    return "\n".join(lines)


def _describe_pod(pod: Pod) -> list[str]:
    out = [
        _field("Node", pod.spec.node_name or "<none>"),
        _field("Status", pod.status.phase or "<unknown>"),
        _field("IP", pod.status.pod_ip or "<none>"),
    ]
    if pod.synthesized:
        out.append(_field("Synthesized", "yes (from the workload template; not running)"))
    out.append("Containers:")
    for container in pod.serving_containers():
        out += _describe_container(pod, container)
    out.append("Conditions:")
    out.append(f"  {'Type':<20}Status")
    out += [f"  {c.type:<20}{c.status}" for c in pod.status.conditions]
    return out


def _describe_container(pod: Pod, c: Container) -> list[str]:
    status = pod.container_status(c.name)
    ports = ", ".join(f"{p.container_port}/{p.protocol}" for p in c.ports) or "<none>"
    out = [f"  {c.name}:", _field("Image", c.image, 4), _field("Ports", ports, 4)]
    if status is not None:
        state = status.state
        if state.waiting is not None:
            out.append(_field("State", f"Waiting ({state.waiting.reason})", 4))
        elif state.terminated is not None:
            out.append(_field("State", f"Terminated ({state.terminated.reason})", 4))
        else:
            out.append(_field("State", "Running", 4))
        if status.last_state.terminated is not None:
            out.append(
                _field("Last State", f"Terminated ({status.last_state.terminated.reason})", 4)
            )
        out.append(_field("Ready", status.ready, 4))
        out.append(_field("Restart Count", status.restart_count, 4))
    for kind, probe in c.probes():
        out.append(_field(kind.capitalize(), probe.describe(), 4))
    return out


def _describe_service(state: ClusterState, svc: Service) -> list[str]:
    out = [
        _field("Selector", _pairs(svc.spec.selector or {})),
        _field("Type", svc.spec.type),
        _field("IP", svc.spec.cluster_ip or "<none>"),
    ]
    if svc.spec.external_name:
        out.append(_field("External Name", svc.spec.external_name))
    for p in svc.spec.ports:
        target = p.target_port if p.target_port is not None else p.port
        out.append(_field("Port", f"{p.name or '<unset>'}  {p.port}/{p.protocol}"))
        out.append(_field("TargetPort", f"{target}/{p.protocol}"))
    addresses = [
        f"{addr}" for s in state.slices_for(svc.namespace, svc.name) for e in s.endpoints
        for addr in e.addresses
    ]  # fmt: skip
    out.append(_field("Endpoints", ",".join(addresses) or "<none>"))
    return out


def _describe_workload(state: ClusterState, wl: Workload) -> list[str]:
    selector = wl.spec.selector.describe() if wl.spec.selector else "<none>"
    pods = state.pods_of_workload(wl)
    ready = sum(1 for p in pods if p.is_ready())
    out = [
        _field("Kind", wl.kind),
        _field("Selector", selector),
        _field("Replicas", f"{wl.spec.replicas if wl.spec.replicas is not None else '-'} desired"),
        _field("Pods", f"{ready} ready / {len(pods)} total"),
    ]
    out += [f"  {p.name:<40}{p.status.phase}" for p in pods[:20]]
    template = wl.pod_template()
    if template is not None:
        out.append("Pod Template:")
        for c in template.spec.containers:
            ports = ", ".join(f"{p.container_port}/{p.protocol}" for p in c.ports) or "<none>"
            out += [f"  {c.name}:", _field("Image", c.image, 4), _field("Ports", ports, 4)]
    return out


def event_rows(events: list[Event]) -> list[str]:
    """kubectl's events table: Type, Reason, Age (as time), From/Object, Message."""
    rows = [f"{'Type':<9}{'Reason':<22}{'Last seen':<22}Message"]
    for e in events:
        count = f" (x{e.count})" if e.count > 1 else ""
        rows.append(f"{e.type:<9}{e.reason:<22}{e.when():<22}{e.message}{count}")
    return rows


def to_yaml(obj: K8s) -> str:
    """The object as YAML (the fields kexplore reads)."""
    import yaml  # loaded when an object is first shown, not before the first frame

    data = msgspec.to_builtins(obj)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml: ~10× faster
    return yaml.dump(drop_empty(data), Dumper=dumper, sort_keys=False, allow_unicode=True)


_RULE_REF = re.compile(r"\b(ingress|egress)\[(\d+)\](?:\s+(?:from|to)\[(\d+)\])?")


@dataclass(frozen=True)
class Decision:
    """What an evidence line says decided: a policy, and its rule (and peer) when named."""

    policy: str  # namespace/name
    direction: str = ""  # ingress | egress | "" (unknown)
    rule: int | None = None
    peer: int | None = None


def deciding_rules(evidence: list[tuple[str, str]]) -> list[Decision]:
    """Decisions named by evidence (ref, detail) like `networkpolicy shop/allow ingress[0]
    from[1] ports[0]`; without an index, the direction is read from the detail."""
    out: list[Decision] = []
    for ref, detail in evidence:
        parts = ref.split()
        if len(parts) < 2 or parts[0].lower() not in ("networkpolicy", "netpol"):
            continue
        match = _RULE_REF.search(ref)
        if match:
            peer = int(match[3]) if match[3] else None
            decision = Decision(parts[1], match[1], int(match[2]), peer)
        else:
            text = detail.lower()
            direction = "ingress" if "ingress" in text else "egress" if "egress" in text else ""
            decision = Decision(parts[1], direction)
        if decision not in out:
            out.append(decision)
    return out


def policy_lines(policy: NetworkPolicy, decision: Decision | None) -> list[Line]:
    """The policy as describe-style lines; what decided is highlighted: the rule (and its
    peer) when named, else the direction's isolation line."""
    d = decision or Decision("")
    out: list[Line] = [
        (_field("PodSelector", _selector(policy.spec.pod_selector)), False),
        (
            _field("PolicyTypes", ", ".join(policy.effective_types())),
            d.direction != "" and d.rule is None,
        ),
    ]
    for direction in ("ingress", "egress"):
        rules = getattr(policy.spec, direction) or []
        if direction.capitalize() not in policy.effective_types():
            continue
        if not rules:
            out.append((f"{direction}: none allowed (isolated)", d.direction == direction))
        for i, r in enumerate(rules):
            hot = d.direction == direction and d.rule == i
            peers = (r.from_ if direction == "ingress" else r.to) or []
            word = "from" if direction == "ingress" else "to"
            out.append((f"{direction}[{i}]:", hot))
            out.append(("  ports: " + _ports(r.ports), hot))
            if not peers:
                out.append((f"  {word}: <any>", hot))
            for j, p in enumerate(peers):
                out.append((f"  {word}[{j}]: {_peer(p)}", hot and d.peer in (None, j)))
    return out


def _selector(selector: LabelSelector | None) -> str:
    return selector.describe() if selector is not None else "<none>"


def _ports(ports: list[NetworkPolicyPort] | None) -> str:
    if not ports:
        return "<all>"
    parts = []
    for p in ports:
        number = "all" if p.port is None else str(p.port)
        parts.append(f"{number}{'-' + str(p.end_port) if p.end_port else ''}/{p.protocol}")
    return ", ".join(parts)


def _peer(peer: NetworkPolicyPeer) -> str:
    if peer.ip_block is not None:
        excepts = f" except {','.join(peer.ip_block.except_)}" if peer.ip_block.except_ else ""
        return f"ipBlock {peer.ip_block.cidr}{excepts}"
    parts = []
    if peer.namespace_selector is not None:
        parts.append(f"namespaces({_selector(peer.namespace_selector)})")
    if peer.pod_selector is not None:
        parts.append(f"pods({_selector(peer.pod_selector)})")
    return " AND ".join(parts)
