"""The `dns` layer."""

from __future__ import annotations

from typing import Any

from builders import FakeProber, edge, healthy_dns, pod, service, state

from kexplore.analysis.services import Backend
from kexplore.checks import dns as dns_layer
from kexplore.checks.context import EdgeContext, PartialCheck, build_context
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.base import K8s


def base(*extra: K8s, dns: list[K8s] | None = None) -> list[K8s]:
    return [
        pod("shop", "cart-1", labels={"app": "cart"}, ip="10.0.0.3", ports=[8080]),
        service(
            "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80}], cluster_ip="10.96.5.5"
        ),
        service("payments", "ledger", selector={"app": "ledger"}, ports=[{"port": 80}]),
        *(healthy_dns() if dns is None else dns),
        *extra,
    ]


def run(
    *extra: K8s,
    target: str = "cart:80",
    source: Any = None,
    dns: list[K8s] | None = None,
    unreadable: dict[str, str] | None = None,
) -> LayerResult:
    src = source or pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2")
    st = state(src, *base(*extra, dns=dns), unreadable=unreadable)
    return dns_layer.check(edge(st, f"shop/{src.metadata.name}", target))


def test_short_name_in_the_source_namespace_passes() -> None:
    result = run()
    assert result.status is Status.PASS
    assert result.summary == "cart resolves to cart.shop.svc.cluster.local (10.96.5.5)"
    assert "kubectl exec -n shop web -- nslookup cart" in result.commands
    assert any("search shop.svc.cluster.local" in e.detail for e in result.evidence)


def test_short_name_of_another_namespace_fails_with_the_fix() -> None:
    result = run(target="ledger:80")
    assert result.status is Status.FAIL and "(NXDOMAIN)" in result.summary
    assert result.hint is not None and "ledger.payments" in result.hint
    assert any("ledger.shop.svc.cluster.local" in e.detail for e in result.evidence)


def test_dns_policy_default_source_fails() -> None:
    result = run(source=pod("shop", "legacy", dns_policy="Default"))
    assert result.status is Status.FAIL and "does not use cluster DNS" in result.summary
    assert result.hint is not None and "ClusterFirst" in result.hint


def test_host_network_source_needs_cluster_first_with_host_net() -> None:
    result = run(source=pod("shop", "agent", host_network=True))
    assert result.status is Status.FAIL
    assert result.hint is not None and "ClusterFirstWithHostNet" in result.hint


def test_coredns_down_is_an_outage() -> None:
    down = [
        pod(
            "kube-system",
            "coredns-abc",
            labels={"k8s-app": "kube-dns"},
            ip="10.0.9.10",
            ready=False,
        ),
        healthy_dns()[1],
    ]
    result = run(dns=down)
    assert result.status is Status.FAIL and "cluster DNS outage" in result.summary


def test_one_dns_pod_not_ready_warns() -> None:
    extra = pod(
        "kube-system", "coredns-def", labels={"k8s-app": "kube-dns"}, ip="10.0.9.11", ready=False
    )
    result = run(extra)
    assert result.status is Status.WARN and "1/2 DNS pods Ready" in result.summary


def test_dns_service_missing_from_the_data_is_unknown() -> None:
    result = run(dns=[])
    assert result.status is Status.UNKNOWN and "kube-dns" in result.summary
    assert result.hint is not None and "kube-system" in result.hint


def test_external_names_are_not_judged_statically() -> None:
    result = run(target="api.example.com:443")
    assert result.status is Status.UNKNOWN and "--probe" in (result.hint or "")


def test_ip_target_has_no_lookup() -> None:
    assert run(target="10.0.0.3:8080").status is Status.SKIPPED


def test_external_name_service_is_a_cname() -> None:
    psp = service("shop", "psp", type="ExternalName", external_name="api.stripe.com")
    result = run(psp, target="psp:443")
    assert result.status is Status.PASS and "CNAME to api.stripe.com" in result.summary


def test_nxdomain_with_unreadable_services_is_unknown() -> None:
    result = run(target="basket:80", unreadable={"Service": "forbidden"})
    assert result.status is Status.UNKNOWN


def test_dns_egress_seam_receives_the_dns_backends() -> None:
    seen: list[list[Backend]] = []

    def deny(ctx: EdgeContext, backends: list[Backend]) -> PartialCheck:
        seen.append(backends)
        return PartialCheck(
            Status.FAIL,
            "egress to DNS denied",
            [Evidence("networkpolicy shop/deny-all egress", "no rule allows UDP 53")],
        )

    st = state(pod("shop", "web", ip="10.0.0.2"), *base())
    ctx = edge(st, "shop/web", "cart:80")
    ctx.dns_egress = deny
    result = dns_layer.check(ctx)
    assert result.status is Status.FAIL and result.summary == "egress to DNS denied"
    assert {(b.ip, b.port, b.protocol) for b in seen[0]} == {
        ("10.0.9.10", 53, "UDP"),
        ("10.0.9.10", 53, "TCP"),
    }


def test_without_the_seam_egress_is_unknown_never_a_pass() -> None:
    st = state(pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"), *base())
    ctx = build_context(st, resolve_source(st, "shop/web"), parse_target("cart:80"))
    result = dns_layer.check(ctx)
    assert result.status is Status.UNKNOWN and "not evaluated" in result.summary


def test_alias_to_a_missing_cluster_name_fails_with_the_alias_shown() -> None:
    alias = service("shop", "db", type="ExternalName", external_name="gone.shop.svc.cluster.local")
    result = run(alias, target="db:5432")
    assert result.status is Status.FAIL
    assert any("alias (CNAME) for gone.shop.svc.cluster.local" in e.detail for e in result.evidence)


def probed(target: str, answer: str) -> LayerResult:
    st = state(pod("shop", "web", ip="10.0.0.2"), *base())
    ctx = edge(st, "shop/web", target)
    ctx.prober = FakeProber({("dns", target.split(":")[0]): answer})
    return dns_layer.check(ctx)


def test_a_failed_lookup_from_the_source_fails_the_layer() -> None:
    result = probed("cart:80", "timeout")
    assert result.status is Status.FAIL and result.basis == "probe"
    assert "DNS lookup from the source pod" in result.summary


def test_an_external_name_resolved_from_the_source_passes() -> None:
    result = probed("api.example.com:443", "resolved")
    assert result.status is Status.PASS and result.basis == "probe"
    assert probed("api.example.com:443", "nxdomain").status is Status.FAIL
