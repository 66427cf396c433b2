"""The kexplore TUI: `make_app(state, ...)`, the one factory for the CLI, tests and screenshots."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static, Tabs

from kexplore.checks.result import Status
from kexplore.model.state import ClusterState
from kexplore.shell import strip_controls
from kexplore.transcript import Transcript
from kexplore.ui.building import GraphBuilder
from kexplore.ui.changes import Changes, ChangesFn
from kexplore.ui.checking import EdgeChecks
from kexplore.ui.commands import Commands
from kexplore.ui.drill.pane import DRILL_KEYS, DrillPane, LogView
from kexplore.ui.explorer import Explorer
from kexplore.ui.fixing import BANNER, Fixing
from kexplore.ui.graph.view import GraphView, Item
from kexplore.ui.header import header, triage
from kexplore.ui.keybar import KeyBar
from kexplore.ui.ladder import LadderPane
from kexplore.ui.loading import Background, Loading, LoadStatus
from kexplore.ui.messages import (
    CheckDone,
    CheckFailed,
    ExplorerReady,
    LayerDone,
    Loaded,
    ProbeDone,
    StateUpdated,
    SweepDone,
)
from kexplore.ui.navigation import Scenes
from kexplore.ui.navigator import Navigator
from kexplore.ui.probing import ProberFactory, Probing, YesNoScreen
from kexplore.ui.session_log import SessionLog
from kexplore.ui.style import plain, status_style

PANES = ("nav", "graph", "ladder", "drill")
TAB_KEYS = Binding.Group("tabs", compact=True)
NARROW_BELOW = 100  # columns: below, the panes take turns (app.tcss `.-narrow`)
SWITCH_INTERVAL = 0.001  # seconds; Python's default is 0.005


class MainScreen(Screen[None]):
    """The panes' screen: a focus change repaints the two widgets it concerns (their
    `:focus` styles), not the whole screen as Textual's screen does (a full frame at 1-4)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)


