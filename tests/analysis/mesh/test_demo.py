"""The demo's planted mesh faults: the mesh layer names the symptom and the deciding objects."""

from __future__ import annotations

import pytest

from kexplore.checks.ladder import check_edge
from kexplore.checks.result import Status
from kexplore.model.state import ClusterState
from kexplore.sources.demo import load_demo


@pytest.fixture(scope="module")
def demo() -> ClusterState:
    return load_demo()


@pytest.mark.parametrize(
    ("source", "target", "symptom", "deciding"),
    [
        (
            "mesh-demo/deploy/web",
            "ledger:8080",
            "UC/URX",
            [
                "destinationrule mesh-demo/ledger trafficPolicy.tls.mode=DISABLE",
                "peerauthentication mesh-demo/default mtls.mode=STRICT",
            ],
        ),
        (
            "mesh-demo/deploy/legacy-client",
            "accounts.mesh-demo:8080",
            "curl: (56)",
            ["peerauthentication mesh-demo/default mtls.mode=STRICT"],
        ),
        (
            "mesh-demo/deploy/web",
            "accounts:8080",
            "RBAC: access denied",
            ["authorizationpolicy mesh-demo/accounts-deny-web rules[0]"],
        ),
    ],
)
def test_planted_mesh_faults(
    demo: ClusterState, source: str, target: str, symptom: str, deciding: list[str]
) -> None:
    report = check_edge(demo, source, target)
    layer = report.layer("mesh")
    assert layer is not None and layer.status is Status.FAIL
    assert report.failing_layer == "mesh"
    assert symptom in layer.summary
    refs = [e.ref for e in layer.evidence]
    for ref in deciding:
        assert ref in refs


def test_healthy_mesh_edge(demo: ClusterState) -> None:
    layer = check_edge(demo, "mesh-demo/deploy/ledger", "accounts:8080").layer("mesh")
    assert layer is not None and layer.status is Status.PASS
    assert "ISTIO_MUTUAL" in layer.summary
    assert any(e.ref.startswith("destinationrule mesh-demo/accounts") for e in layer.evidence)


def test_edges_outside_the_mesh_pass(demo: ClusterState) -> None:
    layer = check_edge(demo, "shop/deploy/frontend", "cart:8080").layer("mesh")
    assert layer is not None and layer.status is Status.PASS
    assert layer.summary == "no sidecar on either side; no mesh policy applies"
