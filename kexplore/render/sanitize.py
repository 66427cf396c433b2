"""Making untrusted cluster text safe to show: control sequences stripped, markup escaped."""

from __future__ import annotations

from rich.markup import escape

from kexplore.shell import strip_controls

__all__ = ["safe", "strip_controls"]


def safe(text: str) -> str:
    """Untrusted text ready for rich markup: controls stripped, `[` escaped."""
    return escape(strip_controls(text))
