"""The live seam of the TUI: a LiveSession feeds make_app's freshness header and StateUpdated."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from fakeapi import FakeApiServer, FakeCluster, namespaced
from fakeapi import objects as o
from probe_cluster import WEB_IP, shop
from textual.containers import VerticalScroll
from textual.widgets import Log, OptionList, Static

from kexplore.model.state import ClusterState
from kexplore.sources.demo import load_demo
from kexplore.sources.live.client import RetryPolicy
from kexplore.sources.live.source import LiveSession, LiveSource
from kexplore.ui.app import make_app
from kexplore.ui.messages import CheckDone, ExplorerReady, StateUpdated


async def until(pilot: Any, done: Callable[[], bool]) -> bool:
    """Let the app run until `done()` holds (False after 30 s: the test's assert says what)."""
    for _ in range(600):
        await pilot.pause(0.05)
        if done():
            return True
    return False


def test_watched_changes_reach_the_app(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "cart-1", labels={"app": "cart"}))
    with FakeApiServer(cluster) as api:
        source = LiveSource(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc")))
        session = LiveSession(source, min_interval=0.05)
        state = session.load()
        app = make_app(
            state,
            transcript_path=tmp_path / "t.jsonl",
            freshness=session.freshness,
            contexts=lambda: session.source.contexts()[0],
            sweep=False,
        )

        async def scenario() -> set[str]:
            async with app.run_test(size=(120, 36)) as pilot:
                assert await until(pilot, lambda: bool(app.ex.view))  # built after the paint
                session.watch(lambda st: app.post_message(StateUpdated(st)))
                cluster.add(o.pod("shop", "cart-2", labels={"app": "cart"}))
                await until(pilot, lambda: "cart-2" in {p.metadata.name for p in app.ex.state.pods})
                return {p.metadata.name for p in app.ex.state.pods}

        try:
            names = asyncio.run(scenario())
        finally:
            session.stop()
    assert names == {"cart-1", "cart-2"}
    assert session.freshness().startswith(("live", "not watching"))


def test_unreadable_namespaces_are_marked_never_silently_empty(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.namespace("api"), o.pod("shop", "cart-1"))
    cluster.add(o.pod("api", "gateway-1"))
    with FakeApiServer(cluster, users=[namespaced("alice", ["shop"])]) as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc", user="alice", namespace="shop")
        state = LiveSource(kubeconfig=str(kubeconfig), namespaces=["shop", "api"]).load()
    app = make_app(state, transcript_path=tmp_path / "t.jsonl", sweep=False)

    async def scenario() -> tuple[list[str], str]:
        async with app.run_test(size=(160, 36)) as pilot:
            listing = app.query_one("#nav-list", OptionList)
            assert await until(pilot, lambda: listing.option_count > 0)  # after the first graph
            prompts = [
                str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)
            ]
            return prompts, str(app.query_one("#top", Static).render())

    prompts, top = asyncio.run(scenario())
    api_row = next(p for p in prompts if p.strip("▾▸ ").startswith("api"))
    assert "unreadable: forbidden: cannot list pods in namespace api" in api_row
    assert not any("unreadable" in p for p in prompts if "shop" in p)
    assert "unreadable: api" in top


def test_a_namespace_the_user_opens_is_read_then_watched(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.namespace("api"), o.namespace("ops"))
    cluster.add(o.pod("shop", "cart-1"), o.pod("api", "gateway-1"), o.pod("ops", "vault-1"))
    with FakeApiServer(cluster, users=[namespaced("alice", ["shop", "api"])]) as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc", user="alice", namespace="shop")
        session = LiveSession(LiveSource(kubeconfig=str(kubeconfig)), min_interval=0.05)
        state = session.load()
        app = make_app(
            state,
            transcript_path=tmp_path / "t.jsonl",
            open_namespace=session.open_namespace,
            sweep=False,
        )

        async def scenario() -> tuple[set[str], dict[str, str]]:
            async with app.run_test(size=(160, 36)) as pilot:
                assert await until(pilot, lambda: bool(app.ex.view))
                session.watch(lambda st: app.post_message(StateUpdated(st)))
                assert {p.namespace for p in app.ex.state.pods} == {"shop"}
                app.commands.execute("ns api")
                app.commands.execute("ns ops")

                def both_read() -> bool:
                    meta = app.ex.state.meta
                    return "ops" in meta.unreadable_namespaces() and "api" in meta.read_in["Pod"]

                assert await until(pilot, both_read)
                cluster.add(o.pod("api", "gateway-2"))  # and api is watched from now on
                await until(pilot, lambda: any(p.name == "gateway-2" for p in app.ex.state.pods))
                names = {p.name for p in app.ex.state.pods}
                return names, app.ex.state.meta.unreadable_namespaces()

        try:
            names, lost = asyncio.run(scenario())
        finally:
            session.stop()
    assert names == {"cart-1", "gateway-1", "gateway-2"}
    assert lost["ops"] == "forbidden: cannot list pods in namespace ops"


