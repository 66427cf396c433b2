"""The kexplore TUI: `make_app(state, ...)`, the one factory for the CLI, tests and screenshots."""

from __future__ import annotations

import gc
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static, Tabs
from textual.worker import get_current_worker

from kexplore.checks.ladder import LAYERS, check_edge
from kexplore.checks.result import LAYER_IDS, EdgeReport
from kexplore.errors import KexploreError
from kexplore.model.state import ClusterState
from kexplore.probes.base import ProbeResult
from kexplore.render.sanitize import safe
from kexplore.transcript import Transcript
from kexplore.ui.commands import Commands
from kexplore.ui.drill.pane import DrillPane
from kexplore.ui.explorer import Explorer
from kexplore.ui.graph.canvas import draw_base
from kexplore.ui.graph.scene import EdgeKey, Scene, build_scene, neighbourhood, overview_scene
from kexplore.ui.graph.view import GraphView, Item
from kexplore.ui.keybar import KeyBar
from kexplore.ui.ladder import LadderPane
from kexplore.ui.messages import (
    CheckDone,
    CheckFailed,
    CheckKey,
    ExplorerReady,
    LayerDone,
    ProbeDone,
    StateUpdated,
)
from kexplore.ui.navigator import Navigator, prepare_listing
from kexplore.ui.probing import ProberFactory, Probing
from kexplore.ui.style import plain

SWITCH_INTERVAL = 0.001  # seconds; Python's default is 0.005
SWEEP_LIMIT = 400  # check every edge in the background when there are at most this many
SCENE_SWEEP = 40  # else: at most this many edges of the scene on screen
SWEEP_PAUSE = 0.005  # seconds between background checks
KEPT_SCENES = 16  # focus scenes kept for going back
SWEEP_IDLE = 0.5  # seconds without a key before background checks go on


@dataclass(frozen=True)
class Place:
    """Where the graph view was: for esc (history)."""

    focus: str | None
    radius: int
    selected: Item | None


