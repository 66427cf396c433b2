"""Making untrusted cluster text safe to show: control sequences stripped, markup escaped."""

from __future__ import annotations

import re

from rich.markup import escape

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, C1 controls,
# C0 controls other than tab and newline, and Unicode bidirectional overrides and isolates
# (they reorder what follows on screen: "Trojan Source" text that reads differently than it is).
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
    r"|[\u202a-\u202e\u2066-\u2069]"
)


def strip_controls(text: str) -> str:
    """Remove terminal control sequences and control characters (keeps tab and newline)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def safe(text: str) -> str:
    """Untrusted text ready for rich markup: controls stripped, `[` escaped."""
    return escape(strip_controls(text))
