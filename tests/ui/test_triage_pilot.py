"""The TUI as a triage tool: failures first on the first screen, the fails-first edge list,
and a transcript of what the user looked at (not the start's automatic checks)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, Tab, Tabs

from kexplore.checks.result import Status
from kexplore.ui.app import KexploreApp
from kexplore.ui.drill.pane import TABS, LogView
from kexplore.ui.navigator import Navigator
from kexplore.ui.screens import EdgesScreen, HelpScreen
from ui.test_app_pilot import command, edge_key, run, settle
from ui.test_probes_pilot import _text


def text_of(widget: Static) -> str:
    return str(widget.render())


def events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_header_counts_failing_and_warn_edges_and_names_the_next_key(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        tally = app.ex.tally()
        assert tally[Status.FAIL] > 0
        top = text_of(app.query_one("#top", Static))
        assert f"✗ {tally[Status.FAIL]} failing" in top
        assert f"{tally[Status.WARN]} warn" in top
        assert "] next" in top
        assert "checking" not in top  # the sweep is over

    run(demo_app, scenario)


def test_header_keeps_the_counts_when_narrow(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        top = text_of(pilot.app.query_one("#top", Static))
        assert "failing" in top and "] next" in top
        assert "2026-" not in top  # the data's time gives way first

    run(demo_app, scenario, size=(60, 24))


def test_edge_list_puts_failures_first_filters_and_opens(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await pilot.press("exclamation_mark")
        screen = app.screen
        assert isinstance(screen, EdgesScreen)
        verdicts = [r[3].verdict if r[3] else None for r in screen.shown]
        order = [Status.FAIL, Status.UNKNOWN, Status.WARN, None, Status.PASS]
        assert verdicts == sorted(verdicts, key=order.index)
        assert verdicts[0] is Status.FAIL
        await pilot.press("slash", *"search")
        table = screen.query_one(DataTable)
        assert table.row_count == len(screen.shown) > 0
        assert all("search" in r[2] or "search" in r[1] for r in screen.shown)
        await pilot.press("escape")  # clears the filter, keeps the list
        assert app.screen is screen and not screen.query_one(Input).value
        assert len(screen.shown) == len(screen.rows)
        await pilot.press("slash", *"search", "enter", "enter")
        await settle(pilot)
        chosen = screen.shown[0][0]
        assert not isinstance(app.screen, EdgesScreen)
        edge = app.graph_view.selected_edge()
        assert edge is not None and edge.ident == chosen

    run(demo_app, scenario)


def test_transcript_records_what_was_looked_at_not_the_start_sweep(
    demo_app: KexploreApp, tmp_path: Path
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        assert len(app.ex.reports) > 10  # the sweep checked every edge
        assert not [e for e in events(tmp_path / "session.jsonl") if e["type"] == "check"]
        await command(pilot, "deploy frontend")
        app.graph_view.select(("edge", edge_key(app, "shop/deploy/frontend", "search:8080")))
        await settle(pilot)

    run(demo_app, scenario)
    checks = [e for e in events(tmp_path / "session.jsonl") if e["type"] == "check"]
    assert len(checks) == 1
    assert json.dumps(checks[0]).count("search") >= 1


def visible(app: KexploreApp, selector: str) -> bool:
    region = app.query_one(selector).region
    return region.width >= 20 and region.height >= 3


def test_at_80x24_every_pane_is_reachable_and_nothing_essential_is_cut(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        assert visible(app, "#graph") and visible(app, "#ladder")
        await pilot.press("right_square_bracket")  # a failing edge: its whole ladder
        await settle(pilot)
        rows = app.ladder.rows
        assert rows.option_count >= len(app.ladder.layer_ids) >= 10
        assert rows.max_scroll_y == 0  # the last ladder row shows
        title = str(app.query_one("#ladder-title", Static).render())
        edge = app.graph_view.selected_edge()
        assert edge is not None
        texts = app.ex.edge_texts(edge.ident)
        assert texts is not None and texts[1] in title.replace("\n", "")  # wrapped, not cut
        await pilot.press("4")
        await pilot.pause()
        assert visible(app, "#drill") and not visible(app, "#ladder")
        last_tab = list(app.query("ContentTab"))[-1].region
        drill = app.query_one("#drill").region
        assert last_tab.width and last_tab.right <= drill.right  # every tab shows
        await pilot.press("1")
        await pilot.pause()
        assert visible(app, "#nav") and not visible(app, "#graph")
        assert app.focused is app.query_one("#nav-list")
        await pilot.press("3")
        await pilot.pause()
        assert visible(app, "#ladder") and visible(app, "#graph")
        keys = str(app.query_one("#keys").render())
        assert "] next fail" in keys and "tabs" in keys

    run(demo_app, scenario, size=(80, 24))


def test_z_maximizes_each_pane_and_restores(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        for key, pane in (("1", "#nav"), ("2", "#graph"), ("3", "#ladder"), ("4", "#drill")):
            await pilot.press(key)
            await pilot.pause()
            await pilot.press("z")
            await pilot.pause()
            assert app.screen.maximized is app.query_one(pane), pane
            await pilot.press("z")
            await pilot.pause()
            assert app.screen.maximized is None

    run(demo_app, scenario)


def test_a_maximized_pane_fills_the_screen_even_where_it_is_held_small(
    demo_app: KexploreApp,
) -> None:
    """The ladder is at most 90 columns wide and a focus view's graph as tall as its drawing;
    `z` lifts both limits while the pane is maximized and puts the graph's back after."""

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await pilot.press("]")  # a focus view: the graph fits its drawing
        await settle(pilot)
        fit = app.graph_view.size.height
        for key, pane in (("2", "#graph"), ("3", "#ladder")):
            await pilot.press(key, "z")
            await pilot.pause()
            assert app.query_one(pane).region.size == app.screen.size, pane
            await pilot.press("z")
            await pilot.pause()
        assert app.graph_view.size.height == fit

    run(demo_app, scenario, size=(160, 45))


