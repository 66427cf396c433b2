"""The networkpolicy layer and the DNS-egress check, through a real EdgeContext."""

from __future__ import annotations

from typing import Any

from netpol_builders import admin, namespace, netpol, pod, state_of

from kexplore.analysis.services import resolve_backends
from kexplore.checks import networkpolicy
from kexplore.checks.context import PartialCheck, build_context
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.result import LayerResult, Status
from kexplore.model.services import Service
from kexplore.model.state import ClusterState


def _service(
    ns: str, name: str, selector: dict[str, str], port: int, target: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": selector,
            "clusterIP": "10.96.0.50",
            "ports": [{"port": port, "targetPort": target, "protocol": "TCP"}],
        },
    }


BASE = [
    namespace("api", {"team": "api"}),
    namespace("data", {"team": "data"}),
    pod("api", "gateway-1", {"app": "gateway"}, "10.1.0.5"),
    pod("data", "pg-0", {"app": "pg"}, "10.2.0.7", [("pg", 5432, "TCP")]),
    _service("data", "pg", {"app": "pg"}, 80, "pg"),
]


def _run(*objs: dict[str, Any], target: str = "data/svc/pg:80") -> LayerResult:
    state = state_of(*BASE, *objs)
    return _layer(state, target)


def _layer(state: ClusterState, target: str) -> LayerResult:
    ctx = build_context(state, resolve_source(state, "api/gateway-1"), parse_target(target))
    return networkpolicy.check(ctx)


DENY = netpol("data", "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})


def test_no_policy_passes() -> None:
    result = _run()
    assert result.status is Status.PASS
    assert "no policy isolates them" in result.summary


def test_default_deny_fails_naming_policy_and_source() -> None:
    result = _run(DENY)
    assert result.status is Status.FAIL
    assert result.summary == (
        "ingress denied: NetworkPolicy data/default-deny-ingress selects data/pg-0; "
        "no ingress rule admits TCP 5432 from api/gateway-1"
    )
    assert result.evidence[0].ref == "networkpolicy data/default-deny-ingress"
    assert "kubectl describe networkpolicy -n data default-deny-ingress" in result.commands
    assert result.hint and "api/gateway-1" in result.hint


def _allow(port: Any) -> dict[str, Any]:
    peer = {
        "namespaceSelector": {"matchLabels": {"team": "api"}},
        "podSelector": {"matchLabels": {"app": "gateway"}},
    }
    rule = {"from": [peer], "ports": [{"port": port}]}
    return netpol(
        "data", "allow-gateway", {"podSelector": {"matchLabels": {"app": "pg"}}, "ingress": [rule]}
    )


def test_service_traffic_is_judged_at_the_target_port() -> None:
    allowed = _run(DENY, _allow(5432))
    assert allowed.status is Status.PASS
    assert "networkpolicy data/allow-gateway ingress[0] from[0] ports[0]" in allowed.summary
    assert _run(DENY, _allow(80)).status is Status.FAIL


def test_a_note_about_a_rule_is_referenced_by_that_rule() -> None:
    """A podSelector alone in another namespace's policy: the evidence names the peer entry."""
    alone = netpol(
        "data",
        "or-peers",
        {
            "podSelector": {"matchLabels": {"app": "pg"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "gateway"}}}]}],
        },
    )
    result = _run(DENY, alone)
    assert result.status is Status.FAIL
    notes = [e for e in result.evidence if "podSelector alone" in e.detail]
    assert notes and notes[0].ref == "networkpolicy data/or-peers ingress[0] from[0]"
    assert notes[0].detail.startswith("podSelector app=gateway matches api/gateway-1")


def test_named_port_rule_matches_target_port() -> None:
    assert _run(DENY, _allow("pg")).status is Status.PASS


def test_cni_policies_never_give_a_plain_pass() -> None:
    cilium = {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "l7", "namespace": "data"},
        "spec": {},
    }
    result = _run(cilium)
    assert result.status is Status.WARN
    assert "CNI policy object(s) were not evaluated" in result.summary
    assert result.evidence[0].detail.startswith(
        "not evaluated by kexplore: CiliumNetworkPolicy data/l7"
    )


def test_unreadable_policies_are_unknown() -> None:
    state = state_of(*BASE)
    state.meta.unreadable["NetworkPolicy"] = "forbidden: list networkpolicies"
    assert _layer(state, "data/svc/pg:80").status is Status.UNKNOWN


def test_egress_to_external_ip() -> None:
    egress = netpol(
        "api",
        "egress",
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]}],
        },
    )
    state = state_of(*BASE, egress)
    assert _layer(state, "203.0.113.9:443").status is Status.PASS
    failed = _layer(state, "198.51.100.1:443")
    assert failed.status is Status.FAIL
    assert failed.summary.startswith(
        "egress denied: NetworkPolicy api/egress selects api/gateway-1"
    )


DNS = [
    namespace("kube-system"),
    pod(
        "kube-system",
        "coredns-1",
        {"k8s-app": "kube-dns"},
        "10.3.0.2",
        [("dns", 1053, "UDP"), ("dns-tcp", 1054, "TCP")],
    ),
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system"},
        "spec": {
            "selector": {"k8s-app": "kube-dns"},
            "clusterIP": "10.96.0.10",
            "ports": [
                {"name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "targetPort": "dns-tcp", "protocol": "TCP"},
            ],
        },
    },
]


