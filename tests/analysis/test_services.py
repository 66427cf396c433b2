"""Service port → targetPort and endpoint resolution (analysis/services.py)."""

from __future__ import annotations

from typing import Any

from builders import container, endpoint, endpoint_slice, endpoints, pod, service, state

from kexplore.analysis import services
from kexplore.analysis.services import BackendSet, resolve_backends
from kexplore.model.base import K8s
from kexplore.model.services import Service


def backends_of(*objs: K8s, port: int | str = 80, **kw: Any) -> BackendSet:
    st = state(*objs)
    svc = next(o for o in objs if isinstance(o, Service))
    return resolve_backends(st, svc, svc.find_port(port), **kw)


def ports(result: BackendSet) -> dict[str, int | None]:
    return {b.pod.name: b.port for b in result.backends}


def test_absent_target_port_means_the_port_and_numbers_pass_through() -> None:
    p = pod("shop", "a", labels={"app": "a"}, ports=[80])
    assert ports(
        backends_of(p, service("shop", "s", selector={"app": "a"}, ports=[{"port": 80}]))
    ) == {"a": 80}
    svc = service("shop", "s", selector={"app": "a"}, ports=[{"port": 80, "targetPort": 9090}])
    assert ports(backends_of(p, svc)) == {"a": 9090}


def test_named_target_port_is_resolved_per_pod() -> None:
    old = pod("shop", "v1", labels={"app": "a"}, ip="10.0.0.1", ports=[(8080, "http")])
    new = pod("shop", "v2", labels={"app": "a"}, ip="10.0.0.2", ports=[(9090, "http")])
    svc = service("shop", "s", selector={"app": "a"}, ports=[{"port": 80, "targetPort": "http"}])
    result = backends_of(old, new, svc)
    assert ports(result) == {"v1": 8080, "v2": 9090}
    assert result.origin == services.ORIGIN_SELECTOR


def test_named_port_in_native_sidecar_counts_but_not_in_plain_init_container() -> None:
    svc = service("shop", "s", selector={"app": "a"}, ports=[{"port": 80, "targetPort": "proxy"}])
    sidecar = pod(
        "shop",
        "with-sidecar",
        labels={"app": "a"},
        init_containers=[container("envoy", [(15001, "proxy")], restart_policy="Always")],
    )
    plain = pod(
        "shop",
        "with-init",
        labels={"app": "a"},
        ip="10.0.0.9",
        init_containers=[container("setup", [(15001, "proxy")])],
    )
    assert ports(backends_of(sidecar, plain, svc)) == {"with-sidecar": 15001, "with-init": None}


def test_named_port_must_match_protocol() -> None:
    p = pod("shop", "dns", labels={"app": "a"}, ports=[(53, "dns", "UDP")])
    tcp = service("shop", "s", selector={"app": "a"}, ports=[{"port": 53, "targetPort": "dns"}])
    udp = service(
        "shop",
        "s",
        selector={"app": "a"},
        ports=[{"port": 53, "targetPort": "dns", "protocol": "UDP"}],
    )
    assert ports(backends_of(p, tcp, port=53)) == {"dns": None}
    assert ports(backends_of(p, udp, port=53)) == {"dns": 53}


def test_multi_port_service_uses_the_slice_port_of_that_name() -> None:
    p = pod("shop", "a", labels={"app": "a"}, ports=[(8080, "http"), (9090, "metrics")])
    svc = service(
        "shop",
        "s",
        selector={"app": "a"},
        ports=[
            {"name": "http", "port": 80, "targetPort": "http"},
            {"name": "metrics", "port": 9000, "targetPort": "metrics"},
        ],
    )
    sl = endpoint_slice(
        "shop",
        "s-1",
        "s",
        [endpoint("10.0.0.1", pod="a", ns="shop")],
        [{"name": "http", "port": 8080}, {"name": "metrics", "port": 9090}],
    )
    assert ports(backends_of(p, svc, sl, port="metrics")) == {"a": 9090}
    assert ports(backends_of(p, svc, sl, port=80)) == {"a": 8080}
    result = backends_of(p, svc, sl, port="http")
    assert result.origin == services.ORIGIN_SLICES
    assert result.backends[0].ref == "endpointslice shop/s-1 endpoints[0]"


def test_slice_without_the_named_port_gives_no_port() -> None:
    p = pod("shop", "a", labels={"app": "a"}, ports=[8080])
    svc = service(
        "shop",
        "s",
        selector={"app": "a"},
        ports=[{"name": "http", "port": 80, "targetPort": "http"}],
    )
    sl = endpoint_slice("shop", "s-1", "s", [endpoint("10.0.0.1", pod="a", ns="shop")], [])
    assert ports(backends_of(p, svc, sl)) == {"a": None}


def test_headless_service_does_not_translate_ports() -> None:
    p = pod("data", "db-0", labels={"app": "db"}, ports=[5432])
    svc = service(
        "data",
        "db",
        selector={"app": "db"},
        cluster_ip="None",
        ports=[{"port": 80, "targetPort": 5432}],
    )
    result = backends_of(p, svc)
    assert ports(result) == {"db-0": 80}
    assert "headless" in result.backends[0].note


def test_headless_service_without_ports_uses_the_dialed_port() -> None:
    p = pod("data", "db-0", labels={"app": "db"}, ports=[5432])
    svc = service("data", "db", selector={"app": "db"}, cluster_ip="None")
    st = state(p, svc)
    assert isinstance(svc, Service)
    result = resolve_backends(st, svc, None, dialed_port=5432)
    assert ports(result) == {"db-0": 5432}


