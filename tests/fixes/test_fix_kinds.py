"""Fix kinds the demo does not plant, each on a small fixture: the proposed patch makes the
edge's layer pass and changes nothing else (the minimality property)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builders import container, healthy_dns, pod, service, state, web_and_cart
from mesh_builders import istio, namespace, obj
from netpol_builders import netpol

from kexplore.checks.ladder import check_edge
from kexplore.checks.result import Status
from kexplore.fixes.propose import Proposal, propose
from kexplore.fixes.whatif import EdgeSpec, canonical, what_if
from kexplore.model.state import ClusterState

DNS_ONLY = {
    "podSelector": {"matchLabels": {"app": "web"}},
    "policyTypes": ["Egress"],
    "egress": [
        {
            "to": [
                {"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        }
    ],
}
DENY_INGRESS = {"podSelector": {}, "policyTypes": ["Ingress"]}


def _policy(ns: str, name: str, spec: dict[str, Any]) -> Any:
    return obj(netpol(ns, name, spec))


def cluster(*extra: Any) -> ClusterState:
    """web-1 (sidecar, ns web) → cart.shop:80 → cart-1:8080 (sidecar), Ready, with DNS."""
    sidecar = {"name": "istio-proxy", "image": "istio/proxyv2:1.24"}
    return state(
        *healthy_dns(),
        namespace("web", **{"istio-injection": "enabled"}),
        namespace("shop", **{"istio-injection": "enabled"}),
        pod(
            "web",
            "web-1",
            labels={"app": "web"},
            ip="10.1.0.5",
            containers=[container("app"), sidecar],
        ),
        pod(
            "shop",
            "cart-1",
            labels={"app": "cart"},
            ip="10.2.0.7",
            containers=[container("app", [(8080, "http")]), sidecar],
        ),
        service(
            "shop",
            "cart",
            selector={"app": "cart"},
            ports=[{"name": "http", "port": 80, "targetPort": 8080}],
        ),
        *extra,
    )


def _proposals(
    st: ClusterState, source: str, target: str, layer: str, edge: EdgeSpec | None = None
) -> list[Proposal]:
    report = check_edge(st, source, target)
    assert report.failing_layer == layer, [(r.id, r.status, r.summary) for r in report.layers]
    return propose(st, report, edge or EdgeSpec(source, target))


def _passes(
    st: ClusterState, proposal: Proposal, source: str, target: str, edge: EdgeSpec | None = None
) -> None:
    result = what_if(st, proposal.candidate.edits, edge or EdgeSpec(source, target))
    assert result.focus is not None and result.focus.after is not None
    # The fixtures hold no nodes: `cluster` is unknown; no layer may fail.
    assert result.focus.after.verdict is not Status.FAIL, result.effect()
    assert result.others_changed() == []


def _ops(proposal: Proposal) -> list[dict[str, Any]]:
    return [op for edit in proposal.candidate.edits for op in edit.ops]


def test_egress_denied_at_the_source_gets_the_narrowest_egress_rule() -> None:
    st = state(*web_and_cart(), _policy("shop", "web-egress", DNS_ONLY))
    found = _proposals(st, "shop/web-1", "cart:80", "networkpolicy")
    assert [p.candidate.edits[0].key.ref() for p in found] == [
        "networkpolicy shop/web-egress",
        "networkpolicy shop/web-1-allow-to-cart-1",
    ]
    rule = _ops(found[0])[0]["value"]
    assert rule == {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
                "podSelector": {"matchLabels": {"app": "cart"}},
            }
        ],
        "ports": [{"protocol": "TCP", "port": 8080}],  # the backend port, after DNAT
    }
    for proposal in found:
        _passes(st, proposal, "shop/web-1", "cart:80")


def test_both_directions_denied_need_both_rules_in_one_fix() -> None:
    st = state(
        *web_and_cart(),
        _policy("shop", "web-egress", DNS_ONLY),
        _policy("shop", "deny-ingress", DENY_INGRESS),
    )
    found = _proposals(st, "shop/web-1", "cart:80", "networkpolicy")
    first = found[0].candidate.edits
    assert [e.key.ref() for e in first] == [
        "networkpolicy shop/web-egress",
        "networkpolicy shop/deny-ingress",
    ]
    _passes(st, found[0], "shop/web-1", "cart:80")


def test_an_allow_policy_that_admits_someone_else_gets_a_rule_for_this_source() -> None:
    allow = istio(
        "AuthorizationPolicy",
        "shop",
        "allow-batch",
        {
            "selector": {"matchLabels": {"app": "cart"}},
            "rules": [{"from": [{"source": {"namespaces": ["batch"]}}]}],
        },
    )
    st = cluster(allow, *healthy_dns())
    found = _proposals(st, "web/web-1", "cart.shop:80", "mesh")
    assert len(found) == 1
    rule = _ops(found[0])[0]["value"]
    assert rule == {
        "from": [{"source": {"principals": ["cluster.local/ns/web/sa/default"]}}],
        "to": [{"operation": {"ports": ["8080"]}}],
    }
    _passes(st, found[0], "web/web-1", "cart.shop:80")


def test_a_deny_rule_naming_several_principals_loses_only_this_one() -> None:
    deny = istio(
        "AuthorizationPolicy",
        "shop",
        "deny-some",
        {
            "action": "DENY",
            "rules": [
                {
                    "from": [
                        {
                            "source": {
                                "principals": [
                                    "cluster.local/ns/batch/sa/job",
                                    "cluster.local/ns/web/sa/default",
                                ]
                            }
                        }
                    ]
                }
            ],
        },
    )
    st = cluster(deny, *healthy_dns())
    found = _proposals(st, "web/web-1", "cart.shop:80", "mesh")
    assert _ops(found[0]) == [
        {
            "op": "test",
            "path": "/spec/rules/0/from/0/source/principals/1",
            "value": "cluster.local/ns/web/sa/default",
        },
        {"op": "remove", "path": "/spec/rules/0/from/0/source/principals/1"},
    ]
    assert found[1].candidate.edits[0].mode == "delete"
    assert "every source this policy denied" in found[1].candidate.tradeoff
    for proposal in found:
        _passes(st, proposal, "web/web-1", "cart.shop:80")


def test_a_container_port_rename_is_offered_when_nothing_else_uses_the_old_name() -> None:
    """A missing named targetPort: the service side, or the container port's name."""
    objs = [
        *healthy_dns(),
        pod("shop", "web-1", labels={"app": "web"}, ip="10.0.0.2"),
        pod(
            "shop",
            "cart-1",
            labels={"app": "cart"},
            ip="10.0.0.3",
            ports=[(8080, "web")],
            owner=("Deployment", "cart"),
        ),
        service(
            "shop",
            "cart",
            selector={"app": "cart"},
            cluster_ip="10.96.5.5",
            ports=[{"port": 80, "targetPort": "http"}],
        ),
    ]
    st = state(*objs)
    found = _proposals(st, "shop/web-1", "cart:80", "service")
    assert _ops(found[0])[-1] == {
        "op": "replace",
        "path": "/spec/ports/0/targetPort",
        "value": "web",
    }
    _passes(st, found[0], "shop/web-1", "cart:80")


