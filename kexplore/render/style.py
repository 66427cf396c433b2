"""Status glyphs and colours shared by the headless renderers and the TUI."""

from __future__ import annotations

from kexplore.checks.result import Status

GLYPH: dict[Status, str] = {
    Status.PASS: "✓",
    Status.WARN: "!",
    Status.FAIL: "✗",
    Status.UNKNOWN: "?",
    Status.SKIPPED: "–",
}

STYLE: dict[Status, str] = {
    Status.PASS: "green",
    Status.WARN: "yellow",
    Status.FAIL: "bold red",
    Status.UNKNOWN: "magenta",
    Status.SKIPPED: "dim",
}


def badge(status: Status) -> str:
    """Glyph and word, so the meaning survives without colour: `✗ fail`."""
    return f"{GLYPH[status]} {status}"