def test_external_name_has_no_backends() -> None:
    svc = service("shop", "psp", type="ExternalName", external_name="api.example.com")
    result = backends_of(svc)
    assert result.origin == services.ORIGIN_EXTERNAL_NAME and not result.backends


def test_selectorless_service_with_manual_slice() -> None:
    p = pod("shop", "a", ip="10.0.0.1", ports=[8080])
    svc = service("shop", "legacy-db", ports=[{"port": 80, "targetPort": 8080}])
    sl = endpoint_slice(
        "shop",
        "legacy-db-1",
        "legacy-db",
        [endpoint("10.0.0.1"), endpoint("192.168.7.7", node=None)],
        [{"port": 8080}],
    )
    result = backends_of(p, svc, sl)
    assert ports(result) == {"a": 8080}
    assert [(e.ip, e.port) for e in result.external] == [("192.168.7.7", 8080)]
    empty = backends_of(svc)
    assert not empty.backends and "selector-less" in empty.problems[0]


def test_legacy_endpoints_when_there_are_no_slices() -> None:
    a = pod("shop", "a", ip="10.0.0.1", ports=[8080])
    b = pod("shop", "b", ip="10.0.0.2", ports=[8080], ready=False)
    svc = service("shop", "s", ports=[{"port": 80, "targetPort": 8080}])
    eps = endpoints("shop", "s", ["10.0.0.1"], ["10.0.0.2"], [{"port": 8080}])
    result = backends_of(a, b, svc, eps)
    assert result.origin == services.ORIGIN_ENDPOINTS
    assert {bk.pod.name: bk.ready for bk in result.backends} == {"a": True, "b": False}
    assert result.backends[1].ref == "endpoints shop/s subsets[0].notReadyAddresses[0]"


def test_slice_conditions_nil_ready_means_ready_and_terminating_fallback() -> None:
    a = pod("shop", "a", labels={"app": "a"}, ip="10.0.0.1", ports=[80])
    b = pod("shop", "b", labels={"app": "a"}, ip="10.0.0.2", ports=[80])
    svc = service("shop", "s", selector={"app": "a"}, ports=[{"port": 80}])
    nil = endpoint_slice(
        "shop", "s-1", "s", [endpoint("10.0.0.1", pod="a", ns="shop", ready=None)], [{"port": 80}]
    )
    assert backends_of(a, svc, nil).backends[0].ready
    term = endpoint_slice(
        "shop",
        "s-1",
        "s",
        [
            endpoint("10.0.0.1", pod="a", ns="shop", ready=False, serving=True, terminating=True),
            endpoint("10.0.0.2", pod="b", ns="shop", ready=False, serving=False, terminating=False),
        ],
        [{"port": 80}],
    )
    result = backends_of(a, b, svc, term)
    assert not any(bk.ready for bk in result.backends)
    assert [bk.pod.name for bk in result.routable()] == ["a"]


def test_publish_not_ready_addresses_makes_unready_pods_endpoints() -> None:
    p = pod("shop", "a", labels={"app": "a"}, ports=[80], ready=False)
    plain = service("shop", "s", selector={"app": "a"}, ports=[{"port": 80}])
    publish = service(
        "shop", "s", selector={"app": "a"}, ports=[{"port": 80}], publish_not_ready=True
    )
    assert not backends_of(p, plain).backends[0].ready
    assert backends_of(p, publish).backends[0].ready


def test_internal_traffic_policy_local_keeps_only_the_source_node() -> None:
    a = pod("shop", "a", labels={"app": "a"}, ip="10.0.0.1", node="n1", ports=[80])
    b = pod("shop", "b", labels={"app": "a"}, ip="10.0.0.2", node="n2", ports=[80])
    svc = service(
        "shop", "s", selector={"app": "a"}, ports=[{"port": 80}], internal_traffic_policy="Local"
    )
    result = backends_of(a, b, svc, source_node="n2")
    assert ports(result) == {"b": 80}
    assert result.excluded[0][0].pod.name == "a" and "Local" in result.excluded[0][1]
    assert ports(backends_of(a, b, svc)) == {"a": 80, "b": 80}


def test_selector_near_misses_show_the_differing_label() -> None:
    typo = pod("shop", "cart-1", labels={"app": "carts", "tier": "backend"})
    missing = pod("shop", "cart-2", labels={"app": "cart"}, ip="10.0.0.2")
    unrelated = pod("shop", "web", labels={"app": "web", "tier": "front"}, ip="10.0.0.3")
    svc = service("shop", "cart", selector={"app": "cart", "tier": "backend"}, ports=[{"port": 80}])
    result = backends_of(typo, missing, unrelated, svc)
    assert not result.backends and "matches no pods" in result.problems[0]
    assert {m.pod.name: m.differing for m in result.near_misses} == {
        "cart-1": "app=cart (pod has app=carts)",
        "cart-2": "tier=backend (pod has no label tier)",
    }


def test_host_network_backend_is_noted() -> None:
    p = pod("shop", "agent", labels={"app": "a"}, ports=[9100], host_network=True, ip="192.168.0.1")
    svc = service("shop", "s", selector={"app": "a"}, ports=[{"port": 9100}])
    assert "hostNetwork" in backends_of(p, svc, port=9100).backends[0].note


def test_synthesized_pods_count_as_ready_endpoints_for_manifest_review() -> None:
    p = pod(
        "shop",
        "a-synthesized",
        labels={"app": "a"},
        ports=[(8080, "http")],
        synthesized=True,
        ip=None,
    )
    svc = service("shop", "s", selector={"app": "a"}, ports=[{"port": 80, "targetPort": "http"}])
    result = backends_of(p, svc)
    assert [(b.port, b.ready) for b in result.backends] == [(8080, True)]
    assert "manifests only" in result.backends[0].note
    assert result.routable()
