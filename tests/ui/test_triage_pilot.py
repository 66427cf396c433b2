"""The TUI as a triage tool: failures first on the first screen, the fails-first edge list,
and a transcript of what the user looked at (not the start's automatic checks)."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from kexplore.checks.result import Status
from kexplore.ui.app import KexploreApp
from kexplore.ui.screens import EdgesScreen
from ui.test_app_pilot import command, edge_key, run, settle


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
