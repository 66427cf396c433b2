"""The minimal fix of a failing edge (DESIGN §10): candidates per layer, each checked on a
scratch copy (the layer must stop failing), ranked by how little else they change."""

from __future__ import annotations

from dataclasses import dataclass

from kexplore.checks.context import build_context
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.ladder import DNS_EGRESS
from kexplore.checks.result import EdgeReport, Fix, LayerResult, Status
from kexplore.fixes.candidates import Candidate
from kexplore.fixes.edits import PatchError, edit_diff
from kexplore.fixes.propose_mesh import mesh_candidates
from kexplore.fixes.propose_net import dns_candidates, netpol_candidates, service_candidates
from kexplore.fixes.whatif import Baseline, EdgeSpec, WhatIf, what_if
from kexplore.model.state import ClusterState

CONFIG_LAYERS = ("service", "dns", "mesh", "networkpolicy")
MAX_OPTIONS = 2
NO_PATCH = (
    "no patch: the cause is not configuration kexplore can edit (a crash, a node, the "
    "network outside Kubernetes, the application itself) — follow the hint"
)


@dataclass
class Proposal:
    """A checked candidate: its fixes and its what-if."""

    candidate: Candidate
    what_if: WhatIf


def propose(state: ClusterState, report: EdgeReport, edge: EdgeSpec) -> list[Proposal]:
    """Checked fixes for the failing layer, minimal first (empty when not configuration)."""
    layer = report.layer(report.failing_layer or "")
    if layer is None or layer.id not in CONFIG_LAYERS:
        return []
    checked = []
    candidates = _candidates(state, edge, layer)
    base = Baseline(state) if candidates else None
    for candidate in candidates:
        assert base is not None
        try:
            result = what_if(base, candidate.edits, edge)
        except PatchError:
            continue
        if _layer_passes(result, report, layer.id, candidate.redial):
            checked.append(Proposal(candidate, result))
    checked.sort(key=_rank)
    return checked[:MAX_OPTIONS]


def _rank(proposal: Proposal) -> tuple[int, bool, int]:
    """Fewest edges broken first; then a repair of an evident slip (which may also open
    edges the same slip closed); then fewest other edges changed."""
    others = proposal.what_if.others_changed()
    broken = sum(not o.opened and not o.unobserved for o in others)
    return broken, not proposal.candidate.repair, len(others)


def _candidates(state: ClusterState, edge: EdgeSpec, layer: LayerResult) -> list[Candidate]:
    target = parse_target(edge.target, edge.protocol, edge.port)
    source = resolve_source(state, edge.source)
    ctx = build_context(state, source, target, dns_egress=DNS_EGRESS)
    if layer.id == "service":
        return service_candidates(ctx)
    if layer.id == "dns":
        return dns_candidates(ctx, edge.where)
    if layer.id == "networkpolicy":
        return netpol_candidates(ctx)
    return mesh_candidates(ctx, layer)


def _layer_passes(result: WhatIf, before: EdgeReport, layer_id: str, redial: str) -> bool:
    """The layer no longer fails, and the edge fails at no layer that did not fail before."""
    focus = result.focus
    if focus is None or focus.after is None:
        return False
    if redial and (focus.after_edge is None or focus.after_edge.target != redial):
        return False
    after = focus.after.layer(layer_id)
    if after is None or after.status is Status.FAIL:
        return False
    failing = {r.id for r in before.layers if r.status is Status.FAIL}
    return all(r.id in failing for r in focus.after.layers if r.status is Status.FAIL)


def fixes_of(state: ClusterState, proposals: list[Proposal]) -> list[Fix]:
    """The proposals as DESIGN §10's fix entries (one per changed object)."""
    out = []
    for option, proposal in enumerate(proposals, 1):
        cand = proposal.candidate
        effect = proposal.what_if.effect()
        if cand.tradeoff:
            effect = f"{effect}; {cand.tradeoff}"
        for edit in cand.edits:
            out.append(
                Fix(
                    object=edit.key.ref(),
                    patch=edit.patch_text(),
                    diff=edit_diff(state, edit),
                    effect=effect,
                    option=option,
                    title=cand.title,
                    command=edit.command(),
                    target=f"{edit.key.kind} {edit.key.namespace}/{edit.key.name}",
                    mode=edit.mode,
                )
            )
    return out


def attach_fixes(state: ClusterState, report: EdgeReport, edge: EdgeSpec) -> None:
    """Put the checked fixes on the failing layer of the report."""
    layer = report.layer(report.failing_layer or "")
    if layer is not None:
        layer.fix = fixes_of(state, propose(state, report, edge))
