"""The edge-checking flow of the TUI: a selected edge's ladder in a worker, background sweeps
that colour the graph, `[`/`]` through failures, re-checks, and ad-hoc source → target marks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.timer import Timer
from textual.worker import get_current_worker

from kexplore.checks.result import LAYER_IDS, EdgeReport
from kexplore.errors import KexploreError
from kexplore.model.state import ClusterState
from kexplore.ui.drill.pane import DrillPane
from kexplore.ui.graph.scene import EdgeKey, Scene
from kexplore.ui.graph.view import Item
from kexplore.ui.messages import CheckDone, CheckFailed, CheckKey, LayerDone, SweepDone
from kexplore.ui.style import plain

if TYPE_CHECKING:
    from kexplore.probes.base import Prober
    from kexplore.ui.app import KexploreApp

SWEEP_LIMIT = 400  # check every edge in the background when there are at most this many
SCENE_SWEEP = 40  # else: at most this many edges of the scene on screen
SWEEP_PAUSE = 0.005  # seconds between background checks
SWEEP_IDLE = 0.5  # seconds without a key before background checks go on


def ladder_ids() -> list[str]:
    """The layer ids a ladder shows, in display order."""
    from kexplore.checks.ladder import LAYERS  # the engine: imported after the first frame

    wired = {i for i, _ in LAYERS}
    return [layer_id for layer_id in LAYER_IDS if layer_id in wired]


class EdgeChecks:
    """Runs ladders for the app: the selected edge's, the sweep's and the ad-hoc ones."""

    def __init__(self, app: KexploreApp, check_delay: float, sweep: bool) -> None:
        self.app = app
        self.check_delay = check_delay
        self.sweep_enabled = sweep
        self.sweep_scenes = False  # big cluster: sweep only the edges of the scene shown
        self.current: CheckKey | None = None
        self.sweep_total = 0  # edges the running full sweep checks (0: none running)
        self.adhoc_pairs: dict[tuple[str, str], None] = {}  # (SOURCE, TARGET), in order
        self.waiting: tuple[CheckKey, str, str, bool] | None = None  # asked for during the load
        self._timer: Timer | None = None

    def check(self, key: CheckKey, source: str, target: str, adhoc: bool = False) -> None:
        """Show a cached ladder, or run the check in a worker (layers appear as they finish)."""
        self.current = key
        title = plain(f"{source} → {target}", "bold")
        report = self.app.ex.current(key)
        if report is not None:
            self.finish(title, report)
            return
        self.app.ladder.start(title, ladder_ids())
        self.after_rest(lambda: self.run(key, source, target, adhoc))

    def after_rest(self, action: Callable[[], object]) -> None:
        """Run `action` once the selection has rested `check_delay` seconds (a newer selection
        replaces it), so moving fast through the graph stays responsive."""
        if self._timer is not None:
            self._timer.stop()
        if self.check_delay <= 0:
            action()
        else:
            self._timer = self.app.set_timer(self.check_delay, lambda: self._rested(action))

    def _rested(self, action: Callable[[], object]) -> None:
        """A rested selection's action, unless the app is closing."""
        if not self.closing():
            action()

    def closing(self) -> bool:
        """Whether the app is closing (its panes are gone; late reports have nowhere to go)."""
        return not (self.app.screen_stack and self.app.screen_stack[0].query(DrillPane))

    def run(
        self,
        key: CheckKey,
        source: str,
        target: str,
        adhoc: bool,
        prober: Callable[[], Prober] | None = None,
        state: ClusterState | None = None,
    ) -> None:
        """One ladder in a worker (the `check` group; `probe` with a prober, made in the
        worker: the live prober's first use may wait on the network), on `state` or the
        explorer's. While the data is read, the check waits for it (on the namespaces
        alone it would find nothing): `data_read` runs it."""
        if state is None and self.app.loader.reading:
            self.waiting = (key, source, target, adhoc)
            done, kinds = self.app.loader.kinds_read()
            title = plain(f"{source} → {target}", "bold")
            note = f"waiting for the data ({done}/{kinds} kinds read): checked once it is in"
            self.app.ladder.message(title, note)
            return
        work = partial(self._ladder, key, source, target, adhoc, prober, state)
        self._worker(work, "check" if prober is None else "probe")

    def data_read(self, state: ClusterState) -> None:
        """The data is read: the check asked for meanwhile (if still the one shown) runs on
        it now, beside the build of its graph."""
        waiting, self.waiting = self.waiting, None
        if waiting is not None and waiting[0] == self.current:
            key, source, target, adhoc = waiting
            self.app.ladder.start(plain(f"{source} → {target}", "bold"), ladder_ids())
            self.run(key, source, target, adhoc, state=state)

    def _worker(self, work: Callable[[], None], group: str) -> None:
        """A thread worker; a newer one of the same group cancels the older."""
        self.app.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group=group)

    def _ladder(
        self,
        key: CheckKey,
        source: str,
        target: str,
        adhoc: bool,
        prober: Callable[[], Prober] | None,
        state: ClusterState | None,
    ) -> None:
        """Worker: each layer is posted as it finishes, then the report."""
        from kexplore.checks.ladder import check_edge

        worker = get_current_worker()
        cancel = threading.Event()

        def on_layer(result: Any) -> None:
            if worker.is_cancelled:
                cancel.set()
            self.app.post_message(LayerDone(key, result))

        state = state if state is not None else self.app.ex.state
        try:
            live = prober() if prober is not None else None
            report = check_edge(
                state,
                source,
                target,
                prober=live,
                on_layer=on_layer,
                cancel=cancel,
                path=self.app.l7_path,
            )
        except KexploreError as e:
            self.app.post_message(CheckFailed(key, e.one_line()))
            return
        pair = (source, target) if adhoc else None
        self.app.post_message(CheckDone(key, report, pair, state))

    def _sweep(self, keys: list[EdgeKey]) -> None:
        """Worker: check edges in the background so the graph shows verdicts and `[`/`]`
        can jump; it waits while the user is typing, even in the middle of a check."""
        from kexplore.checks.ladder import check_edge

        worker = get_current_worker()
        ex = self.app.ex

        def yield_to_keys(_: object = None) -> None:
            """Between two checks and two layers of one (a check takes 50 ms at W2)."""
            while time.monotonic() - self.app.last_key < SWEEP_IDLE and not worker.is_cancelled:
                time.sleep(SWEEP_PAUSE * 10)  # the user is typing: leave the GIL to the UI

        for key in keys:
            yield_to_keys()
            texts = ex.edge_texts(key)
            if worker.is_cancelled:
                return
            if texts is None or ex.current(key) is not None:
                continue
            try:
                report = check_edge(ex.state, *texts, on_layer=yield_to_keys)
            except KexploreError:
                continue
            self.app.post_message(CheckDone(key, report, data=ex.state))
            time.sleep(SWEEP_PAUSE)  # let the UI thread take the GIL between checks
        self.app.post_message(SweepDone())

    def start_sweep(self, keys: list[EdgeKey]) -> bool:
        """Every edge of a small cluster; on a big one, the edges of each scene shown."""
        if not (self.sweep_enabled and keys and len(keys) <= SWEEP_LIMIT):
            return False
        work, what = partial(self._sweep, keys), f"sweep of {len(keys)} edges"  # not repr(keys)
        self.app.run_worker(
            work, thread=True, exclusive=True, exit_on_error=False, group="sweep", description=what
        )
        return True

    def sweep_all(self, talks: list[EdgeKey]) -> None:
        """New graph: sweep its edges, or only each scene's when there are too many (the
        header counts the full sweep's progress)."""
        self.sweep_scenes = len(talks) > SWEEP_LIMIT
        self.sweep_total = len(talks) if self.start_sweep(talks) else 0
        self.app.update_top()

    def sweep_done(self) -> None:
        self.sweep_total = 0
        self.app.update_top()

    def progress(self) -> tuple[int, int]:
        """(edges checked, edges the full sweep checks): equal when no sweep runs."""
        checked = len(self.app.ex.reports) - len(self.app.ex.stale)
        return checked, max(checked, self.sweep_total)

    def sweep_scene(self, scene: Scene) -> None:
        if not self.sweep_scenes or self.app.focus_node is None:
            return
        keys = [e.ident for e in scene.edges if e.type in ("talks-to", "adhoc")]
        ex = self.app.ex
        self.start_sweep([k for k in keys if ex.current(k) is None][:SCENE_SWEEP])

    def layer_done(self, message: LayerDone) -> None:
        if message.key == self.current and self.app.ladder.report is None:
            self.app.ladder.layer_done(message.result)

    def done(self, message: CheckDone) -> None:
        """A report arrived: keep it, colour the graph, show it if it is the current edge (a
        report on data replaced since is dropped: the new data's own check follows)."""
        app, key = self.app, message.key
        if self.closing():
            return
        if app.builder.replaced(message.data):
            if message.adhoc is not None and self.current == key:
                self.check(key, *message.adhoc, adhoc=True)  # `:check` asked: on the new data
            return
        if message.adhoc is not None:
            key = app.ex.add_adhoc(*message.adhoc, message.report)
            app.forget_scenes()
            if self.current == message.key:
                self.current = key
                app.go(key[0], ("edge", key))
        else:
            app.ex.reports[key] = message.report
            app.ex.stale.discard(key)
        app.graph_view.set_verdicts(app.ex.verdicts(), app.ex.failing_layers())
        app.update_top()
        if key == self.current:
            texts = app.ex.edge_texts(key)
            label = f"{texts[0]} → {texts[1]}" if texts else ""
            self.finish(plain(label, "bold"), message.report)

    def failed(self, message: CheckFailed) -> None:
        if message.key == self.current:
            self.app.ladder.message(plain("check could not run", "bold"), message.text)
        self.app.tell(message.text, severity="error")

    def finish(self, title: Text, report: EdgeReport) -> None:
        """The current edge's ladder: shown, and recorded as looked at (the sweep's checks
        are not transcript events)."""
        self.app.session.checked(report)
        self.app.ladder.finish(title, report)
        self.app.drill.show_edge(self.app.ex, report, self.app.ladder.selected_layer())

    def recheck(self) -> None:
        edge = self.app.graph_view.selected_edge()
        texts = self.app.ex.edge_texts(edge.ident) if edge else None
        if edge is not None and texts is not None:
            self.app.ex.reports.pop(edge.ident, None)
            self.check(edge.ident, *texts)

    def next_failing(self, step: int) -> None:
        """`]`/`[`: the next/previous edge whose check failed."""
        failing = self.app.ex.failing()
        if not failing:
            self.app.tell("no failing edge checked yet")
            return
        view = self.app.graph_view
        edge = view.selected_edge()
        here = edge.ident if edge is not None else None
        items = set(view.scene.items())
        shown = [k for k in failing if ("edge", k) in items]
        if here is None and shown:  # from a node: this view's failing edges come first
            view.select(("edge", shown[0 if step > 0 else -1]))
            return
        index = failing.index(here) + step if here in failing else (0 if step > 0 else -1)
        key = failing[index % len(failing)]
        self.app.go(key[0], ("edge", key))

    def adhoc(self, source: str, target: str) -> None:
        """Check a pair that has no edge yet; it becomes an edge when the check is done."""
        self.app.session.adhoc(source, target)
        self.adhoc_pairs[(source, target)] = None
        self.check(("adhoc", source, target), source, target, adhoc=True)

    def refresh(self, selected: Item | None) -> None:
        """New data is shown: the selection's ladder and drill-down refreshed in place (the
        same layer and tab; checked in the build), or announced when it moved or changed."""
        app = self.app
        view = app.graph_view
        edge, node = view.selected_edge(), view.selected_node()
        if view.selected != selected:
            return  # the graph announced the new selection
        if node is not None:
            app.drill.show_object(app.ex, node.id)
            return
        texts = app.ex.edge_texts(edge.ident) if edge is not None else None
        report = app.ex.current(edge.ident) if edge is not None else None
        if edge is None or texts is None or report is None:
            view.announce()
            return
        self.current = edge.ident
        app.ladder.finish(plain(f"{texts[0]} → {texts[1]}", "bold"), report, keep=True)
        app.drill.show_edge(app.ex, report, app.ladder.selected_layer(), keep=True)

    def mark_source(self) -> None:
        """`s`: the selected node is the source of an ad-hoc check."""
        app = self.app
        node = app.graph_view.selected_node()
        text = app.ex.source_text(node.id) if node else None
        if node is None or text is None:
            app.tell("select a workload, pod or service to mark it as the source")
            return
        app.marked_source = node.id
        app.graph_view.marked = {node.id}
        app.graph_view.redraw()
        app.update_top()
        app.tell(f"source: {text} — now select a target and press t")

    def mark_target(self) -> None:
        """`t`: check the marked source against the selected node."""
        app = self.app
        node = app.graph_view.selected_node()
        if app.marked_source is None or node is None:
            app.tell("mark a source with s first, then select a target node and press t")
            return
        source = app.ex.source_text(app.marked_source)
        target = app.ex.target_text(node.id)
        if source is None or target is None:
            app.tell("that node has no port to dial; try a service or a pod")
            return
        app.marked_source = None
        app.graph_view.marked = set()
        self.adhoc(source, target)
