"""What-if marks observations stale: probe results, proxy logs and events recorded before the
change no longer hold for the objects it changed; those layers fall back to their static
part with the prediction and say `stale (what-if changed X)`; other edges keep theirs."""

from __future__ import annotations

import pytest

from kexplore.checks.result import Status
from kexplore.fixes.edits import PATCH, Edit, ObjectKey
from kexplore.fixes.propose import propose
from kexplore.fixes.whatif import EdgeSpec, canonical, run_edge, what_if
from kexplore.model.state import ClusterState
from kexplore.sources.demo import load_demo

REDIS = EdgeSpec("shop/deploy/cart", "redis.data:6379")


@pytest.fixture(scope="module")
def demo() -> ClusterState:
    return load_demo()


@pytest.fixture(scope="module")
def admit_cart(demo: ClusterState) -> list[Edit]:
    """The proposed fix: the redis policy admits the cart pods."""
    report = run_edge(demo, REDIS)
    assert report is not None
    fix = propose(demo, report, canonical(demo, REDIS))[0].candidate.edits
    assert [e.key for e in fix] == [ObjectKey("NetworkPolicy", "data", "redis-allow-clients")]
    return list(fix)


def test_probe_results_on_the_changed_policy_are_stale_and_the_layer_predicts(
    demo: ClusterState, admit_cart: list[Edit]
) -> None:
    before = run_edge(demo, REDIS)
    assert before is not None
    reach = before.layer("reachability")
    assert reach is not None and reach.status is Status.FAIL and reach.basis != "static"

    result = what_if(demo, admit_cart, canonical(demo, REDIS))
    assert result.focus is not None and result.focus.after is not None
    after = result.focus.after.layer("reachability")
    assert after is not None
    because = "stale (what-if changed networkpolicy data/redis-allow-clients): "
    assert after.summary.startswith(because)
    assert after.status is Status.SKIPPED and after.basis == "static"
    assert "predicted to succeed" in after.summary
    stale = [e for e in after.evidence if e.detail.startswith("stale: ")]
    assert any(
        e.ref.startswith("recorded tcp from pod shop/cart-") and "it said timeout" in e.detail
        for e in stale
    )


def test_edges_the_change_does_not_reach_keep_their_observations(
    demo: ClusterState, admit_cart: list[Edit]
) -> None:
    result = what_if(demo, admit_cart, canonical(demo, REDIS))
    cart = run_edge(result.scratch.state, EdgeSpec("shop/deploy/frontend", "cart:8080"))
    assert cart is not None
    reach = cart.layer("reachability")
    assert reach is not None and reach.status is Status.PASS and reach.basis != "static"
    assert not any("stale" in layer.summary for layer in cart.layers)


def test_a_rolled_out_workloads_events_are_set_aside(demo: ClusterState) -> None:
    """A changed pod template makes new pods: the old pods' events (BackOff) no longer hold."""
    edit = Edit(
        ObjectKey("Deployment", "shop", "recommendations"),
        PATCH,
        ({"op": "add", "path": "/spec/template/metadata/labels/rev", "value": "2"},),
    )
    edge = EdgeSpec("shop/deploy/frontend", "recommendations:8080")
    result = what_if(demo, [edit], canonical(demo, edge))
    pod = next(p for p in demo.pods if p.name.startswith("recommendations-"))
    assert demo.events_for("Pod", "shop", pod.name)
    assert not result.scratch.state.events_for("Pod", "shop", pod.name)
    assert f"recorded events of pod shop/{pod.name}" in result.scratch.stale
    assert result.focus is not None and result.focus.after is not None
    pods = result.focus.after.layer("pods")
    assert pods is not None
    assert pods.summary.startswith("stale (what-if changed deployment shop/recommendations): ")
    assert any("BackOff" in e.detail for e in pods.evidence if e.detail.startswith("stale: "))
