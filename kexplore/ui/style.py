"""Theme-aware styles and untrusted text for the TUI (readable on light and dark themes)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App

from kexplore.checks.result import Status
from kexplore.render.sanitize import strip_controls
from kexplore.render.style import GLYPH

_VARIABLE = {
    Status.PASS: "success",
    Status.WARN: "warning",
    Status.FAIL: "error",
    Status.UNKNOWN: "accent",
    Status.SKIPPED: "foreground-muted",
}


_VARIABLES: dict[str, dict[str, str]] = {}


def theme_names() -> list[str]:
    """The themes the TUI can start with (`--theme`, the settings file)."""
    from textual.theme import BUILTIN_THEMES

    return sorted(BUILTIN_THEMES)


def status_style(app: App[object], status: Status) -> Style:
    """The theme's colour for a status (fail bold), so light and dark themes both read."""
    if app.theme not in _VARIABLES:
        _VARIABLES[app.theme] = app.get_css_variables()  # costly: once per theme
    colour = _VARIABLES[app.theme].get(_VARIABLE[status], "")
    try:
        style = Style.parse(colour.split()[0]) if colour else Style()
    except Exception:  # a theme variable that is not a plain colour
        style = Style()
    return style + Style(bold=True) if status is Status.FAIL else style


def plain(text: str, style: Style | str = "") -> Text:
    """Untrusted cluster text as Text: control sequences stripped, never parsed as markup."""
    return Text(strip_controls(text), style=style)


def badge(app: App[object], status: Status) -> Text:
    """`✗ fail` in the status colour; the glyph and word carry the meaning without colour."""
    return Text(f"{GLYPH[status]} {status}", style=status_style(app, status))
