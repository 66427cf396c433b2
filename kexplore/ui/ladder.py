"""The ladder pane: one row per layer of the selected edge, filled in as each layer runs."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kexplore.checks.result import Disagreement, EdgeReport, Evidence, LayerResult, Status
from kexplore.render.style import GLYPH
from kexplore.ui.style import plain, status_style

DISAGREEMENT = "disagreement-"


def disagreement_result(item: Disagreement) -> LayerResult:
    """A static-vs-observed finding shown in the drill pane like a layer."""
    evidence = [
        Evidence(f"{item.layer} (static)", f"predicted {item.predicted}"),
        Evidence(item.evidence or "observed", f"observed {item.observed}"),
        *(Evidence("could be", why) for why in item.explanations),
    ]
    return LayerResult("static-vs-observed", Status.WARN, item.line(), "probe", evidence, hint=None)


class LadderPane(Vertical):
    """Header (edge and verdict) above the layer rows; highlighting a row shows its evidence."""

    ALLOW_MAXIMIZE = True  # z

    @dataclass
    class LayerChosen(Message):
        """A layer row was highlighted."""

        result: LayerResult

    class Opened(Message):
        """Enter on a layer row: read its evidence."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.results: dict[str, LayerResult] = {}
        self.layer_ids: list[str] = []
        self.report: EdgeReport | None = None

    def compose(self) -> ComposeResult:
        yield Static("select an edge (tab, arrows) to check it", id="ladder-title")
        yield OptionList(id="ladder-rows")

    @property
    def rows(self) -> OptionList:
        return self.query_one("#ladder-rows", OptionList)

    def start(self, title: Text, layer_ids: list[str]) -> None:
        """A check began: every layer pending."""
        self.results, self.layer_ids, self.report = {}, list(layer_ids), None
        title_box = self.query_one("#ladder-title", Static)
        title_box.update(title + Text("  checking…", "italic"))  # wraps: never cut
        self._fill()

    def layer_done(self, result: LayerResult) -> None:
        """One layer finished: show its row."""
        self.results[result.id] = result
        if result.id not in self.layer_ids:
            self.layer_ids.append(result.id)
        self._fill()

    def finish(self, title: Text, report: EdgeReport, keep: bool = False) -> None:
        """The check is done: all rows and the verdict, the failing layer highlighted (or,
        with `keep`, the layer that was: the same edge checked on new data)."""
        was = self.selected_layer() if keep else None
        self.report = report
        self.results = {r.id: r for r in report.layers}
        self.layer_ids = [r.id for r in report.layers]
        verdict = Text(f"  {GLYPH[report.verdict]} {report.verdict}")
        verdict.stylize(status_style(self.app, report.verdict))
        if report.failing_layer:
            verdict.append(f" at {report.failing_layer}", status_style(self.app, Status.FAIL))
        self.query_one("#ladder-title", Static).update(title + verdict)
        self._fill()
        chosen = was.id if was is not None and was.id in self.results else report.failing_layer
        first = next((i for i, r in enumerate(report.layers) if r.id == chosen), 0)
        if self.rows.option_count:
            self.rows.highlighted = first

    def message(self, title: Text, text: str) -> None:
        """No ladder to show (a non-checkable edge, an error): one line instead."""
        self.results, self.layer_ids, self.report = {}, [], None
        self.query_one("#ladder-title", Static).update(title)
        self.rows.set_options([Option(plain(text))])

    def _fill(self) -> None:
        highlighted = self.rows.highlighted
        running = next((i for i in self.layer_ids if i not in self.results), None)
        options = [Option(self._row(layer_id, running), id=layer_id) for layer_id in self.layer_ids]
        found = self.report.disagreements if self.report is not None else []
        for index, item in enumerate(found):
            options.append(Option(self._disagreement_row(item), id=f"{DISAGREEMENT}{index}"))
        self.rows.set_options(options)
        if highlighted is not None and highlighted < len(options):
            self.rows.highlighted = highlighted

    def _row(self, layer_id: str, running: str | None) -> Text:
        result = self.results.get(layer_id)
        if result is None:
            state = "… running" if layer_id == running else "· pending"
            return Text(f"{state[0]} {layer_id:<14}{state[2:]}", style="dim", no_wrap=True)
        row = Text(f"{GLYPH[result.status]} {layer_id:<14}")  # the glyph says the status
        row.stylize(status_style(self.app, result.status), 0, len(row))
        summary = result.summary
        if result.explained_by:
            summary += f" (explained by {result.explained_by})"
        row = row + plain(summary)
        row.no_wrap, row.overflow = True, "ellipsis"
        return row

    def _disagreement_row(self, item: Disagreement) -> Text:
        """Laid out like a layer's row: `≠ static≠seen   mesh predicted pass; observed 503`."""
        row = Text(f"≠ {'static≠seen':<14}", style=status_style(self.app, Status.WARN))
        row = row + plain(item.line())
        row.no_wrap, row.overflow = True, "ellipsis"
        return row

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        option_id = event.option.id or ""
        if option_id.startswith(DISAGREEMENT) and self.report is not None:
            item = self.report.disagreements[int(option_id.removeprefix(DISAGREEMENT))]
            self.post_message(self.LayerChosen(disagreement_result(item)))
            return
        result = self.results.get(option_id)
        if result is not None:
            self.post_message(self.LayerChosen(result))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id in self.results:
            self.post_message(self.Opened())

    def selected_layer(self) -> LayerResult | None:
        index = self.rows.highlighted
        if index is None or index >= len(self.layer_ids):
            return None
        return self.results.get(self.layer_ids[index])
