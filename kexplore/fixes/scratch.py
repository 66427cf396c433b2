"""A scratch copy of a ClusterState with edits applied: derived objects recomputed (a changed
Service's EndpointSlices, a workload's pods rolled out) and stale observations set aside."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec

from kexplore.analysis.mesh.dataplane import PROXY_CONTAINER
from kexplore.fixes.edits import Edit, ObjectKey, apply_edit
from kexplore.model.base import K8s, LabelSelector
from kexplore.model.cluster import Namespace, Node
from kexplore.model.compare import raw_of
from kexplore.model.istio import DestinationRule, WorkloadLabels, WorkloadSelector
from kexplore.model.kinds import REGISTRY, convert_object
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy
from kexplore.model.recorded import SetAside
from kexplore.model.services import Service
from kexplore.model.state import ClusterState, meta_of
from kexplore.model.workloads import Workload
from kexplore.probes.envoy import AccessLine, parse_access_log

# Objects whose change reaches every namespace (besides the mesh root's): cluster-scoped
# policy tiers. A Namespace's labels reach only the pods in it, a Node only the pods on it
# (every pod when it runs kube-system's, as cluster DNS); their edges are found by the pods.
_CLUSTER_WIDE = frozenset(
    info.key
    for info in REGISTRY.values()
    if not info.namespaced and info.key not in ("Namespace", "Node")
)


@dataclass
class Scratch:
    """The edited copy, what changed, and what it no longer trusts."""

    state: ClusterState
    changed: list[ObjectKey] = field(default_factory=list)
    affected_pods: set[tuple[str, str]] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)
    everywhere: bool = False
    stale: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rolled: set[tuple[str, str]] = field(default_factory=set)

    def because(self) -> str:
        """`what-if changed service shop/search`: why observations were set aside."""
        return "what-if changed " + ", ".join(dict.fromkeys(k.ref() for k in self.changed))

    def set_aside(self, kind: str, namespace: str, pod: str, target: str, said: str) -> None:
        """One observation no longer trusted: listed here, and kept on the state for the
        ladder to say which layers it leaves stale."""
        item = SetAside(
            kind=kind,
            namespace=namespace,
            pod=pod,
            target=target,
            said=said,
            because=self.because(),
        )
        self.stale.append(item.ref())
        self.state.set_aside.append(item)

    def touches(self, *namespaces: str) -> bool:
        """Whether an edge between these namespaces may be changed by the edits."""
        return self.everywhere or any(ns in self.namespaces for ns in namespaces)


def scratch(state: ClusterState, edits: Iterable[Edit], root_namespace: str) -> Scratch:
    """Apply the edits to a copy (PatchError when one does not apply)."""
    out = Scratch(state.copy())
    for edit in edits:
        key = edit.key
        before = out.state.get(key.kind, key.namespace, key.name)
        after = apply_edit(out.state, edit)
        if before is not None:
            out.state.remove(key.kind, key.namespace, key.name)
        if after is not None:
            out.state.add(after)
        out.changed.append(key)
        pods = {p for obj in (before, after) if obj is not None for p in _pods_of(state, obj)}
        _reach(out, key, pods, root_namespace)
        if isinstance(before, Workload) and isinstance(after, Workload):
            _roll_out(out, before, after)
    _recompute_endpoints(out)
    _set_aside_observations(out)
    return out


def _reach(out: Scratch, key: ObjectKey, pods: set[tuple[str, str]], root: str) -> None:
    """Where an edit reaches: the pods it decides, and its namespace (a Namespace: its own
    pods'; a Node: its pods' namespaces); everywhere for a policy tier or the mesh root."""
    out.affected_pods |= pods
    out.namespaces.add(key.name if key.kind == "Namespace" else key.namespace)
    out.everywhere |= key.kind in _CLUSTER_WIDE or key.namespace == root
    if key.kind == "Node":
        out.namespaces |= {ns for ns, _ in pods}
        out.everywhere |= any(ns == "kube-system" for ns, _ in pods)


def _pods_of(state: ClusterState, obj: K8s) -> set[tuple[str, str]]:
    """The pods whose traffic an object decides (selected, owned, or behind its host)."""
    ns = meta_of(obj).namespace
    pods: list[Pod] = []
    if isinstance(obj, Pod):
        pods = [obj]
    elif isinstance(obj, Namespace):
        pods = state.pods_in(obj.name)
    elif isinstance(obj, Node):
        pods = [p for p in state.pods if p.spec.node_name == obj.name]
    elif isinstance(obj, Workload):
        pods = state.pods_of_workload(obj)
    elif isinstance(obj, Service) and obj.spec.selector:
        pods = state.pods_matching(ns, obj.spec.selector)
    elif isinstance(obj, NetworkPolicy):
        pods = [p for p in state.pods_in(ns) if obj.spec.pod_selector.matches(p.labels)]
    elif isinstance(obj, DestinationRule):
        host = obj.spec.host.split(".")
        svc = state.get("Service", host[1] if len(host) > 1 else ns, host[0])
        pods = _pods_of_service(state, svc)
    else:
        pods = _selected(state, obj, ns)
    return {(p.namespace, p.name) for p in pods}


def _pods_of_service(state: ClusterState, svc: K8s | None) -> list[Pod]:
    if isinstance(svc, Service) and svc.spec.selector:
        return state.pods_matching(svc.namespace, svc.spec.selector)
    return []


def _selected(state: ClusterState, obj: K8s, ns: str) -> list[Pod]:
    """Istio policies: a workload selector picks pods; none means the whole namespace."""
    spec = getattr(obj, "spec", None)
    selector = getattr(spec, "selector", None) or getattr(spec, "workload_selector", None)
    if isinstance(selector, WorkloadSelector | WorkloadLabels | LabelSelector):
        return [p for p in state.pods_in(ns) if selector.matches(p.labels)]
    return state.pods_in(ns)


def _roll_out(out: Scratch, before: Workload, after: Workload) -> None:
    """A changed pod template reaches the workload's pods, as a rollout would."""
    old, new = before.pod_template(), after.pod_template()
    if old is None or new is None or old == new:
        return
    new_containers = {c["name"]: c for c in raw_of(new.spec).get("containers", [])}
    for pod in out.state.pods_of_workload(before):
        raw = raw_of(pod)
        meta = raw["metadata"]
        for field_name in ("labels", "annotations"):
            own = getattr(old.metadata, field_name)
            kept = {k: v for k, v in meta[field_name].items() if k not in own}
            meta[field_name] = {**kept, **getattr(new.metadata, field_name)}
        raw["spec"]["containers"] = [
            new_containers.get(c["name"], c) for c in raw["spec"]["containers"]
        ]
        rolled = convert_object(raw)
        if isinstance(rolled, Pod):
            out.state.add(rolled)
            out.affected_pods.add((pod.namespace, pod.name))
            out.rolled.add((pod.namespace, pod.name))
    out.notes.append(
        f"{ObjectKey.of(after).ref()}: its pods are judged with the new template (as after a "
        "rollout)"
    )