class KexploreApp(App[None]):
    """Navigator, graph, ladder and drill-down; checks run in workers."""

    CSS_PATH = "app.tcss"
    TITLE = "kexplore"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket", "failing(1)", "next fail", key_display="]"),
        Binding("exclamation_mark", "edges", "edges", key_display="!"),
        Binding("question_mark", "help", "help", key_display="?"),
        # `:` and `/` act before the keys typed after them are dispatched (priority), so those
        # keys go into the line they open, however fast they come.
        Binding("slash", "filter", "filter", key_display="/", priority=True),
        Binding("colon", "command_line", "command", key_display=":", priority=True),
        *(Binding(key, f"tab('{tab}')", tab, group=TAB_KEYS) for tab, key in DRILL_KEYS.items()),
        Binding("z", "zoom", "zoom"),
        Binding("y", "copy", "copy"),
        Binding("p", "probe", "probe"),
        Binding("f", "fix", "fix"),
        Binding("w", "what_if", "what-if", show=False),
        Binding("h", "changes", "recent changes", show=False),
        Binding("escape", "back", "back", key_display="esc"),
        Binding("q", "quit", "quit"),
        Binding("ctrl+c", "quit", "quit", show=False, priority=True),
        Binding("left_square_bracket", "failing(-1)", "prev fail", key_display="[", show=False),
        Binding("plus,equals_sign", "radius(1)", "radius+", key_display="+", show=False),
        Binding("minus", "radius(-1)", "radius-", key_display="-", show=False),
        Binding("s", "mark_source", "source", show=False),
        Binding("t", "mark_target", "target", show=False),
        Binding("o", "overview", "overview", show=False),
        Binding("r", "recheck", "re-check", show=False),
        Binding("1", "focus_pane('nav')", "navigator", show=False),
        Binding("2", "focus_pane('graph')", "graph", show=False),
        Binding("3", "focus_pane('ladder')", "ladder", show=False),
        Binding("4", "focus_pane('drill')", "drill-down", show=False),
    ]

    def __init__(
        self,
        state: ClusterState,
        *,
        transcript_path: str | Path | None = None,
        freshness: Callable[[], str] | None = None,
        contexts: Callable[[], list[str]] | None = None,
        switch_context: Callable[[str], None] | None = None,
        open_namespace: Callable[[str], object] | None = None,
        sweep: bool = True,
        check_delay: float = 0.2,
        theme: str | None = None,
        read_only: bool = False,
        prober_factory: ProberFactory | None = None,
        background: Background | None = None,
        l7_path: str = "/",
        changes: ChangesFn | None = None,
    ) -> None:
        super().__init__()
        if theme:
            self.theme = theme
        self.l7_path = l7_path  # what the HTTP probe asks for (--path, the settings' l7-path)
        self.ex = Explorer(state)  # empty until the graph is built (see GraphBuilder)
        self.last_key = 0.0  # time.monotonic() of the last key pressed
        self.freshness = freshness
        self.contexts = contexts
        self.switch_context = switch_context
        self.open_namespace = open_namespace  # live, when cluster-wide lists are forbidden
        self.focus_node: str | None = None
        self.shown_pane = "graph"  # the pane 1-4 chose last (shown in turn when narrow)
        self.radius = 1
        self.marked_source: str | None = None
        meta = state.meta
        self.transcript = Transcript(transcript_path, source=meta.source, context=meta.context)
        self.session = SessionLog(self.transcript)
        self.scenes = Scenes(self)
        self.builder = GraphBuilder(self)
        self.checks = EdgeChecks(self, check_delay, sweep)
        self.commands = Commands(self)
        self.probing = Probing(self, prober_factory, read_only)
        self.fixing = Fixing(self)
        self.changes = Changes(self, changes)
        self.loader = Loading(self, background)

    # -- layout -----------------------------------------------------------------------
    def get_default_screen(self) -> Screen[None]:
        return MainScreen(id="_default")

    def compose(self) -> ComposeResult:
        yield Static(id="top")
        with Horizontal(id="body"):
            yield Navigator(id="nav")
            with Vertical(id="middle"):
                progress = self.loader.background.progress if self.loader.background else None
                yield LoadStatus(progress, self.ex.state.meta.source or "data", id="load-status")
                yield GraphView(id="graph")
                with Horizontal(id="bottom"):
                    yield LadderPane(id="ladder")
                    yield DrillPane(id="drill")
        yield Input(
            placeholder=":ns NAME  :pod NAME  :check SOURCE TARGET  :matrix [NS]  :edges  :export",
            id="cmdline",
        )
        yield KeyBar(id="keys")

    @property
    def graph_view(self) -> GraphView:
        return self.query_one(GraphView)

    @property
    def ladder(self) -> LadderPane:
        return self.query_one(LadderPane)

    @property
    def drill(self) -> DrillPane:
        return self.query_one(DrillPane)

    def on_mount(self) -> None:
        titles = {
            "#nav": "1 objects",
            "#graph": "2 graph",
            "#ladder": "3 ladder",
            "#drill": "4 drill-down",
        }
        for selector, title in titles.items():
            self.query_one(selector).border_title = title
        self.graph_view.focus()
        self.update_top()
        doing = "reading the data…" if self.loader.active else "building the graph…"
        self.ladder.message(Text(doing, "italic"), "")
        if self.freshness is not None:
            self.set_interval(1.0, self.update_top)
        # Worker threads (graph build, checks) share the GIL with the UI: a short switch
        # interval lets the UI thread back in quickly, so keys stay responsive during checks.
        sys.setswitchinterval(SWITCH_INTERVAL)
        # The loaded data lives as long as the app: the cyclic GC need not walk it again (a
        # full collection of a big cluster's objects stalls the UI for 100+ ms).
        gc.freeze()
        self.call_after_refresh(self.builder.first)
        self.call_after_refresh(self.loader.start)

    @property
    def loading(self) -> bool:
        """Whether the source is still being read (the screen shows its progress)."""
        return self.loader.active

    def key_work_pending(self) -> bool:
        """Whether a key's effect is still being computed (the navigator's filter)."""
        return self.query_one(Navigator).filtering

    async def on_event(self, event: events.Event) -> None:
        """Keys are noted: background checks wait while the user is typing."""
        if isinstance(event, events.Key):
            self.last_key = time.monotonic()
        await super().on_event(event)

    def on_resize(self, event: events.Resize) -> None:
        self.pane_classes(event.size.width)
        self.update_top()

    def on_unmount(self) -> None:
        self.loader.stop()
        self.transcript.close()

    def update_top(self) -> None:
        """The header: failing/warn counts (`] next`), freshness, marked source, the data."""
        tops = self.query("#top").results(Static)  # none while the app closes (a timer tick)
        top = next(tops, None)
        if top is None:
            return
        meta = self.ex.state.meta
        fresh = self.freshness() if self.freshness is not None else ""
        fresh = " · ".join(p for p in (fresh, meta.scope_note()) if p)
        styles = {status: status_style(top.app, status) for status in Status}
        tally = triage(self.ex.tally(), *self.checks.progress(), styles)
        source = meta.source or "data"
        banner = BANNER if source.startswith(BANNER) else ""  # a what-if is never left out
        where = [source.removeprefix(BANNER).removeprefix(" · ") or "data", meta.context, meta.time]
        width = top.size.width - 2 if top.size.width else self.size.width - 2
        line = header(tally, where, fresh, self.marked_source, width, banner)
        top.update(line, layout=False)  # one line, fixed height

    # -- navigation ---------------------------------------------------------------------
    def go(self, focus: str | None, selected: Item | None = None) -> None:
        """Move the view, remembering where it was (esc comes back)."""
        self.scenes.go(focus, selected)

    def forget_scenes(self) -> None:
        self.scenes.forget()

    def tell(
        self,
        text: str,
        severity: SeverityLevel = "information",
        title: str = "",
        timeout: float | None = None,
    ) -> None:
        """A notification of plain text: names, commands and errors are never read as markup."""
        plain = strip_controls(text)
        self.notify(plain, title=title, severity=severity, timeout=timeout, markup=False)

    def typing_elsewhere(self) -> bool:
        """Whether `:` and `/` belong to what has focus: an input, or a dialog over the main
        screen (the edge list's own `/`)."""
        return isinstance(self.focused, Input) or len(self.screen_stack) > 1

    def action_command_line(self) -> None:
        if self.typing_elsewhere():
            raise SkipAction()
        self.commands.command_line()

    def action_edges(self) -> None:
        self.commands.edges()

    def action_help(self) -> None:
        self.commands.help()

    def action_copy(self) -> None:
        self.commands.copy()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "cmdline":
            event.stop()
            self.commands.submitted(event)

    async def action_back(self) -> None:
        """esc: clear a filter or resource list, close an input, else go back a view."""
        focused = self.focused
        if self.pane_of(focused) == "nav" and self.query_one(Navigator).clear():
            return
        if isinstance(focused, Input):
            focused.value = ""
            if focused.id != "log-search":
                focused.display = focused.id != "cmdline" and focused.id != "nav-filter"
            self.graph_view.focus()
            return
        if self.fixing.active:
            self.fixing.restore()
            return
        self.scenes.back()

    def action_overview(self) -> None:
        self.go(None)

    def action_radius(self, delta: int) -> None:
        self.scenes.change_radius(delta)

    def action_focus_pane(self, pane: str) -> None:
        """1-4: focus a pane. Below 100 columns the panes take turns: the navigator in place
        of the graph, the drill-down in place of the ladder, whichever is focused."""
        self.show_pane(pane)
        widget = {"nav": "#nav-list", "graph": "#graph", "ladder": "#ladder-rows"}.get(pane)
        target = self.drill.query_one(Tabs) if widget is None else self.query_one(widget)
        self.call_after_refresh(target.focus)

    def show_pane(self, pane: str) -> None:
        """Below 100 columns, bring a pane forward (without focusing it)."""
        self.shown_pane = pane
        self.pane_classes(self.size.width)

    def pane_classes(self, width: int) -> None:
        """The screen's `-show-nav`/`-show-drill` classes, set only when the panes take turns:
        a class change on the screen restyles every widget (70 ms at 120×36)."""
        narrow = width < NARROW_BELOW
        pane = self.shown_pane
        shown = {"-show-nav": narrow and pane == "nav", "-show-drill": narrow and pane == "drill"}
        self.screen.update_classes(shown)

    def pane_of(self, widget: Widget | None) -> str | None:
        """Which pane (`nav`, `graph`, `ladder`, `drill`) a widget is in."""
        for pane in PANES:
            box = self.query_one(f"#{pane}")
            if widget is not None and (widget is box or box in widget.ancestors):
                return pane
        return None

    def action_zoom(self) -> None:
        """`z`: maximize the focused pane, whichever it is (or restore it)."""
        view = self.graph_view
        if self.screen.maximized is not None:
            self.screen.minimize()
            view.styles.max_height = view.fit_height  # a focus view's graph fits its drawing
            return
        pane = self.pane_of(self.focused)
        if pane is not None:
            self.screen.maximize(self.query_one(f"#{pane}"), container=False)
            view.styles.max_height = None if pane == "graph" else view.fit_height

    def action_filter(self) -> None:
        """`/` filters the list in focus: the drill-down's logs, else the navigator (its input
        focused at once, like the command line's)."""
        if self.typing_elsewhere():
            raise SkipAction()
        if self.pane_of(self.focused) == "drill" and self.drill.active_tab == "logs":
            self.drill.query_one(LogView).action_search()
            return
        self.show_pane("nav")
        self.query_one(Navigator).action_filter()

    def action_tab(self, tab: str) -> None:
        """d m l e b c v: a drill-down tab (brought forward when the layout hid it)."""
        self.drill.open(tab)
        if not self.drill.region.width:
            self.action_focus_pane("drill")

    async def action_quit(self) -> None:
        """q, ctrl+c: quit; while probes run in the cluster, only after a yes."""
        if not self.probing.running():
            self.loader.stop()  # at once: the reading threads would slow the shutdown
            self.exit()
            return
        question = YesNoScreen(
            "Probes are running in the cluster",
            [Text("Quitting stops waiting for them; their pods may still finish the commands.")],
            "quit now? y / n",
        )
        self.push_screen(question, lambda yes: self.exit() if yes else None)

    # -- selection → drill-down and checks ----------------------------------------------
    def on_graph_view_node_selected(self, message: GraphView.NodeSelected) -> None:
        node = message.node
        if node.startswith("Namespace:") and self.focus_node is None:
            self.ladder.message(plain(node.split(":", 1)[1], "bold"), "enter opens this namespace")
        else:
            self.ladder.message(plain(node, "bold"), "a node: select an edge to check it")
        self.checks.after_rest(lambda: self.drill.show_object(self.ex, node))
        self.session.selected_node(node)

    def on_graph_view_edge_selected(self, message: GraphView.EdgeSelected) -> None:
        edge = message.edge
        self.session.selected_edge(edge.ident)
        if edge.members:
            between = f"{edge.source} → {edge.target}".replace("Namespace:", "")
            self.ladder.message(
                plain(f"{edge.label} {between}", "bold"),
                "enter opens the target namespace on the worst of them",
            )
            return
        texts = self.ex.edge_texts(edge.ident)
        if texts is None:
            label = f"{edge.type} {edge.label}".strip()
            self.ladder.message(plain(label, "bold"), "not a connection: nothing to check")
            self.drill.show_object(self.ex, edge.source)
            return
        self.checks.check(edge.ident, *texts)

    def on_graph_view_activated(self, message: GraphView.Activated) -> None:
        kind, ref = message.item
        if kind == "node":
            self.go(str(ref))
            return
        edge = self.graph_view.selected_edge()
        if edge is not None and edge.members:  # namespaces: the target's, on a member edge
            self.go(edge.target, ("edge", self.ex.worst(edge.members)))
        elif edge is not None:
            self.go(edge.target)

    def on_navigator_picked(self, message: Navigator.Picked) -> None:
        self.go(message.node)
        if not message.node.startswith("Namespace:"):
            self.action_focus_pane("graph")

    def on_ladder_pane_layer_chosen(self, message: LadderPane.LayerChosen) -> None:
        """A layer row highlighted: its evidence (not while closing: the panes are gone)."""
        ladders = self.query(LadderPane)
        report = ladders.first().report if ladders else None
        if report is not None:
            self.drill.show_layer(self.ex, report, message.result)

    def on_ladder_pane_opened(self, _: LadderPane.Opened) -> None:
        self.drill.open("evidence")
        self.action_focus_pane("drill")

    def on_layer_done(self, message: LayerDone) -> None:
        self.checks.layer_done(message)

    def on_check_done(self, message: CheckDone) -> None:
        self.checks.done(message)

    def on_sweep_done(self, _: SweepDone) -> None:
        self.checks.sweep_done()

    def on_check_failed(self, message: CheckFailed) -> None:
        self.checks.failed(message)

    def action_recheck(self) -> None:
        self.checks.recheck()

    def action_failing(self, step: int) -> None:
        self.checks.next_failing(step)

    def action_mark_source(self) -> None:
        self.checks.mark_source()

    def action_mark_target(self) -> None:
        self.checks.mark_target()

    def run_adhoc(self, source: str, target: str) -> None:
        self.checks.adhoc(source, target)

    def action_fix(self) -> None:
        self.fixing.show()

    def action_what_if(self) -> None:
        self.fixing.apply_first()

    def action_changes(self) -> None:
        """`h`: what changed in the last minutes on the objects the edge depends on (live)."""
        self.changes.show()

    # -- live probes (with consent) -------------------------------------------------------
    def action_probe(self) -> None:
        """`p`: list the selected edge's probe commands; run them only on an explicit yes."""
        edge = self.graph_view.selected_edge()
        texts = self.ex.edge_texts(edge.ident) if edge is not None else None
        if edge is None or texts is None:
            self.tell("select an edge between a source and a target to probe it")
            return
        refusal = self.probing.refusal()
        if refusal:
            self.drill.open("probes")
            self.tell(refusal, severity="warning")
            return
        self.probing.ask(edge.ident, *texts)

    def on_probe_done(self, message: ProbeDone) -> None:
        self.probing.done(message)

    # -- live data seam ---------------------------------------------------------------
    def on_explorer_ready(self, message: ExplorerReady) -> None:
        self.builder.ready(message)

    def on_loaded(self, message: Loaded) -> None:
        self.loader.loaded(message)

    def on_state_updated(self, message: StateUpdated) -> None:
        """New data: rebuild the graph in a worker; checks are re-run against the new data
        (during a what-if, the new data waits until esc returns to it)."""
        if not self.fixing.newer(message.state):
            self.builder.rebuild(message.state)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette lists every action, each once: Textual's `Keys` and
        `Maximize` give way to kexplore's help (`?`) and zoom (`z`, the whole pane)."""
        replaced = {"Keys", "Maximize", "Minimize"}
        yield from (c for c in super().get_system_commands(screen) if c.title not in replaced)
        yield from self.commands.palette_commands()


