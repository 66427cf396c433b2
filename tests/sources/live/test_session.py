"""LiveSession: coalesced state copies for the UI, and the freshness line for its header."""

from __future__ import annotations

import threading
from pathlib import Path

import yaml
from fakeapi import FakeApiServer, FakeCluster
from fakeapi import objects as o

from kexplore.model.state import ClusterState
from kexplore.sources.live.source import LiveSession, LiveSource
from kexplore.sources.live.watch import Freshness, freshness_text


def test_updates_arrive_as_independent_copies(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.pod("shop", "a"))
    copies: list[ClusterState] = []
    got = threading.Event()

    def on_change(state: ClusterState) -> None:
        copies.append(state)
        if {p.metadata.name for p in state.pods} == {"a", "b", "c"}:
            got.set()

    with FakeApiServer(cluster) as api:
        source = LiveSource(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc")))
        session = LiveSession(source, min_interval=0.05)
        first = session.load()
        session.watch(on_change)
        cluster.add(o.pod("shop", "b"), o.pod("shop", "c"))
        try:
            assert got.wait(60), [len(c.pods) for c in copies]
            header = session.freshness()
        finally:
            session.stop()
    assert [p.metadata.name for p in first.pods] == ["a"]  # earlier copies never change
    assert copies[-1].meta.time >= first.meta.time and copies[-1].meta.context == "fake"
    assert header == "live"


NOW = 1_000_000.0


def fresh(key: str, status: str, age: float, detail: str = "", retry: float = 0) -> Freshness:
    return Freshness(key, None, status, NOW - age, 0, detail, NOW + retry)


def test_freshness_line() -> None:
    live = [fresh("Pod", "live", 300), fresh("Service", "live", 1)]
    assert freshness_text(live, NOW) == "live"  # open watches are current, however quiet
    failing = [*live, fresh("Node", "retrying", 125, "API server unreachable", 3.2)]
    assert freshness_text(failing, NOW) == (
        "reconnecting in 4 s · data from 2m ago · API server unreachable"
    )
    assert freshness_text(failing, NOW + 5).startswith("reconnecting now · data from 2m ago")
    assert freshness_text([*live, fresh("Pod", "relisting", 3)], NOW).startswith("relisting Pod")
    forbidden = [*live, fresh("Secret", "stopped", 9, "forbidden: cannot watch secrets")]
    assert freshness_text(forbidden, NOW) == (
        "live · not watched: Secret: forbidden: cannot watch secrets"
    )
    lost = [*live, fresh("Pod", "forbidden", 9, "forbidden: cannot list pods", 1)]
    assert freshness_text(lost, NOW) == (
        "permission lost in all namespaces, retry in 1 s · 1 kind · forbidden: cannot list pods"
    )
    assert freshness_text([], NOW) == "live (not watching)"


def test_switching_context_replaces_the_data_and_the_watches(tmp_path: Path) -> None:
    one, two = FakeCluster(), FakeCluster()
    one.add(o.pod("shop", "from-one"))
    two.add(o.pod("shop", "from-two"))
    copies: list[ClusterState] = []
    switched = threading.Event()
    errors: list[str] = []

    def on_change(state: ClusterState) -> None:
        copies.append(state)
        if "from-two-later" in {p.metadata.name for p in state.pods}:
            switched.set()

    with FakeApiServer(one) as api_one, FakeApiServer(two) as api_two:
        kubeconfig = api_one.kubeconfig(context="one")
        other = api_two.kubeconfig(context="two")
        for item in ("clusters", "users", "contexts"):
            kubeconfig[item] += other[item]
        path = tmp_path / "kc"
        path.write_text(yaml.safe_dump(kubeconfig))
        session = LiveSession(LiveSource(kubeconfig=str(path)), min_interval=0.05)
        first = session.load()
        session.watch(on_change)
        try:
            session.switch_context("nope", on_error=lambda e: errors.append(e.one_line())).join(60)
            session.switch_context("two").join(60)
            two.add(o.pod("shop", "from-two-later"))
            assert switched.wait(60), [sorted(p.metadata.name for p in c.pods) for c in copies]
        finally:
            session.stop()
    assert [p.metadata.name for p in first.pods] == ["from-one"]
    assert copies[-1].meta.context == "two" and session.source.context == "two"
    assert {p.metadata.name for p in copies[-1].pods} == {"from-two", "from-two-later"}
    assert errors and "'nope' is not in the kubeconfig" in errors[0]
