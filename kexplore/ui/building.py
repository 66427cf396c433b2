"""Building the explorer off the UI thread: the graph, the navigator's rows, the overview and
its drawing for each new ClusterState, with the ad-hoc edges and the selection's check on the
new data, so every pane switches to it in one step; only the newest data's build is shown."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text

from kexplore.checks.result import EdgeReport
from kexplore.errors import KexploreError
from kexplore.model.state import ClusterState
from kexplore.ui.explorer import Explorer
from kexplore.ui.graph.canvas import draw_base
from kexplore.ui.graph.scene import EdgeKey, overview_scene
from kexplore.ui.messages import ExplorerReady
from kexplore.ui.navigator import Navigator, prepare_listing

if TYPE_CHECKING:
    from kexplore.ui.app import KexploreApp

SCENE_RECHECK = 40  # edges of the focus scene shown re-checked before the new data is shown
SCENE_BUDGET = 0.5  # seconds those checks may add to an update (the sweep does the rest)


@dataclass(frozen=True)
class Looking:
    """What the user is looking at when new data comes (read on the UI thread): checked
    again in the build so the new graph, ladder and drill-down agree from the first frame."""

    selected: EdgeKey | None = None
    scene: list[EdgeKey] = field(default_factory=list)  # the focus scene's checkable edges
    adhoc: list[tuple[str, str]] = field(default_factory=list)  # (SOURCE, TARGET) pairs
    previous: dict[EdgeKey, EdgeReport] = field(default_factory=dict)  # kept until re-checked


class GraphBuilder:
    """Builds each state's explorer in a worker and installs the newest one."""

    def __init__(self, app: KexploreApp) -> None:
        self.app = app
        self.generation = 0  # of the newest data asked for; older builds are dropped
        self.newest: ClusterState | None = None  # that data

    def first(self) -> None:
        """The first build, after the first paint (unless newer data came first)."""
        if self.generation == 0:
            self.rebuild(self.app.ex.state)

    def rebuild(self, state: ClusterState) -> None:
        """Build the graph of `state` in a worker; only the newest data's graph is shown."""
        self.generation += 1
        self.newest = state
        work = partial(self._build, state, self.generation, self.looking(), self.app.loading)
        self.app.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group="build")

    def replaced(self, data: ClusterState | None) -> bool:
        """Whether `data` (what a report was checked on) is neither shown nor being built."""
        return data is not None and data is not self.app.ex.state and data is not self.newest

    def looking(self) -> Looking:
        """The selection, the focus scene's edges, the ad-hoc pairs and the reports so far
        (kept, as stale, only when the sweep will check them all again)."""
        app = self.app
        if app.ex.graph is None or not app.ex.view:  # (None: networkx not even loaded yet)
            return Looking()  # the first graph, or the namespaces read first
        edge = app.graph_view.selected_edge()
        scene = app.graph_view.scene.edges if app.focus_node is not None else []
        keys = [e.ident for e in scene if e.type in ("talks-to", "adhoc")][:SCENE_RECHECK]
        sweeps = app.checks.sweep_enabled and not app.checks.sweep_scenes
        previous = dict(app.ex.reports) if sweeps else {}
        adhoc = [] if app.loader.reading else list(app.checks.adhoc_pairs)  # not on namespaces
        return Looking(edge.ident if edge is not None else None, keys, adhoc, previous)

    def _build(self, state: ClusterState, generation: int, looking: Looking, reading: bool) -> None:
        """Worker: the screen paints at once and fills in after (`reading`: `state` is what
        was read so far, its namespaces)."""
        gc.disable()  # the build makes many objects that all live on: full collections of
        try:  # them would stall the UI thread (the GIL) for 100+ ms each
            explorer = Explorer.build(state)
            failed = add_adhoc(explorer, looking.adhoc)
            listing = prepare_listing(state, explorer.view)
            overview = overview_scene(explorer.view, state.namespace_names(), reading)
            drawing = draw_base(overview)
            warm_indexes(state)
            recheck(explorer, looking)
        finally:
            gc.enable()
        ready = ExplorerReady(explorer, generation, listing, overview, drawing, failed)
        self.app.post_message(ready)

    def ready(self, message: ExplorerReady) -> None:
        """The graph is built (at start, or after new data): show it where the view was,
        the selection's ladder and drill-down refreshed in place (same layer, same tab); a
        build of older data that finishes late is dropped."""
        app = self.app
        if message.generation != self.generation:
            return
        first = not app.ex.view
        selected = app.graph_view.selected
        app.ex = message.explorer
        app.scenes.installed(message.overview)
        app.graph_view.keep_drawing(message.overview, message.drawing)
        app.query_one(Navigator).load(message.listing)
        app.scenes.show(app.focus_node, None if first else selected, quiet=not first)
        if first:
            app.ladder.message(Text("select an edge (tab, arrows) to check it"), "")
            gc.freeze()  # the first graph, too, lives as long as the app
        else:
            app.checks.refresh(selected)
        for text in message.failed:
            app.tell(text, severity="error")
        app.checks.sweep_all(app.ex.talks())
        app.loader.shown(message.explorer.state)


def add_adhoc(explorer: Explorer, pairs: list[tuple[str, str]]) -> list[str]:
    """The ad-hoc edges checked on the new data and added to its graph; why any could not be."""
    from kexplore.checks.ladder import check_edge  # in the build worker, after the first frame

    failed = []
    for source, target in pairs:
        try:
            explorer.add_adhoc(source, target, check_edge(explorer.state, source, target))
        except KexploreError as e:
            failed.append(e.one_line())
    return failed


def recheck(explorer: Explorer, looking: Looking) -> None:
    """The selected edge and the focus scene's edges (for up to SCENE_BUDGET seconds)
    checked on the new data; the other reports kept as stale (the sweep checks them again)."""
    from kexplore.checks.ladder import check_edge

    until = time.monotonic() + SCENE_BUDGET
    for key in dict.fromkeys([looking.selected, *looking.scene]):
        if key != looking.selected and time.monotonic() > until:
            break
        texts = explorer.edge_texts(key) if key is not None else None
        if key is None or texts is None or key in explorer.reports:
            continue
        try:
            explorer.reports[key] = check_edge(explorer.state, *texts)
        except KexploreError:
            continue
    for key, report in looking.previous.items():
        if key not in explorer.reports and explorer.edge_texts(key) is not None:
            explorer.reports[key] = report
            explorer.stale.add(key)


def warm_indexes(state: ClusterState) -> None:
    """Build the lookups the drill-down uses (events, slices, pods by workload) in the graph
    worker, so the first object shown does not stall the UI (300 ms at 20,000 pods)."""
    state.events_for("", "", "")
    state.slices_for("", "")
    for workload in state.workloads[:1]:
        state.pods_of_workload(workload)
