"""The list-then-watch cache against the fake API server: events, 410 relists, bookmarks, faults."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import kmock
from fakeapi import FakeApiServer, FakeCluster, Rule, User, namespaced
from fakeapi import objects as o

from kexplore.model.state import ClusterState
from kexplore.sources.live.client import RetryPolicy
from kexplore.sources.live.source import LiveSource
from kexplore.sources.live.watch import Freshness, StateWatcher, freshness_text


def wait_for(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Wait (generously) until `condition` holds; fail naming `what` if it never does."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


class Watched:
    """A loaded state, its watcher, and every Freshness report."""

    def __init__(self, state: ClusterState, watcher: StateWatcher) -> None:
        self.state = state
        self.watcher = watcher
        self.reports: list[Freshness] = []

    def pod_names(self) -> set[str]:
        with self.watcher.lock:
            return {p.metadata.name for p in self.state.pods}


@contextmanager
def watching(
    api: FakeApiServer, tmp_path: Path, user: str = "admin", namespace: str = "default"
) -> Iterator[Watched]:
    kubeconfig = api.write_kubeconfig(tmp_path / "kc", user=user, namespace=namespace)
    live = LiveSource(kubeconfig=str(kubeconfig))
    live.conn.retry = RetryPolicy(attempts=3, base=0.05)
    state = live.load()
    reports: list[Freshness] = []
    watcher = live.watch(state, on_update=reports.append)
    watched = Watched(state, watcher)
    watched.reports = reports
    try:
        yield watched
    finally:
        watcher.stop()


def base_cluster() -> FakeCluster:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "a"), o.pod("shop", "b"))
    return cluster


def test_events_are_applied_to_the_state(tmp_path: Path) -> None:
    cluster = base_cluster()
    with FakeApiServer(cluster) as api, watching(api, tmp_path) as w:
        cluster.add(o.pod("shop", "c"))
        wait_for(lambda: w.pod_names() == {"a", "b", "c"}, "ADDED pod c")
        cluster.add(o.pod("shop", "c", labels={"v": "2"}))
        wait_for(lambda: w.state.get("Pod", "shop", "c").metadata.labels == {"v": "2"}, "MODIFIED")
        cluster.delete("v1", "Pod", "shop", "a")
        wait_for(lambda: w.pod_names() == {"b", "c"}, "DELETED pod a")
    pod_reports = [r for r in w.reports if r.key == "Pod"]
    assert pod_reports[-1].status == "stopped"
    assert max(r.changes for r in pod_reports) == 3


def test_gone_resource_version_relists_and_drops_deleted_objects(tmp_path: Path) -> None:
    cluster = base_cluster()
    with FakeApiServer(cluster) as api, watching(api, tmp_path) as w:
        # the first pod watch must be open before the hold, or it is the one held (slow CI)
        wait_for(lambda: len(pod_watches(api)) >= 1, "the first pod watch")
        release = api.hold("get /api/v1/pods", watch_only=True)
        api.end_watches()  # every watch reconnects, and pods' reconnect waits for `release`
        cluster.delete("v1", "Pod", "shop", "a")
        cluster.compact()  # the history the reconnect asks for is gone: 410
        cluster.add(o.pod("shop", "z"))
        release.set()
        wait_for(lambda: w.pod_names() == {"b", "z"}, "relist after 410")
        wait_for(lambda: len(pod_watches(api)) >= 3, "a new watch after the relist")
        statuses = [r.status for r in w.reports if r.key == "Pod"]
        requests = api.requests("get /api/v1/pods")
    assert "relisting" in statuses
    assert "live" in statuses[statuses.index("relisting") :]
    lists = [r for r in requests if not r.params.get("watch")]
    watches = [r for r in requests if r.params.get("watch")]
    assert len(lists) == 2  # the first load and the relist
    assert len(watches) >= 3  # first watch, the one answered 410, the one after the relist


def pod_watches(api: FakeApiServer) -> list[kmock.Request]:
    return [r for r in api.requests("get /api/v1/pods") if r.params.get("watch")]


def test_bookmarks_move_the_resume_point(tmp_path: Path) -> None:
    cluster = base_cluster()
    with FakeApiServer(cluster) as api, watching(api, tmp_path) as w:
        listed_rv = int(w.state.get("Pod", "shop", "b").metadata.resource_version)
        cluster.add(o.service("shop", "cart", {"app": "cart"}))  # moves the global version on
        moved_to = cluster.resource_version
        heard = len([r for r in w.reports if r.key == "Pod"])
        # no pod changes: only bookmarks confirm the pods; the second one is surely newer
        wait_for(lambda: len([r for r in w.reports if r.key == "Pod"]) >= heard + 2, "bookmarks")
        before = len(pod_watches(api))
        api.end_watches()
        wait_for(lambda: len(pod_watches(api)) > before, "the pod watch reconnects")
        resumed_at = int(pod_watches(api)[-1].params["resourceVersion"])
    assert moved_to > listed_rv
    assert resumed_at >= moved_to
    assert w.pod_names() == {"a", "b"}


def test_server_errors_while_watching_are_retried_and_reported(tmp_path: Path) -> None:
    cluster = base_cluster()
    with FakeApiServer(cluster) as api, watching(api, tmp_path) as w:
        api.fail("get /api/v1/pods", 503, times=2, message="etcd leader changed")
        api.end_watches()
        wait_for(
            lambda: any(r.status == "retrying" for r in w.reports if r.key == "Pod"),
            "a retrying report",
        )
        cluster.add(o.pod("shop", "after"))
        wait_for(lambda: "after" in w.pod_names(), "recovery after the 503s")
    retrying = next(r for r in w.reports if r.key == "Pod" and r.status == "retrying")
    assert "503" in retrying.detail and "etcd leader changed" in retrying.detail
    assert retrying.retry_at > retrying.confirmed_at  # when the next try is, for a countdown


def test_a_quiet_watch_without_bookmarks_stays_live(tmp_path: Path) -> None:
    with (
        FakeApiServer(base_cluster(), bookmark_interval=3600) as api,
        watching(api, tmp_path) as w,
    ):
        wait_for(lambda: len(pod_watches(api)) >= 1, "the pod watch is open")
        wait_for(lambda: all(f.status == "live" for f in w.watcher.freshness()), "all live")
        ten_minutes_later = time.time() + 600  # no event, no bookmark meanwhile
        assert freshness_text(w.watcher.freshness(), ten_minutes_later) == "live"


def test_an_outage_is_counted_down_and_the_reconnected_watch_is_live(tmp_path: Path) -> None:
    cluster = base_cluster()
    with FakeApiServer(cluster, bookmark_interval=3600) as api:  # no bookmark confirms it
        port = api.port
        live = LiveSource(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc")))
        live.conn.retry = RetryPolicy(attempts=3, base=0.05, cap=0.5)
        state = live.load()
        watcher = live.watch(state)
        wait_for(lambda: len(pod_watches(api)) >= 1, "the pod watch is open")
    try:  # the server is gone: connections are refused
        wait_for(lambda: header(watcher).startswith("reconnecting"), "reconnecting")
        down = header(watcher)
        with FakeApiServer(cluster, bookmark_interval=3600, port=port):  # and back
            wait_for(lambda: header(watcher) == "live", "live again, with no event")
            cluster.add(o.pod("shop", "after"))
            wait_for(lambda: state.get("Pod", "shop", "after") is not None, "watching again")
    finally:
        watcher.stop()
    assert re.fullmatch(
        r"reconnecting (in \d+ s|now) · data from \d+s ago · cannot connect .*", down
    )


def header(watcher: StateWatcher) -> str:
    return freshness_text(watcher.freshness(), time.time())


def test_watch_forbidden_stops_that_collection_with_the_reason(tmp_path: Path) -> None:
    lister = User("lister", rules=(Rule(verbs=frozenset({"get", "list"})),))
    with (
        FakeApiServer(base_cluster(), users=[lister]) as api,
        watching(api, tmp_path, "lister") as w,
    ):
        wait_for(
            lambda: any(r.status == "stopped" for r in w.reports if r.key == "Pod"),
            "the pod watch stops",
        )
        stopped = next(r for r in w.reports if r.key == "Pod" and r.status == "stopped")
    assert stopped.detail.startswith("forbidden") and "watch" in stopped.detail
    assert w.pod_names() == {"a", "b"}  # the listed data stays


def test_stop_ends_every_thread(tmp_path: Path) -> None:
    with FakeApiServer(base_cluster()) as api, watching(api, tmp_path) as w:
        wait_for(lambda: len(w.watcher.freshness()) > 0, "watches started")
    assert all(r.status == "stopped" for r in w.watcher.freshness())
    assert not [t for t in threading.enumerate() if t.name.startswith("watch-") and t.is_alive()]


def test_unreadable_watch_stream_is_reported_and_retried(tmp_path: Path) -> None:
    cluster = base_cluster()
    with FakeApiServer(cluster) as api, watching(api, tmp_path) as w:
        served: list[bool] = []

        def garbage_once() -> bytes:
            if served:
                raise NotImplementedError  # then the default API answers
            served.append(True)
            return b"<html>proxy error</html>\n"

        api.on_loop(lambda: api.handler["get /api/v1/pods"][is_watch] << garbage_once)
        api.end_watches()
        cluster.add(o.pod("shop", "later"))
        wait_for(lambda: "later" in w.pod_names(), "recovery after the unreadable stream")
    retrying = [r for r in w.reports if r.key == "Pod" and r.status == "retrying"]
    assert retrying and "unreadable" in retrying[0].detail


def is_watch(request: kmock.Request) -> bool:
    return request.params.get("watch") in ("1", "true")


def test_secret_watch_asks_for_metadata_only(tmp_path: Path) -> None:
    cluster = base_cluster()
    cluster.add(o.secret("shop", "db"))
    with FakeApiServer(cluster) as api, watching(api, tmp_path) as w:
        wait_for(lambda: watches_of(api, "/api/v1/secrets") != [], "the secret watch")
        [request, *_] = watches_of(api, "/api/v1/secrets")
        cluster.add(o.secret("shop", "api-key"))
        wait_for(lambda: w.state.get("Secret", "shop", "api-key") is not None, "secret ADDED")
    accept = next(v for k, v in request.headers.items() if k.lower() == "accept")
    assert accept.startswith("application/json;as=PartialObjectMetadata;")


def watches_of(api: FakeApiServer, path: str) -> list[kmock.Request]:
    return [r for r in api.requests(f"get {path}") if is_watch(r)]


def test_permission_revoked_mid_watch_is_shown_and_watching_resumes(tmp_path: Path) -> None:
    cluster = base_cluster()
    with (
        FakeApiServer(cluster, users=[namespaced("alice", ["shop"])]) as api,
        watching(api, tmp_path, "alice", "shop") as w,
    ):
        wait_for(lambda: any(r.key == "Pod" and r.status == "live" for r in w.reports), "watch")
        assert w.state.meta.read_in["Pod"] == ["shop"]
        api.add_user(namespaced("alice", []))  # the RoleBinding is deleted
        api.end_watches()
        wait_for(lambda: w.pod_names() == set(), "the unreadable pods leave the state")
        lost = next(r for r in w.reports if r.key == "Pod" and r.status == "forbidden")
        assert "cannot list pods in namespace shop" in lost.detail
        assert "permission lost in shop" in freshness_text(w.watcher.freshness(), 0)
        with w.watcher.lock:
            assert w.state.meta.gap("Pod", "shop").startswith("forbidden")
        api.add_user(namespaced("alice", ["shop"]))  # and restored
        wait_for(lambda: w.pod_names() == {"a", "b"}, "the pods come back")
        cluster.add(o.pod("shop", "c"))
        wait_for(lambda: w.pod_names() == {"a", "b", "c"}, "watching resumed")
        with w.watcher.lock:
            assert w.state.meta.gap("Pod", "shop") == ""
