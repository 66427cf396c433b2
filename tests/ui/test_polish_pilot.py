"""The TUI's finish (issue 14): failing counts per namespace box, enter on a namespace edge,
a footer that fits, fast typing after `:` and `/`, ctrl+c with probes running, the palette
and help."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from kexplore.checks.result import Status
from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.sources.demo import load_demo
from kexplore.ui.app import KexploreApp, make_app
from kexplore.ui.graph.scene import BOX_H, SceneNode
from kexplore.ui.keybar import KeyBar
from kexplore.ui.navigator import Navigator
from kexplore.ui.probing import Confirm, OnResult, YesNoScreen
from kexplore.ui.screens import EdgesScreen, HelpScreen
from ui.test_app_pilot import command, edge_key, run, settle
from ui.test_probes_pilot import FakeProber, _until_screen

KEY_NAMES = {":": "colon", "/": "slash", " ": "space", "-": "minus", ".": "full_stop"}


def box_row(app: KexploreApp, node: SceneNode, dy: int) -> str:
    row = app.graph_view.canvas.chars[node.y + dy]
    return "".join(row[node.x : node.x + node.width])


def test_namespace_boxes_count_their_failing_edges_like_the_header(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        failing = [k for k, s in app.ex.verdicts().items() if s is Status.FAIL]
        counts = {}
        for node in app.graph_view.scene.nodes.values():
            foot = box_row(app, node, BOX_H - 1)
            assert "policies" in foot or "policy" in foot  # the foot's words stay
            said = foot.split("✗ ")[1].split(" failing")[0] if "failing" in foot else "0"
            counts[node.title] = int(said)
        assert counts["shop"] == sum(1 for k in failing if k[0].split(":")[1].startswith("shop/"))
        assert counts["shop"] > 0 and counts["default"] == 0
        assert sum(counts.values()) == app.ex.tally()[Status.FAIL] == len(failing)
        assert f"✗ {len(failing)} failing" in str(app.query_one("#top").render())

    run(demo_app, scenario)


def inside_scrollbars(app: KexploreApp, node: SceneNode) -> bool:
    view = app.graph_view
    window = view.scrollable_content_region.at_offset(view.scroll_offset)
    box = Region(node.x, node.y, node.width, BOX_H)
    return window.contains_region(box)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_enter_on_a_namespace_edge_opens_its_worst_edge_in_view(
    demo_app: KexploreApp, size: tuple[int, int]
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        view = app.graph_view
        edge = next(
            e for e in view.scene.edges if e.ident[:2] == ("Namespace:shop", "Namespace:data")
        )
        view.select(("edge", edge.ident))
        await settle(pilot)
        title = str(app.query_one("#ladder-title").render())
        assert "2 edges shop → data" in title  # counted in words, both ends named
        await pilot.press("2", "enter")
        await settle(pilot)
        assert app.focus_node == "Namespace:data"
        chosen = view.selected_edge()
        assert chosen is not None and chosen.ident in edge.members
        assert app.ex.reports[chosen.ident].verdict is Status.FAIL  # the worst one first
        assert app.ladder.report is app.ex.reports[chosen.ident]
        source, target = view.scene.nodes[chosen.source], view.scene.nodes[chosen.target]
        assert source.id.startswith("Deployment:shop/") and target.id.startswith("Service:data/")
        assert inside_scrollbars(app, source) and inside_scrollbars(app, target)

    run(demo_app, scenario, size=size)


ESSENTIAL = ("] next fail", "! edges", "? help", "tabs", "q quit")


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (160, 45)])
def test_footer_fits_the_width_and_keeps_the_essential_keys(
    demo_app: KexploreApp, size: tuple[int, int]
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        bar = app.query_one(KeyBar)
        await command(pilot, "deploy frontend")
        for pane in "2134":
            await pilot.press(pane)
            await pilot.pause()
            line = bar.render()
            assert line.cell_len <= bar.size.width == size[0], pane
            text = str(line)
            assert all(key in text for key in ESSENTIAL), (pane, text)
            assert ": cmd" in text or ": command" in text
            if size[0] >= 160:  # room for every key, in full words
                assert all(f" {key} {what} " in text for key, what in bar.keys), text
            if size[0] >= 120:
                assert "y copy" in text and "p probe" in text and "f fix" in text

    run(demo_app, scenario, size=size)


def burst(app: KexploreApp, text: str) -> None:
    """Keys as a terminal delivers a fast typist's: all queued before the first is handled."""
    for char in text:
        key = "enter" if char == "\n" else KEY_NAMES.get(char, char)
        event = events.Key(key, None if key == "enter" else char)
        event.set_sender(app)
        app._driver.send_message(event)  # type: ignore[union-attr]


