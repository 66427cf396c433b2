"""Where the graph view is: the overview, focus scenes kept per (focus, radius), and the
history that esc walks back through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kexplore.render.sanitize import safe
from kexplore.ui.graph.scene import Scene, build_scene, neighbourhood, overview_scene
from kexplore.ui.graph.view import Item

if TYPE_CHECKING:
    from kexplore.ui.app import KexploreApp

KEPT_SCENES = 16  # focus scenes kept for going back


@dataclass(frozen=True)
class Place:
    """Where the graph view was: for esc (history)."""

    focus: str | None
    radius: int
    selected: Item | None


class Scenes:
    """Moves the graph view between the overview and focus scenes, remembering the way."""

    def __init__(self, app: KexploreApp) -> None:
        self.app = app
        self.overview: Scene | None = None
        self._kept: dict[tuple[str, int], tuple[Scene, str | None]] = {}
        self.history: list[Place] = []

    def installed(self, overview: Scene) -> None:
        """A new graph: its overview; kept focus scenes belong to the old one."""
        self.overview = overview
        self._kept.clear()

    def forget(self) -> None:
        """The graph changed (an ad-hoc edge): focus scenes are drawn again."""
        self._kept.clear()

    def show(self, focus: str | None, selected: Item | None = None, quiet: bool = False) -> None:
        """Show the overview or a focus scene; `quiet`: the same place on new data."""
        app = self.app
        app.focus_node = focus
        if focus is None:
            if self.overview is None:
                names = app.ex.state.namespace_names()
                self.overview = overview_scene(app.ex.view, names, app.loading)
            scene = self.overview
        else:
            scene, first = self._focus_scene(focus)
            if focus.startswith("Namespace:") and not selected:
                selected = ("node", first) if first else None
        if selected is None and focus is not None and focus in scene.nodes:
            selected = ("node", focus)
        view = app.graph_view
        view.verdicts = app.ex.verdicts()
        view.failing_layers = app.ex.failing_layers()
        view.show(scene, selected, quiet)
        # A focus scene's graph is as tall as its drawing (and the horizontal scrollbar when it
        # is wider), so the ladder below gets the rest; once laid out, the selection is
        # scrolled into view again, clear of the scrollbars.
        wider = view.virtual_size.width > view.scrollable_content_region.width
        room = 2 + (view.styles.scrollbar_size_horizontal if wider else 0)
        view.fit_height = None if focus is None else view.virtual_size.height + room
        view.styles.max_height = None if app.screen.maximized is view else view.fit_height
        view.call_after_refresh(view.scroll_to_selected)
        where = "overview" if focus is None else f"{focus}  radius {app.radius}"
        view.border_title = f"2 graph: {safe(where)}"
        app.checks.sweep_scene(scene)
        app.update_top()
        if not quiet:  # new data is not a step the user took
            app.session.navigated(focus, app.radius)

    def _focus_scene(self, focus: str) -> tuple[Scene, str | None]:
        """The focus's neighbourhood at the current radius and its first node; kept, so going
        back through history redraws nothing (the graph changes only with new data or an
        ad-hoc edge, which forget them)."""
        key = (focus, self.app.radius)
        if key not in self._kept:
            nodes = neighbourhood(self.app.ex.view, focus, self.app.radius)
            if len(self._kept) >= KEPT_SCENES:
                self._kept.pop(next(iter(self._kept)))
            first = nodes[0] if nodes else None
            self._kept[key] = (build_scene(focus, self.app.ex.view, nodes), first)
        return self._kept[key]

    def go(self, focus: str | None, selected: Item | None = None) -> None:
        """Move the view, remembering where it was (esc comes back)."""
        app = self.app
        self.history.append(Place(app.focus_node, app.radius, app.graph_view.selected))
        self.show(focus, selected)

    def back(self) -> None:
        if self.history:
            place = self.history.pop()
            self.app.radius = place.radius
            self.show(place.focus, place.selected)

    def change_radius(self, delta: int) -> None:
        app = self.app
        app.radius = max(1, min(4, app.radius + delta))
        if app.focus_node is not None:
            self.show(app.focus_node, app.graph_view.selected)
