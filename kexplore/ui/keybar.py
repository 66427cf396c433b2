"""The footer: the keys of the focused view and of the app on one line, redrawn only when
they change (Textual's Footer remounts a widget per key on every focus change), fitted to the
width by shortening words and leaving out the least needed keys (`?` lists them all)."""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget

# How much a key is needed on the footer (the lowest go first when it is too narrow); keys
# of the focused view not named here rank FOCUSED, the app's others OTHER.
RANK = {
    "help": 100,  # `?` lists every key, so it always shows
    "failing(1)": 95,
    "command_line": 90,
    "quit": 85,
    "edges": 80,
    "tabs": 75,
    "filter": 65,
    "back": 60,
    "copy": 55,
    "probe": 50,
    "fix": 50,
    "palette": 35,
    "zoom": 40,
}
FOCUSED, OTHER = 70, 30
SHORT = {"command": "cmd"}  # when the line does not fit
Entry = tuple[str, str, int]  # key, description, rank


def fitted(entries: list[Entry], width: int) -> Text:
    """The entries in their order, ` key description ` each; when too wide, words shortened,
    then the lowest-ranked entries left out until the line fits."""
    kept = list(entries)
    if _width(kept) > width:
        kept = [(key, SHORT.get(text, text), rank) for key, text, rank in kept]
    while len(kept) > 1 and _width(kept) > width:
        kept.remove(min(reversed(kept), key=lambda e: e[2]))  # the rightmost of the lowest
    line = Text()
    for key, description, _ in kept:
        line.append(f" {key}", "bold")
        line.append(f" {description} ", "dim")
    return line


def _width(entries: list[Entry]) -> int:
    return sum(len(key) + len(description) + 3 for key, description, _ in entries)


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
        self.entries: list[Entry] = []
        self._line: tuple[int, Text] = (-1, Text())  # the width it was fitted to, the line

    def render(self) -> Text:
        width = self.size.width
        if self._line[0] != width:
            self._line = (width, fitted(self.entries, width))
        return self._line[1]

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen[object]) -> None:
        """The focused view changed: show its keys (one per action, as the Footer does)."""
        seen: set[str] = set()
        entries: list[Entry] = []
        groups: dict[str, int] = {}  # a group's keys share one entry: `dmlebcv tabs`
        for node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not (binding.show and enabled) or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            group = binding.group.description if binding.group else ""
            if group in groups:
                at = groups[group]
                entries[at] = (entries[at][0] + key, *entries[at][1:])
                continue
            if group:
                groups[group] = len(entries)
            rank = RANK.get(group or binding.action, OTHER if node is self.app else FOCUSED)
            entries.append((key, group or binding.description, rank))
        entries.append(("^p", "palette", RANK["palette"]))
        keys = [(key, description) for key, description, _ in entries]
        if keys != self.keys:
            self.keys, self.entries = keys, entries
            self._line = (-1, Text())
            self.refresh()  # one line, same size: no layout pass