def _dns_check(*objs: dict[str, Any]) -> PartialCheck:
    state = state_of(*BASE, *DNS, *objs)
    svc = state.get("Service", "kube-system", "kube-dns")
    assert isinstance(svc, Service)
    backends = [b for port in svc.spec.ports for b in resolve_backends(state, svc, port).backends]
    ctx = build_context(
        state, resolve_source(state, "api/gateway-1"), parse_target("data/svc/pg:80")
    )
    return networkpolicy.dns_egress_check(ctx, backends)


def _egress_dns(udp: int, tcp: int) -> dict[str, Any]:
    peer = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    ports = [{"port": udp, "protocol": "UDP"}, {"port": tcp, "protocol": "TCP"}]
    return netpol(
        "api",
        "allow-dns",
        {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [peer], "ports": ports}]},
    )


def test_dns_egress_allowed_without_policies() -> None:
    assert _dns_check().status is Status.PASS


def test_dns_egress_must_allow_the_dns_pods_target_port() -> None:
    allowed = _dns_check(_egress_dns(1053, 1054))
    assert allowed.status is Status.PASS
    assert allowed.summary == "DNS egress allowed (TCP 1054, UDP 1053 to the DNS pods)"
    blocked = _dns_check(_egress_dns(53, 53))
    assert blocked.status is Status.FAIL
    assert blocked.summary.startswith("DNS queries blocked: egress UDP 1053 denied")
    # The hint writes out the rule: the policy to extend, the DNS pods and their real ports.
    assert blocked.hint == (
        "add to networkpolicy api/allow-dns an egress rule allowing UDP 1053 and TCP 1054 to "
        "the DNS pods: namespaceSelector kubernetes.io/metadata.name=kube-system and podSelector "
        "k8s-app=kube-dns in one `to` element"
    )


def test_dns_over_tcp_denied_is_a_warning() -> None:
    only_udp = _dns_check(_egress_dns(1053, 1053))
    assert only_udp.status is Status.WARN
    assert only_udp.summary.startswith("DNS over TCP 1054 denied")


def test_admin_deny_decides_and_the_hint_names_it() -> None:
    deny = admin(
        "AdminNetworkPolicy",
        "no-api-to-data",
        {
            "priority": 5,
            "subject": {"namespaces": {"matchLabels": {"team": "data"}}},
            "ingress": [
                {
                    "name": "block-api",
                    "action": "Deny",
                    "from": [{"namespaces": {"matchLabels": {"team": "api"}}}],
                }
            ],
        },
    )
    result = _run(deny, _allow(5432))
    assert result.status is Status.FAIL
    assert result.summary == (
        "ingress denied: adminnetworkpolicy no-api-to-data ingress[0] 'block-api' denies"
    )
    assert result.hint == (
        "adminnetworkpolicy no-api-to-data ingress[0] 'block-api' decides this; "
        "change that rule or its priority"
    )


def test_host_network_target_is_node_traffic() -> None:
    host = pod("data", "node-agent", {"app": "agent"}, "192.168.0.5", [("m", 9100, "TCP")], True)
    state = state_of(*BASE, DENY, host)
    result = _layer(state, "data/node-agent:9100")
    assert result.status is Status.PASS
    assert any("uses hostNetwork" in e.detail for e in result.evidence)


def test_unreadable_namespaces_lower_a_pass_to_warn() -> None:
    state = state_of(*BASE)
    state.meta.unreadable["Namespace"] = "forbidden: list namespaces"
    result = _layer(state, "data/svc/pg:80")
    assert result.status is Status.WARN
    assert result.evidence[0].ref == "kind Namespace"


def test_selectorless_service_to_an_external_address_is_judged_by_egress() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "legacy-db", "namespace": "data"},
        "spec": {"clusterIP": "10.96.0.77", "ports": [{"port": 5432, "protocol": "TCP"}]},
    }
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "legacy-db-1",
            "namespace": "data",
            "labels": {"kubernetes.io/service-name": "legacy-db"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["203.0.113.40"], "conditions": {"ready": True}}],
        "ports": [{"port": 5432, "protocol": "TCP"}],
    }
    deny_egress = netpol("api", "no-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
    state = state_of(*BASE, svc, slice_, deny_egress)
    result = _layer(state, "data/svc/legacy-db:5432")
    assert result.status is Status.FAIL
    assert "to 203.0.113.40[External]" in result.summary


def test_only_routable_backends_are_judged() -> None:
    stale = pod(
        "data", "pg-1", {"app": "pg", "gen": "old"}, "10.2.0.8", [("pg", 5432, "TCP")], ready=False
    )
    only_current = netpol(
        "data",
        "pg-current",
        {
            "podSelector": {"matchLabels": {"gen": "old"}},
            "ingress": [],
            "policyTypes": ["Ingress"],
        },
    )
    result = _run(stale, only_current)
    assert result.status is Status.PASS
    assert result.summary.startswith("allowed: 1 pod pair(s)")


def test_ipblock_admitting_a_pod_ip_warns_where_cilium_is_detected() -> None:
    by_ip = {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.1.0.0/16"}}]}]}
    policy = netpol("data", "from-api-range", by_ip)
    assert _run(policy).status is Status.PASS  # the API's semantics: the pod IP is matched
    agent = pod("kube-system", "cilium-4xk9q", {"k8s-app": "cilium"}, "192.168.0.4")
    result = _run(policy, agent)
    assert result.status is Status.WARN
    assert "Cilium may not apply an ipBlock to pod IPs" in result.summary
    assert result.evidence[0].ref == "networkpolicy data/from-api-range ingress[0] from[0]"
    assert "agent pod kube-system/cilium-4xk9q" in result.evidence[0].detail
    assert result.hint is not None and "podSelector" in result.hint
