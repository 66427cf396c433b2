"""What the graph view draws: a neighbourhood or the namespace overview, laid out in columns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kexplore.graph import SHORT_KIND, namespace_of, node_id

if TYPE_CHECKING:
    import networkx as nx

BOX_MIN, BOX_MAX, GAP, ROW_GAP, BOX_H = 12, 24, 9, 1, 3
NS_BOX_MAX = 30  # a namespace box reads its counts in words
FAILING_NOTE = len(" · ✗ 99 failing")  # room kept on a namespace box's foot (GraphView)
MAX_NODES = 60
MAX_OVERVIEW_EDGES = 120  # the busiest namespace pairs; the rest are listed in the title
FLOW_TYPES = ("talks-to", "selects", "adhoc")
EdgeKey = tuple[str, str, str]


@dataclass
class SceneNode:
    """A box: which object, where, its title and the words on its top and bottom borders."""

    id: str
    kind: str
    title: str
    info: str
    foot: str = ""
    col: int = 0
    x: int = 0
    y: int = 0
    width: int = BOX_MIN

    def mid(self) -> int:
        return self.y + 1

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.x + self.width and self.y <= y < self.y + BOX_H


@dataclass
class SceneEdge:
    """A line between two boxes; `key` is the graph edge key (`talks-to cart:8080`)."""

    source: str
    target: str
    key: str
    type: str
    label: str = ""
    members: list[EdgeKey] = field(default_factory=list)

    @property
    def ident(self) -> EdgeKey:
        return (self.source, self.target, self.key)


@dataclass
class Scene:
    """Laid-out boxes and edges; `order` is the tab order of items."""

    title: str
    nodes: dict[str, SceneNode] = field(default_factory=dict)
    edges: list[SceneEdge] = field(default_factory=list)
    width: int = 0
    height: int = 0

    def items(self) -> list[tuple[str, str | EdgeKey]]:
        """Tab order: each node (by column, then row) followed by its outgoing edges."""
        out: list[tuple[str, str | EdgeKey]] = []
        by_source: dict[str, list[SceneEdge]] = defaultdict(list)
        for edge in self.edges:
            by_source[edge.source].append(edge)
        for node in sorted(self.nodes.values(), key=lambda n: (n.col, n.y)):
            out.append(("node", node.id))
            out.extend(("edge", e.ident) for e in by_source[node.id])
        return out


def node_info(view: nx.MultiDiGraph, node: str) -> tuple[str, str]:
    """(title, info) text of an object box: its name and `deploy shop`-style kind line."""
    data = view.nodes[node]
    kind = str(data["kind"])
    short = SHORT_KIND.get(kind, "netpol" if kind == "NetworkPolicy" else kind.lower())
    if kind == "Name":
        short = "dialed name"
    return str(data["name"]), f"{short} {data['namespace']}"


def neighbourhood(view: nx.MultiDiGraph, focus: str, radius: int) -> list[str]:
    """Nodes within `radius` hops of the focus, nearest first (capped at MAX_NODES)."""
    if focus.startswith("Namespace:"):
        ns = namespace_of(focus)
        inside = [n for n, d in view.nodes(data=True) if d["namespace"] == ns]
        partners = [
            other
            for n in inside
            for other in (*view.successors(n), *view.predecessors(n))
            if view.nodes[other]["namespace"] != ns
        ]
        return list(dict.fromkeys([*sorted(inside), *sorted(partners)]))[:MAX_NODES]
    if focus not in view:
        return []
    seen = {focus: 0}
    frontier = [focus]
    for depth in range(1, radius + 1):
        nxt = []
        for n in frontier:
            for other in sorted({*view.successors(n), *view.predecessors(n)}):
                if other not in seen:
                    seen[other] = depth
                    nxt.append(other)
        frontier = nxt
    return sorted(seen, key=lambda n: (seen[n], n))[:MAX_NODES]


def build_scene(title: str, view: nx.MultiDiGraph, nodes: list[str]) -> Scene:
    """Lay out the subgraph on `nodes`: flow sources left, services middle, backends right."""
    scene = Scene(title)
    keep = set(nodes)
    for n in nodes:
        name, info = node_info(view, n)
        scene.nodes[n] = SceneNode(n, str(view.nodes[n]["kind"]), name, info)
    for u, v, key, data in view.edges(nodes, keys=True, data=True):
        if v in keep:
            scene.edges.append(SceneEdge(u, v, key, data["type"], _edge_label(data)))
    layout(scene)
    return scene


def _edge_label(data: dict[str, object]) -> str:
    talks = data.get("talks")
    if talks is not None:
        return str(getattr(talks, "target", ""))
    pods = data.get("pods")
    return f"{pods} pods" if pods else ""


def columns(scene: Scene) -> dict[str, int]:
    """Longest-path layering over flow edges; policies one column right of what they govern."""
    col = dict.fromkeys(scene.nodes, 0)
    flow = [e for e in scene.edges if e.type in FLOW_TYPES and e.source != e.target]
    for _ in range(len(scene.nodes)):
        changed = False
        for e in flow:
            if col[e.target] < col[e.source] + 1 <= len(scene.nodes):
                col[e.target] = col[e.source] + 1
                changed = True
        if not changed:
            break
    for e in scene.edges:
        if e.type == "applies-to":
            col[e.source] = max(col[e.source], col[e.target] + 1)
    return col


def layout(scene: Scene) -> None:
    """Assign columns, order each column by its predecessors' rows, then coordinates."""
    col = columns(scene)
    by_col: dict[int, list[SceneNode]] = defaultdict(list)
    for node in scene.nodes.values():
        node.col = col[node.id]
        namespace = node.kind == "Namespace"
        foot = len(node.foot) + (FAILING_NOTE if namespace else 0)
        text = max(len(node.title), len(node.info), foot)
        limit = NS_BOX_MAX if namespace else BOX_MAX
        node.width = max(BOX_MIN, min(limit, text + 4))
        by_col[node.col].append(node)
    preds: dict[str, list[str]] = defaultdict(list)
    for e in scene.edges:
        preds[e.target].append(e.source)
        preds[e.source].append(e.target)
    row: dict[str, float] = {}
    x = 1
    for c in sorted(by_col):
        members = by_col[c]
        members.sort(key=lambda n: (_barycentre(preds[n.id], row), n.kind, n.title))
        width = max(n.width for n in members)
        for i, node in enumerate(members):
            row[node.id] = i
            node.x, node.y, node.width = x, 1 + i * (BOX_H + ROW_GAP), width
        x += width + GAP
    scene.width = max(x - GAP + 2, 1)
    scene.height = max((n.y + BOX_H for n in scene.nodes.values()), default=0) + 1


