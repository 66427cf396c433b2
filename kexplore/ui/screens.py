"""Modal screens: keys help, the inferred edges with their verdicts and the context list."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from kexplore.checks.result import EdgeReport, Status
from kexplore.render.style import GLYPH
from kexplore.ui.explorer import FAILS_FIRST
from kexplore.ui.style import plain, status_style

HELP_TEXT = (
    "The header counts failing edges: ] jumps to the next, ! lists every edge failing first; "
    "each namespace box of the overview counts the failing edges from it. The graph shows the "
    "focused object's neighbourhood (or all namespaces); selecting an edge checks it, the "
    "ladder shows each layer (✓ pass  ! warn  ✗ fail  ? unknown  – skipped  ≠ a probe saw "
    "otherwise than the static check) and the drill-down its evidence. 1-4 focus navigator / "
    "graph / ladder / drill-down (below 100 columns they take turns), z maximizes the focused "
    "pane, ctrl+p lists every action.\n"
    "From k9s: :pods :svc :deploy :ns :netpol list them in the navigator, / filters the list "
    "in focus and esc clears it, d describe  m yaml  l logs  e events (and b probes  "
    "c policy  v evidence), ctrl+c quits."
)


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
                if key not in seen and description:
                    seen.add(key)
                    table.add_row(key, description)
            yield table


EdgeRow = tuple[Any, str, str, EdgeReport | None]


def fails_first(rows: list[EdgeRow]) -> list[EdgeRow]:
    """Failing edges first, then unknown, warn, not yet checked, and passing ones."""
    return sorted(rows, key=lambda r: FAILS_FIRST.get(r[3].verdict, 3) if r[3] else 3)


def edge_words(row: EdgeRow) -> str:
    """What `/` matches in an edge row: source, target, verdict and failing layer."""
    _, source, target, report = row
    verdict = f"{report.verdict} {report.failing_layer or ''}" if report else "not checked"
    return f"{source} {target} {verdict}".lower()


class EdgesScreen(ModalScreen[Any]):
    """Every inferred edge, failing first; `/` filters, enter opens one."""

    BINDINGS = [
        Binding("escape", "close", "clear filter / close", key_display="esc"),
        Binding("q", "dismiss(None)", "close"),
        Binding("slash", "filter", "filter", key_display="/"),
    ]

    def __init__(self, rows: list[EdgeRow]) -> None:
        super().__init__()
        self.rows = fails_first(rows)
        self.shown = self.rows

    def compose(self) -> ComposeResult:
        with Vertical(id="edges"):
            failing = sum(1 for r in self.rows if r[3] and r[3].verdict is Status.FAIL)
            title = f"Edges — {failing} failing of {len(self.rows)}, failing first"
            yield Static(Text(f"{title}  (enter opens, / filters, esc closes)", "bold"))
            yield Input(placeholder="filter: source, target, verdict or layer", id="edges-filter")
            yield DataTable(cursor_type="row", id="edges-table")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("fails at", "source", "target")
        self._fill("")
        table.focus()

    def _fill(self, needle: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.shown = [r for r in self.rows if needle in edge_words(r)]
        for index, (_, source, target, report) in enumerate(self.shown):
            verdict = Text("· not checked", "dim")
            if report is not None:  # first, so it shows however narrow: `✗ networkpolicy`
                said = report.failing_layer or report.verdict
                verdict = Text(
                    f"{GLYPH[report.verdict]} {said}", status_style(self.app, report.verdict)
                )
            table.add_row(verdict, plain(source), plain(target), key=str(index))

    def action_filter(self) -> None:
        box = self.query_one("#edges-filter", Input)
        box.display = True
        box.focus()

    def action_close(self) -> None:
        """esc: clear the filter first, then close."""
        box = self.query_one("#edges-filter", Input)
        if box.value or box.has_focus:
            box.value, box.display = "", False
            self.query_one(DataTable).focus()
        else:
            self.dismiss(None)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value.strip().lower())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self.shown[int(event.row_key.value or 0)][0])


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
