"""AuthorizationPolicy: which policies apply, rule matching, and CUSTOM → DENY → ALLOW."""

from __future__ import annotations

from typing import Any

import pytest
from mesh_builders import istio, pod, state_of

from kexplore.analysis.mesh.authz import (
    ALLOWED,
    CUSTOM,
    DENIED,
    DEPENDS,
    Peer,
    applicable_policies,
    evaluate,
    principal_of,
    string_match,
)
from kexplore.model.istio import AuthorizationPolicy
from kexplore.model.pods import Pod

WEB = Peer("web", "cluster.local/ns/web/sa/frontend", ("10.1.0.5",))
PLAIN = Peer("web", None, ("10.1.0.5",))


def ap(
    name: str, action: str | None = None, rules: list[dict[str, Any]] | None = None, **spec: Any
) -> AuthorizationPolicy:
    body: dict[str, Any] = dict(spec)
    if action:
        body["action"] = action
    if rules is not None:
        body["rules"] = rules
    policy = istio("AuthorizationPolicy", "shop", name, body)
    assert isinstance(policy, AuthorizationPolicy)
    return policy


def frm(**source: Any) -> dict[str, Any]:
    return {"from": [{"source": source}]}


def run(
    *policies: AuthorizationPolicy, peer: Peer = WEB, port: int = 8080, http: bool = True
) -> str:
    return evaluate(list(policies), peer, port, http).outcome


def test_no_policy_allows() -> None:
    assert run() == ALLOWED


def test_allow_policy_with_empty_spec_allows_nothing() -> None:
    decision = evaluate([ap("allow-nothing")], WEB, 8080, True)
    assert decision.outcome == DENIED
    assert "allows nothing" in decision.facts[0].detail


def test_allow_with_one_empty_rule_allows_everything() -> None:
    assert run(ap("allow-all", rules=[{}])) == ALLOWED


def test_deny_without_rules_denies_nothing() -> None:
    assert run(ap("deny-none", "DENY")) == ALLOWED


@pytest.mark.parametrize(
    ("source", "peer", "want"),
    [
        ({"principals": ["cluster.local/ns/web/sa/frontend"]}, WEB, ALLOWED),
        ({"principals": ["cluster.local/ns/web/sa/other"]}, WEB, DENIED),
        ({"principals": ["*"]}, WEB, ALLOWED),
        ({"principals": ["*/sa/frontend"]}, WEB, ALLOWED),
        ({"principals": ["*"]}, PLAIN, DENIED),  # no mTLS, no principal
        ({"namespaces": ["web"]}, WEB, ALLOWED),
        ({"namespaces": ["web"]}, PLAIN, DENIED),  # namespaces need mTLS too
        ({"namespaces": ["shop"]}, WEB, DENIED),
        ({"notNamespaces": ["shop"]}, WEB, ALLOWED),
        ({"notNamespaces": ["web"]}, WEB, DENIED),
        ({"ipBlocks": ["10.1.0.0/16"]}, PLAIN, ALLOWED),
        ({"ipBlocks": ["10.2.0.0/16"]}, PLAIN, DENIED),
        ({"notIpBlocks": ["10.1.0.5/32"]}, PLAIN, DENIED),
        ({"namespaces": ["web"], "principals": ["cluster.local/ns/web/sa/x"]}, WEB, DENIED),  # AND
    ],
)
def test_allow_by_source(source: dict[str, Any], peer: Peer, want: str) -> None:
    assert run(ap("allow", rules=[frm(**source)]), peer=peer) == want


def test_from_entries_are_ored() -> None:
    rule = {"from": [{"source": {"namespaces": ["shop"]}}, {"source": {"namespaces": ["web"]}}]}
    assert run(ap("allow", rules=[rule])) == ALLOWED


@pytest.mark.parametrize(
    ("ports", "port", "want"), [(["8080"], 8080, ALLOWED), (["9090"], 8080, DENIED)]
)
def test_allow_by_port(ports: list[str], port: int, want: str) -> None:
    assert run(ap("allow", rules=[{"to": [{"operation": {"ports": ports}}]}]), port=port) == want


def test_deny_beats_allow() -> None:
    allow = ap("allow-web", rules=[frm(namespaces=["web"])])
    deny = ap("deny-web", "DENY", [frm(namespaces=["web"])])
    decision = evaluate([allow, deny], WEB, 8080, True)
    assert decision.outcome == DENIED
    assert decision.facts[-1].ref == "authorizationpolicy shop/deny-web rules[0]"


def test_custom_is_reported_before_the_rest() -> None:
    custom = ap("ext", "CUSTOM", [{}], provider={"name": "opa"})
    decision = evaluate([custom], WEB, 8080, True)
    assert decision.outcome == CUSTOM
    assert "opa" in decision.facts[0].detail
    assert run(custom, ap("deny", "DENY", [{}])) == DENIED


def test_http_attributes_make_the_outcome_depend_on_the_request() -> None:
    allow_get = ap("allow-get", rules=[{"to": [{"operation": {"methods": ["GET"]}}]}])
    assert run(allow_get) == DEPENDS
    deny_admin = ap("deny-admin", "DENY", [{"to": [{"operation": {"paths": ["/admin*"]}}]}])
    assert run(deny_admin) == DEPENDS


def test_tcp_drops_http_only_allow_rules_and_widens_deny_rules() -> None:
    allow_get = ap("allow-get", rules=[{"to": [{"operation": {"methods": ["GET"]}}]}])
    assert run(allow_get, http=False) == DENIED
    deny_admin = ap("deny-admin", "DENY", [{"to": [{"operation": {"paths": ["/admin*"]}}]}])
    assert run(deny_admin, http=False) == DENIED


def test_when_conditions_on_known_keys() -> None:
    rule = {"when": [{"key": "source.namespace", "values": ["web"]}]}
    assert run(ap("allow", rules=[rule])) == ALLOWED
    rule = {"when": [{"key": "request.headers[x-token]", "values": ["a"]}]}
    assert run(ap("allow", rules=[rule])) == DEPENDS


def test_string_match_forms() -> None:
    assert string_match("abc*", "abcd") and string_match("*cd", "abcd") and string_match("*", "x")
    assert not string_match("*", "") and not string_match("abc", "abcd")


def test_applicable_policies_by_scope_and_selector() -> None:
    target = pod("shop", "cart-1", {"app": "cart"})
    state = state_of(
        target,
        istio("AuthorizationPolicy", "istio-system", "mesh", {}),
        istio("AuthorizationPolicy", "shop", "ns", {}),
        istio(
            "AuthorizationPolicy", "shop", "cart", {"selector": {"matchLabels": {"app": "cart"}}}
        ),
        istio("AuthorizationPolicy", "shop", "web", {"selector": {"matchLabels": {"app": "web"}}}),
        istio(
            "AuthorizationPolicy",
            "shop",
            "waypoint",
            {"targetRefs": [{"kind": "Service", "name": "cart"}]},
        ),
        istio("AuthorizationPolicy", "other", "ns", {}),
    )
    assert isinstance(target, Pod)
    names = sorted(p.metadata.name for p in applicable_policies(state, target, "istio-system"))
    assert names == ["cart", "mesh", "ns"]


def test_principal_of_uses_the_service_account() -> None:
    source = pod("web", "frontend-1", sa="frontend")
    assert isinstance(source, Pod)
    assert principal_of(source) == "cluster.local/ns/web/sa/frontend"


def test_ports_written_as_numbers_still_match() -> None:
    assert run(ap("allow", rules=[{"to": [{"operation": {"ports": [8080]}}]}])) == ALLOWED