def _boutique_with(tmp_path: Path, old: str, new: str) -> ClusterState:
    from test_apps_boutique import _policies_with

    return _policies_with(tmp_path, old, new)


def test_a_peer_selector_typo_is_fixed_in_place_not_with_a_new_rule(tmp_path: Path) -> None:
    """Online Boutique's policy for cartservice admits app=frontnd: the fix is the value."""
    cart_rule = (
        "      app: cartservice\n  policyTypes:\n  - Ingress\n  - Egress\n  ingress:\n"
        "  - from:\n    - podSelector:\n        matchLabels:\n          app: frontend\n"
    )
    st = _boutique_with(tmp_path, cart_rule, cart_rule.replace("frontend", "frontnd"))
    edge = canonical(st, EdgeSpec("default/deploy/frontend", "cartservice:7070"))
    found = _proposals(st, edge.source, edge.target, "networkpolicy", edge)
    assert _ops(found[0]) == [
        {
            "op": "test",
            "path": "/spec/ingress/0/from/0/podSelector/matchLabels/app",
            "value": "frontnd",
        },
        {
            "op": "replace",
            "path": "/spec/ingress/0/from/0/podSelector/matchLabels/app",
            "value": "frontend",
        },
    ]
    _passes(st, found[0], edge.source, edge.target, edge)


def test_a_dangling_policy_gets_its_pod_selector_fixed(tmp_path: Path) -> None:
    subject = "  podSelector:\n    matchLabels:\n      app: cartservice\n"
    st = _boutique_with(tmp_path, subject, subject.replace("cartservice", "cartservic"))
    edge = canonical(st, EdgeSpec("default/deploy/frontend", "cartservice:7070"))
    found = _proposals(st, edge.source, edge.target, "networkpolicy", edge)
    assert found[0].candidate.title.startswith("networkpolicy default/cartservice selects no pod")
    assert _ops(found[0])[-1] == {
        "op": "replace",
        "path": "/spec/podSelector/matchLabels/app",
        "value": "cartservice",
    }
    # The typo closed every edge to cartservice (and its own egress): the repair reopens
    # them, and the effect names each one; it is ranked first all the same.
    result = found[0].what_if
    assert result.focus is not None and result.focus.after is not None
    assert result.focus.after.verdict is not Status.FAIL
    opened = {(o.edge.source, o.edge.target) for o in result.others_changed() if o.opened}
    assert opened == {
        ("default/deploy/checkoutservice", "cartservice:7070"),
        ("default/deploy/cartservice", "redis-cart:6379"),
    }
    assert "also opens: 2 edge(s)" in result.effect()
