"""The ladder of one edge as rich text for the terminal (`check --output text`)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from kexplore.checks.result import Disagreement, EdgeReport, LayerResult, Status
from kexplore.render.fixes_out import fixes_text
from kexplore.render.sanitize import strip_controls
from kexplore.render.style import STYLE, badge


class _StdoutConsole(Console):
    """rich's Console, but a closed pipe raises BrokenPipeError (rich exits with status 1,
    which would read as a failing check)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def stdout_console() -> Console:
    """The console headless commands print to."""
    return _StdoutConsole(highlight=False)


def _plain(text: str, style: str = "") -> Text:
    """Untrusted text as a Text (never parsed as markup), controls stripped."""
    return Text(strip_controls(text), style=style)


def header(report: EdgeReport) -> Text:
    """`shop/deployment/frontend → cart:8080 (TCP)  verdict ✗ fail at networkpolicy`."""
    line = Text()
    line.append_text(_plain(report.source.label(), "bold"))
    line.append(" → ")
    line.append_text(_plain(f"{report.target.dialed} ({report.target.protocol})", "bold"))
    line.append("   verdict ")
    line.append(badge(report.verdict), style=STYLE[report.verdict])
    if report.failing_layer:
        line.append(f" at {report.failing_layer}", style=STYLE[Status.FAIL])
    if report.prediction:
        line.append(f": {report.prediction}")
    return line


def ladder_table(report: EdgeReport) -> Table:
    """One row per layer: status badge, layer id, summary."""
    table = Table(show_header=True, header_style="bold", expand=False, box=None, padding=(0, 1))
    table.add_column("status", no_wrap=True)
    table.add_column("layer", no_wrap=True)
    table.add_column("summary")
    for layer in report.layers:
        table.add_row(
            Text(badge(layer.status), style=STYLE[layer.status]),
            Text(layer.id, style="bold" if layer.id == report.failing_layer else ""),
            _plain(layer.summary),
        )
    return table


def layer_details(layer: LayerResult) -> Group:
    """Evidence, hint and kubectl commands of one layer, wrapped lines kept indented."""
    title = Text(f"{layer.id}: {badge(layer.status)}", style=STYLE[layer.status])
    if layer.explained_by:
        title.append(f"  (explained by {layer.explained_by})", style="dim")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for ev in layer.evidence:
        line = _plain(ev.ref, "cyan")
        if ev.detail:
            line.append(": ").append_text(_plain(ev.detail))
        grid.add_row("  •", line)
    if layer.hint:
        grid.add_row(Text("  hint", style="bold"), _plain(layer.hint))
    for cmd in layer.commands:
        grid.add_row(Text("  $", style="dim"), _plain(cmd, "dim"))
    if layer.fix:
        return Group(title, grid, fixes_text(layer.fix))
    return Group(title, grid)


def disagreement_details(items: list[Disagreement]) -> Group:
    """Static vs observed: each contradiction as a finding, with what could explain it."""
    title = Text(f"static vs observed: {len(items)} disagreement(s)", style=STYLE[Status.WARN])
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for item in items:
        grid.add_row("  ≠", _plain(item.line(), "bold"))
        if item.evidence:
            grid.add_row("", _plain(f"seen by {item.evidence}", "cyan"))
        for why in item.explanations:
            grid.add_row("", _plain(f"- could be: {why}"))
    return Group(title, grid)


def render_text(report: EdgeReport, console: Console) -> None:
    """Print the header, the ladder, and details of every layer that is not a plain pass
    (nor a layer left unjudged because another explains it: its row says where to look)."""
    console.print(header(report))
    if report.source.pods:
        console.print(_plain("source pods: " + ", ".join(report.source.pods), "dim"))
    console.print(ladder_table(report))
    if report.disagreements:
        console.print()
        console.print(disagreement_details(report.disagreements))
    for layer in report.layers:
        if layer.status is Status.SKIPPED or (layer.status is Status.PASS and not layer.hint):
            continue
        if layer.status is Status.UNKNOWN and layer.explained_by:
            continue
        console.print()
        console.print(layer_details(layer))
