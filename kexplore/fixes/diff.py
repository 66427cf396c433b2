"""`kexplore diff A B`: the edges whose verdict changed between two states, and for each the
object fields that changed it, ordered by how much of the change each one explains."""

from __future__ import annotations

from dataclasses import dataclass, field

from kexplore.analysis.mesh.common import mesh_settings
from kexplore.fixes.edits import DELETE, MANIFEST, Edit, ObjectKey, PatchError
from kexplore.fixes.scratch import scratch
from kexplore.fixes.whatif import EdgeSpec, known_edges, redialed, run_edge, verdict_text
from kexplore.model.compare import FieldChange, object_fields
from kexplore.model.state import ClusterState
from kexplore.sources.record import object_json

# Kinds a controller or the kubelet writes (their changes follow from the config compared).
DERIVED = frozenset({"Event", "EndpointSlice", "Endpoints", "ReplicaSet", "Secret"})
ALONE, PARTLY, RELATED = "explains it alone", "changes this edge", "touches this edge"
_RANK = {ALONE: 0, PARTLY: 1, RELATED: 2}


@dataclass
class ObjectChange:
    """An object added, removed or modified between the two states."""

    key: ObjectKey
    how: str  # added, removed, modified
    fields: list[FieldChange] = field(default_factory=list)
    edit: Edit | None = None

    def text(self) -> str:
        if self.how != "modified":
            return f"{self.key.ref()} {self.how}"
        return f"{self.key.ref()}: " + "; ".join(f.text() for f in self.fields)


@dataclass
class EdgeDiff:
    """One edge in both states, and the object changes that explain it (best first)."""

    edge: EdgeSpec
    before: str
    after: str
    causes: list[tuple[str, ObjectChange]] = field(default_factory=list)
    after_edge: EdgeSpec | None = None  # the name dialed in B, when the config changed it


@dataclass
class StateDiff:
    """Every changed edge, and the object changes."""

    edges: list[EdgeDiff]
    objects: list[ObjectChange]
    checked: int


def object_changes(a: ClusterState, b: ClusterState) -> list[ObjectChange]:
    """Configuration objects added, removed or modified (status and bookkeeping ignored)."""
    out = []
    for kind in sorted(set(a.objects) | set(b.objects)):
        if kind in DERIVED:
            continue
        objs_a, objs_b = a.objects.get(kind, {}), b.objects.get(kind, {})
        for ns, name in sorted(set(objs_a) | set(objs_b)):
            key = ObjectKey(kind, ns, name)
            old, new = objs_a.get((ns, name)), objs_b.get((ns, name))
            if new is None:
                out.append(ObjectChange(key, "removed", edit=Edit(key, DELETE)))
                continue
            edit = Edit(key, MANIFEST, manifest=object_json(kind, new))
            if old is None:
                out.append(ObjectChange(key, "added", edit=edit))
                continue
            fields = object_fields(old, new)
            if fields:
                out.append(ObjectChange(key, "modified", fields, edit))
    return out


def diff_states(a: ClusterState, b: ClusterState, edges: list[EdgeSpec] | None = None) -> StateDiff:
    """Edges whose verdict differs (all known edges of either state, or the given ones; an
    edge whose name the config now dials differently is followed to the new name), each with
    the object changes ranked: alone reproduces B's verdict > moves it > same namespaces."""
    known_a = {e.key: e for e in known_edges(a)}
    known_b = {e.key: e for e in known_edges(b)}
    pairs: list[tuple[EdgeSpec, EdgeSpec]] = []
    if edges is None:
        for key, edge in known_a.items():
            pairs.append((edge, known_b.get(key) or redialed(edge, known_b, known_a) or edge))
        paired = {after.key for _, after in pairs}
        pairs += [(e, e) for k, e in known_b.items() if k not in known_a and k not in paired]
    else:
        pairs = [(e, redialed(e, known_b, known_a) or e) for e in edges]
    objects = object_changes(a, b)
    out = []
    for edge, new in pairs:
        before, after = verdict_text(run_edge(a, edge)), verdict_text(run_edge(b, new))
        if before != after or edges is not None:
            causes = _causes(a, edge, new, before, after, objects)
            out.append(EdgeDiff(edge, before, after, causes, new if new != edge else None))
    return StateDiff(out, objects, len(pairs))


def _dialed(state: ClusterState, old: EdgeSpec, new: EdgeSpec) -> EdgeSpec:
    """The edge as the state's config dials it: the new name only where the config says it."""
    if old == new or new.key in {e.key for e in known_edges(state)}:
        return new
    return old


def _causes(
    a: ClusterState,
    old_edge: EdgeSpec,
    edge: EdgeSpec,
    before: str,
    after: str,
    objects: list[ObjectChange],
) -> list[tuple[str, ObjectChange]]:
    root = mesh_settings(a).root_namespace
    ranked = []
    for change in objects:
        assert change.edit is not None
        try:
            sc = scratch(a, [change.edit], root)
        except PatchError:  # an object that does not decode alone explains nothing
            continue
        moved = verdict_text(run_edge(sc.state, _dialed(sc.state, old_edge, edge)))
        if moved == after and before != after:
            ranked.append((ALONE, change))
        elif moved != before:
            ranked.append((PARTLY, change))
        elif sc.touches(*edge.namespaces):
            ranked.append((RELATED, change))
    ranked.sort(key=lambda pair: _RANK[pair[0]])
    return ranked
