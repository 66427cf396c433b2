"""Shared helpers of the layer modules: references, kubectl commands, recency, gates."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from kexplore.analysis.dns import EXTERNAL, EXTERNAL_NAME, IP
from kexplore.checks.context import EdgeContext
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.cluster import Event
from kexplore.model.kinds import resource_of
from kexplore.model.pods import Pod
from kexplore.model.services import Service, ServicePort
from kexplore.model.state import LIVE, ClusterState
from kexplore.shell import kubectl, pasteable

RECENT = timedelta(hours=1)
COREDNS_LOGS = kubectl("logs", "-n", "kube-system", "-l", "k8s-app=kube-dns")


def pod_ref(pod: Pod, container: str = "") -> str:
    """`pod shop/cart-7d9f-x2` or `pod shop/cart-7d9f-x2 container app`."""
    ref = f"pod {pod.namespace}/{pod.name}"
    return f"{ref} container {container}" if container else ref


def service_ref(service: Service, port: ServicePort | None = None) -> str:
    """`service shop/cart` or `service shop/cart port 8080→http`."""
    ref = f"service {service.namespace}/{service.name}"
    if port is None:
        return ref
    target = port.target_port if port.target_port not in (None, 0) else port.port
    return f"{ref} port {port.port}→{target}"


def describe_pod(pod: Pod) -> str:
    """kubectl describe of a pod."""
    return kubectl("describe", "pod", "-n", pod.namespace, pod.name)


def pod_events(namespace: str, name: str) -> str:
    """kubectl get events about one object."""
    return kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.name={name}",
        "--sort-by=.lastTimestamp",
    )


def slices_cmd(namespace: str, service: str) -> str:
    """kubectl get of a service's EndpointSlices."""
    label = f"kubernetes.io/service-name={service}"
    return kubectl("get", "endpointslices", "-n", namespace, "-l", label, "-o", "wide")


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 timestamp (None when empty or malformed)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_recent(when: str | None, state: ClusterState) -> bool:
    """Within RECENT of the newest time in the data (not the wall clock)."""
    stamp, newest = parse_time(when or ""), parse_time(state.newest_time())
    if stamp is None:
        return False
    return newest is None or newest - stamp <= RECENT


def recent_warnings(state: ClusterState, kind: str, namespace: str, name: str) -> list[Event]:
    """Warning events about an object that are recent relative to the data's own time."""
    return [
        e
        for e in state.events_for(kind, namespace, name)
        if e.type == "Warning" and is_recent(e.when(), state)
    ]


def one_line(text: str) -> str:
    """Cluster text (event and status messages) collapsed onto one line."""
    return " ".join(text.split())


def event_text(event: Event) -> str:
    """`Unhealthy (x3): Readiness probe failed: ...` on one line."""
    count = f" (x{event.count})" if event.count > 1 else ""
    return one_line(f"{event.reason}{count}: {event.message}")


def events_note(state: ClusterState) -> list[Evidence]:
    """Evidence that events could not be read (recent warnings and probe failures unseen)."""
    reason = state.meta.unreadable.get("Event")
    if reason is None:
        return []
    return [Evidence("kind Event", f"events unreadable ({reason}): recent warnings not judged")]


def unreadable(
    state: ClusterState, *kinds: str, namespaces: tuple[str, ...] = ()
) -> dict[str, str]:
    """The kinds among `kinds` not in the data (anywhere, or in one of `namespaces`), with
    the reason; keyed `Kind` or `Kind in namespace N`."""
    out: dict[str, str] = {}
    for kind in kinds:
        if kind in state.meta.unreadable:
            out[kind] = state.meta.unreadable[kind]
            continue
        for ns in dict.fromkeys(namespaces):
            gap = state.meta.gap(kind, ns)
            if gap:
                out[f"{kind} in namespace {ns}"] = gap
    return out


def system_gap(state: ClusterState) -> str:
    """Why kube-system's pods are not in the data ("" when they are)."""
    gap = state.meta.gap("Pod", "kube-system")
    if gap:
        return f"kube-system pods not in the data ({gap})"
    if not state.pods_in("kube-system"):
        return "kube-system not captured (the data holds no pod there)"
    return ""


def edge_namespaces(ctx: EdgeContext) -> tuple[str, ...]:
    """The namespaces whose objects decide an edge: the source's and the target pods'."""
    names = [ctx.source.namespace, *(p.namespace for p in ctx.target_pods)]
    if ctx.service is not None:
        names.append(ctx.service.namespace)
    return tuple(dict.fromkeys(names))


def unreadable_result(layer: str, reasons: dict[str, str], state: ClusterState) -> LayerResult:
    """`unknown`: the data needed for this layer is not there; how to get the first kind."""
    kinds = ", ".join(reasons)
    return LayerResult(
        layer,
        Status.UNKNOWN,
        f"cannot judge: {kinds} not in the data",
        evidence=[Evidence(f"kind {k}", reason) for k, reason in reasons.items()],
        hint=how_to_add(state, next(iter(reasons))),
    )


def assumed_absent(state: ClusterState, *kinds: str) -> list[Evidence]:
    """Evidence naming the kinds the verdict assumes absent (raw manifests, a dump's optional
    CRDs): what the cluster may hold that was not considered."""
    return [
        Evidence(
            f"kind {kind}",
            f"no {resource_of(kind)} in the input; any already in the cluster are not considered",
        )
        for kind in kinds
        if kind in state.meta.assumed_absent
    ]


