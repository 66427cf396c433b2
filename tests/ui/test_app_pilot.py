"""Pilot tests of the TUI on the demo cluster, all through make_app."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.coordinate import Coordinate
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Log, OptionList, Static

from kexplore.graph import node_id
from kexplore.model.state import ClusterState
from kexplore.ui.app import KexploreApp
from kexplore.ui.graph.view import GraphView
from kexplore.ui.matrix import ConnectivityScreen, GridReady
from kexplore.ui.messages import CheckDone, LayerDone
from kexplore.ui.screens import EdgesScreen, HelpScreen

Scenario = Callable[[Pilot[None]], Awaitable[None]]


def run(app: KexploreApp, scenario: Scenario, size: tuple[int, int] = (120, 36)) -> list[Message]:
    """Run a scenario against the app; return every message posted while it ran."""
    posted: list[Message] = []

    async def main() -> None:
        async with app.run_test(size=size, message_hook=posted.append) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())
    return posted


async def settle(pilot: Pilot[None]) -> None:
    """Let posted messages run, wait for the check workers, then for their messages."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def command(pilot: Pilot[None], text: str) -> None:
    await pilot.press("colon")
    await pilot.press(*text)
    await pilot.press("enter")
    await settle(pilot)


def edge_key(app: KexploreApp, source: str, target: str) -> tuple[str, str, str]:
    return next(k for k in app.ex.talks() if app.ex.edge_texts(k) == (source, target))


