"""Cluster DNS resolution rules (analysis/dns.py)."""

from __future__ import annotations

from builders import config_map, endpoint, endpoint_slice, healthy_dns, pod, service, state

from kexplore.analysis import dns
from kexplore.analysis.dns import NameResolution, resolve_name
from kexplore.checks.edge import parse_target
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState


def cluster(*extra: object) -> ClusterState:
    return state(
        pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"),
        pod("shop", "cart-1", labels={"app": "cart"}, ip="10.0.0.3", ports=[8080]),
        service(
            "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80}], cluster_ip="10.96.5.5"
        ),
        service("payments", "ledger", selector={"app": "ledger"}, ports=[{"port": 80}]),
        pod("data", "db-0", labels={"app": "db"}, ip="10.0.0.7", hostname="db-0", subdomain="db"),
        service("data", "db", selector={"app": "db"}, cluster_ip="None", ports=[{"port": 5432}]),
        *healthy_dns(),
        *extra,  # type: ignore[arg-type]
    )


def resolve(
    st: ClusterState, text: str, ns: str = "shop", src: Pod | None = None
) -> NameResolution:
    return resolve_name(st, ns, src, parse_target(text))


def test_short_name_uses_the_source_namespace_search_path() -> None:
    res = resolve(cluster(), "cart:80")
    assert res.kind == dns.SERVICE and res.service is not None
    assert (res.namespace, res.name, res.ip) == ("shop", "cart", "10.96.5.5")
    assert res.fqdn == "cart.shop.svc.cluster.local"
    assert res.tried == ["cart.shop.svc.cluster.local"]


def test_qualified_forms_resolve_from_any_namespace() -> None:
    st = cluster()
    for text in ("cart.shop", "cart.shop.svc", "cart.shop.svc.cluster.local"):
        res = resolve(st, f"{text}:80", ns="payments")
        assert (res.kind, res.namespace, res.name) == (dns.SERVICE, "shop", "cart"), text


def test_short_name_of_a_service_in_another_namespace_is_nxdomain_with_near_miss() -> None:
    res = resolve(cluster(), "ledger:80", ns="shop")
    assert res.nxdomain
    assert res.tried[:3] == [
        "ledger.shop.svc.cluster.local",
        "ledger.svc.cluster.local",
        "ledger.cluster.local",
    ]
    assert any("namespace payments" in m and "ledger.payments" in m for m in res.near_misses)


def test_name_dot_namespace_with_missing_service_is_nxdomain() -> None:
    res = resolve(cluster(), "basket.shop:80")
    assert res.nxdomain


def test_ndots_fewer_dots_try_the_search_path_first() -> None:
    res = resolve(cluster(), "cart.shop.svc.cluster.local:80")
    # 4 dots < ndots 5: the three search suffixes are tried before the name as written
    assert len(res.tried) == 4 and res.tried[-1] == "cart.shop.svc.cluster.local"


def test_ndots_five_dots_try_the_name_first_and_trailing_dot_is_absolute() -> None:
    setup = dns.DnsSetup("ClusterFirst", True, ["shop.svc.cluster.local"])
    assert dns.candidates("a.b.c.d.e.f", setup, absolute=False)[0] == "a.b.c.d.e.f"
    res = resolve(cluster(), "cart.shop.svc.cluster.local.:80")
    assert res.tried == ["cart.shop.svc.cluster.local"] and res.kind == dns.SERVICE


def test_headless_pod_record_by_endpoint_hostname() -> None:
    st = cluster(
        endpoint_slice(
            "data", "db-x", "db", [endpoint("10.0.0.7", pod="db-0", ns="data", hostname="db-0")]
        )
    )
    res = resolve(st, "db-0.db.data.svc.cluster.local:5432")
    assert res.kind == dns.HEADLESS_POD and res.name == "db-0" and res.ip == "10.0.0.7"
    assert res.service is not None and res.service.name == "db"


def test_headless_pod_record_from_pod_hostname_and_subdomain_without_slices() -> None:
    res = resolve(cluster(), "db-0.db.data:5432")
    assert res.kind == dns.HEADLESS_POD and res.name == "db-0"
    assert resolve(cluster(), "db-9.db.data:5432").nxdomain


def test_pod_a_record() -> None:
    res = resolve(cluster(), "10-0-0-3.shop.pod.cluster.local:8080")
    assert res.kind == dns.POD and res.name == "cart-1" and res.ip == "10.0.0.3"
    orphan = resolve(cluster(), "10-9-9-9.shop.pod:8080")
    assert orphan.kind == dns.POD and not orphan.pods and "no pod" in orphan.notes[0]


def test_external_name_is_a_cname() -> None:
    st = cluster(service("shop", "psp", type="ExternalName", external_name="api.stripe.com"))
    res = resolve(st, "psp:443")
    assert res.kind == dns.EXTERNAL_NAME and res.external_name == "api.stripe.com"


def test_name_outside_the_cluster_is_external() -> None:
    res = resolve(cluster(), "api.example.com:443")
    assert res.kind == dns.EXTERNAL and res.fqdn == "api.example.com"


