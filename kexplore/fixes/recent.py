"""What changed in the last minutes on the objects an edge depends on (the live change log,
and the events the cluster recorded about those objects)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kexplore.analysis.mesh.common import mesh_settings
from kexplore.checks.result import EdgeReport
from kexplore.model.changes import Change, ChangeLog, ObjectRef
from kexplore.model.cluster import Event
from kexplore.model.kinds import REGISTRY
from kexplore.model.pods import Pod
from kexplore.model.services import Service
from kexplore.model.state import ClusterState, store_key

# Policy and mesh kinds: the ladder weighs every one in the namespaces it looks at.
_POLICY_GROUPS = ("networking.k8s.io", "cilium.io", "projectcalico.org", "istio.io")
POLICY_KINDS = {
    info.key: info.namespaced
    for (group, _), info in REGISTRY.items()
    if group.endswith(_POLICY_GROUPS)
}
_REF = re.compile(r"^(?P<kind>[a-z]+) (?P<ns>[^/\s]+)/(?P<name>[^\s/]+)")
DEFAULT_MINUTES = 15


@dataclass
class Footprint:
    """The objects an edge depends on, and the namespaces whose policies its ladder weighs."""

    objects: set[ObjectRef] = field(default_factory=set)
    policy_namespaces: set[str] = field(default_factory=set)

    def covers(self, kind: str, namespace: str, name: str) -> bool:
        if (kind, namespace, name) in self.objects:
            return True
        if kind not in POLICY_KINDS:
            return False
        return not POLICY_KINDS[kind] or namespace in self.policy_namespaces


def footprint(state: ClusterState, report: EdgeReport) -> Footprint:
    """Both ends' pods, their workloads, nodes and namespaces, the service and its endpoint
    slices, every object the ladder's evidence names, and the policies of both namespaces
    (and of the mesh root)."""
    src, tgt = report.source, report.target
    out = Footprint(policy_namespaces={src.namespace, tgt.namespace})
    out.policy_namespaces.add(mesh_settings(state).root_namespace)
    pods = [state.get("Pod", src.namespace, name) for name in src.pods]
    out.objects.add((src.kind, src.namespace, src.name))
    target = state.get(tgt.kind, tgt.namespace, tgt.name)
    if isinstance(target, Service):
        out.objects.add(("Service", target.namespace, target.name))
        out.objects |= {
            ("EndpointSlice", s.namespace, s.name)
            for s in state.slices_for(target.namespace, target.name)
        }
        if target.spec.selector:
            pods += state.pods_matching(target.namespace, target.spec.selector)
    elif target is not None:
        pods.append(target)
    for pod in pods:
        if isinstance(pod, Pod):
            _add_pod(state, out, pod)
    for ns in {src.namespace, tgt.namespace}:
        out.objects.add(("Namespace", "", ns))
    out.objects |= _named_in_evidence(state, report)
    return out


def _add_pod(state: ClusterState, out: Footprint, pod: Pod) -> None:
    """A pod, its owners up the chain, and its node."""
    out.objects.add(("Pod", pod.namespace, pod.name))
    owner = state.owner(pod)
    for _ in range(8):
        if owner is None:
            break
        out.objects.add((store_key(owner), owner.namespace, owner.name))
        owner = state.owner(owner)
    if pod.spec.node_name:
        out.objects.add(("Node", "", pod.spec.node_name))


def _named_in_evidence(state: ClusterState, report: EdgeReport) -> set[ObjectRef]:
    """Objects the ladder's evidence names (`destinationrule mesh-demo/accounts …`)."""
    kinds = {kind.lower(): kind for kind in state.objects}
    out: set[ObjectRef] = set()
    for layer in report.layers:
        for ev in layer.evidence:
            found = _REF.match(ev.ref)
            if found and found["kind"] in kinds:
                out.add((kinds[found["kind"]], found["ns"], found["name"]))
    return out


@dataclass
class Recent:
    """The changes and events on an edge's objects in a window, newest first."""

    minutes: int
    since: float
    started: float
    changes: list[Change]
    events: list[Event]
    objects: int
    elsewhere: int
    relists: list[tuple[float, str]]

    def empty_reason(self) -> str:
        """Why nothing is shown: the window, the objects looked at, what was heard elsewhere."""
        start = _clock(self.started)
        window = f"in the last {self.minutes} min"
        if self.started > self.since:
            window = f"since the watch started at {start} (less than {self.minutes} min ago)"
        other = f"; {self.elsewhere} change(s) heard on other objects" if self.elsewhere else ""
        objects = f"the {self.objects} objects this edge depends on"
        return f"no changes recorded on {objects} {window}{other}"


def recent(
    log: ChangeLog,
    state: ClusterState,
    report: EdgeReport,
    minutes: int = DEFAULT_MINUTES,
    now: float | None = None,
) -> Recent:
    """The changes the watch heard, and the events in the data, on the edge's objects."""
    now = time.time() if now is None else now
    since = now - minutes * 60
    where = footprint(state, report)
    heard = log.since(since)
    mine = [c for c in heard if where.covers(c.kind, c.namespace, c.name)]
    cutoff = datetime.fromtimestamp(since, UTC)
    events = [
        e
        for kind, ns, name in sorted(where.objects)
        for e in state.events_for(kind, ns, name)
        if (_parse(e.when()) or cutoff) > cutoff
    ]
    events.sort(key=lambda e: _parse(e.when()) or cutoff, reverse=True)
    return Recent(
        minutes,
        since,
        log.started,
        mine,
        events,
        len(where.objects),
        len(heard) - len(mine),
        log.relists_since(since),
    )


def _parse(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S UTC")


def recent_lines(found: Recent) -> list[tuple[str, str]]:
    """The view as (style, text) lines: each change with who made it and its fields, then
    the events, then the gaps in the record."""
    lines: list[tuple[str, str]] = []
    for change in found.changes:
        who = f" by {change.manager.text()}" if change.manager else ""
        lines.append(("bold", f"{_clock(change.at)}  {change.what()}{who}"))
        if change.type == "modified" and not change.fields:
            lines.append(("dim", "    (only fields kexplore does not read changed)"))
        lines += [("", f"    {text}") for text in change.field_lines()]
    if found.events:
        lines.append(("italic", "events on these objects:"))
        for e in found.events:
            obj = e.involved_object
            count = f" ×{e.count}" if e.count > 1 else ""
            about = f"{obj.kind.lower()} {obj.name}"
            lines.append(("", f"{e.when()}  {e.type} {e.reason}{count} {about}: {e.message}"))
    for at, kind in found.relists:
        gap = "listed again (its history expired): changes in that gap are not itemized"
        lines.append(("dim", f"{_clock(at)}  {kind} {gap}"))
    if not found.changes and not found.events:
        lines.insert(0, ("dim", found.empty_reason()))
    return lines
