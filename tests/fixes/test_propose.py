"""Minimal fixes: for each planted configuration fault of the demo, the proposed patch turns
its edge's failing layer green and changes no other demo edge's verdict."""

from __future__ import annotations

import pytest

from kexplore.checks.ladder import check_edge
from kexplore.checks.result import Status
from kexplore.fixes.edits import edit_of
from kexplore.fixes.propose import attach_fixes, propose
from kexplore.fixes.whatif import EdgeSpec, canonical, known_edges, verdict_text, what_if
from kexplore.model.state import ClusterState
from kexplore.sources.demo import load_demo

# (source, target, failing layer, what the first fix changes, how many options)
CONFIG_FAULTS = [
    ("shop/deploy/frontend", "search:8080", "service", "service shop/search", 1),
    ("shop/deploy/checkout", "inventory:8080", "service", "service shop/inventory", 1),
    ("shop/deploy/frontend", "payments-api:8443", "dns", "deployment shop/frontend", 1),
    (
        "payments/deploy/payments-api",
        "pg.data.svc.cluster.local:5432",
        "dns",
        "networkpolicy payments/payments-api-egress",
        2,
    ),
    (
        "shop/deploy/cart",
        "redis.data:6379",
        "networkpolicy",
        "networkpolicy data/redis-allow-clients",
        2,
    ),
    ("mesh-demo/deploy/web", "ledger:8080", "mesh", "destinationrule mesh-demo/ledger", 2),
    (
        "mesh-demo/deploy/legacy-client",
        "accounts.mesh-demo:8080",
        "mesh",
        "peerauthentication mesh-demo/accounts-permissive-8080",
        1,
    ),
    (
        "mesh-demo/deploy/web",
        "accounts:8080",
        "mesh",
        "authorizationpolicy mesh-demo/accounts-deny-web",
        1,
    ),
]
NOT_CONFIG = [
    ("shop/deploy/frontend", "recommendations:8080"),
    ("shop/deploy/checkout", "auth-api.auth:8080"),
    ("shop/deploy/checkout", "fraud-detector.payments:7000"),
    ("monitoring/deploy/prometheus", "checkout.shop.svc.cluster.local:9102"),
]


@pytest.fixture(scope="module")
def demo() -> ClusterState:
    return load_demo()


def _verdicts(state: ClusterState) -> dict[tuple[str, str], str]:
    return {
        (e.source, e.target): verdict_text(check_edge(state, e.source, e.target))
        for e in known_edges(state)
    }


@pytest.mark.parametrize(("source", "target", "layer", "obj", "count"), CONFIG_FAULTS)
def test_each_fix_turns_its_edge_green_and_changes_no_other_demo_edge(
    demo: ClusterState, source: str, target: str, layer: str, obj: str, count: int
) -> None:
    edge = canonical(demo, EdgeSpec(source, target))
    report = check_edge(demo, source, target)
    assert report.failing_layer == layer
    proposals = propose(demo, report, edge)
    assert len(proposals) == count
    assert proposals[0].candidate.edits[0].key.ref() == obj
    before = _verdicts(demo)
    for proposal in proposals:
        result = what_if(demo, proposal.candidate.edits, edge)
        assert result.focus is not None and result.focus.after is not None
        assert result.focus.after.verdict is Status.PASS, result.effect()
        after = _verdicts(result.scratch.state)
        dialed = result.focus.after_edge
        moved = {(source, target)} | ({(dialed.source, dialed.target)} if dialed else set())
        assert {k: v for k, v in after.items() if k not in moved} == {
            k: v for k, v in before.items() if k not in moved
        }
        assert "changes nothing else" in result.effect()


@pytest.mark.parametrize(("source", "target"), NOT_CONFIG)
def test_no_patch_for_causes_that_are_not_configuration(
    demo: ClusterState, source: str, target: str
) -> None:
    report = check_edge(demo, source, target)
    attach_fixes(demo, report, canonical(demo, EdgeSpec(source, target)))
    assert all(not layer.fix for layer in report.layers)


def test_a_networkpolicy_fix_names_the_narrowest_peer_never_everything(demo: ClusterState) -> None:
    report = check_edge(demo, "shop/deploy/cart", "redis.data:6379")
    attach_fixes(demo, report, canonical(demo, EdgeSpec("shop/deploy/cart", "redis.data:6379")))
    fixes = report.layer("networkpolicy").fix  # type: ignore[union-attr]
    added = next(f for f in fixes if f.option == 2)
    edit = edit_of(added.target, added.mode, added.patch)
    rule = edit.ops[-1]["value"]
    assert rule["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
            "podSelector": {"matchLabels": {"app": "cart"}},
        }
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]
    assert "+          app: cart" in added.diff


def test_a_fix_that_breaks_the_edge_at_another_layer_is_not_proposed(demo: ClusterState) -> None:
    """Renaming inventory's container port to the service's targetPort name would break its
    readiness probe (which uses the old name): only the service-side fix is offered."""
    report = check_edge(demo, "shop/deploy/checkout", "inventory:8080")
    proposals = propose(
        demo, report, canonical(demo, EdgeSpec("shop/deploy/checkout", "inventory:8080"))
    )
    assert [p.candidate.edits[0].key.kind for p in proposals] == ["Service"]


def test_the_mesh_alternative_states_its_trade_off(demo: ClusterState) -> None:
    edge = canonical(demo, EdgeSpec("mesh-demo/deploy/web", "ledger:8080"))
    report = check_edge(demo, edge.source, edge.target)
    attach_fixes(demo, report, edge)
    fixes = report.layer("mesh").fix  # type: ignore[union-attr]
    assert "ISTIO_MUTUAL" in fixes[0].patch
    assert fixes[1].mode == "manifest" and "PERMISSIVE" in fixes[1].patch
    assert "trade-off" in fixes[1].effect and "plaintext" in fixes[1].effect
