"""Client TLS: DestinationRule lookup (short names, FQDN, wildcards, exportTo, port level,
subsets, workload selectors, namespace order) and auto-mTLS.

AUTO_MTLS_CASES is transcribed from Istio's TestBuildAutoMtlsSettings
(pilot/pkg/networking/core/cluster_tls_test.go), keeping the mode and whether the setting
was user supplied (explicit) or auto-detected; a server without a sidecar is Istio's
MTLSUnknown (None here), and a mesh-external host is modelled the same way.
"""

from __future__ import annotations

from typing import Any

import pytest
from mesh_builders import istio, state_of

from kexplore.analysis.mesh.tls import choose_rules, client_tls, explicit_tls, rules_for_host
from kexplore.model.istio import DestinationRule

FQDN = "cart.shop.svc.cluster.local"

# (name, DR tls mode or None, auto-mTLS enabled, server mode, expected mode, explicit)
AUTO_MTLS_CASES: list[tuple[str, str | None, bool, str | None, str, bool]] = [
    (
        "Destination rule TLS sni and SAN override",
        "ISTIO_MUTUAL",
        False,
        None,
        "ISTIO_MUTUAL",
        True,
    ),
    (
        "Auto fill nil settings when mTLS nil for internal service in strict mode",
        None,
        True,
        "STRICT",
        "ISTIO_MUTUAL",
        False,
    ),
    (
        "Auto fill nil settings when mTLS nil for internal service in permissive mode",
        None,
        True,
        "PERMISSIVE",
        "ISTIO_MUTUAL",
        False,
    ),
    (
        "Auto fill nil settings when mTLS nil for internal service in plaintext mode",
        None,
        True,
        "DISABLE",
        "DISABLE",
        False,
    ),
    (
        "Auto fill nil settings when mTLS nil for internal service in unknown mode",
        None,
        True,
        None,
        "DISABLE",
        False,
    ),
    ("Do not auto fill nil settings for external", None, True, None, "DISABLE", False),
    (
        "Do not auto fill nil settings if server mTLS is disabled",
        None,
        False,
        "DISABLE",
        "DISABLE",
        False,
    ),
    ("Simple TLS", "SIMPLE", False, None, "SIMPLE", True),
    ("Metadata certs with Mesh External", "MUTUAL", False, None, "MUTUAL", True),
    (
        "spiffe IDs with extra trust domains, no custom TLS",
        None,
        True,
        "PERMISSIVE",
        "ISTIO_MUTUAL",
        False,
    ),
    (
        "spiffe IDs with extra trust domains, custom SNI",
        "ISTIO_MUTUAL",
        True,
        "PERMISSIVE",
        "ISTIO_MUTUAL",
        True,
    ),
    (
        "spiffe IDs with extra trust domains, custom SANs",
        "ISTIO_MUTUAL",
        True,
        "PERMISSIVE",
        "ISTIO_MUTUAL",
        True,
    ),
]
# Not transcribed: "Metadata cert path override ISTIO_MUTUAL" and "TLS nil auto build tls with
# metadata cert path" turn ISTIO_MUTUAL into MUTUAL from proxy bootstrap metadata
# (TLSClientCertChain...), which is not in any Kubernetes object kexplore reads.


def dr(ns: str, name: str, host: str, **spec: Any) -> DestinationRule:
    rule = istio(
        "DestinationRule",
        ns,
        name,
        {"host": host, **spec},
        creationTimestamp=spec.pop("created", None),
    )
    assert isinstance(rule, DestinationRule)
    return rule


def tls(mode: str) -> dict[str, Any]:
    return {"tls": {"mode": mode}}


@pytest.mark.parametrize(
    ("name", "dr_mode", "auto", "server", "want", "explicit"),
    AUTO_MTLS_CASES,
    ids=[c[0] for c in AUTO_MTLS_CASES],
)
def test_auto_mtls_table(
    name: str, dr_mode: str | None, auto: bool, server: str | None, want: str, explicit: bool
) -> None:
    rules = [dr("shop", "r", "cart", trafficPolicy=tls(dr_mode))] if dr_mode else []
    choice = choose_rules(rules, FQDN, "shop", {}, "shop", "istio-system")
    got = client_tls(choice, 80, "", server, auto)
    assert (got.mode, got.explicit) == (want, explicit)


@pytest.mark.parametrize(
    ("host", "rule_ns", "matches"),
    [
        ("cart", "shop", True),  # short name in the service's namespace
        ("cart", "web", False),  # short name means cart.web.svc.cluster.local
        (FQDN, "web", True),
        ("cart.shop", "shop", False),  # Istio does not expand names with a dot
        ("*.shop.svc.cluster.local", "shop", True),
        ("*.svc.cluster.local", "web", True),
        ("*.other.svc.cluster.local", "shop", False),
        ("*", "web", True),
    ],
)
def test_host_forms(host: str, rule_ns: str, matches: bool) -> None:
    rules = [dr(rule_ns, "r", host, trafficPolicy=tls("DISABLE"))]
    choice = choose_rules(rules, FQDN, "web", {}, "shop", "istio-system")
    assert (choice.rule is not None) == matches


