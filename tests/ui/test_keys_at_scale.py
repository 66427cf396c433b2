"""What keeps keys from waiting on a big cluster: the filter's index finds what a test of
every row finds, esc lists everything once, pane keys leave the screen's classes alone when
every pane is shown, quitting during a load stops the reading at once, and a check asked
for during the load waits for the data (not for its graph)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.message import Message
from textual.pilot import Pilot

from kexplore.checks.ladder import check_edge
from kexplore.model.state import ClusterState
from kexplore.sources.demo import load_demo
from kexplore.sources.progress import LoadCancelled, LoadProgress
from kexplore.ui.app import make_app
from kexplore.ui.explorer import Explorer
from kexplore.ui.loading import Background
from kexplore.ui.messages import CheckDone, CheckFailed, SweepDone
from kexplore.ui.navigator import (
    Listing,
    Navigator,
    make_row,
    options_for,
    prepare_listing,
    row_matches,
)
from ui.test_app_pilot import run, settle
from ui.test_loading import nav_ids, slowed_demo, until

QUERIES = ["redis", "svc", "deploy data", "app=redis", "!svc", "shop !pod", "zzz", "Service"]


@pytest.fixture(scope="module")
def listing() -> Listing:
    state = load_demo()
    return prepare_listing(state, Explorer.build(state).view)


@pytest.mark.parametrize("query", QUERIES)
def test_the_filter_index_finds_what_testing_every_row_finds(listing: Listing, query: str) -> None:
    test = row_matches(query)
    expected = set()
    for ns in listing.namespaces:
        rows = [r for r in listing.by_ns.get(ns, []) if test(r)]
        ns_row = make_row(f"Namespace:{ns}", "Namespace", ns, ns, listing.namespace_labels[ns])
        if rows or test(ns_row):
            expected |= {ns_row[0], *(r[0] for r in rows)}
    shown = {str(o.id) for o in options_for(listing, set(), query) if o.id}
    assert shown == expected


def test_a_listing_is_never_spelled_out_by_repr(listing: Listing) -> None:
    """A worker is described by repr of its work: 12,000 rows took 180 ms per key."""
    assert listing.total > 50 and len(repr(listing)) < 100


def test_esc_lists_everything_once_without_a_second_filter(tmp_path: Path) -> None:
    app = make_app(load_demo(), transcript_path=tmp_path / "t.jsonl", sweep=False)
    filtered: list[str] = []
    ids: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        nav = pilot.app.query_one(Navigator)
        nav.sync_rows = 0  # as if the demo were a big cluster: filters run in a worker
        await pilot.press("slash", *"redis")
        await until(pilot, lambda: not nav.filtering)
        filtered.append(nav.shown_query or "")
        await pilot.press("escape")
        await settle(pilot)
        filtered.append(nav.shown_query or "")
        ids.extend(nav_ids(app))

    posted = run(app, scenario)
    results = [m.query for m in posted if isinstance(m, Navigator.Filtered)]
    assert filtered == ["redis", ""]
    assert "" not in results  # esc listed everything itself: no worker filtered ""
    assert any(i.startswith("Namespace:") for i in ids) and len(ids) > 1


def test_pane_keys_change_the_screens_classes_only_when_panes_take_turns(tmp_path: Path) -> None:
    seen: dict[int, list[set[str]]] = {}

    for width in (120, 80):
        app = make_app(load_demo(), transcript_path=tmp_path / f"{width}.jsonl", sweep=False)

        async def scenario(pilot: Pilot[None], width: int = width) -> None:
            for key in "142":
                await pilot.press(key)
                await pilot.pause()
                shown = {c for c in pilot.app.screen.classes if c.startswith("-show")}
                seen.setdefault(width, []).append(shown)

        run(app, scenario, size=(width, 36))
    assert seen[120] == [set(), set(), set()]
    assert seen[80] == [{"-show-nav"}, {"-show-drill"}, set()]


def test_narrowing_the_terminal_shows_the_pane_chosen_while_wide(tmp_path: Path) -> None:
    app = make_app(load_demo(), transcript_path=tmp_path / "t.jsonl", sweep=False)
    seen: list[set[str]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("1")
        await pilot.pause()
        seen.append(set(pilot.app.screen.classes))
        await pilot.resize_terminal(80, 36)
        await pilot.pause()
        seen.append(set(pilot.app.screen.classes))

    run(app, scenario)
    assert "-show-nav" not in seen[0] and {"-narrow", "-show-nav"} <= seen[1]


def endless_load(started: threading.Event, outcome: list[str]) -> Background:
    """A source that reads forever (until cancelled), reporting progress as readers do."""

    def load(first: Callable[[ClusterState], None]) -> ClusterState:
        progress = background.progress
        started.set()
        try:
            for chunk in range(3000):  # 30 s: a quit that waited for the load would see it end
                progress.update("Pod", chunk, chunk * 65536)
                threading.Event().wait(0.01)
        except LoadCancelled:
            outcome.append("cancelled")
            raise
        outcome.append("read to the end")
        return ClusterState()

    background = Background(load)
    return background


def test_quitting_during_a_load_stops_its_reading(tmp_path: Path) -> None:
    started, outcome = threading.Event(), []
    background = endless_load(started, outcome)
    app = make_app(ClusterState(), transcript_path=tmp_path / "t.jsonl", background=background)
    seen: dict[str, object] = {}

    async def scenario() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, started.is_set)
            seen["loading"] = app.loading
            await pilot.press("q")
        seen["running"] = app.is_running

    asyncio.run(scenario())
    for _ in range(200):  # the load thread sees the cancel at its next chunk
        if outcome:
            break
        threading.Event().wait(0.05)
    assert seen == {"loading": True, "running": False}
    assert outcome == ["cancelled"]


def test_a_cancelled_progress_stops_the_thread_that_reports_to_it() -> None:
    progress = LoadProgress()
    progress.update("Pod", 1, 100)
    progress.cancel()
    with pytest.raises(LoadCancelled):
        progress.update("Pod", 2, 200)
    with pytest.raises(LoadCancelled):
        progress.done("Pod", 2)
    assert [k.items for k in progress.kinds()] == [1]


def test_keys_reach_the_navigator_while_a_load_reads(tmp_path: Path) -> None:
    """The load's thread reports progress all along; the navigator still moves and filters."""
    started, outcome = threading.Event(), []
    app = make_app(
        load_demo(), transcript_path=tmp_path / "t.jsonl", background=endless_load(started, outcome)
    )
    seen: dict[str, object] = {}

    async def scenario() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: started.is_set() and bool(app.ex.view))
            nav = app.query_one(Navigator)
            await pilot.press("1", "down")
            before = nav.listing.highlighted
            await pilot.press("down")
            seen["moved"] = (before, nav.listing.highlighted)
            await pilot.press("slash", *"redis")
            await until(pilot, lambda: nav.shown_query == "redis")
            seen["rows"] = nav_ids(app)
            seen["loading"] = app.loading
            await pilot.press("q")

    asyncio.run(scenario())
    before, after = seen["moved"]  # type: ignore[misc]
    assert seen["loading"] is True and before is not None and after == before + 1
    assert "Deployment:data/redis" in seen["rows"]  # type: ignore[operator]