def _services_near(out: Scratch) -> list[Service]:
    """Services of the namespaces the edits or their pods are in (the only ones whose
    endpoints or traffic the edits can change)."""
    namespaces = out.namespaces | {ns for ns, _ in out.affected_pods}
    return [svc for ns in sorted(namespaces) for svc in out.state.services_in(ns)]


def _recompute_endpoints(out: Scratch) -> None:
    """EndpointSlices and Endpoints are the controller's output: for a changed Service, or
    one selecting a changed pod, they are dropped so backends come from the selector."""
    state = out.state
    for svc in _services_near(out):
        key = ObjectKey("Service", svc.namespace, svc.name)
        pods = {(p.namespace, p.name) for p in _pods_of_service(state, svc)}
        if key in out.changed or pods & out.affected_pods:
            for slice_ in state.slices_for(svc.namespace, svc.name):
                state.remove("EndpointSlice", slice_.namespace, slice_.name)
            state.remove("Endpoints", svc.namespace, svc.name)


def _set_aside_observations(out: Scratch) -> None:
    """Probe results and logs recorded on (or towards) changed objects no longer hold."""
    state = out.state
    ips: set[str] = set()
    for ns, name in out.affected_pods:
        pod = state.get("Pod", ns, name)
        if isinstance(pod, Pod):
            ips.update(pod.ips())
    for svc in _services_near(out):
        pods = {(p.namespace, p.name) for p in _pods_of_service(state, svc)}
        if ObjectKey("Service", svc.namespace, svc.name) in out.changed or pods & out.affected_pods:
            ips.update(svc.spec.cluster_ips or [svc.spec.cluster_ip])
    kept = []
    for probe in state.recorded_probes:
        host = _address_of(state, probe.target.rsplit(":", 1)[0])
        if (probe.namespace, probe.pod) in out.affected_pods or host in ips:
            out.set_aside(probe.probe, probe.namespace, probe.pod, probe.target, probe.result)
        else:
            kept.append(probe)
    state.recorded_probes = kept
    _set_aside_proxy_logs(out, ips)
    _set_aside_events(out)


def _set_aside_events(out: Scratch) -> None:
    """A rolled-out pod is a new pod: the events about the old one no longer hold."""
    for ns, name in sorted(out.rolled):
        events = out.state.events_for("Pod", ns, name)
        for event in events:
            out.state.remove("Event", event.namespace, event.name)
        if events:
            reasons = ", ".join(dict.fromkeys(e.reason for e in events))
            out.set_aside("events", ns, name, "", f"{len(events)} event(s): {reasons}")


def _address_of(state: ClusterState, host: str) -> str:
    """An IP as is; a service FQDN (a proxy's cluster name) as its cluster IP."""
    name, _, rest = host.partition(".")
    namespace = rest.split(".")[0]
    svc = state.get("Service", namespace, name) if rest.endswith(".svc.cluster.local") else None
    return svc.spec.cluster_ip if isinstance(svc, Service) else host


def _set_aside_proxy_logs(out: Scratch, ips: set[str]) -> None:
    """A proxy's access log tells what the config did: its lines whose other end is a
    changed workload or service no longer hold, nor a changed pod's inbound lines."""
    kept = []
    for log in out.state.logs:
        pod = out.state.get("Pod", log.namespace, log.pod)
        if log.container != PROXY_CONTAINER or not isinstance(pod, Pod):
            kept.append(log)
            continue
        own = set(pod.ips())
        changed = (log.namespace, log.pod) in out.affected_pods
        stale = {e.raw for e in parse_access_log(log.text) if _stale(e, own, ips, changed)}
        if stale:
            said = f"{len(stale)} access-log line(s)"
            out.set_aside("access-log", log.namespace, log.pod, "", said)
            lines = [ln for ln in log.text.splitlines() if ln.strip() not in stale]
            log = msgspec.structs.replace(log, text="\n".join(lines) + "\n")
        kept.append(log)
    out.state.logs = kept


def _stale(entry: AccessLine, own: set[str], ips: set[str], changed: bool) -> bool:
    remote = entry.downstream_remote.rpartition(":")[0]
    ends = entry.destinations() | {remote}
    inbound = bool(entry.destinations() & own)
    return bool((ends - own) & ips) or (changed and inbound)
