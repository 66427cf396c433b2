"""The watch's change log against the fake API server: what changed on an edge's objects,
who changed it and when, and nothing about unrelated objects."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakeapi import FakeApiServer, FakeCluster
from fakeapi import objects as o

from kexplore.checks.ladder import check_edge
from kexplore.fixes.recent import recent, recent_lines
from kexplore.sources.live.watch import copy_state
from tests.sources.live.test_watch import wait_for, watching


def managed(obj: dict[str, Any], *entries: tuple[str, str, str]) -> dict[str, Any]:
    """The object with managedFields as the API server writes them (manager, operation, time)."""
    fields = [{"manager": m, "operation": op, "time": t, "fieldsV1": {}} for m, op, t in entries]
    return {**obj, "metadata": {**obj["metadata"], "managedFields": fields}}


def shop() -> FakeCluster:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.namespace("ops"), o.node("node-1"))
    cluster.add(o.pod("shop", "web-1", labels={"app": "web"}, ip="10.0.0.5"))
    cluster.add(o.pod("shop", "cart-1", labels={"app": "cart", "tier": "a"}, ip="10.0.0.7"))
    cluster.add(o.pod("shop", "other-1", labels={"app": "other"}, ip="10.0.0.9"))
    cluster.add(o.pod("ops", "tool-1", labels={"app": "tool"}, ip="10.0.1.3"))
    cluster.add(o.service("shop", "cart", {"app": "cart"}))
    return cluster


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_label_change_on_the_edges_pod_shows_with_its_manager_and_time(tmp_path: Path) -> None:
    cluster = shop()
    with FakeApiServer(cluster) as api, watching(api, tmp_path) as w:
        changed = o.pod("shop", "cart-1", labels={"app": "cart", "tier": "b"}, ip="10.0.0.7")
        cluster.add(
            managed(
                changed,
                ("kube-controller-manager", "Update", "2026-01-01T00:00:00Z"),
                ("kubectl-label", "Update", "2026-12-05T06:01:02Z"),
            )
        )
        cluster.add(o.pod("shop", "other-1", labels={"app": "other", "v": "2"}, ip="10.0.0.9"))
        cluster.add(o.pod("ops", "tool-1", labels={"app": "tool", "v": "2"}, ip="10.0.1.3"))
        wait_for(lambda: len(w.watcher.changes) >= 3, "the pod changes heard")  # in order
        cluster.add(o.network_policy("shop", "deny-all"), o.network_policy("ops", "deny-ops"))
        cluster.add(o.event("shop", "cart-1.a", "Pod", "cart-1", "Unhealthy", "failed", now()))
        cluster.add(o.event("shop", "cart-1.old", "Pod", "cart-1", "Pulled", "long ago"))
        wait_for(lambda: len(w.watcher.changes) >= 5, "five changes heard")
        wait_for(lambda: len(w.state.events) >= 2, "both events")
        state = copy_state(w.state, w.watcher.lock)
        found = recent(w.watcher.changes, state, check_edge(state, "shop/web-1", "cart:80"))

    what = [c.what().split(" (rv")[0] for c in found.changes]
    assert what == ["added networkpolicy shop/deny-all", "modified pod shop/cart-1"]
    label = found.changes[1]
    assert label.manager is not None
    assert (label.manager.manager, label.manager.time) == ("kubectl-label", "2026-12-05T06:01:02Z")
    assert label.fields == ("metadata.labels.tier: a → b",)
    assert label.resource_version
    assert found.elsewhere == 3  # other-1, tool-1, deny-ops: heard, not shown
    assert [e.reason for e in found.events] == ["Unhealthy"]  # the old event is out of window
    text = "\n".join(line for _, line in recent_lines(found))
    assert "by kubectl-label (Update) at 2026-12-05T06:01:02Z" in text
    assert "other-1" not in text and "tool-1" not in text and "deny-ops" not in text


def test_nothing_recent_says_since_when_it_has_watched(tmp_path: Path) -> None:
    cluster = shop()
    with FakeApiServer(cluster) as api, watching(api, tmp_path) as w:
        cluster.add(o.pod("ops", "tool-1", labels={"app": "tool", "v": "2"}, ip="10.0.1.3"))
        wait_for(lambda: len(w.watcher.changes) >= 1, "the unrelated change")
        state = copy_state(w.state, w.watcher.lock)
        found = recent(w.watcher.changes, state, check_edge(state, "shop/web-1", "cart:80"))
    assert not found.changes
    reason = recent_lines(found)[0][1]
    assert reason.startswith("no changes recorded on the ")
    assert "since the watch started at " in reason
    assert "1 change(s) heard on other objects" in reason
