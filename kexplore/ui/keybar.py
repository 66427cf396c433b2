"""The footer: the keys of the focused view and of the app on one line, redrawn only when
they change (Textual's Footer remounts a widget per key on every focus change)."""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    """`: command  ? help  …` for the bindings shown; ctrl+p (the palette) lists every action."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: list[tuple[str, str]] = []
        self.line = Text()

    def render(self) -> Text:
        return self.line

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen[object]) -> None:
        """The focused view changed: show its keys (one per action, as the Footer does)."""
        seen: set[str] = set()
        keys: list[tuple[str, str]] = []
        groups: dict[str, int] = {}  # a group's keys share one entry: `dmlebcv drill tabs`
        for _, binding, enabled, _tooltip in screen.active_bindings.values():
            if not (binding.show and enabled) or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            group = binding.group.description if binding.group else ""
            if group in groups:
                at = groups[group]
                keys[at] = (keys[at][0] + key, group)
                continue
            if group:
                groups[group] = len(keys)
            keys.append((key, group or binding.description))
        keys.append(("^p", "palette"))
        if keys != self.keys:
            self.keys = keys
            line = Text()
            for key, description in keys:
                line.append(f" {key}", "bold")
                line.append(f" {description} ", "dim")
            self.line = line
            self.refresh()  # one line, same size: no layout pass
