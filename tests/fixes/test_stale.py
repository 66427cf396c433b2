"""What-if marks observations stale: probe results, proxy logs and events recorded before the
change no longer hold for the objects it changed; those layers fall back to their static
part with the prediction and say `stale (what-if changed X)`; other edges keep theirs."""

from __future__ import annotations

import pytest
from netpol_builders import admin

from kexplore.checks.result import Status
from kexplore.fixes.edits import MANIFEST, PATCH, Edit, ObjectKey
from kexplore.fixes.propose import propose
from kexplore.fixes.whatif import EdgeSpec, canonical, known_edges, run_edge, what_if
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


MONITORING_RENAMED = Edit(
    ObjectKey("Namespace", "", "monitoring"),
    PATCH,
    (
        {
            "op": "replace",
            "path": "/metadata/labels/kubernetes.io~1metadata.name",
            "value": "monitoring-x",
        },
    ),
)


def test_a_namespace_label_edit_rechecks_the_edges_of_its_pods_only(demo: ClusterState) -> None:
    """redis admits the monitoring namespace by label: relabelled, prometheus → redis breaks;
    edges with no end in monitoring are not re-checked."""
    result = what_if(demo, [MONITORING_RENAMED])
    sources = {o.edge.source for o in result.outcomes}
    assert sources == {"monitoring/deploy/prometheus"}
    lines = [o.line() for o in result.outcomes if o.changed]
    assert any(
        "redis.data.svc.cluster.local:9121: pass → fail at networkpolicy" in ln for ln in lines
    )


def test_a_verdict_that_changed_only_because_its_observation_went_stale_is_not_opened(
    demo: ClusterState,
) -> None:
    """prometheus → checkout failed on a recorded timeout; relabelling its namespace sets that
    probe aside, so it passes only as predicted: 'unknown until probed', never 'also opens'."""
    result = what_if(demo, [MONITORING_RENAMED])
    checkout = next(o for o in result.outcomes if "checkout" in o.edge.target)
    assert checkout.changed and checkout.unobserved and not checkout.opened
    assert "predicted only" in checkout.line()
    effect = result.effect()
    assert "1 edge(s) unknown until probed" in effect and "also opens" not in effect


def test_a_cluster_wide_policy_tier_rechecks_every_edge(demo: ClusterState) -> None:
    manifest = admin(
        "ClusterNetworkPolicy",
        "deny-nothing",
        {"tier": "Admin", "priority": 5, "subject": {"namespaces": {}}, "ingress": []},
    )
    edit = Edit(ObjectKey("ClusterNetworkPolicy", "", "deny-nothing"), MANIFEST, manifest=manifest)
    result = what_if(demo, [edit])
    assert len(result.outcomes) == len(known_edges(demo))
