"""`kexplore diff` and `kexplore verify` as plain text and JSON."""

from __future__ import annotations

from typing import Any

from kexplore.fixes.diff import StateDiff
from kexplore.fixes.verify import Verified, summary
from kexplore.render.sanitize import strip_controls


def _line(text: str) -> str:
    return strip_controls(text).replace("\n", " ").replace("\r", " ")


def diff_lines(diff: StateDiff, name_a: str, name_b: str) -> list[str]:
    """Each changed edge, before → after, with its causes best first; then the object
    changes no changed edge is explained by."""
    lines = [
        f"diff {name_a} → {name_b}: {len(diff.edges)} of {diff.checked} edge(s) "
        + ("shown" if diff.edges and diff.checked == len(diff.edges) else "changed verdict")
    ]
    used = set()
    for item in diff.edges:
        now = f" (now dials {item.after_edge.target})" if item.after_edge is not None else ""
        lines.append(f"{item.edge.label()}{now}: {item.before} → {item.after}")
        for rank, change in item.causes:
            used.add(change.key)
            lines.append(f"  {rank}: {change.text()}")
        if not item.causes:
            lines.append("  no configuration change explains it (observed data differs)")
    rest = [c for c in diff.objects if c.key not in used]
    if rest:
        lines.append(f"other changes ({len(rest)}), no changed edge depends on them:")
        lines += [f"  {c.text()}" for c in rest]
    return [_line(line) for line in lines]


def diff_json(diff: StateDiff) -> dict[str, Any]:
    """The diff as one JSON object."""

    def change(c: Any) -> dict[str, Any]:
        fields = [{"path": f.path, "before": f.before, "after": f.after} for f in c.fields]
        return {"object": c.key.ref(), "how": c.how, "fields": fields}

    return {
        "checked": diff.checked,
        "edges": [
            {
                "source": e.edge.source,
                "target": e.edge.target,
                "dialed_after": e.after_edge.target if e.after_edge is not None else None,
                "before": e.before,
                "after": e.after,
                "causes": [{"explains": rank, **change(c)} for rank, c in e.causes],
            }
            for e in diff.edges
        ],
        "objects": [change(c) for c in diff.objects],
    }


def verify_lines(results: list[Verified], session: str) -> list[str]:
    """One line per edge, worst first, then the counts."""
    lines = [f"verify {session}: {len(results)} edge(s) re-checked"]
    for v in results:
        detail = f" ({v.detail})" if v.detail else ""
        lines.append(f"{v.outcome:<13} {v.edge.label()}: {v.before} → {v.after}{detail}")
    lines.append(summary(results))
    return [_line(line) for line in lines]
