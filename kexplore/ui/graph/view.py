"""The graph view widget: draws a scene line by line and moves a selection over its items."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kexplore.checks.result import Status
from kexplore.graph import namespace_of
from kexplore.render.style import GLYPH
from kexplore.ui.graph.canvas import Canvas, draw_base, with_feet, with_glyphs
from kexplore.ui.graph.scene import BOX_H, EdgeKey, Scene, SceneEdge, SceneNode

Item = tuple[str, str | EdgeKey]
LAYER_TAGS = {
    "pods": "pod",
    "service": "svc",
    "dns": "dns",
    "reachability": "rch",
    "mesh": "msh",
    "networkpolicy": "np",
    "ports": "prt",
    "health": "hlt",
    "network": "net",
    "cluster": "cls",
}
KEPT_DRAWINGS = 8  # scenes whose drawing is kept (overview, back through history)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")


class GraphView(ScrollView, can_focus=True):
    """Boxes and edges of a scene; tab/arrows move the selection, enter follows."""

    BINDINGS = [
        Binding("tab", "step(1)", "next item", show=False),
        Binding("shift+tab", "step(-1)", "prev item", show=False),
        Binding("right", "move('right')", "along an edge, rightwards", show=False),
        Binding("left", "move('left')", "along an edge, leftwards", show=False),
        Binding("down", "move('down')", "next in the column or fan", show=False),
        Binding("up", "move('up')", "previous in the column or fan", show=False),
        Binding("enter", "activate", "follow"),
    ]
    COMPONENT_CLASSES = {
        "graph--workload",
        "graph--pod",
        "graph--service",
        "graph--policy",
        "graph--namespace",
        "graph--name",
        "graph--edge",
        "graph--pass",
        "graph--warn",
        "graph--fail",
        "graph--unknown",
        "graph--selected",
        "graph--marked",
    }

    @dataclass
    class NodeSelected(Message):
        """The selection moved to a node."""

        node: str

    @dataclass
    class EdgeSelected(Message):
        """The selection moved to an edge."""

        edge: SceneEdge

    @dataclass
    class Activated(Message):
        """Enter (or a double click) on the selected node or edge."""

        item: Item

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scene = Scene("")
        self.canvas = Canvas(1, 1)
        self.selected: Item | None = None
        self.verdicts: dict[EdgeKey, Status] = {}
        self.failing_layers: dict[EdgeKey, str] = {}
        self.marked: set[str] = set()
        self.fit_height: int | None = None  # a focus view's height: its drawing, no more
        self._strips: dict[int, Strip] = {}
        self._styles: dict[object, Style] = {}
        self._drawings: dict[int, tuple[Scene, Canvas]] = {}

    # -- content --------------------------------------------------------------------
    def show(self, scene: Scene, selected: Item | None = None, quiet: bool = False) -> None:
        """Replace the scene; keep or set the selection (first item when none fits). `quiet`:
        new data; a selection still there is kept where it is on screen, not announced."""
        self.scene = scene
        items = scene.items()
        kept = quiet and selected in items
        if selected not in items:
            selected = items[0] if items else None
        self.selected = selected
        self.redraw()
        if kept:
            return
        self.scroll_to(0, 0, animate=False)
        self.announce()
        self.scroll_to_selected()

    def set_verdicts(
        self, verdicts: dict[EdgeKey, Status], failing: dict[EdgeKey, str] | None = None
    ) -> None:
        """Edge colours and glyphs by the verdict of their check, tags by failing layer."""
        self.verdicts = verdicts
        self.failing_layers = failing or {}
        self.redraw()

    def redraw(self) -> None:
        """Draw the scene with its verdict glyphs (on the scene's kept base drawing)."""
        glyphs = {}
        for index, edge in enumerate(self.scene.edges):
            status = self.edge_status(edge)
            if status is not None:
                glyphs[index] = self._layer_tag(edge) + GLYPH[status]
        kept = self._drawings.get(id(self.scene))
        if kept is None or kept[0] is not self.scene:
            self.keep_drawing(self.scene, draw_base(self.scene))
        self.canvas = with_glyphs(self._drawings[id(self.scene)][1], glyphs)
        feet = self.failing_feet()
        if feet:
            self.canvas = with_feet(self.canvas, feet)
        self.virtual_size = Size(self.canvas.width, self.canvas.height)
        self._restyle()

    def failing_feet(self) -> list[tuple[SceneNode, str]]:
        """Namespace boxes (the overview) count the failing edges from their namespace, in
        words: `0 policies · ✗ 2 failing` (together they make the header's count)."""
        boxes = [n for n in self.scene.nodes.values() if n.kind == "Namespace"]
        if not boxes:
            return []
        failing = Counter(
            namespace_of(key[0]) for key, status in self.verdicts.items() if status is Status.FAIL
        )
        return [
            (box, f"{box.foot} · ✗ {failing[box.title]} failing")
            for box in boxes
            if failing[box.title]
        ]

    def keep_drawing(self, scene: Scene, base: Canvas) -> None:
        """Remember a scene's base drawing (made by a worker, or here) for when it is shown
        again or its verdicts change."""
        if len(self._drawings) >= KEPT_DRAWINGS:
            self._drawings.pop(next(iter(self._drawings)))
        self._drawings[id(scene)] = (scene, base)

    def _restyle(self) -> None:
        """Forget rendered rows and styles (selection, verdicts or theme changed)."""
        self._strips.clear()
        self._styles.clear()
        self.refresh()

    def _restyle_items(self, *items: Item | None) -> None:
        """Only the rows of the items whose selection changed are drawn again."""
        for item in items:
            owner = self._owner(item)
            self._styles.pop(owner, None)
            for row in self.canvas.rows.get(owner, ()):
                self._strips.pop(row, None)
        self.refresh()

    def _owner(self, item: Item | None) -> tuple[str, object] | None:
        if item is None:
            return None
        if item[0] == "node":
            return item
        index = next((i for i, e in enumerate(self.scene.edges) if e.ident == item[1]), None)
        return None if index is None else ("edge", index)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._restyle())

    def _layer_tag(self, edge: SceneEdge) -> str:
        """Short name of the edge's failing layer (`np`), or "" when none fails."""
        layer = self.failing_layers.get(edge.ident, "")
        return LAYER_TAGS.get(layer, layer[:3])

    def edge_status(self, edge: SceneEdge) -> Status | None:
        """The verdict of an edge, or the worst verdict of the edges it stands for."""
        keys = edge.members or [edge.ident]
        found = [self.verdicts[k] for k in keys if k in self.verdicts]
        for status in (Status.FAIL, Status.UNKNOWN, Status.WARN, Status.PASS):
            if status in found:
                return status
        return None

    # -- rendering ------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = y + scroll_y
        if row >= self.canvas.height:
            return Strip.blank(self.size.width, self._component("base"))
        if row not in self._strips:
            self._strips[row] = self._build_row(row)
        end = scroll_x + self.size.width
        return self._strips[row].crop_extend(scroll_x, end, self._component("base"))

    def _build_row(self, row: int) -> Strip:
        segments: list[Segment] = []
        chars, owners = self.canvas.chars[row], self.canvas.owners[row]
        start = 0
        for x in range(1, len(chars) + 1):
            if x == len(chars) or owners[x] != owners[start]:
                style = self._style_of(owners[start])
                segments.append(Segment("".join(chars[start:x]), style))
                start = x
        return Strip(segments, len(chars))

    def _style_of(self, owner: tuple[str, object] | None) -> Style:
        """The style of a cell's owner, computed once per redraw (rich_style is costly)."""
        if owner not in self._styles:
            self._styles[owner] = self._compute_style(owner)
        return self._styles[owner]

    def _component(self, name: str) -> Style:
        key = ("component", name)
        if key not in self._styles:
            self._styles[key] = (
                self.rich_style if name == "base" else self.get_component_rich_style(name)
            )
        return self._styles[key]

    def _compute_style(self, owner: tuple[str, object] | None) -> Style:
        base = self._component("base")
        if owner is None:
            return base
        kind, ref = owner
        if kind == "node":
            node = self.scene.nodes[str(ref)]
            style = base + self._component(f"graph--{_kind_class(node.kind)}")
            if str(ref) in self.marked:
                style += self._component("graph--marked")
            if self.selected == ("node", node.id):
                style += self._component("graph--selected")
            return style
        edge = self.scene.edges[int(str(ref))]
        status = self.edge_status(edge)
        name = f"graph--{status}" if status in (Status.PASS, Status.WARN, Status.FAIL) else ""
        if status is Status.UNKNOWN:
            name = "graph--unknown"
        style = base + self._component(name or "graph--edge")
        if self.selected == ("edge", edge.ident):
            style += self._component("graph--selected")
        return style

    # -- selection ------------------------------------------------------------------
    def select(self, item: Item | None) -> None:
        """Select an item of the scene and announce it."""
        if item is None or item not in self.scene.items():
            return
        before, self.selected = self.selected, item
        self._restyle_items(before, item)
        self.scroll_to_selected()
        self.announce()

    def selected_edge(self) -> SceneEdge | None:
        if self.selected is None or self.selected[0] != "edge":
            return None
        return next((e for e in self.scene.edges if e.ident == self.selected[1]), None)

    def selected_node(self) -> SceneNode | None:
        if self.selected is None or self.selected[0] != "node":
            return None
        return self.scene.nodes.get(str(self.selected[1]))

    def announce(self) -> None:
        """Tell the app what is selected (it shows its ladder or drill-down)."""
        edge, node = self.selected_edge(), self.selected_node()
        if edge is not None:
            self.post_message(self.EdgeSelected(edge))
        elif node is not None:
            self.post_message(self.NodeSelected(node.id))

    def scroll_to_selected(self) -> None:
        """Bring the selection into view (inside the scrollbars): a node with the room of its
        outgoing arrows; an edge with both its ends when they fit, else its target end (the
        arrowhead and the verdict's glyph)."""
        node, edge = self.selected_node(), self.selected_edge()
        if node is not None:
            self.scroll_to_region(_box_region(node).grow((0, 8, 0, 0)), animate=False)
        if edge is None:
            return
        target = _box_region(self.scene.nodes[edge.target])
        both = _box_region(self.scene.nodes[edge.source]).union(target)
        window = self.scrollable_content_region
        fits = both.width <= window.width and both.height <= window.height
        self.scroll_to_region(both if fits else target.grow((0, 0, 0, 8)), animate=False)

    def action_step(self, delta: int) -> None:
        items = self.scene.items()
        if not items:
            return
        index = items.index(self.selected) if self.selected in items else -delta
        self.select(items[(index + delta) % len(items)])

    def action_move(self, direction: str) -> None:
        self.select(_neighbour(self.scene, self.selected, direction))

    def action_activate(self) -> None:
        if self.selected is not None:
            self.post_message(self.Activated(self.selected))

    def on_click(self, event: events.Click) -> None:
        x, y = event.x + int(self.scroll_x), event.y + int(self.scroll_y)
        if not (0 <= y < self.canvas.height and 0 <= x < self.canvas.width):
            return
        owner = self.canvas.owners[y][x]
        if owner is None:
            return
        kind, ref = owner
        item: Item = (
            ("node", str(ref))
            if kind == "node"
            else ("edge", self.scene.edges[int(str(ref))].ident)
        )
        if item == self.selected and event.chain >= 2:
            self.action_activate()
        self.select(item)