def test_a_check_asked_for_during_the_load_waits_for_the_data_then_runs_on_it(
    tmp_path: Path,
) -> None:
    release = threading.Event()
    app = make_app(
        ClusterState(),
        transcript_path=tmp_path / "t.jsonl",
        sweep=False,
        check_delay=0,
        background=slowed_demo(release),
    )
    pair = ("shop/deploy/frontend", "auth-api.auth:8080")
    posted: list[Message] = []
    seen: dict[str, object] = {}

    async def scenario() -> None:
        async with app.run_test(size=(120, 36), message_hook=posted.append) as pilot:
            await until(pilot, lambda: "Namespace:shop" in nav_ids(app))
            await pilot.press("colon", *f"check {' '.join(pair)}", "enter")
            await pilot.pause()
            seen["waiting"] = app.checks.waiting is not None and app.loading
            seen["ladder"] = str(app.ladder.rows.get_option_at_index(0).prompt)
            release.set()
            await until(pilot, lambda: any(isinstance(m, CheckDone) for m in posted))
            await settle(pilot)

    try:
        asyncio.run(scenario())
    finally:
        release.set()
    assert seen["waiting"] is True and "waiting for the data" in str(seen["ladder"])
    assert not [m for m in posted if isinstance(m, CheckFailed)]  # never run on namespaces
    done = next(m for m in posted if isinstance(m, CheckDone))
    expected = check_edge(load_demo(), *pair)
    assert done.adhoc == pair and done.report.verdict == expected.verdict
    assert done.report.failing_layer == expected.failing_layer


def test_background_checks_wait_while_keys_are_pressed(tmp_path: Path) -> None:
    app = make_app(load_demo(), transcript_path=tmp_path / "t.jsonl", sweep=True)
    app.last_key = time.monotonic() + 3600  # as if a key had just been pressed, for an hour
    posted: list[Message] = []
    seen: dict[str, int] = {}

    async def scenario() -> None:
        async with app.run_test(size=(120, 36), message_hook=posted.append) as pilot:
            await until(pilot, lambda: any(w.group == "sweep" for w in app.workers))
            await pilot.pause(0.5)
            seen["while typing"] = sum(isinstance(m, CheckDone) for m in posted)
            app.last_key = 0.0  # the user stopped
            await until(pilot, lambda: any(isinstance(m, SweepDone) for m in posted))
            seen["after"] = sum(isinstance(m, CheckDone) for m in posted)

    asyncio.run(scenario())
    assert seen["while typing"] == 0 and seen["after"] == len(app.ex.talks())
