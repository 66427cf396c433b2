"""The mesh layer on whole edges: each mTLS combination, authorization, routes, ambient,
unreadable kinds, and the analyzer-style findings on the selected edge."""

from __future__ import annotations

from typing import Any

from mesh_builders import istio, namespace, obj, peer_auth, pod, service, state_of

from kexplore.checks import mesh
from kexplore.checks.context import build_context
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.result import LayerResult, Status
from kexplore.model.base import K8s
from kexplore.model.state import ClusterState

STRICT_8080 = peer_auth("shop", "strict-mtls", None, {"app": "cart"}, {8080: "STRICT"})


def cluster(
    *extra: K8s,
    client_sidecar: bool = True,
    server_sidecar: bool = True,
    shop_labels: dict[str, str] | None = None,
    ports: list[dict[str, Any]] | None = None,
) -> ClusterState:
    """web (ns web, sa frontend) → cart (ns shop, port 80 → 8080)."""
    return state_of(
        namespace("web", **({"istio-injection": "enabled"} if client_sidecar else {})),
        namespace(
            "shop", **(shop_labels if shop_labels is not None else {"istio-injection": "enabled"})
        ),
        pod(
            "web",
            "web-1",
            {"app": "web"},
            sidecar=client_sidecar,
            ip="10.1.0.5",
            sa="frontend",
            annotations={} if client_sidecar else {"sidecar.istio.io/inject": "false"},
        ),
        pod(
            "shop",
            "cart-1",
            {"app": "cart", "version": "v1"},
            sidecar=server_sidecar,
            ip="10.2.0.7",
            annotations={} if server_sidecar else {"sidecar.istio.io/inject": "false"},
        ),
        service("shop", "cart", {"app": "cart"}, ports),
        *extra,
    )


def run(
    state: ClusterState, target: str = "cart.shop:80", source: str = "web/web-1"
) -> LayerResult:
    ctx = build_context(state, resolve_source(state, source), parse_target(target))
    return mesh.check(ctx)


def refs(result: LayerResult) -> list[str]:
    return [e.ref for e in result.evidence]


def test_no_sidecar_on_either_side_passes() -> None:
    result = run(cluster(client_sidecar=False, server_sidecar=False, shop_labels={}))
    assert result.status is Status.PASS
    assert result.summary == "no sidecar on either side; no mesh policy applies"


def test_unreadable_kinds_do_not_matter_outside_the_mesh() -> None:
    state = cluster(client_sidecar=False, server_sidecar=False, shop_labels={})
    state.meta.unreadable["PeerAuthentication"] = "forbidden"
    result = run(state)
    assert result.status is Status.PASS
    assert "cannot apply" in result.summary


def test_unreadable_istio_kinds_make_a_meshed_edge_unknown() -> None:
    state = cluster()
    state.meta.unreadable["PeerAuthentication"] = "forbidden: list peerauthentications"
    result = run(state)
    assert result.status is Status.UNKNOWN
    assert "PeerAuthentication" in result.summary and result.hint


def test_auto_mtls_between_sidecars_passes() -> None:
    result = run(cluster(peer_auth("istio-system", "default", "STRICT")))
    assert result.status is Status.PASS
    assert "server STRICT mTLS, client sends ISTIO_MUTUAL" in result.summary
    assert "peerauthentication istio-system/default mtls.mode=STRICT" in refs(result)


def test_strict_server_and_client_without_sidecar_resets() -> None:
    result = run(cluster(STRICT_8080, client_sidecar=False))
    assert result.status is Status.FAIL
    assert "curl: (56)" in result.summary
    assert "peerauthentication shop/strict-mtls portLevelMtls[8080]" in refs(result)


def test_port_level_mtls_is_keyed_on_the_workload_port_not_the_service_port() -> None:
    on_service_port = peer_auth("shop", "strict-80", None, {"app": "cart"}, {80: "STRICT"})
    assert run(cluster(on_service_port, client_sidecar=False)).status is Status.PASS


