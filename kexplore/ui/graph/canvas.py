"""A character canvas for a scene: box-drawing lines that join cleanly, boxes, hit owners."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass

from kexplore.ui.graph.scene import BOX_H, GAP, Scene, SceneEdge, SceneNode

N, E, S, W = 1, 2, 4, 8
LINE = {
    E: "─", W: "─", E | W: "─", N: "│", S: "│", N | S: "│",
    E | S: "┌", W | S: "┐", N | E: "└", N | W: "┘",
    N | E | S: "├", N | W | S: "┤", E | W | S: "┬", N | E | W: "┴", N | E | S | W: "┼",
}  # fmt: skip
# Border characters by kind: (top-left, top-right, bottom-left, bottom-right, horizontal, vertical)
BORDERS = {
    "Service": "╭╮╰╯─│",
    "NetworkPolicy": "╔╗╚╝═║",
    "Namespace": "┏┓┗┛━┃",
    "Name": "┌┐└┘┄┆",
}
DEFAULT_BORDER = "┌┐└┘─│"
MAX_CHANNELS = 6  # rows below the boxes for edges that skip columns
Owner = tuple[str, object] | None


@dataclass
class Canvas:
    """Rows of characters, and which node or edge (by index) owns each cell."""

    width: int
    height: int

    def __post_init__(self) -> None:
        self.chars = [[" "] * self.width for _ in range(self.height)]
        self.owners: list[list[Owner]] = [[None] * self.width for _ in range(self.height)]
        self.bits = [[0] * self.width for _ in range(self.height)]
        self.marks: set[tuple[int, int]] = set()
        self.rows: dict[Owner, set[int]] = defaultdict(set)  # the rows each owner appears in
        self.tips: dict[int, tuple[int, int, int, str]] = {}  # edge: lane, end, row, arrow

    def put(self, x: int, y: int, char: str, owner: Owner) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.chars[y][x] = char
            self.owners[y][x] = owner
            self.rows[owner].add(y)

    def mark(self, x: int, y: int, char: str, owner: Owner) -> None:
        """An arrowhead or status tag: later lines crossing the cell do not hide it."""
        self.put(x, y, char, owner)
        self.marks.add((x, y))

    def line(self, x: int, y: int, bits: int, owner: Owner) -> None:
        """Add line directions to a cell; the drawn character joins them."""
        if 0 <= x < self.width and 0 <= y < self.height:
            self.bits[y][x] |= bits
            if (x, y) not in self.marks:
                self.put(x, y, LINE[self.bits[y][x]], owner)

    def hline(self, x0: int, x1: int, y: int, owner: Owner) -> None:
        lo, hi = min(x0, x1), max(x0, x1)
        for x in range(lo, hi + 1):
            self.line(x, y, (E if x < hi else 0) | (W if x > lo else 0), owner)

    def vline(self, x: int, y0: int, y1: int, owner: Owner) -> None:
        """A vertical line (the long ones of big scenes: one pass, no per-cell calls)."""
        if not 0 <= x < self.width:
            return
        lo, hi = min(y0, y1), max(y0, y1)
        rows = self.rows[owner]
        for y in range(max(lo, 0), min(hi, self.height - 1) + 1):
            bits_row = self.bits[y]
            bits = bits_row[x] | (S if y < hi else 0) | (N if y > lo else 0)
            bits_row[x] = bits
            if (x, y) not in self.marks:
                self.chars[y][x] = LINE[bits]
                self.owners[y][x] = owner
                rows.add(y)


def draw(scene: Scene, glyphs: dict[int, str]) -> Canvas:
    """Edges first (index in scene.edges owns its cells), boxes on top, then `glyphs`: a
    marker before an edge's arrowhead (`np✗`: the failing layer and the verdict's glyph), so
    the verdict reads without colour. An edge that skips columns runs along a channel below
    the boxes, never behind them."""
    return with_glyphs(draw_base(scene), glyphs)


def draw_base(scene: Scene) -> Canvas:
    """The scene without verdict glyphs (drawn once per scene; glyphs go on a copy)."""
    skipping = [i for i, e in enumerate(scene.edges) if _skips(scene, e)]
    channels = min(len(skipping), MAX_CHANNELS)
    canvas = Canvas(scene.width + 2, scene.height + 1 + channels)
    lanes: dict[int, dict[str, int]] = defaultdict(dict)
    for index, edge in enumerate(scene.edges):
        a, b = scene.nodes[edge.source], scene.nodes[edge.target]
        channel = None
        if index in skipping:
            channel = scene.height + skipping.index(index) % max(channels, 1)
        _route(canvas, edge, (a, b), lanes, index, channel)
    for node in scene.nodes.values():
        _box(canvas, node)
    return canvas


def with_glyphs(base: Canvas, glyphs: dict[int, str]) -> Canvas:
    """The base drawing with each edge's glyph before its arrowhead, cut to the room its line
    has; only the rows that change are copied (the base stays as it was)."""
    out = _shallow(base)
    copied: set[int] = set()
    for index, glyph in sorted(glyphs.items()):
        if index not in base.tips:
            continue
        lane, end, y, arrow = base.tips[index]
        room = abs(end - lane) - 1
        text = glyph[-room:] if room > 0 else ""
        first = end - len(text) if arrow == "▶" else end + 1
        _write(out, base, copied, (first, y), text, ("edge", index))
    return out


def with_feet(base: Canvas, feet: list[tuple[SceneNode, str]]) -> Canvas:
    """The drawing with some boxes' bottom borders saying more (`0 policies · ✗ 2 failing`);
    only the rows that change are copied."""
    out = _shallow(base)
    copied: set[int] = set()
    for node, foot in feet:
        bottom = _border_row(node, foot, BOX_H - 1)
        _write(out, base, copied, (node.x, node.y + BOX_H - 1), bottom, ("node", node.id))
    return out


def _shallow(base: Canvas) -> Canvas:
    out = copy.copy(base)
    out.chars, out.owners = list(base.chars), list(base.owners)
    return out


def _write(
    out: Canvas, base: Canvas, copied: set[int], at: tuple[int, int], text: str, owner: Owner
) -> None:
    """Text on one row of a shallow copy, that row copied from the base first."""
    first, y = at
    if y not in copied:
        out.chars[y], out.owners[y] = list(base.chars[y]), list(base.owners[y])
        copied.add(y)
    for x in range(max(first, 0), min(first + len(text), out.width)):
        out.chars[y][x] = text[x - first]
        out.owners[y][x] = owner


def _skips(scene: Scene, edge: SceneEdge) -> bool:
    return scene.nodes[edge.target].col > scene.nodes[edge.source].col + 1


def _lane(lanes: dict[int, dict[str, int]], gap_x: int, key: str) -> int:
    slots = lanes[gap_x]
    if key not in slots:
        slots[key] = len(slots) % (GAP - 6)
    return gap_x + 1 + slots[key]


def _route(
    canvas: Canvas,
    edge: SceneEdge,
    ends: tuple[SceneNode, SceneNode],
    lanes: dict[int, dict[str, int]],
    index: int,
    channel: int | None,
) -> None:
    a, b = ends
    owner: Owner = ("edge", index)
    if a.col < b.col:
        start, end, arrow = a.x + a.width, b.x - 1, "▶"
        lane = _lane(lanes, b.x - GAP, edge.target)
    else:
        start = a.x - 1 if a.col > b.col else a.x + a.width
        end, arrow = b.x + b.width, "◀"
        lane = _lane(lanes, b.x + b.width, edge.target) + (1 if a.col > b.col else 2)
    if channel is None:
        canvas.hline(start, lane, a.mid(), owner)
        canvas.vline(lane, a.mid(), b.mid(), owner)
    else:
        out = _lane(lanes, a.x + a.width, f"out {edge.target}")
        canvas.hline(start, out, a.mid(), owner)
        canvas.vline(out, a.mid(), channel, owner)
        canvas.hline(out, lane, channel, owner)
        canvas.vline(lane, channel, b.mid(), owner)
    canvas.hline(lane, end, b.mid(), owner)
    canvas.mark(end, b.mid(), arrow, owner)
    canvas.tips[index] = (lane, end, b.mid(), arrow)


def _box(canvas: Canvas, node: SceneNode) -> None:
    owner: Owner = ("node", node.id)
    for dy in range(BOX_H):
        text = _border_row(node, node.foot, dy)
        y = node.y + dy  # a row at a time, cut to the canvas (10,000 boxes in W3's overview)
        x0, x1 = max(node.x, 0), min(node.x + len(text), canvas.width)
        if 0 <= y < canvas.height and x0 < x1:
            canvas.chars[y][x0:x1] = text[x0 - node.x : x1 - node.x]
            canvas.owners[y][x0:x1] = [owner] * (x1 - x0)
            canvas.rows[owner].add(y)


def _border_row(node: SceneNode, foot: str, dy: int) -> str:
    """Row `dy` of a box: its info on the top border, its title, `foot` on the bottom one."""
    tl, tr, bl, br, h, v = tuple(BORDERS.get(node.kind, DEFAULT_BORDER))
    inner = node.width - 2
    if dy == 0:
        return tl + _fit(f" {node.info} ", inner, h) + tr
    if dy == BOX_H - 1:
        return bl + (_fit(f" {foot} ", inner, h) if foot else h * inner) + br
    return v + _fit(" " + node.title, inner, " ") + v


def _fit(text: str, width: int, fill: str) -> str:
    """Text cut to width (with …) and padded with the fill character."""
    if len(text) > width:
        text = text[: max(width - 1, 0)] + "…"
    return text + fill * (width - len(text))
