"""The `service` layer."""

from __future__ import annotations

from typing import Any

from builders import edge, endpoint, endpoint_slice, healthy_dns, pod, service, state

from kexplore.checks import service as service_layer
from kexplore.checks.result import LayerResult, Status
from kexplore.model.base import K8s

HTTP = [{"name": "http", "port": 80, "targetPort": "http"}]


def cart_pod(name: str = "cart-1", ip: str = "10.0.0.3", **kw: Any) -> K8s:
    kw.setdefault("ports", [(8080, "http")])
    return pod("shop", name, labels={"app": "cart"}, ip=ip, **kw)


def cart_svc(**kw: Any) -> K8s:
    kw.setdefault("ports", HTTP)
    kw.setdefault("selector", {"app": "cart"})
    return service("shop", "cart", **kw)


def slice_of(*eps: dict[str, Any], port: int = 8080) -> K8s:
    return endpoint_slice("shop", "cart-abc", "cart", list(eps), [{"name": "http", "port": port}])


def run(*objs: K8s, target: str = "cart:80", protocol: str = "TCP") -> LayerResult:
    st = state(pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"), *healthy_dns(), *objs)
    return service_layer.check(edge(st, "shop/web", target, protocol))


def ep(ip: str = "10.0.0.3", name: str = "cart-1", **kw: Any) -> dict[str, Any]:
    return endpoint(ip, pod=name, ns="shop", **kw)


def test_healthy_service_passes_with_endpoint_references() -> None:
    result = run(cart_pod(), cart_svc(), slice_of(ep()))
    assert result.status is Status.PASS
    assert result.summary == "service shop/cart port 80→http: 1/1 endpoints ready (endpointslices)"
    assert any(e.ref == "endpointslice shop/cart-abc endpoints[0]" for e in result.evidence)
    assert (
        "kubectl get endpointslices -n shop -l kubernetes.io/service-name=cart -o wide"
        in result.commands
    )


def test_port_name_dialed_resolves_to_the_service_port() -> None:
    assert run(cart_pod(), cart_svc(), slice_of(ep()), target="cart:http").status is Status.PASS


def test_missing_port_fails_listing_the_ports() -> None:
    result = run(cart_pod(), cart_svc(), slice_of(ep()), target="cart:81")
    assert result.status is Status.FAIL and "has no port 81/TCP" in result.summary
    assert "80/TCP→http (http)" in result.summary


def test_protocol_mismatch_fails() -> None:
    result = run(cart_pod(), cart_svc(), slice_of(ep()), protocol="UDP")
    assert result.status is Status.FAIL and "is TCP, not UDP" in result.summary


def test_selector_matching_nothing_fails_with_near_miss() -> None:
    typo = pod("shop", "cart-1", labels={"app": "carts"}, ip="10.0.0.3", ports=[(8080, "http")])
    result = run(typo, cart_svc())
    assert result.status is Status.FAIL and "matches no pods" in result.summary
    assert result.hint is not None and "app=cart (pod has app=carts)" in result.hint
    assert any(e.ref == "pod shop/cart-1" and "near miss" in e.detail for e in result.evidence)


def test_named_target_port_missing_on_every_pod_fails() -> None:
    result = run(cart_pod(ports=[8080]), cart_svc())
    assert result.status is Status.FAIL
    assert "targetPort 'http' (TCP) is not declared" in result.summary
    # what the pod does declare is shown, and the hint points the targetPort at it
    assert any(
        e.ref == "pod shop/cart-1" and "declares unnamed 8080/TCP" in e.detail
        for e in result.evidence
    )
    assert result.hint is not None
    assert result.hint.startswith("set the service's targetPort to 8080 (the only TCP port")


def test_named_target_port_missing_on_some_pods_warns() -> None:
    result = run(cart_pod(), cart_pod("cart-2", "10.0.0.4", ports=[8080]), cart_svc())
    assert result.status is Status.WARN and "cart-2" in result.summary


def test_no_ready_endpoints_fails() -> None:
    result = run(cart_pod(ready=False), cart_svc(), slice_of(ep(ready=False)))
    assert result.status is Status.FAIL and "no ready endpoints: 0/1" in result.summary


def test_some_endpoints_not_ready_warns() -> None:
    objs = (cart_pod(), cart_pod("cart-2", "10.0.0.4", ready=False), cart_svc())
    result = run(*objs, slice_of(ep(), ep("10.0.0.4", "cart-2", ready=False)))
    assert result.status is Status.WARN and "1/2 endpoints ready" in result.summary


def test_only_terminating_serving_endpoints_warns() -> None:
    dying = ep(ready=False, serving=True, terminating=True)
    result = run(cart_pod(deleting=True), cart_svc(), slice_of(dying))
    assert result.status is Status.WARN and "terminating" in result.summary


def test_internal_traffic_policy_local_without_local_endpoint_fails() -> None:
    far = cart_pod(node="node-2")
    result = run(far, cart_svc(internal_traffic_policy="Local"), slice_of(ep(node="node-2")))
    assert result.status is Status.FAIL and "internalTrafficPolicy Local" in result.summary
    assert any("excluded" in e.detail for e in result.evidence)


def test_external_name_passes_as_an_alias() -> None:
    result = run(service("shop", "cart", type="ExternalName", external_name="cart.example.com"))
    assert result.status is Status.PASS and "CNAME" in result.summary


def test_selectorless_service_needs_manual_endpoints() -> None:
    bare = service("shop", "cart", ports=[{"name": "http", "port": 80, "targetPort": 8080}])
    failed = run(bare)
    assert failed.status is Status.FAIL and "selector-less" in failed.summary
    manual = slice_of(endpoint("172.16.0.5", node=None))
    result = run(bare, manual)
    assert result.status is Status.PASS and "1/1 endpoints ready" in result.summary


def test_nxdomain_is_unknown_explained_by_dns() -> None:
    result = run(cart_pod(), cart_svc(), target="carts:80")
    assert result.status is Status.UNKNOWN and result.explained_by == "dns"


def test_direct_pod_target_has_no_service() -> None:
    result = run(cart_pod(), target="shop/cart-1:8080")
    assert result.status is Status.SKIPPED and "no Service" in result.summary


def test_headless_service_passes_the_dialed_port() -> None:
    svc = cart_svc(cluster_ip="None", ports=[{"name": "http", "port": 8080}])
    result = run(cart_pod(), svc, slice_of(ep()), target="cart:8080")
    assert result.status is Status.PASS
    unlisted = run(cart_pod(), svc, slice_of(ep()), target="cart:9000")
    assert unlisted.status is Status.PASS
    assert any("headless" in e.detail for e in unlisted.evidence)


def test_endpoints_computed_from_selector_when_the_data_has_none() -> None:
    result = run(cart_pod(), cart_svc())
    assert result.status is Status.PASS and "(selector)" in result.summary
    assert any("computed from the selector" in e.detail for e in result.evidence)


def test_publish_not_ready_addresses_keeps_unready_pods_as_endpoints() -> None:
    result = run(cart_pod(ready=False), cart_svc(publish_not_ready=True))
    assert result.status is Status.PASS


def test_unreadable_endpoint_slices_are_unknown_not_pass() -> None:
    bare = service("shop", "cart", ports=[{"name": "http", "port": 80, "targetPort": 8080}])
    st = state(
        pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"),
        bare,
        unreadable={"EndpointSlice": "forbidden: list endpointslices"},
    )
    result = service_layer.check(edge(st, "shop/web", "cart:80"))
    assert result.status is Status.UNKNOWN and "EndpointSlice" in result.summary


def test_manifests_only_service_is_judged_on_configuration() -> None:
    templ = cart_pod(synthesized=True, ip=None)
    result = run(templ, cart_svc())
    assert result.status is Status.PASS and "manifests only" in result.summary
    assert run(cart_pod(synthesized=True, ip=None, ports=[8080]), cart_svc()).status is Status.FAIL


def test_headless_pod_record_is_published_while_the_pod_is_ready() -> None:
    db = pod("shop", "db-0", labels={"app": "db"}, ip="10.0.0.7", hostname="db-0", subdomain="db")
    svc = service("shop", "db", selector={"app": "db"}, cluster_ip="None", ports=[{"port": 5432}])
    result = run(db, svc, target="db-0.db:5432")
    assert result.status is Status.PASS and "publishes the record of pod db-0" in result.summary
    sick = pod(
        "shop",
        "db-0",
        labels={"app": "db"},
        ip="10.0.0.7",
        hostname="db-0",
        subdomain="db",
        ready=False,
    )
    warned = run(sick, svc, target="db-0.db:5432")
    assert warned.status is Status.WARN and "publishNotReadyAddresses" in (warned.hint or "")