def test_strict_server_and_client_rule_disable_gives_503_uc() -> None:
    rule = istio(
        "DestinationRule",
        "shop",
        "cart-dr",
        {"host": "cart", "trafficPolicy": {"tls": {"mode": "DISABLE"}}},
    )
    result = run(cluster(STRICT_8080, rule))
    assert result.status is Status.FAIL
    assert "UC/URX" in result.summary
    assert "destinationrule shop/cart-dr trafficPolicy.tls.mode=DISABLE" in refs(result)
    assert result.hint is not None
    assert result.hint.startswith("remove tls.mode DISABLE from destinationrule shop/cart-dr ")


def test_istio_mutual_toward_a_server_without_sidecar_gives_503_uf() -> None:
    rule = istio(
        "DestinationRule",
        "web",
        "cart-dr",
        {"host": "cart.shop.svc.cluster.local", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}},
    )
    result = run(cluster(rule, server_sidecar=False, shop_labels={}))
    assert result.status is Status.FAIL
    assert "503 UF" in result.summary and "TLS error" in result.summary


def test_disable_server_and_client_istio_mutual_gives_503_uc() -> None:
    off = peer_auth("shop", "off", "DISABLE", {"app": "cart"})
    rule = istio(
        "DestinationRule",
        "shop",
        "cart-dr",
        {"host": "cart", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}},
    )
    result = run(cluster(off, rule))
    assert result.status is Status.FAIL and "UC" in result.summary


def test_permissive_server_accepts_plaintext() -> None:
    result = run(cluster(peer_auth("shop", "default", "PERMISSIVE"), client_sidecar=False))
    assert result.status is Status.PASS


def test_deny_policy_gives_403() -> None:
    deny = istio(
        "AuthorizationPolicy",
        "shop",
        "deny-web",
        {
            "action": "DENY",
            "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/web/sa/frontend"]}}]}],
        },
    )
    result = run(cluster(deny))
    assert result.status is Status.FAIL
    assert "RBAC: access denied" in result.summary
    assert "authorizationpolicy shop/deny-web rules[0]" in refs(result)
    # An ALLOW rule cannot override a DENY: the hint must change the DENY rule itself.
    assert result.hint is not None and "add an ALLOW" not in result.hint
    assert "from the DENY rule authorizationpolicy shop/deny-web rules[0]" in result.hint


def test_allow_policy_for_someone_else_on_a_tcp_port_closes_the_connection() -> None:
    allow = istio(
        "AuthorizationPolicy",
        "shop",
        "allow-batch",
        {
            "selector": {"matchLabels": {"app": "cart"}},
            "rules": [{"from": [{"source": {"namespaces": ["batch"]}}]}],
        },
    )
    tcp = [{"name": "tcp-cart", "port": 80, "targetPort": 8080}]
    result = run(cluster(allow, ports=tcp))
    assert result.status is Status.FAIL
    assert "TCP RBAC" in result.summary
    assert result.hint is not None and "to an ALLOW policy" in result.hint
    assert "authorizationpolicy shop/allow-batch" in result.hint


def test_plaintext_peer_has_no_principal_for_allow_rules() -> None:
    allow = istio(
        "AuthorizationPolicy",
        "shop",
        "allow-web",
        {"rules": [{"from": [{"source": {"namespaces": ["web"]}}]}]},
    )
    assert run(cluster(allow)).status is Status.PASS
    result = run(cluster(allow, peer_auth("shop", "default", "PERMISSIVE"), client_sidecar=False))
    assert result.status is Status.FAIL and "no mTLS" in result.summary


def _vs(subset: str = "v1", host: str = "cart", match: bool = False) -> K8s:
    route: dict[str, Any] = {"route": [{"destination": {"host": host, "subset": subset}}]}
    if match:
        route["match"] = [{"headers": {"x-canary": {"exact": "1"}}}]
    return istio("VirtualService", "shop", "cart-vs", {"hosts": ["cart"], "http": [route]})


SUBSETS = istio(
    "DestinationRule",
    "shop",
    "cart-dr",
    {
        "host": "cart",
        "subsets": [
            {"name": "v1", "labels": {"version": "v1"}},
            {"name": "v3", "labels": {"version": "v3"}},
        ],
    },
)


