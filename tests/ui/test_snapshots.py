"""SVG snapshots of the main views (pytest-textual-snapshot), built through make_app."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kexplore.sources.demo import load_demo
from kexplore.ui.app import KexploreApp, make_app

SnapCompare = Callable[..., bool]


def app_for(tmp_path: Path) -> KexploreApp:
    return make_app(load_demo(), transcript_path=tmp_path / "session.jsonl", check_delay=0)


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def goto_edge(source: str, target: str, tab: str = "") -> Callable[[Pilot[Any]], Any]:
    """run_before: focus the source, select its edge to target, optionally open a drill tab."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await settle(pilot)
        key = next(k for k in app.ex.talks() if app.ex.edge_texts(k) == (source, target))
        app.go(key[0], ("edge", key))
        await settle(pilot)
        if tab:
            app.drill.open(tab)
        await settle(pilot)

    return run_before


def test_overview(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(app_for(tmp_path), terminal_size=(120, 36), run_before=settle)


def test_failing_service_edge(snap_compare: SnapCompare, tmp_path: Path) -> None:
    run_before = goto_edge("shop/deploy/frontend", "search:8080")
    assert snap_compare(app_for(tmp_path), terminal_size=(120, 36), run_before=run_before)


def test_policy_drill_down(snap_compare: SnapCompare, tmp_path: Path) -> None:
    run_before = goto_edge("shop/deploy/cart", "redis.data:6379", "policy")
    assert snap_compare(app_for(tmp_path), terminal_size=(120, 36), run_before=run_before)


def test_small_terminal(snap_compare: SnapCompare, tmp_path: Path) -> None:
    run_before = goto_edge("shop/deploy/frontend", "recommendations:8080")
    assert snap_compare(app_for(tmp_path), terminal_size=(80, 24), run_before=run_before)


def test_networkpolicy_matrix(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await settle(pilot)
        app.commands.execute("matrix shop data")
        await settle(pilot)
        await app.screen.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app_for(tmp_path), terminal_size=(120, 36), run_before=run_before)