def test_keys_typed_fast_after_colon_or_slash_go_into_the_line_they_open(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        tab = app.drill.active_tab
        burst(app, ":deploy cart\n")  # d, e, l, c, p, y… are shortcuts elsewhere
        await settle(pilot)
        assert app.focus_node == "Deployment:shop/cart"
        assert app.drill.active_tab == tab and not app.query_one("#cmdline").display
        burst(app, ":check shop/deploy/frontend cart:8080")  # a `:` inside the line stays
        await pilot.pause()
        line = app.query_one("#cmdline", Input)
        assert line.value == "check shop/deploy/frontend cart:8080"
        await pilot.press("escape")
        burst(app, "/cart")
        await pilot.pause()
        box = app.query_one("#nav-filter", Input)
        assert app.focused is box and box.value == "cart"
        assert app.query_one(Navigator).listing.option_count > 0

    run(demo_app, scenario)


class HeldProber(FakeProber):
    """A prober whose probes run until the test lets them end (`held` set)."""

    held = threading.Event()  # replaced per test

    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        self.held.wait(timeout=5)
        return super().run(request, cancel)


async def until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    for _ in range(100):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("never came true")


def test_ctrl_c_quits_at_once_unless_probes_run_then_asks(tmp_path: Path) -> None:
    held = threading.Event()

    def factory(confirm: Confirm, on_result: OnResult) -> FakeProber:
        prober = HeldProber(confirm, on_result, ask_debug=False)
        prober.held = held
        return prober

    app = make_app(
        load_demo(),
        transcript_path=tmp_path / "s.jsonl",
        check_delay=0,
        sweep=False,
        prober_factory=factory,
    )

    async def scenario(pilot: Pilot[None]) -> None:
        await command(pilot, "deploy frontend")
        app.graph_view.select(("edge", edge_key(app, "shop/deploy/frontend", "cart:8080")))
        await settle(pilot)
        await pilot.press("p")
        await _until_screen(pilot, "Probe")
        await pilot.press("y")
        await until(pilot, app.probing.running)
        await pilot.press("ctrl+c")
        screen = await _until_screen(pilot, "Probes are running")
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.screen is not screen and app.probing.running()
        await pilot.press("ctrl+c")
        await _until_screen(pilot, "Probes are running")
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running)

    async def released(pilot: Pilot[None]) -> None:
        try:
            await scenario(pilot)
        finally:
            held.set()  # before the app's exit waits for the probe worker

    run(app, released)


def test_ctrl_c_quits_from_the_command_line(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("colon", "n", "ctrl+c")
        await pilot.pause()
        assert not pilot.app.is_running
        assert not isinstance(pilot.app.screen, YesNoScreen)

    run(demo_app, scenario)


RAW_KEY_NAMES = ("slash", "question_mark", "square_bracket", "escape", "exclamation", "ctrl+")


def test_palette_lists_each_action_once_and_help_names_the_pane(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert len(titles) == len(set(titles)), sorted(titles)
        assert {"Keys", "Zoom pane", "Fixes", "Quit"} <= set(titles)
        assert "Maximize" not in titles  # z zooms the whole pane instead
        await command(pilot, "deploy frontend")
        for key, pane in (("1", "navigator"), ("2", "graph"), ("3", "ladder"), ("4", "drill-down")):
            await pilot.press(key)
            await pilot.pause()
            await pilot.press("question_mark")
            screen = app.screen
            assert isinstance(screen, HelpScreen) and screen.where == pane
            assert f"Keys — {pane}" in str(screen.query("Static").first().render())
            table = screen.query_one(DataTable)
            rows = [tuple(map(str, table.get_row_at(i))) for i in range(table.row_count)]
            keys = [k for k, _ in rows]
            assert len(keys) == len(set(keys))
            assert not [k for k in keys if any(raw in k for raw in RAW_KEY_NAMES)], keys
            assert ("^c", "quit") in rows and ("/", "filter") in rows
            assert all(what not in ("→", "←", "↑", "↓") for _, what in rows)  # say what they do
            await pilot.press("escape")

    run(demo_app, scenario)


def test_edge_list_names_the_failing_layer_in_its_first_column(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        await pilot.press("exclamation_mark")
        screen = app.screen
        assert isinstance(screen, EdgesScreen)
        assert screen.query_one("#edges").region.width == 80  # below 100 columns: all of it
        table = screen.query_one(DataTable)
        for index, (_, _, _, report) in enumerate(screen.shown):
            assert report is not None
            said = report.failing_layer or report.verdict
            assert str(table.get_row_at(index)[0]).endswith(f" {said}")  # seen at 80 columns

    run(demo_app, scenario, size=(80, 24))


def test_next_fail_from_a_node_starts_with_the_failing_edges_in_view(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy checkout")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        edge = app.graph_view.selected_edge()
        assert app.focus_node == "Deployment:shop/checkout"  # the same view
        assert edge is not None and edge.source == "Deployment:shop/checkout"
        assert app.ex.reports[edge.ident].verdict is Status.FAIL
        await pilot.press("right_square_bracket")  # then on through every failing edge
        await settle(pilot)
        after = app.graph_view.selected_edge()
        failing = app.ex.failing()
        assert after is not None and failing.index(after.ident) == failing.index(edge.ident) + 1

    run(demo_app, scenario)


def test_a_selected_edge_too_tall_for_the_graph_shows_its_target_end(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy checkout")
        view = app.graph_view
        key = edge_key(app, "shop/deploy/checkout", "shipping:8080")
        source, target = view.scene.nodes[key[0]], view.scene.nodes[key[1]]
        assert target.y - source.y > view.scrollable_content_region.height  # cannot show both
        view.select(("edge", key))
        await settle(pilot)
        assert inside_scrollbars(app, target)  # its arrowhead and verdict glyph

    run(demo_app, scenario, size=(80, 24))
