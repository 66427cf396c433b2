"""`kexplore verify SESSION.jsonl`: re-run every edge a saved session checked against the
current state and say, per edge, fixed / still failing / regressed / unchanged."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from kexplore.checks.result import EdgeReport, Status
from kexplore.fixes.whatif import EdgeSpec, known_edges, run_edge, verdict_text
from kexplore.model.state import ClusterState
from kexplore.model.workloads import Workload
from kexplore.transcript import Session

FIXED, STILL, REGRESSED, UNCHANGED, GONE = (
    "fixed",
    "still failing",
    "regressed",
    "unchanged",
    "gone",
)
ORDER = (REGRESSED, GONE, STILL, FIXED, UNCHANGED)


@dataclass
class Verified:
    """One edge of the session: its verdict then and now, and the outcome."""

    edge: EdgeSpec
    before: str
    after: str
    outcome: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.edge.source,
            "target": self.edge.target,
            "protocol": self.edge.protocol,
            "before": self.before,
            "after": self.after,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def session_edges(session: Session) -> list[tuple[EdgeSpec, EdgeReport]]:
    """Each edge the session checked, with its first report (the baseline: later checks of
    the same edge, and earlier verify runs, do not move it)."""
    seen: dict[tuple[str, str, str], tuple[EdgeSpec, EdgeReport]] = {}
    for report in session.reports():
        src = report.source
        edge = EdgeSpec(
            f"{src.namespace}/{src.kind.lower()}/{src.name}",
            report.target.dialed,
            report.target.protocol,
        )
        seen.setdefault(edge.key, (edge, report))
    return list(seen.values())


def verify(session: Session, state: ClusterState) -> list[Verified]:
    """Every edge of the session re-checked on `state`, classified."""
    out = []
    edges = session_edges(session)
    known = known_edges(state)
    checked = {(_who(e.source), e.target) for e, _ in edges}
    for edge, before in edges:
        redial = _redialed(edge, known, checked)
        successor = None if redial is not None else _successor(state, edge)
        result = _classify(edge, before, run_edge(state, redial or successor or edge))
        note = f"now dials {redial.target}" if redial is not None else ""
        note = f"pod gone: judged by {successor.source}" if successor is not None else note
        if note:
            result.detail = note + (f"; {result.detail}" if result.detail else "")
        out.append(result)
    out.sort(key=lambda v: ORDER.index(v.outcome))
    return out


def _who(source: str) -> tuple[str, str]:
    """(namespace, name) of a source text: `shop/deploy/frontend` and `shop/deployment/frontend`
    (a report's spelling) alike."""
    parts = source.split("/")
    return parts[0], parts[-1]


def _redialed(
    edge: EdgeSpec, known: list[EdgeSpec], checked: set[tuple[tuple[str, str], str]]
) -> EdgeSpec | None:
    """The edge the source's configuration dials now instead of this one: when the source
    no longer dials the session's name and exactly one new name on the same port appears."""
    who = _who(edge.source)
    mine = [e for e in known if _who(e.source) == who]
    if not mine or any(e.target == edge.target for e in mine):
        return None
    port = edge.target.rsplit(":", 1)[-1]
    fresh = [
        e for e in mine if (who, e.target) not in checked and e.target.rsplit(":", 1)[-1] == port
    ]
    return fresh[0] if len(fresh) == 1 else None


def _successor(state: ClusterState, edge: EdgeSpec) -> EdgeSpec | None:
    """A checked pod that is gone (replaced by a rollout): its workload, found by the pod
    name's generated suffixes (`frontend-6d9c5-x2` → ReplicaSet `frontend-6d9c5` →
    Deployment `frontend`; `postgres-0` → StatefulSet `postgres`)."""
    ns, kind, name = [*edge.source.split("/"), "", ""][:3]
    if kind != "pod" or state.get("Pod", ns, name) is not None:
        return None
    parts = name.split("-")
    for cut in (1, 2):
        owner = "-".join(parts[:-cut])
        for kind_name in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            found = state.get(kind_name, ns, owner) if owner else None
            if isinstance(found, Workload):
                top = state.top_owner(found) or found
                return replace(edge, source=f"{ns}/{top.kind.lower()}/{top.name}")
    return None


def _classify(edge: EdgeSpec, before: EdgeReport, after: EdgeReport | None) -> Verified:
    then, now = verdict_text(before), verdict_text(after)
    if after is None:
        return Verified(edge, then, now, GONE, "the source is not in the data any more")
    was_failing = before.verdict is Status.FAIL
    failing = after.verdict is Status.FAIL
    if was_failing and not failing:
        return Verified(edge, then, now, FIXED)
    if was_failing:
        same = before.failing_layer == after.failing_layer
        detail = (
            "same layer" if same else f"now at {after.failing_layer}, was {before.failing_layer}"
        )
        return Verified(edge, then, now, STILL, detail)
    if failing:
        return Verified(edge, then, now, REGRESSED, f"was {then}")
    return Verified(edge, then, now, UNCHANGED)


def exit_code(results: list[Verified]) -> int:
    """0 when nothing that passed now fails and every edge is still there to judge."""
    return 1 if any(v.outcome in (REGRESSED, GONE) for v in results) else 0


def summary(results: list[Verified]) -> str:
    """`2 fixed, 1 still failing, 0 regressed, 5 unchanged`."""
    counts = {name: sum(v.outcome == name for v in results) for name in ORDER}
    parts = [f"{counts[n]} {n}" for n in (FIXED, STILL, REGRESSED, UNCHANGED)]
    if counts[GONE]:
        parts.append(f"{counts[GONE]} gone")
    return ", ".join(parts)
