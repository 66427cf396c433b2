"""`kexplore edges`: the inferred talks-to edges headless, optionally with each one's ladder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.text import Text

from kexplore.checks.ladder import check_edge
from kexplore.checks.result import EdgeReport, Status
from kexplore.errors import KexploreError, NotFoundError, UsageError
from kexplore.graph import TalksTo, talks_to
from kexplore.model.state import ClusterState
from kexplore.render.sanitize import strip_controls
from kexplore.render.style import STYLE, badge

OUTPUTS = ("text", "json")


@dataclass
class EdgeRow:
    """One inferred edge, and its ladder's outcome when checked."""

    edge: TalksTo
    report: EdgeReport | None = None
    error: str = ""

    @property
    def resolves_to(self) -> str:
        """The Service the name resolves to from the source's namespace, or why none."""
        kind, _, where = self.edge.target_node.partition(":")
        if kind == "Service":
            return f"service {where}"
        return f"no Service (NXDOMAIN from namespace {self.edge.namespace})"

    @property
    def verdict(self) -> Status:
        return self.report.verdict if self.report is not None else Status.UNKNOWN

    def to_json(self) -> dict[str, Any]:
        e = self.edge
        out: dict[str, Any] = {
            "source": e.source,
            "dialed": e.target,
            "resolves_to": self.resolves_to,
            "found_in": list(e.found_in),
        }
        if self.report is not None or self.error:
            out["verdict"] = str(self.verdict)
            out["failing_layer"] = self.report.failing_layer if self.report else None
            out["prediction"] = self.report.prediction if self.report else None
            out["error"] = self.error or None
        return out


def run_edges(
    state: ClusterState, namespaces: list[str], check: bool, output: str, console: Console
) -> int:
    """Print the edges whose source is in `namespaces` (all when empty); with `check`, run
    the ladder on each and return 1 when any fails."""
    if output not in OUTPUTS:
        raise UsageError(f"--output {output!r}: expected one of {', '.join(OUTPUTS)}")
    known = set(state.namespace_names())
    missing = [n for n in namespaces if n not in known]
    if missing:
        raise NotFoundError(
            f"NAMESPACE {missing[0]!r}: no such namespace in the data",
            fix="list them with: kubectl get namespaces",
        )
    rows = [EdgeRow(e) for e in talks_to(state) if not namespaces or e.namespace in namespaces]
    if check:
        for row in rows:
            _check(state, row)
    if output == "json":
        data = {"edges": [r.to_json() for r in rows], "counts": _counts(rows, check)}
        console.file.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        _text(rows, check, console)
    return 1 if any(r.verdict is Status.FAIL for r in rows) else 0


def _check(state: ClusterState, row: EdgeRow) -> None:
    try:
        row.report = check_edge(state, row.edge.source, row.edge.target)
    except KexploreError as e:  # one bad edge must not hide the others
        row.error = e.one_line()


def _counts(rows: list[EdgeRow], check: bool) -> dict[str, int]:
    counts = {"edges": len(rows)}
    if check:
        for status in (Status.PASS, Status.WARN, Status.UNKNOWN, Status.FAIL):
            counts[str(status)] = sum(1 for r in rows if r.verdict is status)
    return counts


def _text(rows: list[EdgeRow], check: bool, console: Console) -> None:
    """One line per edge (greppable in CI logs), its sources indented below."""
    if not rows:
        console.print("no talks-to edges found (env vars, args, ConfigMap keys)", markup=False)
        return
    for row in rows:
        line = Text(strip_controls(f"{row.edge.source} → {row.edge.target}"), style="bold")
        line.append(strip_controls(f" = {row.resolves_to}"))
        if check:
            line.append("  ")
            line.append(badge(row.verdict), style=STYLE[row.verdict])
            line.append(strip_controls(_layer_cell(row)))
        console.print(line, soft_wrap=True)
        found = Text(strip_controls("    found in: " + "; ".join(row.edge.found_in)))
        console.print(found, soft_wrap=True)
    if check:
        counts = _counts(rows, check)
        tally = ", ".join(f"{counts[s]} {s}" for s in ("pass", "warn", "unknown", "fail"))
        console.print(f"{counts['edges']} edges: {tally}", markup=False)


def _layer_cell(row: EdgeRow) -> str:
    if row.error:
        return f": {row.error}"
    report = row.report
    assert report is not None
    if report.failing_layer:
        return f" at {report.failing_layer}"
    return f": {report.prediction}" if report.prediction else ""
