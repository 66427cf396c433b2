"""Progressive start: the first frame shows the load's progress, the namespaces come before
the rest, and keys are handled while a slow source is still being read."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Callable
from pathlib import Path

from fakeapi import FakeApiServer, FakeCluster
from fakeapi import objects as o
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input

from kexplore.cli import parse_args, snapshot_background, tui_app
from kexplore.errors import InputError
from kexplore.inputs import MIB
from kexplore.model.state import ClusterState, SourceMeta
from kexplore.sources.demo import load_demo
from kexplore.ui.app import KexploreApp, make_app
from kexplore.ui.loading import Background, LoadStatus, progress_table
from kexplore.ui.navigator import Navigator

WAIT = 600  # polls of 50 ms


async def until(pilot: Pilot[None], test: Callable[[], bool]) -> None:
    for _ in range(WAIT):
        if test():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never got there")


def nav_ids(app: KexploreApp) -> list[str]:
    listing = app.query_one(Navigator).listing
    return [str(listing.get_option_at_index(i).id) for i in range(listing.option_count)]


def shown_text(status: LoadStatus) -> str:
    """What the progress widget shows, as plain text."""
    assert status.progress is not None and status.display
    console = Console(width=100, file=io.StringIO())
    console.print(progress_table(status.progress, status.what))
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def slowed_demo(release: threading.Event) -> Background:
    """The demo, its namespaces at once, the rest only once `release` is set."""

    def load(first: Callable[[ClusterState], None]) -> ClusterState:
        state = load_demo()
        namespaces = ClusterState(state.meta)
        namespaces.add_all(state.namespaces)
        background.progress.update("Namespace", len(state.namespaces), 100, 100)
        background.progress.done("Namespace", len(state.namespaces))
        background.progress.update("Pod", 1, 10, 1000)
        first(namespaces)
        release.wait()  # however slow the machine: the test (or its `finally`) sets it
        return state

    background = Background(load)
    return background


def test_keys_are_handled_before_a_slow_load_ends(tmp_path: Path) -> None:
    release = threading.Event()
    app = make_app(
        ClusterState(),
        transcript_path=tmp_path / "t.jsonl",
        sweep=False,
        background=slowed_demo(release),
    )
    seen: dict[str, object] = {}

    async def scenario() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            status = app.query_one(LoadStatus)
            await until(pilot, lambda: "Namespace:shop" in nav_ids(app))
            seen["progress"] = shown_text(status)
            listing = app.query_one(Navigator).listing
            await pilot.press("1", "down")
            before = listing.highlighted
            await pilot.press("down")
            seen["moved"] = (before, listing.highlighted)
            await pilot.press("slash", *"shop")
            await until(pilot, lambda: nav_ids(app) == ["Namespace:shop"])
            seen["filtered"] = nav_ids(app)
            seen["loading"] = app.loading
            seen["pods_meanwhile"] = len(app.ex.state.pods)
            release.set()
            await until(pilot, lambda: bool(app.ex.state.pods) and not app.loading)
            await pilot.press("escape")
            await until(pilot, lambda: any(i.startswith("Deployment:") for i in nav_ids(app)))
            seen["status_shown"] = status.display
            await app.workers.wait_for_complete()

    try:
        asyncio.run(scenario())
    finally:
        release.set()
    assert seen["loading"] is True and seen["pods_meanwhile"] == 0
    before, after = seen["moved"]  # type: ignore[misc]
    assert before is not None and after == before + 1  # the navigator moved during the load
    assert seen["filtered"] == ["Namespace:shop"]
    progress = str(seen["progress"])
    assert "Namespace" in progress and "Pod" in progress and "1/2 kinds" in progress
    assert seen["status_shown"] is False


def write_snapshot(directory: Path) -> Path:
    """Two namespaces, a pod and a service, one List file per kind as the API returns them."""
    directory.mkdir()
    meta = lambda name, ns="": {"name": name, **({"namespace": ns} if ns else {})}  # noqa: E731
    lists = {
        "namespaces": [{"metadata": meta("shop")}, {"metadata": meta("web")}],
        "pods": [
            {
                "metadata": {**meta("cart-1", "shop"), "labels": {"app": "cart"}},
                "spec": {"containers": [{"name": "c"}]},
                "status": {"phase": "Running", "podIP": "10.0.0.5"},
            }
        ],
        "services": [
            {
                "metadata": meta("cart", "shop"),
                "spec": {"selector": {"app": "cart"}, "ports": [{"port": 80}]},
            }
        ],
    }
    for name, items in lists.items():
        kind = name.capitalize().rstrip("s") + "List"
        (directory / f"{name}.json").write_text(json.dumps({"kind": kind, "items": items}))
    return directory


def box_words(app: KexploreApp) -> tuple[str, str]:
    """The words on the overview's box of namespace shop."""
    assert app.scenes.overview is not None
    box = app.scenes.overview.nodes["Namespace:shop"]
    return box.info, box.foot


