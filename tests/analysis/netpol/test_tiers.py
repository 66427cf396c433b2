"""Cluster-scoped tiers: admin by priority, then NetworkPolicy, then baseline, then allow."""

from __future__ import annotations

from typing import Any

from netpol_builders import admin, namespace, netpol, pod, state_of

from kexplore.analysis.netpol.engine import allowed_connections
from kexplore.analysis.netpol.explain import verdict
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState

BASE = [
    namespace("shop", {"team": "shop"}),
    namespace("ops", {"team": "ops"}),
    pod("shop", "web", {"app": "web"}, "10.0.0.10", [("http", 8080, "TCP")]),
    pod("ops", "probe", {"app": "probe"}, "10.0.1.10"),
]
FROM_OPS = [{"namespaces": {"matchLabels": {"team": "ops"}}}]
SUBJECT_SHOP = {"namespaces": {"matchLabels": {"team": "shop"}}}


def _anp(name: str, priority: int, action: str, ports: list[Any] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"name": f"{action.lower()}-ops", "action": action, "from": FROM_OPS}
    if ports is not None:
        rule["ports"] = ports
    spec = {"priority": priority, "subject": SUBJECT_SHOP, "ingress": [rule]}
    return admin("AdminNetworkPolicy", name, spec)


def _banp(action: str) -> dict[str, Any]:
    rule = {"action": action, "from": FROM_OPS}
    return admin(
        "BaselineAdminNetworkPolicy", "default", {"subject": SUBJECT_SHOP, "ingress": [rule]}
    )


def _pods(state: ClusterState) -> tuple[Pod, Pod]:
    probe, web = state.get("Pod", "ops", "probe"), state.get("Pod", "shop", "web")
    assert isinstance(probe, Pod) and isinstance(web, Pod)
    return probe, web


def _check(*objs: dict[str, Any], port: int = 8080) -> bool:
    state = state_of(*BASE, *objs)
    probe, web = _pods(state)
    v = verdict(state, probe, web, "TCP", port)
    assert v.allowed is allowed_connections(state, probe, web).contains("TCP", port)
    return v.allowed


DENY_NP = netpol("shop", "deny", {"podSelector": {}})
ALLOW_NP = netpol("shop", "allow", {"podSelector": {}, "ingress": [{}]})


def test_admin_deny_beats_networkpolicy_allow() -> None:
    assert not _check(_anp("deny", 10, "Deny"), ALLOW_NP)


def test_admin_allow_beats_networkpolicy_deny() -> None:
    assert _check(_anp("allow", 10, "Allow"), DENY_NP)


def test_lower_priority_number_wins() -> None:
    assert _check(_anp("a-deny", 20, "Deny"), _anp("b-allow", 5, "Allow"))
    assert not _check(_anp("a-deny", 5, "Deny"), _anp("b-allow", 20, "Allow"))


def test_pass_hands_over_to_networkpolicy() -> None:
    assert not _check(_anp("pass", 1, "Pass"), _anp("allow", 2, "Allow"), DENY_NP)


def test_pass_then_baseline_when_no_networkpolicy() -> None:
    assert not _check(_anp("pass", 1, "Pass"), _banp("Deny"))


def test_networkpolicy_overrides_baseline() -> None:
    assert _check(_banp("Deny"), ALLOW_NP)


def test_baseline_deny_without_networkpolicy() -> None:
    assert not _check(_banp("Deny"))


def test_admin_ports_limit_the_rule() -> None:
    ports = [{"portNumber": {"protocol": "TCP", "port": 9090}}]
    assert _check(_anp("deny", 1, "Deny", ports))
    assert not _check(_anp("deny", 1, "Deny", ports), port=9090)
    named = [{"namedPort": "http"}]
    assert not _check(_anp("deny", 1, "Deny", named))


def test_cluster_network_policy_v1alpha2_tiers() -> None:
    accept = {
        "tier": "Admin",
        "priority": 3,
        "subject": SUBJECT_SHOP,
        "ingress": [
            {
                "action": "Accept",
                "from": FROM_OPS,
                "protocols": [
                    {"tcp": {"destinationPort": {"range": {"start": 8000, "end": 8100}}}}
                ],
            }
        ],
    }
    cnp = admin("ClusterNetworkPolicy", "accept-ops", accept)
    assert _check(cnp, DENY_NP)
    assert not _check(cnp, DENY_NP, port=9000)
    base = dict(accept, tier="Baseline", ingress=[{"action": "Deny", "from": FROM_OPS}])
    assert not _check(admin("ClusterNetworkPolicy", "base", base))


def test_chain_is_explained() -> None:
    state = state_of(*BASE, _anp("pass", 1, "Pass"), ALLOW_NP)
    probe, web = _pods(state)
    v = verdict(state, probe, web, "TCP", 8080)
    assert v.ingress.chain == [
        "adminnetworkpolicy pass ingress[0] 'pass-ops' passes",
        "networkpolicy shop/allow ingress[0] allows",
    ]
    assert v.ingress.reason == (
        "adminnetworkpolicy pass ingress[0] 'pass-ops' passes -> "
        "networkpolicy shop/allow ingress[0] allows"
    )


def test_networks_peer_matches_pod_ips() -> None:
    rule = {"action": "Deny", "to": [{"networks": ["10.0.0.0/24"]}]}
    spec = {
        "priority": 1,
        "subject": {"namespaces": {"matchLabels": {"team": "ops"}}},
        "egress": [rule],
    }
    assert not _check(admin("AdminNetworkPolicy", "no-shop-net", spec))