def make_app(
    state: ClusterState,
    *,
    transcript_path: str | Path | None = None,
    freshness: Callable[[], str] | None = None,
    contexts: Callable[[], list[str]] | None = None,
    switch_context: Callable[[str], None] | None = None,
    open_namespace: Callable[[str], object] | None = None,
    sweep: bool = True,
    check_delay: float = 0.2,
    theme: str | None = None,
    read_only: bool = False,
    prober_factory: ProberFactory | None = None,
    background: Background | None = None,
    l7_path: str = "/",
    changes: ChangesFn | None = None,
) -> KexploreApp:
    """The TUI on one ClusterState. `transcript_path`: the session's JSON Lines file (a temp
    file when None); `freshness`: text for the header ("live, 2s ago"), polled every second;
    `contexts`/`switch_context`: what `:ctx` lists and does; `open_namespace`: read one more
    namespace (`:ns NAME` when cluster-wide lists are forbidden); `sweep`: check every edge in
    the background (small clusters) so verdicts show in the graph; `check_delay`: seconds the
    selection must rest on an edge before its check starts (0: at once, as tests want);
    `theme`: a Textual theme name (e.g. "textual-light"); the palette can change it later;
    `read_only`: forbid probes; `prober_factory(confirm, on_result)`: the live session's prober
    (None: no cluster to probe, as for the demo and snapshots); `background`: the source,
    read after the first frame while its progress shows (`state` is then the empty start);
    `l7_path`: the path the HTTP probe asks for (the settings file's l7-path);
    `changes`: the live watch's change log (`h`, `:changes [N]m`)."""
    return KexploreApp(
        state,
        transcript_path=transcript_path,
        freshness=freshness,
        contexts=contexts,
        switch_context=switch_context,
        open_namespace=open_namespace,
        sweep=sweep,
        check_delay=check_delay,
        theme=theme,
        read_only=read_only,
        prober_factory=prober_factory,
        background=background,
        l7_path=l7_path,
        changes=changes,
    )