def _barycentre(neighbours: list[str], row: dict[str, float]) -> float:
    placed = [row[n] for n in neighbours if n in row]
    return sum(placed) / len(placed) if placed else 1e9


def counted(n: int, word: str, plural: str = "") -> str:
    """`1 service`, `3 services`, `0 policies`: a count in words."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def overview_graph(
    view: nx.MultiDiGraph, namespaces: list[str], reading: bool = False
) -> nx.MultiDiGraph:
    """Namespaces with object counts, joined by their cross-namespace talks-to edges
    (`reading`: the objects are still being read, so no count is shown yet)."""
    import networkx as nx  # in the graph worker

    counts: dict[str, dict[str, int]] = {ns: defaultdict(int) for ns in namespaces}
    for _, data in view.nodes(data=True):
        counts.setdefault(data["namespace"], defaultdict(int))[data["kind"]] += 1
    out = nx.MultiDiGraph()
    for ns, c in counts.items():
        workloads = sum(v for k, v in c.items() if k not in ("Service", "NetworkPolicy", "Name"))
        info = f"{counted(workloads, 'workload')} · {counted(c['Service'], 'service')}"
        foot = counted(c["NetworkPolicy"], "policy", "policies")
        if reading:
            info, foot = "reading…", ""
        out.add_node(
            node_id("Namespace", "", ns),
            kind="Namespace",
            namespace=ns,
            name=ns,
            info=info,
            foot=foot,
        )
    pairs: dict[tuple[str, str], list[EdgeKey]] = defaultdict(list)
    for u, v, key, data in view.edges(keys=True, data=True):
        a, b = view.nodes[u]["namespace"], view.nodes[v]["namespace"]
        if data["type"] == "talks-to" and a != b:
            pairs[(a, b)].append((u, v, key))
    for (a, b), members in pairs.items():
        out.add_edge(
            node_id("Namespace", "", a),
            node_id("Namespace", "", b),
            key="talks-to",
            type="talks-to",
            members=members,
        )
    return out


def overview_scene(view: nx.MultiDiGraph, namespaces: list[str], reading: bool = False) -> Scene:
    """The namespace overview, laid out like any scene."""
    graph = overview_graph(view, namespaces, reading)
    edges = sorted(graph.edges(keys=True, data=True), key=lambda e: -len(e[3]["members"]))
    hidden = len(edges) - MAX_OVERVIEW_EDGES
    scene = Scene(
        f"namespaces ({hidden} quieter namespace pairs not drawn)" if hidden > 0 else "namespaces"
    )
    for n, data in graph.nodes(data=True):
        name, info, foot = str(data["name"]), str(data["info"]), str(data["foot"])
        scene.nodes[n] = SceneNode(n, "Namespace", name, info, foot)
    for u, v, key, data in edges[:MAX_OVERVIEW_EDGES]:
        label = counted(len(data["members"]), "edge")
        scene.edges.append(SceneEdge(u, v, key, "talks-to", label, list(data["members"])))
    layout(scene)
    return scene