def test_route_to_a_missing_subset_gives_503_nr() -> None:
    result = run(cluster(_vs("v2"), SUBSETS))
    assert result.status is Status.FAIL
    assert "503 NR" in result.summary
    assert "virtualservice shop/cart-vs http[0].route[0].destination" in refs(result)


def test_conditional_route_to_a_missing_subset_only_warns() -> None:
    assert run(cluster(_vs("v2", match=True), SUBSETS)).status is Status.WARN


def test_route_to_a_subset_selecting_no_pods_gives_503_uh() -> None:
    result = run(cluster(_vs("v3"), SUBSETS))
    assert result.status is Status.FAIL and "503 UH" in result.summary


def test_route_to_a_missing_host() -> None:
    result = run(cluster(_vs("", host="carts")))
    assert result.status is Status.FAIL and "does not exist" in result.summary


def test_route_to_an_existing_subset_passes() -> None:
    only_v1 = istio(
        "DestinationRule",
        "shop",
        "cart-dr",
        {"host": "cart", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]},
    )
    result = run(cluster(_vs("v1"), only_v1))
    assert result.status is Status.PASS
    assert "virtualservice shop/cart-vs" in refs(result)


def test_an_unused_subset_selecting_no_pods_is_only_a_note() -> None:
    result = run(cluster(SUBSETS))
    assert result.status is Status.PASS, result.summary
    unused = [e for e in result.evidence if e.ref == "destinationrule shop/cart-dr subsets[v3]"]
    assert [e.detail for e in unused] == ["selects no pods; unused: no route sends to it"]
    assert run(cluster(_vs("v1"), SUBSETS)).status is Status.PASS  # routes only to v1


def test_a_weighted_route_to_an_empty_subset_warns() -> None:
    split = istio(
        "VirtualService",
        "shop",
        "cart-vs",
        {
            "hosts": ["cart"],
            "http": [
                {
                    "route": [
                        {"destination": {"host": "cart", "subset": "v1"}, "weight": 90},
                        {"destination": {"host": "cart", "subset": "v3"}, "weight": 10},
                    ]
                }
            ],
        },
    )
    result = run(cluster(split, SUBSETS))
    assert result.status is Status.WARN
    assert "subset v3 of destinationrule shop/cart-dr selects no pods" in result.summary


def test_ambient_is_recognised_and_reported() -> None:
    ambient = {"istio.io/dataplane-mode": "ambient"}
    state = state_of(
        namespace("web", **ambient),
        namespace("shop", **ambient),
        pod("web", "web-1", {"app": "web"}, ip="10.1.0.5"),
        pod("shop", "cart-1", {"app": "cart"}, ip="10.2.0.7"),
        service("shop", "cart", {"app": "cart"}),
        peer_auth("shop", "default", "STRICT"),
    )
    result = run(state)
    assert result.status is Status.PASS
    assert "ambient (ztunnel)" in result.summary
    assert "istioctl ztunnel-config workloads" in result.commands


def test_ambient_strict_server_resets_a_client_outside_the_mesh() -> None:
    state = cluster(
        peer_auth("shop", "default", "STRICT"),
        client_sidecar=False,
        server_sidecar=False,
        shop_labels={"istio.io/dataplane-mode": "ambient"},
    )
    result = run(state)
    assert result.status is Status.FAIL and "reset" in result.summary


def test_pod_missing_its_proxy_in_an_injected_namespace_warns() -> None:
    state = state_of(
        namespace("web"),
        namespace("shop", **{"istio-injection": "enabled"}),
        pod("web", "web-1", {"app": "web"}),
        pod("shop", "cart-1", {"app": "cart"}),
        service("shop", "cart", {"app": "cart"}),
    )
    result = run(state)
    assert result.status is Status.WARN
    assert "runs without istio-proxy" in result.summary


def test_unnamed_service_port_warns_in_the_mesh() -> None:
    result = run(cluster(ports=[{"port": 80, "targetPort": 8080}]))
    assert result.status is Status.WARN
    assert "no protocol name or appProtocol" in result.summary


