"""Drill-down fetches: container logs (tail, previous, since, follow) and an object's events."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fakeapi import FakeApiServer, FakeCluster
from fakeapi import objects as o

from kexplore.errors import NotFoundError, SourceError
from kexplore.sources.live.source import LiveSource


def cluster_with_logs() -> FakeCluster:
    cluster = FakeCluster()
    cluster.add(o.pod("shop", "cart-1"), o.pod("shop", "two", containers=("app", "istio-proxy")))
    cluster.append_log("shop", "cart-1", "app", "old line", at=time.time() - 3600)
    cluster.append_log("shop", "cart-1", "app", *[f"line {i}" for i in range(1, 6)])
    cluster.append_log("shop", "cart-1", "app", "panic: nil map", previous=True)
    cluster.add(
        o.event(
            "shop", "e2", "Pod", "cart-1", "BackOff", "Back-off restarting", "2026-01-01T00:02:00Z"
        ),
        o.event("shop", "e1", "Pod", "cart-1", "Pulled", "pulled image", "2026-01-01T00:01:00Z"),
        o.event("shop", "e3", "Pod", "two", "Unhealthy", "probe failed"),
    )
    return cluster


def source(api: FakeApiServer, tmp_path: Path) -> LiveSource:
    return LiveSource(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc")))


def test_tail_previous_and_since(tmp_path: Path) -> None:
    with FakeApiServer(cluster_with_logs()) as api:
        live = source(api, tmp_path)
        everything = live.logs("shop", "cart-1")
        tail = live.logs("shop", "cart-1", tail=2)
        previous = live.logs("shop", "cart-1", previous=True)
        recent = live.logs("shop", "cart-1", since_seconds=600)
    assert everything.splitlines() == ["old line"] + [f"line {i}" for i in range(1, 6)]
    assert tail.splitlines() == ["line 4", "line 5"]
    assert previous == "panic: nil map\n"
    assert "old line" not in recent and "line 5" in recent


def test_several_containers_need_a_name(tmp_path: Path) -> None:
    with FakeApiServer(cluster_with_logs()) as api:
        live = source(api, tmp_path)
        with pytest.raises(SourceError) as err:
            live.logs("shop", "two")
        assert live.logs("shop", "two", container="istio-proxy") == ""
    assert "choose one of: [app istio-proxy]" in err.value.message


def test_missing_pod_and_missing_previous(tmp_path: Path) -> None:
    with FakeApiServer(cluster_with_logs()) as api:
        live = source(api, tmp_path)
        with pytest.raises(NotFoundError):
            live.logs("shop", "gone")
        with pytest.raises(SourceError) as err:
            live.logs("shop", "two", container="app", previous=True)
    assert "previous terminated container" in err.value.message


def test_follow_streams_new_lines(tmp_path: Path) -> None:
    cluster = cluster_with_logs()
    with FakeApiServer(cluster) as api:
        follow = source(api, tmp_path).follow_logs("shop", "cart-1", tail=1)
        lines: list[str] = []
        got_tail, got_three = threading.Event(), threading.Event()

        def read() -> None:
            for line in follow:
                lines.append(line)
                got_tail.set()
                if len(lines) == 3:
                    got_three.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        # the tail is read first: lines written before the server read the log would be
        # counted in the tail (a race under load)
        assert got_tail.wait(60), "the tail never came"
        cluster.append_log("shop", "cart-1", "app", "line 6", "line 7")
        assert got_three.wait(60), lines
        follow.close()
        reader.join(10)
    assert lines == ["line 5", "line 6", "line 7"]
    assert not reader.is_alive()


def test_follow_ends_when_the_container_stops(tmp_path: Path) -> None:
    cluster = cluster_with_logs()
    with FakeApiServer(cluster) as api:
        follow = iter(source(api, tmp_path).follow_logs("shop", "cart-1", tail=1))
        first = next(follow)  # the stream is open and has sent the tail: now the pod writes
        cluster.append_log("shop", "cart-1", "app", "shutting down")
        cluster.close_log("shop", "cart-1", "app")
        lines = [first, *follow]
    assert lines == ["line 5", "shutting down"]


def test_events_of_one_object_oldest_first(tmp_path: Path) -> None:
    with FakeApiServer(cluster_with_logs()) as api:
        events = source(api, tmp_path).events_for("Pod", "shop", "cart-1")
        [request] = api.requests("get /api/v1/namespaces/shop/events")
    assert [e.reason for e in events] == ["Pulled", "BackOff"]
    assert request.params["fieldSelector"] == "involvedObject.kind=Pod,involvedObject.name=cart-1"
