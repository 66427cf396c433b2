"""`:changes [N]m` and `h`: what the live watch heard change in the last minutes on the objects
the selected edge depends on, newest first, with the events recorded about them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kexplore.model.changes import ChangeLog
from kexplore.ui.style import plain

if TYPE_CHECKING:  # fixes.recent loads the mesh engine: imported when changes are shown
    from kexplore.fixes.recent import Recent
    from kexplore.ui.app import KexploreApp

ChangesFn = Callable[[], ChangeLog | None]
_WINDOW = re.compile(r"(?P<n>\d{1,4})(?P<unit>[mh]?)")


def window_minutes(text: str) -> int | None:
    """`15m`, `15` or `2h` as minutes; None when it is not a window."""
    found = _WINDOW.fullmatch(text.strip().lower())
    if found is None or int(found["n"]) == 0:
        return None
    return int(found["n"]) * (60 if found["unit"] == "h" else 1)


class ChangesScreen(ModalScreen[None]):
    """The recent changes of one edge's objects; esc or q closes."""

    BINDINGS = [Binding("escape,q,h", "dismiss(None)", "close")]

    def __init__(self, edge: str, found: Recent) -> None:
        super().__init__()
        self.edge, self.found = edge, found

    def compose(self) -> ComposeResult:
        from kexplore.fixes.recent import recent_lines

        found = self.found
        title = (
            f"Changes in the last {found.minutes} min on {found.objects} objects of "
            f"{self.edge}: {len(found.changes)} change(s), {len(found.events)} event(s)"
        )
        with Vertical(id="changes"):
            yield Static(plain(title, "bold"))
            body = Text()
            for style, line in recent_lines(found):
                body.append_text(plain(line + "\n", style))
            with VerticalScroll():
                yield Static(body, id="changes-list")


class Changes:
    """Opens the changes view for the edge on the ladder."""

    def __init__(self, app: KexploreApp, log: ChangesFn | None) -> None:
        self.app = app
        self.log = log

    def show(self, minutes: int | None = None) -> None:
        """The changes of the last `minutes` (None: the default window)."""
        from kexplore.fixes.recent import DEFAULT_MINUTES, recent

        app = self.app
        report = app.ladder.report
        if self.log is None:
            where = app.ex.state.meta.source or "saved data"
            app.tell(
                f"changes are recorded while watching a live cluster; this session reads {where} "
                "(kexplore diff A B compares two snapshots)"
            )
            return
        log = self.log()
        if log is None:
            app.tell("the watch has not started yet: changes are recorded once the data is read")
            return
        if report is None:
            app.tell("select an edge first: the changes shown are those on its objects")
            return
        found = recent(log, app.ex.state, report, minutes or DEFAULT_MINUTES)
        edge = f"{report.source.namespace}/{report.source.name} → {report.target.dialed}"
        app.push_screen(ChangesScreen(edge, found))