def test_sidecar_egress_registry_only_blackholes_unlisted_hosts() -> None:
    scope = istio(
        "Sidecar",
        "web",
        "default",
        {
            "egress": [{"hosts": ["./*", "istio-system/*"]}],
            "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
        },
    )
    result = run(cluster(scope))
    assert result.status is Status.FAIL and "BlackHoleCluster" in result.summary
    listed = istio(
        "Sidecar",
        "web",
        "default",
        {"egress": [{"hosts": ["shop/*"]}], "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}},
    )
    assert run(cluster(listed)).status is Status.PASS


def test_dialing_a_strict_pod_ip_directly_warns_about_passthrough() -> None:
    result = run(cluster(STRICT_8080), target="10.2.0.7:8080")
    assert result.status is Status.WARN and "passthrough" in result.summary


def test_native_sidecar_counts_as_a_sidecar() -> None:
    state = cluster(STRICT_8080, server_sidecar=False)
    state.add(
        pod("shop", "cart-1", {"app": "cart", "version": "v1"}, native_sidecar=True, ip="10.2.0.7")
    )
    assert run(state).status is Status.PASS


def test_commands_carry_istioctl_equivalents() -> None:
    result = run(cluster())
    assert "istioctl x describe pod cart-1 -n shop" in result.commands
    assert (
        "istioctl proxy-config cluster web-1 -n web --fqdn cart.shop.svc.cluster.local"
        in result.commands
    )
    assert "istioctl proxy-config listener cart-1 -n shop --port 15006" in result.commands
    assert any(c.startswith("kubectl get peerauthentication") for c in result.commands)


REGISTRY_ONLY = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "istio", "namespace": "istio-system"},
    "data": {"mesh": "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"},
}


def test_external_host_without_service_entry_is_blackholed_under_registry_only() -> None:
    result = run(cluster(obj(REGISTRY_ONLY)), target="api.example.com:443")
    assert result.status is Status.FAIL
    assert "no ServiceEntry registers api.example.com" in result.summary
    assert "BlackHoleCluster" in result.summary


def test_external_host_with_a_service_entry_passes() -> None:
    entry = istio(
        "ServiceEntry",
        "istio-system",
        "example",
        {"hosts": ["*.example.com"], "location": "MESH_EXTERNAL"},
    )
    result = run(cluster(obj(REGISTRY_ONLY), entry), target="api.example.com:443")
    assert result.status is Status.PASS
    assert "serviceentry istio-system/example" in refs(result)


def test_external_host_under_allow_any_passes_through() -> None:
    result = run(cluster(), target="api.example.com:443")
    assert result.status is Status.PASS
    assert any("PassthroughCluster" in e.detail for e in result.evidence)


def test_ambient_waypoint_applies_policies_attached_to_the_service() -> None:
    ambient = {"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"}
    deny = istio(
        "AuthorizationPolicy",
        "shop",
        "deny-at-waypoint",
        {
            "targetRefs": [{"kind": "Service", "group": "", "name": "cart"}],
            "action": "DENY",
            "rules": [{"from": [{"source": {"namespaces": ["web"]}}]}],
        },
    )
    state = cluster(deny, client_sidecar=False, server_sidecar=False, shop_labels=ambient)
    state.add(namespace("web", **{"istio.io/dataplane-mode": "ambient"}))
    result = run(state)
    assert result.status is Status.FAIL
    assert "ambient (ztunnel, waypoint waypoint)" in " ".join(e.detail for e in result.evidence)
    assert "authorizationpolicy shop/deny-at-waypoint rules[0]" in refs(result)
    without_waypoint = cluster(
        deny,
        client_sidecar=False,
        server_sidecar=False,
        shop_labels={"istio.io/dataplane-mode": "ambient"},
    )
    without_waypoint.add(namespace("web", **{"istio.io/dataplane-mode": "ambient"}))
    assert run(without_waypoint).status is Status.PASS