def test_an_adhoc_edge_survives_unrelated_updates_and_stays_selected(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(
        o.namespace("shop"),
        o.pod("shop", "web-1", labels={"app": "web"}, ip="10.0.0.11"),
        o.pod("shop", "cart-1", labels={"app": "cart"}, ip="10.0.0.12"),
        o.service("shop", "cart", {"app": "cart"}),
    )
    with FakeApiServer(cluster) as api:
        source = LiveSource(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc")))
        session = LiveSession(source, min_interval=0.05)
        app = make_app(session.load(), transcript_path=tmp_path / "t.jsonl", check_delay=0)

        def adhoc_edges() -> list[tuple[str, str, str]]:
            return [k for k in app.ex.talks() if k[2].startswith("adhoc ")]

        async def scenario() -> tuple[bool, bool, Any]:
            async with app.run_test(size=(120, 36)) as pilot:
                await until(pilot, lambda: bool(app.ex.view))
                app.run_adhoc("shop/web-1", "shop/svc/cart:80")
                assert await until(pilot, lambda: bool(adhoc_edges()))
                before = app.ex
                session.watch(lambda st: app.post_message(StateUpdated(st)))
                cluster.add(o.pod("shop", "other-1", labels={"app": "other"}, ip="10.0.0.13"))
                rebuilt = await until(pilot, lambda: app.ex is not before and bool(adhoc_edges()))
                await app.workers.wait_for_complete()
                await pilot.pause()
                edge = app.graph_view.selected_edge()
                checked = adhoc_edges()[0] in app.ex.reports
                return rebuilt, checked, edge.ident if edge else None

        try:
            rebuilt, checked, selected = asyncio.run(scenario())
        finally:
            session.stop()
    assert rebuilt and checked  # back in the new graph, checked against the new data
    assert selected is not None and selected[2] == "adhoc shop/svc/cart:80"


def test_the_header_counts_down_an_outage_and_recovers_at_80_columns(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "cart-1", labels={"app": "cart"}))
    api = FakeApiServer(cluster, bookmark_interval=3600)  # quiet watches: no bookmarks
    with api:
        source = LiveSource(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc")))
        source.conn.retry = RetryPolicy(attempts=3, base=0.05, cap=0.5)
        session = LiveSession(source, min_interval=0.05)
        app = make_app(
            session.load(),
            transcript_path=tmp_path / "t.jsonl",
            freshness=session.freshness,
            sweep=False,
        )

        def top() -> str:
            return str(app.query_one("#top", Static).render())

        async def scenario() -> tuple[str, str]:
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: bool(app.ex.view))
                session.watch(lambda st: app.post_message(StateUpdated(st)))
                assert await until(pilot, lambda: "live" in top())
                api.stop()  # the API server goes away…
                assert await until(pilot, lambda: "reconnecting" in top())
                down = top()
                with FakeApiServer(cluster, bookmark_interval=3600, port=api.port):  # …and back
                    assert await until(pilot, lambda: "reconnecting" not in top())
                    return down, top()

        try:
            down, back = asyncio.run(scenario())
        finally:
            session.stop()
    assert re.search(r"reconnecting (in \d+ s|now)", down)
    assert " live" in back


def web_calls_cart() -> FakeCluster:
    """shop/web-1 dials cart:80 (env CART_URL), served by cart-1: the edge passes."""
    cluster = shop()
    web = o.pod("shop", "web-1", {"app": "web"}, containers=("web",), ip=WEB_IP, ports=())
    web["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    web["spec"]["containers"][0]["env"] = [{"name": "CART_URL", "value": "http://cart:80"}]
    cluster.add(web)
    return cluster


def test_an_update_keeps_the_users_place_and_every_pane_switches_at_once(tmp_path: Path) -> None:
    cluster = web_calls_cart()
    with FakeApiServer(cluster) as api:
        source = LiveSource(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc")))
        session = LiveSession(source, min_interval=0.05)
        transcript = tmp_path / "t.jsonl"
        app = make_app(session.load(), transcript_path=transcript, check_delay=0)
        swaps: list[tuple[object, ...]] = []
        ready = app.builder.ready

        def spy(message: ExplorerReady) -> None:  # what the panes show right after a swap
            ready(message)
            shown, key = app.ladder.report, app.graph_view.selected
            verdict = app.graph_view.verdicts.get(key[1]) if key else None
            layer = app.ladder.selected_layer()
            swaps.append((key, verdict, shown and shown.verdict, layer and layer.id))
            swaps.append((app.drill.active_tab, shown is app.ex.reports.get(key[1])))

        app.builder.ready = spy  # type: ignore[method-assign]

        async def scenario() -> tuple[Any, str]:
            async with app.run_test(size=(120, 36)) as pilot:
                assert await until(pilot, lambda: bool(app.ex.talks()))
                [key] = app.ex.talks()
                app.go(key[0], ("edge", key))
                assert await until(pilot, lambda: app.ladder.report is not None)
                assert app.ladder.report is not None and app.ladder.report.verdict == "pass"
                app.ladder.rows.highlighted = app.ladder.layer_ids.index("dns")  # the user's
                app.action_tab("yaml")  # place: a layer and a tab
                await pilot.pause()
                before = len(transcript.read_text().splitlines())
                session.watch(lambda st: app.post_message(StateUpdated(st)))
                cluster.delete("v1", "Pod", "shop", "cart-1")  # the edge breaks
                cluster.delete("discovery.k8s.io/v1", "EndpointSlice", "shop", "cart-x")
                assert await until(pilot, lambda: swaps[-2][2] == "fail")
                await pilot.pause()
                after = transcript.read_text().splitlines()[before:]
                assert not [e for e in after if '"navigate"' in e or '"select"' in e], after
                await app.workers.wait_for_complete()  # the sweep, before the app closes
                return key, app.ladder.selected_layer()

        try:
            key, layer = asyncio.run(scenario())
        finally:
            session.stop()
    selected, verdict, ladder_verdict, layer_id = swaps[-2]
    assert selected == ("edge", key) and verdict == ladder_verdict == "fail"  # in one step
    assert layer_id == "dns" and swaps[-1] == ("yaml", True)  # the same place, new data
    assert layer is not None and layer.id == "dns"


def test_an_update_keeps_the_drill_downs_scroll(tmp_path: Path) -> None:
    app = make_app(load_demo(), transcript_path=tmp_path / "t.jsonl", check_delay=0)

    async def scenario() -> tuple[float, bool, str]:
        async with app.run_test(size=(120, 24)) as pilot:
            assert await until(pilot, lambda: bool(app.ex.failing()))
            key = app.ex.failing()[0]
            app.go(key[0], ("edge", key))
            assert await until(pilot, lambda: app.ladder.report is not None)
            app.action_tab("yaml")
            box = app.drill.query_one("#tab-yaml").query_one(VerticalScroll)
            assert await until(pilot, lambda: box.max_scroll_y > 2)
            box.scroll_to(y=2, animate=False)
            assert await until(pilot, lambda: box.scroll_y == 2)
            before = app.ex
            app.post_message(StateUpdated(load_demo()))  # the same cluster, read again
            assert await until(pilot, lambda: app.ex is not before)
            await app.workers.wait_for_complete()  # the sweep, before the app closes
            return box.scroll_y, app.graph_view.selected == ("edge", key), app.drill.active_tab

    scroll, same_edge, tab = asyncio.run(scenario())
    assert scroll == 2 and same_edge and tab == "yaml"


def demo_with_long_logs() -> ClusterState:
    """The demo, its recommendations pod having written 40 more lines."""
    state = load_demo()
    log = state.logs[0]
    assert log.pod.startswith("recommendations-")
    more = "".join(f"\nserving request {i}" for i in range(40))
    state.logs[0] = msgspec.structs.replace(log, text=log.text + more)
    return state


def test_an_update_leaves_a_reader_of_the_logs_where_they_were(tmp_path: Path) -> None:
    app = make_app(demo_with_long_logs(), transcript_path=tmp_path / "t.jsonl", check_delay=0)

    async def scenario() -> tuple[float, float]:
        async with app.run_test(size=(120, 20)) as pilot:
            assert await until(pilot, lambda: bool(app.ex.talks()))
            key = next(
                k
                for k in app.ex.talks()
                if app.ex.edge_texts(k) == ("shop/deploy/frontend", "recommendations:8080")
            )
            app.go(key[0], ("edge", key))
            assert await until(pilot, lambda: app.ladder.report is not None)
            app.action_tab("logs")
            log = app.drill.query_one("#log-lines", Log)
            assert await until(pilot, lambda: log.max_scroll_y > 1)  # shown at its end
            log.scroll_to(y=1, animate=False)  # the user scrolls up to read
            assert await until(pilot, lambda: log.scroll_y == 1)
            before = app.ex
            app.post_message(StateUpdated(demo_with_long_logs()))
            assert await until(pilot, lambda: app.ex is not before)
            await until(pilot, lambda: log.scroll_y == 1)  # not moved to the end for good
            await app.workers.wait_for_complete()  # the sweep, before the app closes
            return log.scroll_y, log.max_scroll_y

    scroll, end = asyncio.run(scenario())
    assert scroll == 1 and end > 1


def test_a_report_that_arrives_while_the_app_closes_is_dropped(tmp_path: Path) -> None:
    app = make_app(load_demo(), transcript_path=tmp_path / "t.jsonl", check_delay=0)

    async def scenario() -> None:
        async with app.run_test(size=(120, 36)) as pilot:
            assert await until(pilot, lambda: bool(app.ex.reports))
            await app.workers.wait_for_complete()

    asyncio.run(scenario())
    key, report = next(iter(app.ex.reports.items()))
    app.checks.done(CheckDone(key, report, data=app.ex.state))  # a sweep's late report: no error
