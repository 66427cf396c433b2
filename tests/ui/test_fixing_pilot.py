"""`f` shows the selected edge's fixes, `w` applies one to a scratch copy (the graph recolours,
the header says it is hypothetical), esc returns to the real data."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from kexplore.checks.result import Status
from kexplore.sources.demo import load_demo
from kexplore.ui.app import KexploreApp
from kexplore.ui.fixing import BANNER, FixScreen
from kexplore.ui.messages import StateUpdated
from ui.test_app_pilot import command, edge_key, run, settle

SEARCH = ("shop/deploy/frontend", "search:8080")


async def _select(pilot: Pilot[None], source: str, target: str) -> tuple[str, str, str]:
    app = pilot.app
    assert isinstance(app, KexploreApp)
    await command(pilot, "deploy frontend")
    key = edge_key(app, source, target)
    app.graph_view.select(("edge", key))
    await settle(pilot)
    return key


def test_f_shows_the_fix_and_w_applies_it_hypothetically_until_esc(
    demo_app: KexploreApp, tmp_path: Path
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        key = await _select(pilot, *SEARCH)
        assert app.ex.reports[key].failing_layer == "service"
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FixScreen)
        assert "tier: backend" in screen.fixes[0].diff
        await pilot.press("w")
        await settle(pilot)
        assert app.fixing.active
        assert BANNER in str(app.query_one("#top", Static).render())
        assert app.ex.reports[edge_key(app, *SEARCH)].verdict is Status.PASS
        await pilot.press("escape")
        await settle(pilot)
        assert not app.fixing.active
        assert BANNER not in str(app.query_one("#top", Static).render())
        assert app.ex.reports[edge_key(app, *SEARCH)].failing_layer == "service"

    run(demo_app, scenario)
    events = [json.loads(line) for line in (tmp_path / "session.jsonl").read_text().splitlines()]
    kinds = [e["type"] for e in events]
    assert "what-if" in kinds and "what-if-end" in kinds
    start, end = kinds.index("what-if"), kinds.index("what-if-end")
    assert "check" not in kinds[start:end]  # hypothetical ladders are not the session's checks


def test_f_on_an_edge_that_is_not_a_configuration_fault_says_no_patch(
    demo_app: KexploreApp,
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        await _select(pilot, "shop/deploy/frontend", "recommendations:8080")
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FixScreen) and screen.fixes == []
        await pilot.press("w")  # nothing to apply
        await settle(pilot)
        assert isinstance(app, KexploreApp) and not app.fixing.active

    run(demo_app, scenario)


def test_live_data_during_a_what_if_waits_for_esc(demo_app: KexploreApp) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await _select(pilot, *SEARCH)
        await pilot.press("w")
        await settle(pilot)
        assert app.fixing.active
        newer = load_demo()
        newer.meta.source = "live, newer"
        app.post_message(StateUpdated(newer))
        await settle(pilot)
        assert BANNER in str(app.query_one("#top", Static).render())  # still hypothetical
        await pilot.press("escape")
        await settle(pilot)
        assert app.ex.state is newer

    run(demo_app, scenario)


def test_what_if_shows_set_aside_observations_as_stale_in_the_drill_down(
    demo_app: KexploreApp,
) -> None:
    """cart → redis was observed timing out; with the policy fix applied hypothetically that
    probe no longer holds: the layer predicts, and its evidence says what was set aside."""
    redis = ("shop/deploy/cart", "redis.data:6379")

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await command(pilot, "deploy cart")
        app.graph_view.select(("edge", edge_key(app, *redis)))
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert app.fixing.active
        report = app.ex.reports[edge_key(app, *redis)]
        layer = report.layer("reachability")
        assert layer is not None
        assert layer.summary.startswith(
            "stale (what-if changed networkpolicy data/redis-allow-clients): "
        )
        app.drill.show_layer(app.ex, report, layer)
        await settle(pilot)
        console = Console(width=300, color_system=None, file=io.StringIO())
        console.print(app.drill.query_one("#drill-evidence", Static).content)
        shown = console.file.getvalue()  # type: ignore[attr-defined]
        assert "stale (what-if changed networkpolicy data/redis-allow-clients)" in shown
        assert "stale: recorded before the change; it said timeout" in shown

    run(demo_app, scenario)