def test_ip_targets_map_to_the_service_or_pod_holding_them() -> None:
    st = cluster()
    assert resolve(st, "10.96.5.5:80").name == "cart"
    assert resolve(st, "10.96.5.5:80").kind == dns.SERVICE
    res = resolve(st, "10.0.0.3:8080")
    assert res.kind == dns.POD and res.name == "cart-1"
    assert resolve(st, "10.200.0.1:80").kind == dns.IP


def test_explicit_pod_and_service_targets() -> None:
    st = cluster()
    assert resolve(st, "shop/cart-1:8080").kind == dns.POD
    svc = resolve(st, "payments/svc/ledger:80", ns="shop")
    assert svc.kind == dns.SERVICE and svc.fqdn == "ledger.payments.svc.cluster.local"


def test_dns_policy_default_gets_no_cluster_search_path() -> None:
    src = pod("shop", "legacy", dns_policy="Default")
    st = cluster(src)
    assert isinstance(src, Pod)
    res = resolve(st, "cart:80", src=src)
    assert not res.setup.cluster_dns and "Default" in res.setup.finding
    # what the name means to the cluster is still known, for the later layers
    assert res.kind == dns.SERVICE and res.name == "cart"


def test_host_network_needs_cluster_first_with_host_net() -> None:
    plain = pod("shop", "agent", host_network=True)
    fixed = pod("shop", "agent2", host_network=True, dns_policy="ClusterFirstWithHostNet")
    st = cluster(plain, fixed)
    assert isinstance(plain, Pod) and isinstance(fixed, Pod)
    assert "hostNetwork" in resolve(st, "cart:80", src=plain).setup.finding
    assert resolve(st, "cart:80", src=fixed).setup.cluster_dns


def test_dns_config_searches_are_appended() -> None:
    src = pod("tools", "debug", searches=["shop.svc.cluster.local"])
    assert isinstance(src, Pod)
    res = resolve(cluster(src), "cart:80", ns="tools", src=src)
    assert res.kind == dns.SERVICE and res.namespace == "shop"
    assert res.setup.search[-1] == "shop.svc.cluster.local"


def test_dns_policy_none_uses_only_its_own_config() -> None:
    good = pod(
        "shop", "n1", dns_policy="None", nameservers=["10.96.0.10"], searches=["svc.cluster.local"]
    )
    bad = pod("shop", "n2", dns_policy="None", nameservers=["8.8.8.8"])
    st = cluster(good, bad)
    assert isinstance(good, Pod) and isinstance(bad, Pod)
    res = resolve(st, "cart:80", src=good)
    assert res.setup.cluster_dns and res.nxdomain  # `cart.svc.cluster.local` is not a record
    assert resolve(st, "cart.shop:80", src=good).kind == dns.SERVICE
    assert not resolve(st, "cart:80", src=bad).setup.cluster_dns


def test_cluster_domain_from_corefile() -> None:
    corefile = ".:53 {\n    kubernetes corp.internal in-addr.arpa ip6.arpa {\n    }\n}\n"
    st = cluster(config_map("kube-system", "coredns", {"Corefile": corefile}))
    assert dns.cluster_domain(st) == "corp.internal"
    assert resolve(st, "cart:80").fqdn == "cart.shop.svc.corp.internal"
    assert resolve(st, "cart.shop.svc.cluster.local:80").kind == dns.EXTERNAL


def test_near_miss_for_pod_and_workload_names() -> None:
    res = resolve(cluster(), "web:80")
    assert any("pod shop/web exists" in m for m in res.near_misses)


def test_external_name_alias_of_a_cluster_service_is_followed() -> None:
    alias = service("shop", "db", type="ExternalName", external_name="cart.shop.svc.cluster.local")
    res = resolve(cluster(alias), "db:80")
    assert res.kind == dns.SERVICE and res.name == "cart" and res.query == "db"
    assert "alias (CNAME) for cart.shop.svc.cluster.local" in res.notes[0]
    broken = service("shop", "db", type="ExternalName", external_name="gone.shop.svc.cluster.local")
    gone = resolve(cluster(broken), "db:80")
    assert gone.nxdomain and "does not exist" in gone.notes[0]


def test_mistyped_namespace_is_nxdomain_with_near_misses() -> None:
    res = resolve(cluster(), "ledger.payment:80")
    assert res.nxdomain
    assert "there is no namespace payment in the data" in res.near_misses
    assert any("ledger.payments" in m for m in res.near_misses)


def test_dns_config_ndots_option_changes_the_order() -> None:
    src = pod("shop", "tuned", ndots=1)
    assert isinstance(src, Pod)
    res = resolve(cluster(src), "cart.shop.svc.cluster.local:80", src=src)
    # 4 dots >= ndots 1: the name as written is tried first and answers
    assert res.setup.ndots == 1 and res.tried == ["cart.shop.svc.cluster.local"]
    external = resolve(cluster(src), "api.example.com:443", src=src)
    assert external.kind == dns.EXTERNAL and external.tried == ["api.example.com"]
