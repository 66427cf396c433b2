"""Online Boutique's raw manifests, with and without its network-policies component.

As its docs state: every call of the architecture works in both cases (the policies admit
each caller on the callee's port and leave egress open); a caller the policies do not
name is denied; and a typo in a policy's selector fails the edge with "fix the selector".
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kexplore.checks.ladder import check_edge
from kexplore.checks.result import EdgeReport, Status
from kexplore.graph import talks_to
from kexplore.model.state import ClusterState
from kexplore.sources.files.reader import read_snapshot

BOUTIQUE = Path(__file__).parent / "fixtures" / "apps" / "online-boutique"
# The architecture diagram's calls (source deployment, the address its env var holds).
CALLS = {
    ("loadgenerator", "frontend:80"),
    ("frontend", "adservice:9555"),
    ("frontend", "cartservice:7070"),
    ("frontend", "checkoutservice:5050"),
    ("frontend", "currencyservice:7000"),
    ("frontend", "productcatalogservice:3550"),
    ("frontend", "recommendationservice:8080"),
    ("frontend", "shippingservice:50051"),
    ("checkoutservice", "cartservice:7070"),
    ("checkoutservice", "currencyservice:7000"),
    ("checkoutservice", "emailservice:5000"),
    ("checkoutservice", "paymentservice:50051"),
    ("checkoutservice", "productcatalogservice:3550"),
    ("checkoutservice", "shippingservice:50051"),
    ("recommendationservice", "productcatalogservice:3550"),
    ("cartservice", "redis-cart:6379"),
}
NEEDS_A_CLUSTER = {"pods", "dns", "health", "cluster"}


def _describe(report: EdgeReport) -> str:
    return "; ".join(f"{r.id}={r.status}: {r.summary}" for r in report.layers)


@pytest.fixture(scope="module", params=["app", "app+policies"])
def boutique(request: pytest.FixtureRequest) -> ClusterState:
    return read_snapshot(BOUTIQUE / "app" if request.param == "app" else BOUTIQUE)


def test_the_inferred_edges_are_the_architectures_calls(boutique: ClusterState) -> None:
    found = {(t.source.split("/")[-1], t.target) for t in talks_to(boutique)}
    assert found == CALLS


@pytest.mark.parametrize(("source", "target"), sorted(CALLS))
def test_every_call_passes_every_config_layer(
    boutique: ClusterState, source: str, target: str
) -> None:
    report = check_edge(boutique, f"default/deploy/{source}", target)
    assert report.failing_layer is None, _describe(report)
    for layer in report.layers:
        assert layer.status is not Status.WARN, _describe(report)
        if layer.status is Status.UNKNOWN:
            assert layer.id in NEEDS_A_CLUSTER, _describe(report)
    assert report.prediction is not None and "no config layer fails" in report.prediction


@pytest.fixture(scope="module")
def with_policies() -> ClusterState:
    return read_snapshot(BOUTIQUE)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("loadgenerator", "cartservice:7070"),  # only frontend and checkout may call it
        ("checkoutservice", "redis-cart:6379"),  # only cartservice may
        ("frontend", "paymentservice:50051"),  # only checkout may
    ],
)
def test_callers_the_policies_do_not_name_are_denied(
    with_policies: ClusterState, source: str, target: str
) -> None:
    report = check_edge(with_policies, f"default/deploy/{source}", target)
    assert report.failing_layer == "networkpolicy", _describe(report)
    layer = report.layer("networkpolicy")
    assert layer is not None and layer.hint is not None and layer.hint.startswith("add ")


def _policies_with(tmp_path: Path, old: str, new: str) -> ClusterState:
    shutil.copytree(BOUTIQUE, tmp_path / "ob")
    policies = tmp_path / "ob" / "network-policies" / "network-policies.yaml"
    text = policies.read_text()
    assert old in text
    policies.write_text(text.replace(old, new, 1))
    return read_snapshot(tmp_path / "ob")


def test_a_typo_in_a_peer_selector_is_a_near_miss_to_fix(tmp_path: Path) -> None:
    cart_rule = (
        "      app: cartservice\n  policyTypes:\n  - Ingress\n  - Egress\n  ingress:\n"
        "  - from:\n    - podSelector:\n        matchLabels:\n          app: frontend\n"
    )
    state = _policies_with(tmp_path, cart_rule, cart_rule.replace("frontend", "frontnd"))
    report = check_edge(state, "default/deploy/frontend", "cartservice:7070")
    assert report.failing_layer == "networkpolicy", _describe(report)
    layer = report.layer("networkpolicy")
    assert layer is not None
    assert any(
        e.ref == "networkpolicy default/cartservice ingress[0] from[0]"
        and "near miss, podSelector app=frontnd where the labels say app=frontend" in e.detail
        for e in layer.evidence
    )
    assert layer.hint == (
        "fix the selector in networkpolicy default/cartservice ingress[0] from[0]: podSelector "
        "app=frontnd where the labels say app=frontend of default/frontend (not a new rule)"
    )


def test_a_policy_selecting_no_pod_is_dangling_and_its_typo_the_fix(tmp_path: Path) -> None:
    subject = "  podSelector:\n    matchLabels:\n      app: cartservice\n"
    state = _policies_with(tmp_path, subject, subject.replace("cartservice", "cartservic"))
    report = check_edge(state, "default/deploy/frontend", "cartservice:7070")
    assert report.failing_layer == "networkpolicy", _describe(report)  # deny-all isolates it
    layer = report.layer("networkpolicy")
    assert layer is not None
    details = {e.detail for e in layer.evidence if e.ref == "networkpolicy default/cartservice"}
    assert (
        "dangling: podSelector app=cartservic selects no pod in namespace default, "
        "so it applies to nothing"
    ) in details
    assert layer.hint == (
        "fix the selector of networkpolicy default/cartservice: podSelector app=cartservic "
        "where the labels say app=cartservice (it selects no pod)"
    )
