"""Building the explorer off the UI thread: the graph, the navigator's rows, the overview and
its drawing for each new ClusterState; only the newest data's build is shown."""

from __future__ import annotations

import gc
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text

from kexplore.model.state import ClusterState
from kexplore.ui.explorer import Explorer
from kexplore.ui.graph.canvas import draw_base
from kexplore.ui.graph.scene import overview_scene
from kexplore.ui.messages import ExplorerReady
from kexplore.ui.navigator import Navigator, prepare_listing

if TYPE_CHECKING:
    from kexplore.ui.app import KexploreApp


class GraphBuilder:
    """Builds each state's explorer in a worker and installs the newest one."""

    def __init__(self, app: KexploreApp) -> None:
        self.app = app
        self.generation = 0  # of the newest data asked for; older builds are dropped

    def first(self) -> None:
        """The first build, after the first paint (unless newer data came first)."""
        if self.generation == 0:
            self.rebuild(self.app.ex.state)

    def rebuild(self, state: ClusterState) -> None:
        """Build the graph of `state` in a worker; only the newest data's graph is shown."""
        self.generation += 1
        work = partial(self._build, state, self.generation)
        self.app.run_worker(work, thread=True, exclusive=True, exit_on_error=False, group="build")

    def _build(self, state: ClusterState, generation: int) -> None:
        """Worker: the screen paints at once and fills in after."""
        gc.disable()  # the build makes many objects that all live on: full collections of
        try:  # them would stall the UI thread (the GIL) for 100+ ms each
            explorer = Explorer.build(state)
            listing = prepare_listing(state, explorer.view)
            overview = overview_scene(explorer.view, state.namespace_names())
            drawing = draw_base(overview)
            warm_indexes(state)
        finally:
            gc.enable()
        self.app.post_message(ExplorerReady(explorer, generation, listing, overview, drawing))

    def ready(self, message: ExplorerReady) -> None:
        """The graph is built (at start, or after new data): show it where the view was;
        a build of older data that finishes late is dropped."""
        app = self.app
        if message.generation != self.generation:
            return
        first = not app.ex.view
        selected = app.graph_view.selected_edge()
        app.ex = message.explorer
        app.scenes.installed(message.overview)
        app.graph_view.keep_drawing(message.overview, message.drawing)
        app.query_one(Navigator).load(message.listing)
        app.scenes.show(app.focus_node, None if first else app.graph_view.selected)
        if first:
            app.ladder.message(Text("select an edge (tab, arrows) to check it"), "")
            gc.freeze()  # the first graph, too, lives as long as the app
        app.checks.sweep_all(app.ex.talks())
        app.checks.recheck_adhoc(selected.ident if selected is not None else None)


def warm_indexes(state: ClusterState) -> None:
    """Build the lookups the drill-down uses (events, slices, pods by workload) in the graph
    worker, so the first object shown does not stall the UI (300 ms at 20,000 pods)."""
    state.events_for("", "", "")
    state.slices_for("", "")
    for workload in state.workloads[:1]:
        state.pods_of_workload(workload)
