"""What-if: edits applied to a scratch copy, and every known edge they touch re-checked,
before → after (the edge in focus, and what else opens or breaks)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from kexplore.analysis.mesh.common import mesh_settings
from kexplore.checks.context import build_context
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.ladder import check_edge
from kexplore.checks.result import EdgeReport, Status
from kexplore.checks.stale import STALE
from kexplore.errors import KexploreError
from kexplore.fixes.edits import Edit, ObjectKey
from kexplore.fixes.scratch import Scratch, scratch
from kexplore.graph import namespace_of, talks_to
from kexplore.model.state import ClusterState

EdgeKey = tuple[str, str, str]


@dataclass(frozen=True)
class EdgeSpec:
    """An edge as `kexplore check` takes it; `where` pairs an edge an edit re-dialed."""

    source: str
    target: str
    protocol: str = "TCP"
    port: int | None = None
    where: str = ""
    namespaces: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.source} → {self.target}"

    @property
    def key(self) -> EdgeKey:
        return self.source, self.target, self.protocol


def known_edges(state: ClusterState) -> list[EdgeSpec]:
    """The talks-to edges kexplore infers from the workloads' configuration."""
    out = []
    for t in talks_to(state):
        target_ns = namespace_of(t.target_node)
        out.append(EdgeSpec(t.source, t.target, where=t.where, namespaces=(t.namespace, target_ns)))
    return out


def canonical(state: ClusterState, edge: EdgeSpec) -> EdgeSpec:
    """The known edge a user's SOURCE TARGET names (`shop/frontend` is `shop/deploy/frontend`),
    so the edge is not counted twice and a re-dialed name can be followed; else itself."""
    try:
        wanted = resolve_source(state, edge.source)
    except KexploreError:
        return edge
    for known in known_edges(state):
        if known.target != edge.target or known.protocol != edge.protocol:
            continue
        found = resolve_source(state, known.source)
        if (found.namespace, found.kind, found.name) == (
            wanted.namespace,
            wanted.kind,
            wanted.name,
        ):
            return replace(known, port=edge.port)
    return edge


def run_edge(state: ClusterState, edge: EdgeSpec) -> EdgeReport | None:
    """The ladder of one edge; None when the edge no longer exists (its source is gone)."""
    try:
        return check_edge(state, edge.source, edge.target, edge.protocol, edge.port)
    except KexploreError:
        return None


def verdict_text(report: EdgeReport | None) -> str:
    """`fail at networkpolicy`, `pass`, or `gone`."""
    if report is None:
        return "gone"
    at = f" at {report.failing_layer}" if report.failing_layer else ""
    return f"{report.verdict}{at}"


@dataclass
class Outcome:
    """One edge before and after the edits (`after_edge`: the edge as dialed afterwards)."""

    edge: EdgeSpec
    before: EdgeReport | None
    after: EdgeReport | None
    after_edge: EdgeSpec | None = None

    @property
    def changed(self) -> bool:
        return verdict_text(self.before) != verdict_text(self.after)

    @property
    def opened(self) -> bool:
        return _fails(self.before) and not _fails(self.after) and not self.unobserved

    @property
    def unobserved(self) -> bool:
        """The edge failed on an observation the edits set aside as stale, and passes only as
        predicted (no fresh observation says it now works)."""
        failing = self.before.failing_layer if self.before is not None else None
        layer = self.after.layer(failing) if self.after is not None and failing else None
        return layer is not None and layer.summary.startswith(STALE) and not _fails(self.after)

    def line(self) -> str:
        """`a → b: fail at service → pass` (naming the new dialed name if it changed)."""
        name = self.edge.label()
        if self.after_edge is not None and self.after_edge.target != self.edge.target:
            name += f" (now dials {self.after_edge.target})"
        line = f"{name}: {verdict_text(self.before)} → {verdict_text(self.after)}"
        if self.unobserved:
            line += " (predicted only: what failed it was observed before the change; probe again)"
        return line


def _fails(report: EdgeReport | None) -> bool:
    return report is None or report.verdict is Status.FAIL


