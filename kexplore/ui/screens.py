"""Modal screens: keys help, the inferred edges with their verdicts and the context list."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from kexplore.checks.result import EdgeReport
from kexplore.render.style import GLYPH
from kexplore.ui.style import plain, status_style

HELP_TEXT = """\
The graph shows the focused object's neighbourhood (or all namespaces): sources on the
left, services in the middle, backends on the right. Selecting an edge checks it; the ladder
shows each layer (✓ pass  ! warn  ✗ fail  ? unknown  – skipped) and the drill-down pane
the evidence. 1-4 focus navigator / graph / ladder / drill-down. ctrl+p lists every action."""


class HelpScreen(ModalScreen[None]):
    """Keys of the focused view and of the app."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def __init__(self, where: str, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.where = where
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(Text(f"Keys — {self.where}", "bold"))
            yield Static(HELP_TEXT)
            table: DataTable[str] = DataTable(show_cursor=False)
            table.add_columns("key", "does")
            seen = set()
            for key, description in self.bindings:
                if key not in seen:
                    seen.add(key)
                    table.add_row(key, description)
            yield table


class EdgesScreen(ModalScreen[Any]):
    """Every inferred edge with its verdict; enter jumps to it."""

    BINDINGS = [Binding("escape,q", "dismiss(None)", "close")]

    def __init__(self, rows: list[tuple[Any, str, str, EdgeReport | None]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="edges"):
            yield Static(Text("Edges (enter jumps to one)", "bold"))
            yield DataTable(cursor_type="row", id="edges-table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("source", "target", "verdict", "failing layer")
        for index, (_, source, target, report) in enumerate(self.rows):
            if report is None:
                verdict, layer = Text("· not checked", "dim"), Text("")
            else:
                style = status_style(self.app, report.verdict)
                verdict = Text(f"{GLYPH[report.verdict]} {report.verdict}", style)
                layer = Text(report.failing_layer or "")
            table.add_row(plain(source), plain(target), verdict, layer, key=str(index))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self.rows[int(event.row_key.value or 0)][0])


class ContextScreen(ModalScreen[str | None]):
    """kubeconfig contexts; enter switches."""

    BINDINGS = [Binding("escape,q", "dismiss(None)", "close")]

    def __init__(self, contexts: list[str], current: str) -> None:
        super().__init__()
        self.contexts = contexts
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="contexts"):
            yield Static(Text("Contexts (enter switches)", "bold"))
            options = [
                Option(plain(("* " if c == self.current else "  ") + c), id=c)
                for c in self.contexts
            ]
            yield OptionList(*options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
