"""Scene layout and canvas drawing (no textual): columns, arrows, glyphs, overview."""

from __future__ import annotations

from kexplore.graph import node_id, object_graph
from kexplore.sources.demo import load_demo
from kexplore.ui.graph.canvas import draw
from kexplore.ui.graph.scene import build_scene, neighbourhood, overview_scene

FRONTEND = node_id("Deployment", "shop", "frontend")
CART_SVC = node_id("Service", "shop", "cart")
CART = node_id("Deployment", "shop", "cart")


def test_layers_put_sources_left_services_middle_backends_right() -> None:
    view = object_graph(load_demo())
    scene = build_scene("t", view, neighbourhood(view, CART_SVC, 1))
    col = {n: node.col for n, node in scene.nodes.items()}
    assert col[FRONTEND] < col[CART_SVC] < col[CART]
    xs = {n: node.x for n, node in scene.nodes.items()}
    assert xs[FRONTEND] < xs[CART_SVC] < xs[CART]


def test_neighbourhood_radius_grows_and_namespace_focus_shows_its_objects() -> None:
    view = object_graph(load_demo())
    one = set(neighbourhood(view, CART_SVC, 1))
    two = set(neighbourhood(view, CART_SVC, 2))
    assert one < two
    assert {FRONTEND, CART} <= one
    shop = neighbourhood(view, "Namespace:shop", 1)
    assert FRONTEND in shop and CART_SVC in shop


def test_canvas_draws_boxes_arrows_and_status_tags() -> None:
    view = object_graph(load_demo())
    scene = build_scene("t", view, [FRONTEND, CART_SVC])
    index = next(i for i, e in enumerate(scene.edges) if e.target == CART_SVC)
    canvas = draw(scene, {index: "np✗"})
    text = "\n".join("".join(row) for row in canvas.chars)
    assert "frontend" in text and "cart" in text
    assert "✗▶" in text
    target = scene.nodes[CART_SVC]
    assert canvas.chars[target.mid()][target.x - 1] == "▶"
    assert canvas.owners[target.mid()][target.x - 1] == ("edge", index)
    assert canvas.chars[target.y][target.x] == "╭"  # services have round corners


def test_overview_joins_namespaces_by_cross_namespace_talks() -> None:
    state = load_demo()
    view = object_graph(state)
    scene = overview_scene(view, state.namespace_names())
    assert set(scene.nodes) == {f"Namespace:{ns}" for ns in state.namespace_names()}
    pairs = {(e.source, e.target) for e in scene.edges}
    assert ("Namespace:shop", "Namespace:data") in pairs
    assert all(e.members for e in scene.edges)