@dataclass
class WhatIf:
    """The scratch state, the edge in focus, and every re-checked edge."""

    scratch: Scratch
    focus: Outcome | None
    outcomes: list[Outcome] = field(default_factory=list)

    def others_changed(self) -> list[Outcome]:
        """Edges other than the focus whose verdict changed."""
        focus = self.focus.edge.key if self.focus is not None else None
        return [o for o in self.outcomes if o.changed and o.edge.key != focus]

    def effect(self) -> str:
        """One paragraph: what happens to the focus edge, and what else opens or breaks."""
        parts = []
        if self.focus is not None:
            fixed = not _fails(self.focus.after) and not self.focus.unobserved
            done = "fixes this edge" if fixed else "this edge"
            parts.append(f"{done}: {self.focus.line().split(': ', 1)[1]}")
        others = self.others_changed()
        checked = f"re-checked {len(self.outcomes)} known edge(s) the change touches"
        if not others:
            parts.append(f"changes nothing else ({checked})")
        opened = [o.line() for o in others if o.opened]
        unobserved = [o.line() for o in others if o.unobserved]
        broken = [o.line() for o in others if not o.opened and not o.unobserved]
        if opened:
            parts.append(f"also opens: {len(opened)} edge(s) now allowed: " + "; ".join(opened))
        if unobserved:
            parts.append(
                f"{len(unobserved)} edge(s) unknown until probed: " + "; ".join(unobserved)
            )
        if broken:
            parts.append(f"also changes: {len(broken)} edge(s): " + "; ".join(broken))
        if self.scratch.stale:
            parts.append(
                f"{len(self.scratch.stale)} recorded observation(s) on the changed objects "
                "are stale: their layers fall back to the static prediction"
            )
        return "; ".join(parts)


class Baseline:
    """The state before any edit: its known edges and each edge's ladder, run once however
    many what-ifs compare against it."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self.known = {e.key: e for e in known_edges(state)}
        self._runs: dict[EdgeSpec, EdgeReport | None] = {}

    def run(self, edge: EdgeSpec) -> EdgeReport | None:
        if edge not in self._runs:
            self._runs[edge] = run_edge(self.state, edge)
        return self._runs[edge]


def what_if(
    state: ClusterState | Baseline, edits: Iterable[Edit], focus: EdgeSpec | None = None
) -> WhatIf:
    """Apply the edits to a scratch copy and re-check the focus edge and every known edge
    the changed objects touch (PatchError when an edit does not apply)."""
    base = state if isinstance(state, Baseline) else Baseline(state)
    sc = scratch(base.state, edits, mesh_settings(base.state).root_namespace)
    before = base.known
    after = {e.key: e for e in known_edges(sc.state)}
    result = WhatIf(sc, None)
    for key, edge in before.items():
        new = after.get(key) or redialed(edge, after, before)
        if _touched(base.state, sc, edge, new):
            result.outcomes.append(_outcome(base, sc, edge, new))
    if focus is not None:
        found = next((o for o in result.outcomes if o.edge.key == focus.key), None)
        if found is None:
            new = redialed(focus, after, before) if focus.where else None
            found = _outcome(base, sc, focus, new or focus)
            result.outcomes.insert(0, found)
        result.focus = found
    return result


def _touched(state: ClusterState, sc: Scratch, edge: EdgeSpec, new: EdgeSpec | None) -> bool:
    """Whether the edits may change the edge: by namespace first (cheap), then by the pods
    and the service the edge reaches, before and after, against what the edits changed."""
    if new != edge and new is not None:
        return True  # the config now dials another name
    if sc.everywhere:
        return True
    if not sc.touches(*edge.namespaces):
        return False
    for where in (state, sc.state):
        pods, service = footprint(where, edge)
        if pods & sc.affected_pods or service in sc.changed:
            return True
    return False


def footprint(state: ClusterState, edge: EdgeSpec) -> tuple[set[tuple[str, str]], ObjectKey | None]:
    """The source and target pods of an edge and the key of the service it dials (an edge
    that cannot be resolved reaches everything, to be safe)."""
    try:
        source = resolve_source(state, edge.source)
        ctx = build_context(state, source, parse_target(edge.target, edge.protocol, edge.port))
    except KexploreError:
        return {("*", "*")}, None
    pods = {(p.namespace, p.name) for p in (*source.pods, *ctx.target_pods)}
    svc = ctx.service
    return pods, ObjectKey("Service", svc.namespace, svc.name) if svc is not None else None


def redialed(
    edge: EdgeSpec, after: dict[EdgeKey, EdgeSpec], before: dict[EdgeKey, EdgeSpec]
) -> EdgeSpec | None:
    """The edge that replaced `edge` after an edit changed the name it dials (same source,
    found in the same place)."""
    return next(
        (
            e
            for k, e in after.items()
            if k not in before and e.source == edge.source and e.where == edge.where
        ),
        None,
    )


def _outcome(base: Baseline, sc: Scratch, edge: EdgeSpec, new: EdgeSpec | None) -> Outcome:
    after = run_edge(sc.state, new) if new is not None else None
    return Outcome(edge, base.run(edge), after, new)