def how_to_add(state: ClusterState, missing: str) -> str:
    """How to get a kind (`Kind` or `Kind in namespace N`) into the data, per source."""
    kind, _, namespace = missing.partition(" in namespace ")
    resource = resource_of(kind)
    where = ["-n", namespace] if namespace else ["-A"]
    if state.meta.origin == LIVE:
        scope = f"in namespace {namespace}" if namespace else "in all namespaces"
        can_i = kubectl("auth", "can-i", "list", resource, *where)
        return f"ask for list on {resource} {scope} (check: {can_i})"
    saved = pasteable([f"{resource}.yaml"])
    return (
        f"{kubectl('get', resource, *where, '-o', 'yaml')} > {saved}, then pass both "
        f"(--snapshot DATA --snapshot {saved})"
    )


def capped(evidence: list[Evidence], limit: int = 40) -> list[Evidence]:
    """At most `limit` evidence lines, the rest summarised in one."""
    if len(evidence) <= limit:
        return evidence
    return [*evidence[:limit], Evidence("…", f"{len(evidence) - limit} more lines")]


def target_gate(ctx: EdgeContext, layer: str) -> LayerResult | None:
    """A layer that needs the target: `unknown` explained by dns when the name is NXDOMAIN,
    `unknown` saying what was not readable when the name's namespace could not be read."""
    res = ctx.resolution
    if res.unreadable:
        return LayerResult(
            layer,
            Status.UNKNOWN,
            f"not judged: what {res.query} names cannot be read ({res.notes[0]})",
            evidence=[Evidence(f"dns {res.query}", note) for note in res.notes],
            hint=how_to_add(ctx.state, unreadable_key(res.notes[0], res.namespace)),
        )
    if not res.nxdomain:
        return None
    return LayerResult(
        layer,
        Status.UNKNOWN,
        f"not judged: {res.query} does not exist under cluster DNS (NXDOMAIN)",
        evidence=[Evidence(f"dns {res.query}", "tried " + ", ".join(res.tried))]
        if res.tried
        else [],
        hint="fix the name first (see the dns layer)",
        explained_by="dns",
    )


def unreadable_key(note: str, namespace: str) -> str:
    """`Service in namespace api` from a resolution's `Service objects unknown: …` note."""
    kind = note.split(" ", 1)[0]
    return f"{kind} in namespace {namespace}" if namespace else kind


def external_target(ctx: EdgeContext) -> bool:
    """The target is outside the cluster's pods: ExternalName, an external name, an IP no pod
    holds, or a service whose endpoints are only addresses no pod holds."""
    if ctx.resolution.kind in (EXTERNAL, EXTERNAL_NAME, IP):
        return True
    found = ctx.backend_set
    return (
        found is not None
        and bool(found.external)
        and not any(e.missing_pod for e in found.external)
        and not any(b.port is not None for b in found.backends)
    )


def outside_text(ctx: EdgeContext) -> str:
    """Why an external target has no pods to judge, for summaries."""
    res = ctx.resolution
    if res.kind == IP and res.ip and ipaddress.ip_address(res.ip).is_loopback:
        return f"{res.query} is the source pod's own loopback ({res.ip}): it never leaves the pod"
    if res.kind in (EXTERNAL, EXTERNAL_NAME, IP):
        return f"{res.query} is outside the cluster's pods"
    return f"{ctx.resolution.query} routes to endpoint addresses no pod holds"


def missing_pods(ctx: EdgeContext) -> list[str]:
    """Pods the endpoints point at that are not in the data (a partial snapshot)."""
    found = ctx.backend_set
    return sorted({e.missing_pod for e in found.external if e.missing_pod}) if found else []


def no_pods_gate(ctx: EdgeContext, layer: str) -> LayerResult | None:
    """A layer that judges target pods: `unknown` explained by service when it has none
    (or, when the endpoints' pods are missing from the data, `unknown` saying so)."""
    if ctx.target_pods or ctx.service is None or external_target(ctx):
        return None
    if ctx.idle_pods:
        names = ", ".join(f"{p.namespace}/{p.name}" for p in ctx.idle_pods[:3])
        return LayerResult(
            layer,
            Status.UNKNOWN,
            f"not judged: the service's pods do not run ({names}; see the pods layer)",
            evidence=[Evidence(pod_ref(p), "selected, not running") for p in ctx.idle_pods],
            hint="make the pods run first (see the pods layer)",
            explained_by="pods",
        )
    missing = missing_pods(ctx)
    if missing:
        return LayerResult(
            layer,
            Status.UNKNOWN,
            f"not judged: the endpoints' pods ({', '.join(missing)}) are not in the data",
            evidence=[
                Evidence(f"pod {ctx.service.namespace}/{name}", "not in the data")
                for name in missing
            ],
            hint=f"include the pods of namespace {ctx.service.namespace} in the snapshot",
        )
    return LayerResult(
        layer,
        Status.UNKNOWN,
        f"not judged: service {ctx.service.namespace}/{ctx.service.name} "
        "sends this port to no pods",
        evidence=[Evidence(service_ref(ctx.service, ctx.service_port), "no backend pod")],
        hint="fix the service first (see the service layer)",
        explained_by="service",
    )