async def open_edge(pilot: Pilot[None], source: str, target: str) -> KexploreApp:
    app = pilot.app
    assert isinstance(app, KexploreApp)
    await command(pilot, f"deploy {source.rsplit('/', 1)[1]}")
    app.graph_view.select(("edge", edge_key(app, source, target)))
    await settle(pilot)
    return app


def test_probes_tab_shows_this_edges_probes_first_and_labels_the_others(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = await open_edge(pilot, "shop/deploy/frontend", "cart:8080")
        await pilot.press("b")
        assert app.drill.active_tab == "probes"
        text = _text(app.query_one("#drill-probes", Static))
        first = text.splitlines()[0]
        assert "frontend" in first and ("cart" in first or "10.96.12.40:8080" in first)
        assert "catalog" not in text.split("not this edge")[0]  # another edge's probe
        assert "other probes of these pods or this target (not this edge)" in text
        assert "other edge: recorded" in text.split("not this edge")[1]
        assert "frontend" in app.drill.command() and "catalog" not in app.drill.command()

    run(demo_app, scenario)


def test_y_on_the_ladder_copies_the_failing_layers_first_command(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = await open_edge(pilot, "shop/deploy/frontend", "search:8080")
        report = app.ladder.report
        assert report is not None and report.failing_layer == "service"
        failing = next(r for r in report.layers if r.id == "service")
        await pilot.press("3", "y")
        assert app.clipboard == failing.commands[0]

    run(demo_app, scenario)


def test_logs_mark_the_lines_about_the_edge_and_empty_tabs_say_why(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = await open_edge(pilot, "shop/deploy/frontend", "search:8080")
        policy = _text(app.query_one("#drill-policy", Static))
        assert policy.startswith("no NetworkPolicy decided this edge")
        app = await open_edge(pilot, "shop/deploy/checkout", "auth-api.auth:8080")
        await pilot.press("l")
        assert app.drill.active_tab == "logs"
        lines = app.drill.query_one(LogView).lines
        marked = [line for line in lines if line.startswith("▶ ")]
        assert len(marked) == 2 and all("sub=svc:checkout" in line for line in marked)
        assert any(line.startswith("  ") and "stats:" in line for line in lines)

    run(demo_app, scenario)


def test_k9s_resource_lists_filter_and_esc(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        nav = app.query_one(Navigator)
        for word, kind in (
            ("pods", "Pod"),
            ("svc", "Service"),
            ("deploy", "Deployment"),
            ("netpol", "NetworkPolicy"),
            ("ns", "Namespace"),
        ):
            await command(pilot, word)
            await pilot.pause()
            ids = [
                nav.listing.get_option_at_index(i).id or "" for i in range(nav.listing.option_count)
            ]
            assert ids and all(i.startswith(f"{kind}:") for i in ids), word
            assert app.focused is nav.listing
        await command(pilot, "pods")
        await pilot.press("slash", *"cart")
        await pilot.pause()
        shown = nav.listing.option_count
        assert 0 < shown < len(nav.pods)
        await pilot.press("enter", "escape")  # the filter, then the list, are cleared
        await pilot.pause()
        assert nav.kinds == ("Pod",) and nav.listing.option_count == len(nav.pods)
        await pilot.press("escape")
        assert nav.kinds is None
        await command(pilot, "pods")
        await pilot.press("slash", *"cart", "enter", "down", "enter")
        await settle(pilot)
        assert app.focus_node == "Deployment:shop/cart"  # a pod opens as its workload

    run(demo_app, scenario)


def test_drill_tab_keys_help_titles_and_ctrl_c(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy frontend")
        labels = {tab.id: tab.label.plain for tab in app.drill.query_one(Tabs).query(Tab)}
        assert len(labels) == len(TABS)
        for tab_id, label in labels.items():
            key = re.fullmatch(r"[a-z]*\[([a-z])\][a-z]*", label)
            assert key, label  # the key reads in brackets, without colour
            await pilot.press(key[1])
            assert tab_id and tab_id.endswith(f"tab-{app.drill.active_tab}"), (label, tab_id)
        await pilot.resize_terminal(120, 36)  # too narrow for brackets: underlined, none cut
        await settle(pilot)
        tabs = list(app.drill.query_one(Tabs).query(Tab))
        assert not any("[" in tab.label.plain for tab in tabs)
        assert sum(len(tab.label.plain) + 1 for tab in tabs) <= app.drill.content_size.width
        await pilot.press("3", "question_mark")
        screen = app.screen
        assert isinstance(screen, HelpScreen) and screen.where == "ladder"
        table = screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        keys = [key for key, _ in rows]
        assert "/" in keys and "]" in keys and "slash" not in keys
        assert len(keys) == len(set(keys))
        assert "super+c" not in keys and not any("selected text" in does for _, does in rows)
        await pilot.press("escape", "ctrl+c")
        await pilot.pause()
        assert not app.is_running

    run(demo_app, scenario, size=(160, 45))


def test_command_mode_suggests_close_names(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        await command(pilot, "ns shpo")
        await command(pilot, "deploy frontnd")
        said = [str(n.message) for n in app._notifications]
        assert any("'shpo'" in s and "did you mean 'shop'?" in s for s in said)
        assert any("'frontnd'" in s and "did you mean 'frontend'?" in s for s in said)

    run(demo_app, scenario)
