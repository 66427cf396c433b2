"""Scene layout and canvas drawing (no textual): columns, arrows, glyphs, overview."""

from __future__ import annotations

import re

from kexplore.graph import node_id, object_graph
from kexplore.sources.demo import load_demo
from kexplore.ui.graph.canvas import draw, draw_base, with_glyphs
from kexplore.ui.graph.scene import build_scene, counted, neighbourhood, overview_scene

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


def test_glyphs_go_on_a_copy_of_the_kept_base_drawing_before_each_arrowhead() -> None:
    """Verdicts change often: glyphs go on a copy of the scene's base drawing (only the
    changed rows copied), just before each edge's arrowhead, owned by the edge."""
    view = object_graph(load_demo())
    scene = build_scene("t", view, neighbourhood(view, FRONTEND, 2))
    glyphs = {i: ("np✗" if i % 2 else "✓") for i in range(len(scene.edges))}
    base = draw_base(scene)
    before = [list(row) for row in base.chars]
    shown = with_glyphs(base, glyphs)
    assert base.chars == before  # the base is untouched
    assert len(scene.edges) > 2
    for index, glyph in glyphs.items():
        lane, end, y, arrow = base.tips[index]
        assert arrow == "▶"  # the demo's frontend neighbourhood flows left to right
        text = glyph[-(abs(end - lane) - 1) :]
        start = end - len(text)
        written = "".join(shown.chars[y][start:end])
        # a later edge into the same target may write over an earlier one's glyph
        later = [g for i, g in glyphs.items() if i > index and base.tips[i][1:3] == (end, y)]
        assert written == text or later
        assert shown.chars[y][end] == "▶"
        if not later:
            assert all(shown.owners[y][x] == ("edge", index) for x in range(start, end))
    unchanged = {base.tips[i][2] for i in glyphs} ^ set(range(base.height))
    assert all(shown.chars[y] is base.chars[y] for y in unchanged)


def test_namespace_boxes_read_their_counts_in_words_with_plurals() -> None:
    """Overview boxes say `2 workloads · 1 service` on top and `0 policies` below, not codes."""
    state = load_demo()
    scene = overview_scene(object_graph(state), state.namespace_names())
    shop = scene.nodes["Namespace:shop"]
    assert re.fullmatch(r"\d+ workloads? · \d+ services?", shop.info)
    assert re.fullmatch(r"\d+ (policy|policies)", shop.foot)
    drawing = "\n".join("".join(row) for row in draw_base(scene).chars)
    assert shop.info in drawing and shop.foot in drawing
    assert counted(1, "policy", "policies") == "1 policy"
    assert counted(0, "policy", "policies") == "0 policies"
    assert counted(3, "service") == "3 services"