def test_most_specific_host_wins_within_a_namespace() -> None:
    rules = [
        dr("web", "wild", "*.shop.svc.cluster.local", trafficPolicy=tls("DISABLE")),
        dr("web", "exact", FQDN, trafficPolicy=tls("ISTIO_MUTUAL")),
    ]
    choice = choose_rules(rules, FQDN, "web", {}, "shop", "istio-system")
    assert choice.rule is not None and choice.rule.metadata.name == "exact"


def test_client_namespace_before_service_namespace_before_root() -> None:
    client = dr("web", "client-side", FQDN, trafficPolicy=tls("SIMPLE"))
    server = dr("shop", "server-side", "cart", trafficPolicy=tls("DISABLE"))
    root = dr("istio-system", "root", "*.local", trafficPolicy=tls("MUTUAL"))
    for rules, want in (
        ([client, server, root], "client-side"),
        ([server, root], "server-side"),
        ([root], "root"),
    ):
        choice = choose_rules(rules, FQDN, "web", {}, "shop", "istio-system")
        assert choice.rule is not None and choice.rule.metadata.name == want


def test_export_to_hides_a_rule_from_other_namespaces() -> None:
    private = dr("shop", "private", "cart", trafficPolicy=tls("DISABLE"), exportTo=["."])
    assert choose_rules([private], FQDN, "web", {}, "shop", "istio-system").rule is None
    assert choose_rules([private], FQDN, "shop", {}, "shop", "istio-system").rule is not None
    listed = dr("shop", "listed", "cart", trafficPolicy=tls("DISABLE"), exportTo=["web"])
    assert choose_rules([listed], FQDN, "web", {}, "shop", "istio-system").rule is not None


def test_workload_selector_limits_a_rule_to_its_namespace_and_labels() -> None:
    scoped = dr(
        "web",
        "scoped",
        FQDN,
        trafficPolicy=tls("DISABLE"),
        workloadSelector={"matchLabels": {"app": "web"}},
    )
    plain = dr("web", "plain", FQDN, trafficPolicy=tls("ISTIO_MUTUAL"))
    picked = choose_rules([scoped, plain], FQDN, "web", {"app": "web"}, "shop", "istio-system")
    assert picked.rule is not None and picked.rule.metadata.name == "scoped"
    other = choose_rules([scoped, plain], FQDN, "web", {"app": "batch"}, "shop", "istio-system")
    assert other.rule is not None and other.rule.metadata.name == "plain"
    elsewhere = choose_rules([scoped], FQDN, "batch", {"app": "web"}, "shop", "istio-system")
    assert elsewhere.rule is None


def test_oldest_rule_wins_when_two_name_the_same_host() -> None:
    new = dr("shop", "a-new", "cart", trafficPolicy=tls("DISABLE"), created="2026-01-02T00:00:00Z")
    old = dr("shop", "z-old", "cart", trafficPolicy=tls("SIMPLE"), created="2026-01-01T00:00:00Z")
    choice = choose_rules([new, old], FQDN, "web", {}, "shop", "istio-system")
    assert client_tls(choice, 80, "", "STRICT").mode == "SIMPLE"


def test_port_level_and_subset_settings_are_most_specific_first() -> None:
    rule = dr(
        "shop",
        "cart-dr",
        "cart",
        trafficPolicy={
            "tls": {"mode": "ISTIO_MUTUAL"},
            "portLevelSettings": [{"port": {"number": 9090}, "tls": {"mode": "DISABLE"}}],
        },
        subsets=[
            {"name": "v1", "labels": {"version": "v1"}},
            {
                "name": "v2",
                "labels": {"version": "v2"},
                "trafficPolicy": {"tls": {"mode": "SIMPLE"}},
            },
        ],
    )
    choice = choose_rules([rule], FQDN, "web", {}, "shop", "istio-system")
    assert explicit_tls(choice, 80)[0].mode == "ISTIO_MUTUAL"  # type: ignore[union-attr]
    setting, fact = explicit_tls(choice, 9090)
    assert setting is not None and setting.mode == "DISABLE"
    assert fact is not None
    assert (
        fact.ref
        == "destinationrule shop/cart-dr trafficPolicy.portLevelSettings[9090].tls.mode=DISABLE"
    )
    assert explicit_tls(choice, 9090, "v1")[0].mode == "DISABLE"  # type: ignore[union-attr]
    assert explicit_tls(choice, 9090, "v2")[0].mode == "SIMPLE"  # type: ignore[union-attr]


def test_rule_without_tls_leaves_auto_mtls_in_charge() -> None:
    rule = dr("shop", "lb-only", "cart", trafficPolicy={"loadBalancer": {"simple": "ROUND_ROBIN"}})
    choice = choose_rules([rule], FQDN, "web", {}, "shop", "istio-system")
    got = client_tls(choice, 80, "", "STRICT")
    assert (got.mode, got.explicit) == ("ISTIO_MUTUAL", False)
    assert any("sets no tls" in f.detail for f in got.facts)


def test_rules_for_host_reads_the_root_namespace_from_meshconfig() -> None:
    mesh = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "istio", "namespace": "istio-system"},
        "data": {"mesh": "rootNamespace: istio-config\n"},
    }
    from mesh_builders import obj

    state = state_of(obj(mesh), dr("istio-config", "root", "*.local", trafficPolicy=tls("DISABLE")))
    choice = rules_for_host(state, FQDN, "web", {}, "shop")
    assert choice.rule is not None and choice.rule.metadata.name == "root"