class KexploreApp(App[None]):
    """Navigator, graph, ladder and drill-down; checks run in workers."""

    CSS_PATH = "app.tcss"
    TITLE = "kexplore"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("colon", "command_line", "command", key_display=":"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("slash", "filter", "filter", show=False),
        Binding("plus,equals_sign", "radius(1)", "radius+", key_display="+"),
        Binding("minus", "radius(-1)", "radius-", key_display="-"),
        Binding("left_square_bracket", "failing(-1)", "prev fail", key_display="["),
        Binding("right_square_bracket", "failing(1)", "next fail", key_display="]"),
        Binding("escape", "back", "back", key_display="esc"),
        Binding("s", "mark_source", "source", show=False),
        Binding("t", "mark_target", "target", show=False),
        Binding("y", "copy", "copy kubectl"),
        Binding("o", "overview", "overview", show=False),
        Binding("r", "recheck", "re-check", show=False),
        Binding("p", "probe", "probe edge"),
        Binding("1", "focus_pane('nav')", "navigator", show=False),
        Binding("2", "focus_pane('graph')", "graph", show=False),
        Binding("3", "focus_pane('ladder')", "ladder", show=False),
        Binding("4", "focus_pane('drill')", "drill-down", show=False),
        Binding("z", "zoom", "zoom pane", show=False),
        Binding("q", "quit", "quit"),
    ]

    def __init__(
        self,
        state: ClusterState,
        *,
        transcript_path: str | Path | None = None,
        freshness: Callable[[], str] | None = None,
        contexts: Callable[[], list[str]] | None = None,
        switch_context: Callable[[str], None] | None = None,
        sweep: bool = True,
        check_delay: float = 0.2,
        theme: str | None = None,
        read_only: bool = False,
        prober_factory: ProberFactory | None = None,
    ) -> None:
        super().__init__()
        if theme:
            self.theme = theme
        self.check_delay = check_delay
        self._check_timer: Timer | None = None
        self._overview: Scene | None = None
        self._scenes: dict[tuple[str, int], tuple[Scene, str | None]] = {}
        self._sweep_scenes = False
        self.ex = Explorer(state)  # empty until the graph is built (see build_explorer)
        self.generation = 0  # of the newest data asked for; older builds are dropped
        self.last_key = 0.0  # time.monotonic() of the last key pressed
        self.freshness = freshness
        self.contexts = contexts
        self.switch_context = switch_context
        self.sweep_enabled = sweep
        self.focus_node: str | None = None
        self.radius = 1
        self.history: list[Place] = []
        self.current: CheckKey | None = None
        self.marked_source: str | None = None
        path = transcript_path or Path(tempfile.gettempdir()) / f"kexplore-{int(time.time())}.jsonl"
        self.transcript = Transcript(path, source=state.meta.source, context=state.meta.context)
        self.commands = Commands(self)
        self.probing = Probing(self, prober_factory, read_only)

    # -- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="top")
        with Horizontal(id="body"):
            yield Navigator(id="nav")
            with Vertical(id="middle"):
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
        self._update_top()
        self.ladder.message(Text("building the graph…", "italic"), "")
        if self.freshness is not None:
            self.set_interval(1.0, self._update_top)
        # Worker threads (graph build, checks) share the GIL with the UI: a short switch
        # interval lets the UI thread back in quickly, so keys stay responsive during checks.
        sys.setswitchinterval(SWITCH_INTERVAL)
        # The loaded data lives as long as the app: the cyclic GC need not walk it again (a
        # full collection of a big cluster's objects stalls the UI for 100+ ms).
        gc.freeze()
        self.call_after_refresh(self._first_build)

    async def on_event(self, event: events.Event) -> None:
        """Keys are noted: background checks wait while the user is typing."""
        if isinstance(event, events.Key):
            self.last_key = time.monotonic()
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.transcript.close()

    def _first_build(self) -> None:
        if self.generation == 0:  # else newer data arrived before the first paint
            self.rebuild(self.ex.state)

    def rebuild(self, state: ClusterState) -> None:
        """Build the graph of `state` in a worker; only the newest data's graph is shown."""
        self.generation += 1
        self.build_explorer(state, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="build")
    def build_explorer(self, state: ClusterState, generation: int) -> None:
        """Build the graph off the UI thread: the screen paints at once and fills in after."""
        gc.disable()  # the build makes many objects that all live on: full collections of
        try:  # them would stall the UI thread (the GIL) for 100+ ms each
            explorer = Explorer.build(state)
            listing = prepare_listing(state, explorer.view)
            overview = overview_scene(explorer.view, state.namespace_names())
            drawing = draw_base(overview)
            _warm_indexes(state)
        finally:
            gc.enable()
        self.post_message(ExplorerReady(explorer, generation, listing, overview, drawing))

    def on_explorer_ready(self, message: ExplorerReady) -> None:
        """The graph is built (at start, or after new data): show it where the view was;
        a build of older data that finishes late is dropped."""
        if message.generation != self.generation:
            return
        first = not self.ex.view
        self.ex = message.explorer
        self._overview = message.overview
        self._scenes.clear()
        self.graph_view.keep_drawing(message.overview, message.drawing)
        self.query_one(Navigator).load(message.listing)
        self._show_scene(self.focus_node, None if first else self.graph_view.selected)
        if first:
            self.ladder.message(Text("select an edge (tab, arrows) to check it"), "")
            gc.freeze()  # the first graph, too, lives as long as the app
        talks = self.ex.talks()
        self._sweep_scenes = len(talks) > SWEEP_LIMIT
        self._start_sweep(talks)

    def _update_top(self) -> None:
        meta = self.ex.state.meta
        parts = [meta.source or "data", meta.context, meta.time]
        fresh = self.freshness() if self.freshness is not None else ""
        title = Text("kexplore ", "bold") + plain("  ".join(p for p in (*parts, fresh) if p))
        if self.marked_source:
            title.append_text(plain(f"   source: {self.marked_source}", "italic"))
        self.query_one("#top", Static).update(title, layout=False)  # one line, fixed height

    # -- scenes and history -----------------------------------------------------------
    def _show_scene(self, focus: str | None, selected: Item | None = None) -> None:
        self.focus_node = focus
        view = self.ex.view
        if focus is None:
            if self._overview is None:
                self._overview = overview_scene(view, self.ex.state.namespace_names())
            scene = self._overview
        else:
            scene, first = self._focus_scene(focus)
            if focus.startswith("Namespace:") and not selected:
                selected = ("node", first) if first else None
        if selected is None and focus is not None and focus in scene.nodes:
            selected = ("node", focus)
        self.graph_view.verdicts = self.ex.verdicts()
        self.graph_view.failing_layers = self.ex.failing_layers()
        self.graph_view.show(scene, selected)
        where = "overview" if focus is None else f"{focus}  radius {self.radius}"
        self.graph_view.border_title = f"2 graph: {safe(where)}"
        self._sweep_scene(scene)
        self._update_top()
        self.transcript.record("navigate", focus=focus or "overview", radius=self.radius)

    def _focus_scene(self, focus: str) -> tuple[Scene, str | None]:
        """The focus's neighbourhood at the current radius and its first node; kept, so going
        back through history redraws nothing (the graph changes only with new data or an
        ad-hoc edge, which forget them)."""
        key = (focus, self.radius)
        if key not in self._scenes:
            nodes = neighbourhood(self.ex.view, focus, self.radius)
            if len(self._scenes) >= KEPT_SCENES:
                self._scenes.pop(next(iter(self._scenes)))
            first = nodes[0] if nodes else None
            self._scenes[key] = (build_scene(focus, self.ex.view, nodes), first)
        return self._scenes[key]

    def go(self, focus: str | None, selected: Item | None = None) -> None:
        """Move the view, remembering where it was (esc comes back)."""
        self.history.append(Place(self.focus_node, self.radius, self.graph_view.selected))
        self._show_scene(focus, selected)

    def action_command_line(self) -> None:
        self.commands.command_line()

    def action_help(self) -> None:
        self.commands.help()

    def action_copy(self) -> None:
        self.commands.copy()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "cmdline":
            event.stop()
            self.commands.submitted(event)

    async def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):
            focused.value = ""
            if focused.id != "log-search":
                focused.display = focused.id != "cmdline" and focused.id != "nav-filter"
            self.graph_view.focus()
            return
        if self.history:
            place = self.history.pop()
            self.radius = place.radius
            self._show_scene(place.focus, place.selected)

    def action_overview(self) -> None:
        self.go(None)

    def action_radius(self, delta: int) -> None:
        self.radius = max(1, min(4, self.radius + delta))
        if self.focus_node is not None:
            self._show_scene(self.focus_node, self.graph_view.selected)

    def action_focus_pane(self, pane: str) -> None:
        widget = {"nav": "#nav-list", "graph": "#graph", "ladder": "#ladder-rows"}.get(pane)
        if widget is None:
            self.drill.query_one(Tabs).focus()
        else:
            self.query_one(widget).focus()

    def action_zoom(self) -> None:
        """Maximize the focused pane (or restore it)."""
        if self.screen.maximized is not None:
            self.screen.minimize()
            return
        for pane in ("#nav", "#graph", "#ladder", "#drill"):
            widget = self.query_one(pane)
            if self.focused is not None and (
                self.focused is widget or widget in self.focused.ancestors
            ):
                self.screen.maximize(widget, container=False)
                return

    def action_filter(self) -> None:
        self.query_one(Navigator).action_filter()

    # -- selection → drill-down and checks ----------------------------------------------
    def on_graph_view_node_selected(self, message: GraphView.NodeSelected) -> None:
        node = message.node
        if node.startswith("Namespace:") and self.focus_node is None:
            self.ladder.message(plain(node.split(":", 1)[1], "bold"), "enter opens this namespace")
        else:
            self.ladder.message(plain(node, "bold"), "a node: select an edge to check it")
        self.after_rest(lambda: self.drill.show_object(self.ex, node))
        self.transcript.record("select", node=node)

    def on_graph_view_edge_selected(self, message: GraphView.EdgeSelected) -> None:
        edge = message.edge
        self.transcript.record("select", edge=list(edge.ident))
        if edge.members:
            self.ladder.message(
                plain(f"{edge.label} between namespaces", "bold"), "enter opens them"
            )
            return
        texts = self.ex.edge_texts(edge.ident)
        if texts is None:
            label = f"{edge.type} {edge.label}".strip()
            self.ladder.message(plain(label, "bold"), "not a connection: nothing to check")
            self.drill.show_object(self.ex, edge.source)
            return
        self.check(edge.ident, *texts)

    def on_graph_view_activated(self, message: GraphView.Activated) -> None:
        kind, ref = message.item
        if kind == "node":
            self.go(str(ref))
            return
        edge = self.graph_view.selected_edge()
        if edge is None:
            return
        if edge.members:
            self.go(edge.target)
        else:
            self.go(edge.target, None)

    def on_navigator_picked(self, message: Navigator.Picked) -> None:
        self.go(message.node)
        if not message.node.startswith("Namespace:"):
            self.graph_view.focus()

    def on_ladder_pane_layer_chosen(self, message: LadderPane.LayerChosen) -> None:
        if self.ladder.report is not None:
            self.drill.show_layer(self.ex, self.ladder.report, message.result)

    def check(self, key: CheckKey, source: str, target: str, adhoc: bool = False) -> None:
        """Show a cached ladder, or run the check in a worker (layers appear as they finish)."""
        self.current = key
        title = plain(f"{source} → {target}", "bold")
        report = self.ex.reports.get(key)
        if report is not None:
            self._finish(title, report)
            return
        ids = [layer_id for layer_id in LAYER_IDS if layer_id in {i for i, _ in LAYERS}]
        self.ladder.start(title, ids)
        self.after_rest(lambda: self.run_check(key, source, target, adhoc))

    def after_rest(self, action: Callable[[], object]) -> None:
        """Run `action` once the selection has rested `check_delay` seconds (a newer selection
        replaces it), so moving fast through the graph stays responsive."""
        if self._check_timer is not None:
            self._check_timer.stop()
        if self.check_delay <= 0:
            action()
        else:
            self._check_timer = self.set_timer(self.check_delay, lambda: self._rested(action))

    def _rested(self, action: Callable[[], object]) -> None:
        """A rested selection's action, unless the app is closing (its panes are gone)."""
        if self.screen_stack and self.screen_stack[0].query(DrillPane):
            action()

    @work(thread=True, exclusive=True, exit_on_error=False, group="check")
    def run_check(self, key: CheckKey, source: str, target: str, adhoc: bool) -> None:
        """Run one ladder off the UI thread; each layer is posted as it finishes."""
        worker = get_current_worker()
        cancel = threading.Event()

        def on_layer(result: Any) -> None:
            if worker.is_cancelled:
                cancel.set()
            self.post_message(LayerDone(key, result))

        try:
            report = check_edge(self.ex.state, source, target, on_layer=on_layer, cancel=cancel)
        except KexploreError as e:
            self.post_message(CheckFailed(key, e.one_line()))
            return
        self.post_message(CheckDone(key, report, (source, target) if adhoc else None))

    @work(thread=True, exclusive=True, exit_on_error=False, group="sweep")
    def sweep(self, keys: list[EdgeKey]) -> None:
        """Check edges in the background so the graph shows verdicts and `[`/`]` can jump."""
        worker = get_current_worker()
        for key in keys:
            while time.monotonic() - self.last_key < SWEEP_IDLE and not worker.is_cancelled:
                time.sleep(SWEEP_PAUSE * 10)  # the user is typing: leave the GIL to the UI
            texts = self.ex.edge_texts(key)
            if worker.is_cancelled:
                return
            if texts is None or key in self.ex.reports:
                continue
            try:
                report = check_edge(self.ex.state, *texts)
            except KexploreError:
                continue
            self.post_message(CheckDone(key, report))
            time.sleep(SWEEP_PAUSE)  # let the UI thread take the GIL between checks

    def _start_sweep(self, keys: list[EdgeKey]) -> None:
        """Every edge of a small cluster; on a big one, the edges of each scene shown."""
        if self.sweep_enabled and keys and len(keys) <= SWEEP_LIMIT:
            self.sweep(keys)

    def _sweep_scene(self, scene: Scene) -> None:
        if not self._sweep_scenes or self.focus_node is None:
            return
        keys = [e.ident for e in scene.edges if e.type in ("talks-to", "adhoc")]
        self._start_sweep([k for k in keys if k not in self.ex.reports][:SCENE_SWEEP])

    def on_layer_done(self, message: LayerDone) -> None:
        if message.key == self.current and self.ladder.report is None:
            self.ladder.layer_done(message.result)

    def on_check_done(self, message: CheckDone) -> None:
        key = message.key
        if message.adhoc is not None:
            key = self.ex.add_adhoc(*message.adhoc, message.report)
            self._scenes.clear()
            if self.current == message.key:
                self.current = key
                self.go(key[0], ("edge", key))
        else:
            self.ex.reports[key] = message.report
        self.transcript.record_check(message.report)
        self.graph_view.set_verdicts(self.ex.verdicts(), self.ex.failing_layers())
        if key == self.current:
            texts = self.ex.edge_texts(key)
            label = f"{texts[0]} → {texts[1]}" if texts else ""
            self._finish(plain(label, "bold"), message.report)

    def on_check_failed(self, message: CheckFailed) -> None:
        if message.key == self.current:
            self.ladder.message(plain("check could not run", "bold"), message.text)
        self.notify(message.text, severity="error")

    def _finish(self, title: Text, report: EdgeReport) -> None:
        self.ladder.finish(title, report)
        self.drill.show_edge(self.ex, report, self.ladder.selected_layer())

    def action_recheck(self) -> None:
        edge = self.graph_view.selected_edge()
        texts = self.ex.edge_texts(edge.ident) if edge else None
        if edge is not None and texts is not None:
            self.ex.reports.pop(edge.ident, None)
            self.check(edge.ident, *texts)

    def action_failing(self, step: int) -> None:
        """`]`/`[`: the next/previous edge whose check failed."""
        failing = self.ex.failing()
        if not failing:
            self.notify("no failing edge checked yet")
            return
        edge = self.graph_view.selected_edge()
        here = edge.ident if edge is not None else None
        index = failing.index(here) + step if here in failing else (0 if step > 0 else -1)
        key = failing[index % len(failing)]
        self.go(key[0], ("edge", key))

    # -- live probes (with consent) -------------------------------------------------------
    def action_probe(self) -> None:
        """`p`: list the selected edge's probe commands; run them only on an explicit yes."""
        edge = self.graph_view.selected_edge()
        texts = self.ex.edge_texts(edge.ident) if edge is not None else None
        if edge is None or texts is None:
            self.notify("select an edge between a source and a target to probe it")
            return
        refusal = self.probing.refusal()
        if refusal:
            self.drill.open("probes")
            self.notify(refusal, severity="warning")
            return
        self.probing.ask(edge.ident, *texts)

    @work(thread=True, exclusive=True, exit_on_error=False, group="probe")
    def run_probes(self, key: CheckKey, source: str, target: str) -> None:
        """The edge's ladder again, with the live prober (its results stream to the probes tab)."""
        self.call_from_thread(self._start_probe_ladder, key, source, target)
        worker = get_current_worker()
        cancel = threading.Event()

        def on_layer(result: Any) -> None:
            if worker.is_cancelled:
                cancel.set()
            self.post_message(LayerDone(key, result))

        prober = self.probing.prober()
        try:
            report = check_edge(
                self.ex.state, source, target, prober=prober, on_layer=on_layer, cancel=cancel
            )
        except KexploreError as e:
            self.post_message(CheckFailed(key, e.one_line()))
            return
        self.post_message(CheckDone(key, report))

    def _start_probe_ladder(self, key: CheckKey, source: str, target: str) -> None:
        self.current = key
        self.ex.reports.pop(key, None)
        ids = [layer_id for layer_id in LAYER_IDS if layer_id in {i for i, _ in LAYERS}]
        self.ladder.start(plain(f"{source} → {target} (probing)", "bold"), ids)

    def probe_result(self, result: ProbeResult) -> None:
        """ProbeSettings.on_result: called in the probe worker's thread as each probe ends."""
        self.post_message(ProbeDone(result))

    def on_probe_done(self, message: ProbeDone) -> None:
        r = message.result
        self.transcript.record(
            "probe",
            probe=r.request.probe,
            namespace=r.request.namespace,
            pod=r.request.pod,
            container=r.request.container,
            target=r.request.target,
            command=r.command,
            output=r.output,
            result=r.result,
            exit_code=r.exit_code,
            duration_ms=r.duration_ms,
        )
        self.drill.show_live_probe(r)

    # -- marks: ad-hoc checks ---------------------------------------------------------
    def action_mark_source(self) -> None:
        node = self.graph_view.selected_node()
        text = self.ex.source_text(node.id) if node else None
        if text is None:
            self.notify("select a workload, pod or service to mark it as the source")
            return
        self.marked_source = node.id if node else None
        self.graph_view.marked = {node.id} if node else set()
        self.graph_view.redraw()
        self._update_top()
        self.notify(f"source: {text} — now select a target and press t")

    def action_mark_target(self) -> None:
        node = self.graph_view.selected_node()
        if self.marked_source is None or node is None:
            self.notify("mark a source with s first, then select a target node and press t")
            return
        source = self.ex.source_text(self.marked_source)
        target = self.ex.target_text(node.id)
        if source is None or target is None:
            self.notify("that node has no port to dial; try a service or a pod")
            return
        self.marked_source = None
        self.graph_view.marked = set()
        self.run_adhoc(source, target)

    def run_adhoc(self, source: str, target: str) -> None:
        """Check a pair that has no edge yet; it becomes an edge when the check is done."""
        self.transcript.record("adhoc-check", source=source, target=target)
        self.check(("adhoc", source, target), source, target, adhoc=True)

    # -- live data seam ---------------------------------------------------------------
    def on_state_updated(self, message: StateUpdated) -> None:
        """New data: rebuild the graph in a worker; checks are re-run against the new data."""
        self.rebuild(message.state)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette lists every action."""
        yield from super().get_system_commands(screen)
        yield from self.commands.palette_commands()


def _warm_indexes(state: ClusterState) -> None:
    """Build the lookups the drill-down uses (events, slices, pods by workload) in the graph
    worker, so the first object shown does not stall the UI (300 ms at 20,000 pods)."""
    state.events_for("", "", "")
    state.slices_for("", "")
    for workload in state.workloads[:1]:
        state.pods_of_workload(workload)


def make_app(
    state: ClusterState,
    *,
    transcript_path: str | Path | None = None,
    freshness: Callable[[], str] | None = None,
    contexts: Callable[[], list[str]] | None = None,
    switch_context: Callable[[str], None] | None = None,
    sweep: bool = True,
    check_delay: float = 0.2,
    theme: str | None = None,
    read_only: bool = False,
    prober_factory: ProberFactory | None = None,
) -> KexploreApp:
    """The TUI on one ClusterState. `transcript_path`: the session's JSON Lines file (a temp
    file when None); `freshness`: text for the header ("live, 2s ago"), polled every second;
    `contexts`/`switch_context`: what `:ctx` lists and does; `sweep`: check every edge in
    the background (small clusters) so verdicts show in the graph; `check_delay`: seconds the
    selection must rest on an edge before its check starts (0: at once, as tests want);
    `theme`: a Textual theme name (e.g. "textual-light"); the palette can change it later;
    `read_only`: forbid probes; `prober_factory(confirm, on_result)`: the live session's prober
    (None: no cluster to probe, as for the demo and snapshots)."""
    return KexploreApp(
        state,
        transcript_path=transcript_path,
        freshness=freshness,
        contexts=contexts,
        switch_context=switch_context,
        sweep=sweep,
        check_delay=check_delay,
        theme=theme,
        read_only=read_only,
        prober_factory=prober_factory,
    )