def test_selecting_an_edge_runs_its_ladder_and_names_the_failing_layer(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        app.ex.reports.clear()  # force a fresh run, not the background sweep's result
        await command(pilot, "deploy frontend")
        key = edge_key(app, "shop/deploy/frontend", "search:8080")
        app.graph_view.select(("edge", key))
        await settle(pilot)
        assert app.ladder.report is not None
        assert app.ladder.report.failing_layer == "service"
        assert app.graph_view.verdicts[key] == "fail"

    posted = run(demo_app, scenario)
    layers = [m for m in posted if isinstance(m, LayerDone)]
    assert [m.result.id for m in layers][:3] == ["pods", "service", "dns"]
    done = [m for m in posted if isinstance(m, CheckDone) and m.report.failing_layer == "service"]
    assert done


def test_keyboard_moves_from_node_to_edge_and_posts_selection(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await command(pilot, "deploy frontend")
        app = pilot.app
        assert isinstance(app, KexploreApp)
        assert app.graph_view.selected == ("node", node_id("Deployment", "shop", "frontend"))
        await pilot.press("right")
        await settle(pilot)
        edge = app.graph_view.selected_edge()
        assert edge is not None and edge.source == node_id("Deployment", "shop", "frontend")
        await pilot.press("enter")
        await settle(pilot)
        assert app.focus_node == edge.target
        await pilot.press("escape")
        assert app.focus_node == node_id("Deployment", "shop", "frontend")

    posted = run(demo_app, scenario)
    assert any(isinstance(m, GraphView.EdgeSelected) for m in posted)


def test_failing_edge_keys_jump_between_failures(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        failing = app.ex.failing()
        assert len(failing) >= 10
        await pilot.press("right_square_bracket")
        await settle(pilot)
        first = app.graph_view.selected
        assert first == ("edge", failing[0])
        await pilot.press("right_square_bracket")
        assert app.graph_view.selected == ("edge", failing[1])
        await pilot.press("left_square_bracket")
        assert app.graph_view.selected == first

    run(demo_app, scenario)


def test_navigator_filter_substring_label_and_invert(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        listing = app.query_one("#nav-list", OptionList)

        def ids() -> list[str]:
            return [str(listing.get_option_at_index(i).id) for i in range(listing.option_count)]

        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"redis")
        assert set(ids()) == {
            "Namespace:data",
            node_id("Deployment", "data", "redis"),
            node_id("Service", "data", "redis"),
            node_id("NetworkPolicy", "data", "redis-allow-clients"),
        }
        app.query_one("#nav-filter", Input).value = "data/ !svc"
        await pilot.pause()
        assert node_id("Service", "data", "redis") not in ids()
        assert node_id("Deployment", "data", "redis") in ids()
        app.query_one("#nav-filter", Input).value = "app=redis"
        await pilot.pause()
        assert node_id("Deployment", "data", "redis") in ids()
        assert node_id("Deployment", "shop", "cart") not in ids()

    run(demo_app, scenario)


def test_command_mode_namespace_object_and_errors(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "ns shop")
        assert app.focus_node == "Namespace:shop"
        await command(pilot, "pod coredns")
        assert app.focus_node == node_id("Deployment", "kube-system", "coredns")
        await command(pilot, "ns nowhere")
        assert app.focus_node == node_id("Deployment", "kube-system", "coredns")
        await command(pilot, "check shop/deploy/nope cart:8080")
        assert "could not run" in str(app.query_one("#ladder-title", Static).render())
        await command(pilot, "check shop/deploy/frontend auth-api.auth:8080")
        assert app.ladder.report is not None
        assert app.ladder.report.source.name == "frontend"
        edge = app.graph_view.selected_edge()
        assert edge is not None and edge.type == "adhoc"

    run(demo_app, scenario)


def test_mark_source_and_target_checks_a_new_pair(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy prometheus")
        await pilot.press("s")
        await command(pilot, "svc auth-api")
        await pilot.press("t")
        await settle(pilot)
        report = app.ladder.report
        assert report is not None
        assert (report.source.name, report.target.dialed) == (
            "prometheus",
            "auth/svc/auth-api:8080",
        )

    run(demo_app, scenario)


def test_export_writes_transcript_markdown_and_html(demo_app: KexploreApp, tmp_path: Path) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy frontend")
        app.graph_view.select(("edge", edge_key(app, "shop/deploy/frontend", "search:8080")))
        await settle(pilot)
        await command(pilot, f"export {tmp_path / 'out'}")

    run(demo_app, scenario)
    events = [json.loads(line) for line in (tmp_path / "session.jsonl").read_text().splitlines()]
    types = {e["type"] for e in events}
    assert {"session-start", "navigate", "select", "check", "command", "export"} <= types
    markdown = (tmp_path / "out.md").read_text()
    assert "search:8080" in markdown
    assert "mermaid" in markdown
    assert (tmp_path / "out.html").read_text().startswith("<!")


def test_copy_help_and_edges(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy frontend")
        await pilot.press("y")
        assert app.clipboard == "kubectl describe deploy -n shop frontend"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await command(pilot, "edges")
        assert isinstance(app.screen, EdgesScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, EdgesScreen)
        assert app.graph_view.selected_edge() is not None

    run(demo_app, scenario)


async def _matrix(pilot: Pilot[None], text: str) -> ConnectivityScreen:
    await command(pilot, text)
    screen = pilot.app.screen
    assert isinstance(screen, ConnectivityScreen)
    await screen.workers.wait_for_complete()
    await pilot.pause()
    return screen


def test_matrix_shows_the_networkpolicy_grid_of_the_namespace_in_view(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "ns data")
        screen = await _matrix(pilot, "matrix")
        assert screen.namespaces == ["data"]
        await pilot.press("escape")
        screen = await _matrix(pilot, "matrix shop data payments")
        grid = screen.grid
        assert grid is not None and "data/postgres[StatefulSet]" in grid.peers
        table = screen.query_one(DataTable)
        assert table.row_count == len(table.columns) - 1 == len(grid.peers)
        row = grid.peers.index("shop/checkout[Deployment]")
        postgres = grid.peers.index("data/postgres[StatefulSet]")
        assert str(table.get_cell_at(Coordinate(row, postgres + 1))) == "TCP 5432"
        cart = grid.peers.index("shop/cart[Deployment]")
        assert str(table.get_cell_at(Coordinate(cart, postgres + 1))) == "·"  # denied
        assert str(table.get_cell_at(Coordinate(cart, cart + 1))) == "="
        table.move_cursor(row=row)
        await pilot.press("enter")
        await settle(pilot)
        assert app.focus_node == node_id("Deployment", "shop", "checkout")
        screen = await _matrix(pilot, "matrix nowhere")
        assert screen.grid is None
        note = str(screen.query_one("#matrix-note", Static).render())
        assert "'nowhere'" in note

    posted = run(demo_app, scenario)
    assert sum(isinstance(m, GridReady) for m in posted) == 3


def test_mouse_click_selects_a_node_and_double_click_follows(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy cart")
        view = app.graph_view
        target = next(n for n in view.scene.nodes.values() if n.title == "redis")
        offset = (target.x + 2 - int(view.scroll_x) + 1, target.y + 1 - int(view.scroll_y) + 1)
        await pilot.click("#graph", offset=offset)
        assert view.selected == ("node", target.id)
        await pilot.double_click("#graph", offset=offset)
        await settle(pilot)
        assert app.focus_node == target.id

    run(demo_app, scenario)


def test_light_theme_renders_the_same_views(tmp_path: Path) -> None:
    from kexplore.sources.demo import load_demo
    from kexplore.ui.app import make_app

    app = make_app(
        load_demo(), transcript_path=tmp_path / "s.jsonl", check_delay=0, theme="textual-light"
    )

    async def scenario(pilot: Pilot[None]) -> None:
        assert pilot.app.theme == "textual-light"
        assert not pilot.app.current_theme.dark
        await command(pilot, "deploy frontend")
        assert isinstance(pilot.app, KexploreApp)
        assert pilot.app.graph_view.scene.nodes

    run(app, scenario)


def test_policy_view_highlights_the_deciding_rule(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        key = edge_key(app, "shop/deploy/checkout", "pg.data.svc.cluster.local:5432")
        app.go(key[0], ("edge", key))
        await settle(pilot)
        report = app.ladder.report
        assert report is not None
        layer = report.layer("networkpolicy")
        assert layer is not None
        app.drill.show_layer(app.ex, report, layer)
        text = str(app.query_one("#drill-policy", Static).render())
        hot = [line for line in text.splitlines() if line.startswith("▶")]
        assert "networkpolicy data/pg-allow-clients" in text
        assert hot and hot[0].startswith("▶ ingress[0]:")
        assert all("from[1]" not in line for line in hot)

    run(demo_app, scenario)


def test_log_search_filters_the_bounded_buffer(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy recommendations")
        app.drill.open("logs")
        await pilot.pause()
        log = app.query_one("#log-lines", Log)
        assert len(log.lines) > 1
        app.query_one("#log-lines", Log).focus()
        await pilot.press("slash")
        assert app.focused is app.query_one("#log-search", Input)
        await pilot.press(*"model")
        lines = app.query_one("#log-lines", Log).lines
        assert lines and all("model" in line.lower() for line in lines)

    run(demo_app, scenario)


def test_palette_lists_every_action_and_session_end_is_recorded(
    demo_app: KexploreApp, tmp_path: Path
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        titles = {c.title for c in pilot.app.get_system_commands(pilot.app.screen)}
        assert {
            "Overview",
            "Back",
            "Next failing edge",
            "Mark source",
            "Mark target and check",
            "Copy kubectl command",
            "Matrix",
            "Edges",
            "Probe this edge",
            "Export transcript",
            "Contexts",
            "Keys",
        } <= titles

    run(demo_app, scenario)
    last = (tmp_path / "session.jsonl").read_text().splitlines()[-1]
    assert json.loads(last)["type"] == "session-end"


def test_live_seams_state_updated_freshness_and_contexts(tmp_path: Path) -> None:
    from kexplore.sources.demo import load_demo
    from kexplore.ui.app import make_app
    from kexplore.ui.messages import StateUpdated
    from kexplore.ui.screens import ContextScreen

    switched: list[str] = []
    app = make_app(
        load_demo(),
        transcript_path=tmp_path / "s.jsonl",
        check_delay=0,
        freshness=lambda: "live · updated 2s ago",
        contexts=lambda: ["prod", "staging"],
        switch_context=switched.append,
    )

    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(pilot.app, KexploreApp)
        assert "live · updated 2s ago" in str(pilot.app.query_one("#top", Static).render())
        newer = load_demo()
        newer.remove("Service", "shop", "search")
        pilot.app.post_message(StateUpdated(newer))
        await settle(pilot)
        assert node_id("Service", "shop", "search") not in pilot.app.ex.view
        await command(pilot, "ctx")
        assert isinstance(pilot.app.screen, ContextScreen)
        await pilot.press("down", "enter")
        await pilot.pause()

    run(app, scenario)
    assert switched == ["staging"]


def test_newest_state_wins_over_a_slower_older_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first graph (older data) finishing after a StateUpdated's must not replace it."""
    from kexplore.sources.demo import load_demo
    from kexplore.ui import app as app_module
    from kexplore.ui.app import make_app
    from kexplore.ui.explorer import Explorer
    from kexplore.ui.messages import StateUpdated

    older, newer = load_demo(), load_demo()
    newer.remove("Service", "shop", "search")
    released = threading.Event()
    build = Explorer.build

    def slow_for_older(state: ClusterState) -> Explorer:
        if state is older:
            released.wait(10)  # the first build is still running when newer data arrives
        return build(state)

    monkeypatch.setattr(app_module.Explorer, "build", staticmethod(slow_for_older))
    app = make_app(older, transcript_path=tmp_path / "s.jsonl", check_delay=0, sweep=False)
    search = node_id("Service", "shop", "search")

    shown: list[ClusterState] = []

    async def main() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()  # the first build (older data) has started and waits
            pilot.app.post_message(StateUpdated(newer))
            for _ in range(200):
                await pilot.pause(0.02)
                if app.ex.view:
                    break
            shown.append(app.ex.state)
            released.set()
            await settle(pilot)
            shown.append(app.ex.state)
            assert search not in app.ex.view

    asyncio.run(main())
    assert [state is newer for state in shown] == [True, True]


def test_a_static_vs_observed_disagreement_is_a_row_of_the_ladder(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        key = edge_key(app, "mesh-demo/deploy/ledger", "web:8080")
        app.go(key[0], ("edge", key))
        await settle(pilot)
        report = app.ladder.report
        assert report is not None and [d.layer for d in report.disagreements] == ["mesh"]
        rows = app.query_one("#ladder-rows", OptionList)
        last = rows.get_option_at_index(rows.option_count - 1)
        assert last.id == "disagreement-0" and "predicted pass" in str(last.prompt)
        # laid out like the layer rows: glyph, the 14-wide name column, then the summary
        layer_row, seen = str(rows.get_option("mesh").prompt), str(last.prompt)
        assert layer_row[15] == " " and layer_row[16] != " "
        assert seen[:16] == "≠ static≠seen   " and seen[16:].startswith("mesh predicted pass")
        assert "; observed " in seen
        rows.highlighted = rows.option_count - 1
        await settle(pilot)
        evidence = app.query_one("#drill-evidence", Static).content
        console = Console(width=200, color_system=None, file=io.StringIO())
        console.print(evidence)
        text = console.file.getvalue()  # type: ignore[attr-defined]
        assert "static-vs-observed" in text and "10.244.171.99" in text

    run(demo_app, scenario)


def test_export_refuses_to_write_through_a_symlink(demo_app: KexploreApp, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    (tmp_path / "out.md").symlink_to(victim)

    async def scenario(pilot: Pilot[None]) -> None:
        await command(pilot, f"export {tmp_path / 'out'}")

    run(demo_app, scenario)
    assert victim.read_text() == "keep\n"
    events = [json.loads(line) for line in (tmp_path / "session.jsonl").read_text().splitlines()]
    assert "export" not in {e["type"] for e in events}