def test_a_snapshot_lists_its_namespaces_and_answers_keys_while_the_rest_is_held(
    tmp_path: Path,
) -> None:
    snapshot = write_snapshot(tmp_path / "snap")
    release = threading.Event()
    seen: dict[str, object] = {}
    background = snapshot_background([str(snapshot)], 64 * MIB)
    read = background.load

    def held(first: Callable[[ClusterState], None]) -> ClusterState:
        def then_hold(namespaces: ClusterState) -> None:
            first(namespaces)  # the read pauses here until the namespaces are on screen
            seen["shown_before_the_rest"] = app.ex.state is namespaces
            release.wait(30)  # the real reader, held

        return read(then_hold)

    background.load = held
    start = ClusterState(SourceMeta(source=f"snapshot {snapshot}"))
    app = make_app(start, transcript_path=tmp_path / "t.jsonl", background=background)

    async def scenario() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: nav_ids(app) == ["Namespace:shop", "Namespace:web"])
            seen["progress"] = shown_text(app.query_one(LoadStatus))
            seen["box"] = box_words(app)
            listing = app.query_one(Navigator).listing
            await pilot.press("1", "home", "down")
            seen["highlighted"] = listing.highlighted
            await pilot.press("slash", *"web")
            await until(pilot, lambda: nav_ids(app) == ["Namespace:web"])
            seen["loading"], seen["pods"] = app.loading, len(app.ex.state.pods)
            release.set()
            await until(pilot, lambda: not app.loading and bool(app.ex.state.pods))
            await pilot.press("escape")
            await until(pilot, lambda: "Service:shop/cart" in nav_ids(app))
            seen["box_after"] = box_words(app)
            await app.workers.wait_for_complete()

    try:
        asyncio.run(scenario())
    finally:
        release.set()
    assert seen["loading"] is True and seen["pods"] == 0  # keys answered during the read
    assert seen["highlighted"] == 1
    assert seen["shown_before_the_rest"] is True
    progress = str(seen["progress"])  # every file is listed, with its size, before it is read
    assert ", 1/3" in progress and "pods.json" in progress and "services.json" in progress
    assert seen["box"] == ("reading…", "")  # no counts of objects not read yet
    assert seen["box_after"] == ("1 workload · 1 service", "0 policies")


def test_a_snapshot_that_cannot_be_read_ends_the_app_with_its_error(tmp_path: Path) -> None:
    args = parse_args(["--snapshot", str(tmp_path / "missing")])
    app, stop = tui_app(args)

    async def scenario() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: app.loader.error is not None)

    asyncio.run(scenario())
    stop()
    assert isinstance(app.loader.error, InputError) and "no such file" in app.loader.error.message


def test_live_namespaces_are_listed_while_the_pods_are_held(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.namespace("web"), o.pod("shop", "cart-1"))
    with FakeApiServer(cluster) as api:
        held = api.hold("get /api/v1/pods")
        kubeconfig = api.write_kubeconfig(tmp_path / "kc")
        args = parse_args(["--kubeconfig", str(kubeconfig)])
        app, stop = tui_app(args)
        seen: dict[str, object] = {}

        async def scenario() -> None:
            async with app.run_test(size=(120, 36)) as pilot:
                await until(pilot, lambda: {"Namespace:shop", "Namespace:web"} <= set(nav_ids(app)))
                await pilot.press("slash", "w")
                seen["typed"] = app.query_one("#nav-filter", Input).value
                seen["loading"], seen["pods"] = app.loading, len(app.ex.state.pods)
                held.set()
                await until(pilot, lambda: not app.loading and bool(app.ex.state.pods))
                seen["after"] = [p.metadata.name for p in app.ex.state.pods]
                await app.workers.wait_for_complete()

        try:
            asyncio.run(scenario())
        finally:
            held.set()
            stop()
    assert seen["typed"] == "w" and seen["loading"] is True and seen["pods"] == 0
    assert seen["after"] == ["cart-1"]


def test_a_big_listing_is_filtered_in_a_worker_showing_the_newest_query(tmp_path: Path) -> None:
    app = make_app(load_demo(), transcript_path=tmp_path / "t.jsonl", sweep=False)
    seen: dict[str, object] = {}

    async def scenario() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: bool(app.ex.view))
            nav = app.query_one(Navigator)
            nav.sync_rows = 0  # as if the demo were a big cluster
            await pilot.press("slash", *"redi")
            seen["box"] = app.query_one("#nav-filter", Input).value
            await pilot.press("s")
            await until(pilot, lambda: not app.key_work_pending())
            seen["rows"] = nav_ids(app)
            await app.workers.wait_for_complete()

    asyncio.run(scenario())
    assert seen["box"] == "redi"
    rows = set(seen["rows"])  # type: ignore[call-overload]
    assert "Namespace:data" in rows and "Deployment:data/redis" in rows
    assert not any(r.startswith("Deployment:shop/") for r in rows)
