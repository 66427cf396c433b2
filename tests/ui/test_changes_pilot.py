"""`h` and `:changes [N]m`: the live changes on the selected edge's objects, newest first,
in a window; nothing about other objects; a session without a watch says why."""

from __future__ import annotations

import time
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from kexplore.model.changes import Change, ChangeLog, Manager
from kexplore.sources.demo import load_demo
from kexplore.ui.app import KexploreApp, make_app
from kexplore.ui.changes import ChangesScreen, window_minutes
from ui.test_app_pilot import command, edge_key, run, settle


def _log(now: float) -> ChangeLog:
    log = ChangeLog(now - 3600)
    edit = Manager("kubectl-edit", "Update", "2026-12-05T06:01:02Z")
    log.record(
        Change(now - 2400, "Service", "shop", "search", "modified", "40", edit, ("spec.x: 1 → 2",))
    )
    log.record(Change(now - 90, "Pod", "payments", "payments-api-1", "modified", "41"))
    selector = ("spec.selector.tier: backend → backnd",)
    log.record(Change(now - 60, "Service", "shop", "search", "modified", "42", edit, selector))
    return log


def _lines(app: KexploreApp) -> list[str]:
    assert isinstance(app.screen, ChangesScreen)
    return str(app.screen.query_one("#changes-list", Static).render()).splitlines()


def test_changes_on_the_edges_objects_in_the_window_newest_first(tmp_path: Path) -> None:
    log = _log(time.time())
    app = make_app(
        load_demo(), transcript_path=tmp_path / "t.jsonl", check_delay=0, changes=lambda: log
    )

    async def scenario(pilot: Pilot[None]) -> None:
        await command(pilot, "deploy frontend")
        app.graph_view.select(("edge", edge_key(app, "shop/deploy/frontend", "search:8080")))
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        lines = _lines(app)
        assert "modified service shop/search (rv 42) by kubectl-edit" in lines[0]
        assert lines[1].strip() == "spec.selector.tier: backend → backnd"
        assert not any("rv 40" in line or "payments" in line for line in lines)
        await pilot.press("escape")
        await command(pilot, "changes 60m")
        assert [line for line in _lines(app) if "rv 4" in line][1].find("rv 40") > 0
        await pilot.press("escape")
        await command(pilot, "changes soon")
        assert "give a window like 15m" in [n.message for n in app._notifications][-1]

    run(app, scenario)


def test_without_a_live_watch_it_says_changes_need_one(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("h")
        await settle(pilot)
        assert (
            "recorded while watching a live cluster"
            in [n.message for n in demo_app._notifications][-1]
        )
        assert not isinstance(demo_app.screen, ChangesScreen)

    run(demo_app, scenario)


def test_windows() -> None:
    assert [window_minutes(w) for w in ("15m", "90", "2h", "0m", "1d", "")] == [
        15,
        90,
        120,
        None,
        None,
        None,
    ]