def _box_region(node: SceneNode) -> Region:
    return Region(node.x, node.y, node.width, BOX_H)


def _kind_class(kind: str) -> str:
    if kind in WORKLOAD_KINDS:
        return "workload"
    return {
        "Pod": "pod",
        "Service": "service",
        "NetworkPolicy": "policy",
        "Namespace": "namespace",
    }.get(kind, "name")


def _neighbour(scene: Scene, selected: Item | None, direction: str) -> Item | None:
    """Arrow keys: along edges from a node or an edge, up/down within a column or a fan."""
    if selected is None:
        items = scene.items()
        return items[0] if items else None
    if selected[0] == "edge":
        edge = next(e for e in scene.edges if e.ident == selected[1])
        if direction in ("right", "left"):
            a, b = scene.nodes[edge.source], scene.nodes[edge.target]
            right = b if b.x >= a.x else a
            left = a if right is b else b
            return ("node", (right if direction == "right" else left).id)
        fan = [e for e in scene.edges if e.source == edge.source]
        step = 1 if direction == "down" else -1
        return ("edge", fan[(fan.index(edge) + step) % len(fan)].ident)
    node = scene.nodes[str(selected[1])]
    if direction in ("up", "down"):
        column = sorted((n for n in scene.nodes.values() if n.col == node.col), key=lambda n: n.y)
        step = 1 if direction == "down" else -1
        return ("node", column[(column.index(node) + step) % len(column)].id)
    going_right = direction == "right"
    candidates = [
        e
        for e in scene.edges
        if node.id in (e.source, e.target)
        and (scene.nodes[e.target if e.source == node.id else e.source].x > node.x) == going_right
    ]
    if candidates:
        return ("edge", min(candidates, key=lambda e: _other_y(scene, e, node)).ident)
    return None


def _other_y(scene: Scene, edge: SceneEdge, node: SceneNode) -> int:
    other = scene.nodes[edge.target if edge.source == node.id else edge.source]
    return abs(other.y - node.y)