def test_ambient_client_sends_plaintext_to_a_pod_outside_the_mesh() -> None:
    state = cluster(client_sidecar=False, server_sidecar=False, shop_labels={})
    state.add(namespace("web", **{"istio.io/dataplane-mode": "ambient"}))
    result = run(state)
    assert result.status is Status.PASS
    assert "client sends DISABLE" in result.summary


def test_pod_ip_dial_still_meets_authorization_policies() -> None:
    allow = istio(
        "AuthorizationPolicy",
        "shop",
        "allow-web",
        {"rules": [{"from": [{"source": {"namespaces": ["web"]}}]}]},
    )
    result = run(cluster(allow, peer_auth("shop", "default", "PERMISSIVE")), target="10.2.0.7:8080")
    assert result.status is Status.FAIL
    assert "no mTLS" in result.summary


def test_unreadable_namespaces_with_ztunnel_running_are_unknown() -> None:
    state = cluster(client_sidecar=False, server_sidecar=False, shop_labels={})
    state.add(pod("istio-system", "ztunnel-abc", {"app": "ztunnel"}))
    state.meta.unreadable["Namespace"] = "forbidden: list namespaces"
    result = run(state)
    assert result.status is Status.UNKNOWN and "ambient" in result.summary
    state.remove("Pod", "istio-system", "ztunnel-abc")
    assert run(state).status is Status.PASS


def test_policies_on_a_pod_without_proxy_are_reported_as_not_enforced() -> None:
    deny = istio("AuthorizationPolicy", "shop", "deny-all", {"action": "DENY", "rules": [{}]})
    state = cluster(STRICT_8080, deny, client_sidecar=False, server_sidecar=False, shop_labels={})
    result = run(state)
    assert result.status is Status.PASS
    assert "not enforced" in result.summary
    assert "authorizationpolicy shop/deny-all" in refs(result)
    assert "peerauthentication shop/strict-mtls portLevelMtls[8080]" in refs(result)


def test_each_subset_is_judged_against_its_own_pods() -> None:
    rule = istio(
        "DestinationRule",
        "shop",
        "cart-dr",
        {
            "host": "cart",
            "subsets": [
                {
                    "name": "v1",
                    "labels": {"version": "v1"},
                    "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
                },
                {
                    "name": "v2",
                    "labels": {"version": "v2"},
                    "trafficPolicy": {"tls": {"mode": "DISABLE"}},
                },
            ],
        },
    )
    split = istio(
        "VirtualService",
        "shop",
        "cart-vs",
        {
            "hosts": ["cart"],
            "http": [
                {
                    "route": [
                        {"destination": {"host": "cart", "subset": "v1"}, "weight": 50},
                        {"destination": {"host": "cart", "subset": "v2"}, "weight": 50},
                    ]
                }
            ],
        },
    )
    state = cluster(rule, split)
    state.add(
        pod(
            "shop",
            "cart-2",
            {"app": "cart", "version": "v2"},
            ip="10.2.0.8",
            annotations={"sidecar.istio.io/inject": "false"},
        )
    )
    assert run(state).status is Status.PASS
    # v1's ISTIO_MUTUAL toward the sidecar-less v2 pod would be a 503 UF; swap the labels:
    state.add(
        pod(
            "shop",
            "cart-2",
            {"app": "cart", "version": "v1"},
            ip="10.2.0.8",
            annotations={"sidecar.istio.io/inject": "false"},
        )
    )
    result = run(state)
    assert result.status is Status.FAIL
    assert any("503 UF" in e.detail and "cart-2" in e.ref + e.detail for e in result.evidence)


def test_two_services_with_different_protocols_on_one_port_warn() -> None:
    other = service(
        "shop", "cart-tcp", {"app": "cart"}, [{"name": "tcp", "port": 80, "targetPort": 8080}]
    )
    result = run(cluster(other))
    assert result.status is Status.WARN
    assert "DeploymentAssociatedToMultipleServices" in result.summary


def test_unreadable_gateways_do_not_block_a_mesh_verdict() -> None:
    state = cluster()
    state.meta.unreadable["IstioGateway"] = "forbidden: list gateways.networking.istio.io"
    assert run(state).status is Status.PASS
