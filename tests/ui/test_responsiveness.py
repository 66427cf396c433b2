"""What keeps keys fast on big clusters: the graph built off the UI thread with its first
drawing, drawings reused, a selection change redrawing only its rows, a one-line footer."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from kexplore.sources.demo import load_demo
from kexplore.ui.app import KexploreApp, make_app
from kexplore.ui.keybar import KeyBar
from kexplore.ui.messages import ExplorerReady
from ui.test_app_pilot import command, run, settle


def test_first_graph_arrives_with_its_overview_drawing_and_listing(tmp_path: Path) -> None:
    app = make_app(load_demo(), transcript_path=tmp_path / "s.jsonl", check_delay=0, sweep=False)

    shown: list[object] = []

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(pilot.app, KexploreApp)
        view = pilot.app.graph_view
        shown.extend([view._drawings[id(view.scene)][1], pilot.app.scenes.overview])

    posted = run(app, scenario)
    ready = [m for m in posted if isinstance(m, ExplorerReady)]
    assert len(ready) == 1 and "shop" in ready[0].listing.by_ns
    assert shown[0] is ready[0].drawing  # shown as the worker drew it
    assert shown[1] is ready[0].overview


def test_a_scene_shown_again_reuses_its_layout_and_drawing(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        view = app.graph_view
        await pilot.press("o")
        await settle(pilot)
        overview = view._drawings[id(view.scene)][1]
        await command(pilot, "ns shop")
        assert view._drawings[id(view.scene)][1] is not overview
        shop, shop_drawing = view.scene, view._drawings[id(view.scene)][1]
        await command(pilot, "deploy frontend")
        await pilot.press("escape")
        await settle(pilot)
        assert view.scene is shop and view._drawings[id(shop)][1] is shop_drawing
        await pilot.press("escape")
        await settle(pilot)
        assert app.focus_node is None and view._drawings[id(view.scene)][1] is overview

    run(demo_app, scenario)


def test_moving_the_selection_redraws_only_the_rows_it_touches(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy frontend")
        view = app.graph_view
        for row in range(view.canvas.height):
            view.render_line(row)  # every row drawn once (scrolled to the top)
        kept = dict(view._strips)
        before = view.selected
        await pilot.press("right")
        after = view.selected
        assert before != after and before is not None and after is not None
        touched = set(view.canvas.rows[view._owner(before)] | view.canvas.rows[view._owner(after)])
        assert touched
        untouched = [row for row in kept if row not in touched]
        assert untouched and all(view._strips.get(row) is kept[row] for row in untouched)
        assert all(view._strips.get(row) is not kept[row] for row in touched if row in kept)

    run(demo_app, scenario)


def test_footer_shows_the_focused_views_keys(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        bar = pilot.app.query_one(KeyBar)
        assert ("⏎", "follow") in bar.keys and (":", "command") in bar.keys
        await pilot.press("1")
        await pilot.pause()
        assert ("⏎", "follow") not in bar.keys and (":", "command") in bar.keys

    run(demo_app, scenario)
