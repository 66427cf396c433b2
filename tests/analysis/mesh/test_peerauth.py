"""PeerAuthentication composition: precedence, UNSET inheritance, oldest wins, port level.

The first table is transcribed from Istio's own TestComposePeerAuthentication
(pilot/pkg/security/authn/policy_applier_test.go): the policies listed already apply to one
workload in namespace my-ns, the root namespace is `root-namespace`.
"""

from __future__ import annotations

from typing import Any

import pytest
from mesh_builders import peer_auth, pod, state_of

from kexplore.analysis.mesh.peerauth import applicable, compose, effective_mtls
from kexplore.model.istio import PeerAuthentication

ROOT = "root-namespace"
T0, T1 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"

ISTIO_CASES: list[tuple[str, list[Any], str, dict[int, str]]] = [
    ("no config", [], "PERMISSIVE", {}),
    ("mesh only", [(ROOT, "default", "STRICT", None, None, None)], "STRICT", {}),
    (
        "mesh vs namespace",
        [
            (ROOT, "default", "STRICT", {}, None, None),
            ("my-ns", "default", "PERMISSIVE", None, None, None),
        ],
        "PERMISSIVE",
        {},
    ),
    (
        "ignore non-empty selector in root namespace",
        [(ROOT, "default", "STRICT", {"app": "foo"}, None, None)],
        "PERMISSIVE",
        {},
    ),
    (
        "workload vs namespace config",
        [
            ("my-ns", "default", None, None, None, None),
            ("my-ns", "foo", None, {"app": "foo"}, None, None),
        ],
        "PERMISSIVE",
        {},
    ),
    (
        "workload vs mesh config",
        [
            ("my-ns", "default", "PERMISSIVE", None, None, None),
            (ROOT, "default", "DISABLE", None, None, None),
        ],
        "PERMISSIVE",
        {},
    ),
    (
        "multiple mesh policy",
        [
            (ROOT, "now", "DISABLE", None, None, T1),
            (ROOT, "second ago", "PERMISSIVE", None, None, T0),
            (ROOT, "second later", "STRICT", None, None, T0),
        ],
        "PERMISSIVE",
        {},
    ),
    (
        "multiple namespace policy",
        [
            ("my-ns", "now", "DISABLE", None, None, T1),
            ("my-ns", "second ago", "PERMISSIVE", None, None, T0),
            ("my-ns", "second later", "STRICT", None, None, T0),
        ],
        "PERMISSIVE",
        {},
    ),
    (
        "multiple workload policy",
        [
            ("my-ns", "now", "DISABLE", {"app": "foo"}, None, T1),
            ("my-ns", "second ago", "PERMISSIVE", {"app": "foo"}, None, T0),
            ("my-ns", "second later", "STRICT", {"stage": "prod"}, None, T0),
        ],
        "PERMISSIVE",
        {},
    ),
    ("inheritance: default mesh", [(ROOT, "default", "UNSET", None, None, None)], "PERMISSIVE", {}),
    (
        "inheritance: mesh to workload",
        [
            (ROOT, "default", "STRICT", None, None, None),
            ("my-ns", "foo", None, {"app": "foo"}, None, None),
        ],
        "STRICT",
        {},
    ),
    (
        "inheritance: namespace to workload",
        [
            ("my-ns", "default", "STRICT", None, None, None),
            ("my-ns", "foo", None, {"app": "foo"}, None, None),
        ],
        "STRICT",
        {},
    ),
    (
        "inheritance: mesh to namespace to workload",
        [
            (ROOT, "default", "STRICT", None, None, None),
            ("my-ns", "default", "UNSET", None, None, None),
            ("my-ns", "foo", None, {"app": "foo"}, None, None),
        ],
        "STRICT",
        {},
    ),
    (
        "port level",
        [
            (ROOT, "default", "STRICT", None, None, None),
            ("my-ns", "foo", None, {"app": "foo"}, {80: "DISABLE", 90: "UNSET", 100: None}, None),
        ],
        "STRICT",
        {80: "DISABLE", 90: "STRICT", 100: "STRICT"},
    ),
]


def _policies(rows: list[Any]) -> list[PeerAuthentication]:
    out = []
    for ns, name, mode, selector, ports, created in rows:
        policy = peer_auth(ns, name, mode, selector, ports, created)
        assert isinstance(policy, PeerAuthentication)
        out.append(policy)
    return out


@pytest.mark.parametrize(
    ("name", "rows", "mode", "per_port"), ISTIO_CASES, ids=[c[0] for c in ISTIO_CASES]
)
def test_compose_matches_istio(
    name: str, rows: list[Any], mode: str, per_port: dict[int, str]
) -> None:
    composed = compose(_policies(rows), ROOT)
    assert composed.mode == mode
    assert composed.per_port == per_port


def test_port_level_on_a_namespace_policy_is_ignored_and_said_so() -> None:
    composed = compose(
        _policies([("shop", "default", "STRICT", None, {8080: "DISABLE"}, None)]), ROOT
    )
    assert composed.mode_for(8080) == "STRICT"
    assert any("portLevelMtls needs a workload selector" in f.detail for f in composed.ignored)


def test_deciding_names_the_port_level_entry() -> None:
    composed = compose(
        _policies(
            [
                ("shop", "default", "PERMISSIVE", None, None, None),
                ("shop", "strict-mtls", None, {"app": "cart"}, {8080: "STRICT"}, None),
            ]
        ),
        ROOT,
    )
    assert composed.mode_for(8080) == "STRICT"
    assert composed.mode_for(9090) == "PERMISSIVE"
    [fact] = composed.deciding(8080)
    assert fact.ref == "peerauthentication shop/strict-mtls portLevelMtls[8080]"
    [fact] = composed.deciding(9090)
    assert fact.ref == "peerauthentication shop/default mtls.mode=PERMISSIVE"


def test_no_policy_is_the_istio_default() -> None:
    [fact] = compose([], ROOT).deciding(80)
    assert "PERMISSIVE" in fact.detail


def test_applicable_selects_by_namespace_and_labels() -> None:
    state = state_of(
        pod("shop", "cart-1", {"app": "cart"}),
        peer_auth("istio-system", "mesh", "STRICT"),
        peer_auth("shop", "ns", "PERMISSIVE"),
        peer_auth("shop", "cart", "DISABLE", {"app": "cart"}),
        peer_auth("shop", "web", "STRICT", {"app": "web"}),
        peer_auth("other", "ns", "DISABLE"),
    )
    target = state.pods[0]
    names = sorted(p.metadata.name for p in applicable(state, target, "istio-system"))
    assert names == ["cart", "mesh", "ns"]
    assert effective_mtls(state, target, "istio-system").mode == "DISABLE"
