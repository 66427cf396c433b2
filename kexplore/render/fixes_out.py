"""Proposed fixes and what-if results as text, Markdown and patch files (`--fix-out DIR`)."""

from __future__ import annotations

import os
import re
from itertools import groupby
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from kexplore.checks.result import EdgeReport, Fix
from kexplore.errors import InputError
from kexplore.fixes.edits import DELETE, edit_of
from kexplore.fixes.whatif import Outcome, WhatIf, verdict_text
from kexplore.render.sanitize import strip_controls

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _plain(text: str, style: str = "") -> Text:
    return Text(strip_controls(text), style=style)


def _one_line(text: str) -> str:
    return strip_controls(text).replace("\n", " ").replace("\r", " ")


def options(fixes: list[Fix]) -> list[list[Fix]]:
    """Fix entries grouped by option (entries of one option are applied together)."""
    return [list(group) for _, group in groupby(fixes, key=lambda f: f.option)]


def diff_text(diff: str) -> Text:
    """A unified diff, added lines green, removed lines red."""
    out = Text()
    for line in strip_controls(diff).splitlines():
        style = "dim"
        if line.startswith("+") and not line.startswith("+++"):
            style = "green"
        elif line.startswith("-") and not line.startswith("---"):
            style = "red"
        out.append(line + "\n", style=style)
    return out


def fixes_text(fixes: list[Fix]) -> Group:
    """Each option: title, effect, the diff of every object it changes, the command."""
    parts: list[Any] = []
    for entries in options(fixes):
        first = entries[0]
        head = Text(f"fix {first.option}: ", style="bold green")
        parts.append(head.append_text(_plain(first.title, "bold")))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_row(Text("  effect", style="bold"), _plain(first.effect))
        for fix in entries:
            grid.add_row(Text("  $", style="dim"), _plain(fix.command, "dim"))
        parts.append(grid)
        parts.extend(diff_text(fix.diff) for fix in entries)
    return Group(*parts)


def write_fix_files(report: EdgeReport, out_dir: str) -> list[Path]:
    """One file per fix entry: the patch (or manifest) with comments naming the object, the
    command that applies it, and the `# kexplore-target:` line --what-if reads."""
    directory = Path(out_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"--fix-out {out_dir}: {e.strerror or e}", "choose a writable dir") from e
    written = []
    edge = f"{report.source.label()} → {report.target.dialed}"
    for layer in report.layers:
        for number, fix in enumerate(layer.fix, 1):
            kind, _, where = fix.target.partition(" ")
            stem = _UNSAFE.sub("_", f"{fix.option:02d}-{number}-{kind}-{where.replace('/', '-')}")
            path = directory / f"{stem.lower()}.yaml"
            command = edit_of(fix.target, fix.mode, fix.patch).command(str(path))
            marker = "kexplore-delete" if fix.mode == DELETE else "kexplore-target"
            header = [
                f"# kexplore fix {fix.option} for {edge} ({layer.id})",
                f"# {fix.title}",
                f"# effect: {fix.effect}",
                f"# apply: {command}",
            ]
            if fix.mode != "manifest":
                header.append(f"# {marker}: {fix.target}")
            body = "\n".join(_one_line(h) for h in header) + "\n" + fix.patch
            _write_private(path, body)
            written.append(path)
    return written


def _write_private(path: Path, text: str) -> None:
    """Write a file without following a symlink planted at its name."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        raise InputError(f"--fix-out {path}: {e.strerror or e}", "choose another dir") from e
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def what_if_lines(result: WhatIf) -> list[str]:
    """Plain lines: the edits, the focus edge before → after, every changed edge, what is
    stale; shared by the text and Markdown forms."""
    sc = result.scratch
    lines = ["what-if (hypothetical: nothing was changed in the cluster)"]
    lines += [f"  edits {key.ref()}" for key in sc.changed]
    if result.focus is not None:
        lines.append(f"  this edge: {_outcome(result.focus)}")
    others = result.others_changed()
    lines += [f"  also: {_outcome(o)}" for o in others]
    lines.append(
        f"  re-checked {len(result.outcomes)} known edge(s) the changed objects touch; "
        f"{len(others)} other verdict(s) changed"
    )
    lines += [f"  note: {n}" for n in sc.notes]
    if sc.stale:
        lines.append(
            f"  stale: {len(sc.stale)} recorded observation(s) on changed objects set aside "
            "(those layers fall back to the static prediction)"
        )
    return [_one_line(line) for line in lines]


def _outcome(outcome: Outcome) -> str:
    line = outcome.line()
    return line if outcome.changed else f"{line} (unchanged)"


def what_if_json(result: WhatIf) -> dict[str, Any]:
    """The what-if as JSON: edits, focus and changed edges before → after, stale items."""

    def one(o: Outcome) -> dict[str, Any]:
        return {
            "source": o.edge.source,
            "target": o.edge.target,
            "dialed_after": o.after_edge.target if o.after_edge is not None else None,
            "before": verdict_text(o.before),
            "after": verdict_text(o.after),
        }

    sc = result.scratch
    return {
        "edits": [k.ref() for k in sc.changed],
        "edge": one(result.focus) if result.focus is not None else None,
        "changed": [one(o) for o in result.others_changed()],
        "rechecked": len(result.outcomes),
        "stale": list(sc.stale),
        "notes": list(sc.notes),
    }
