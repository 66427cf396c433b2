"""The `ports` layer."""

from __future__ import annotations

from typing import Any

from builders import FakeProber, container, edge, healthy_dns, pod, service, state

from kexplore.checks import ports as ports_layer
from kexplore.checks.result import LayerResult, Status
from kexplore.model.base import K8s


def cart(name: str = "cart-1", ip: str = "10.0.0.3", **kw: Any) -> K8s:
    return pod("shop", name, labels={"app": "cart"}, ip=ip, **kw)


def run(*objs: K8s, target_port: Any = 8080, target: str = "cart:80") -> LayerResult:
    svc = service(
        "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": target_port}]
    )
    st = state(pod("shop", "web", ip="10.0.0.2"), svc, *healthy_dns(), *objs)
    return ports_layer.check(edge(st, "shop/web", target))


def test_declared_port_passes_with_container_reference() -> None:
    result = run(cart(ports=[(8080, "http")]))
    assert result.status is Status.PASS
    assert result.summary == "pod shop/cart-1 container app: declares 8080/TCP (http)"
    assert result.evidence[0].ref == "pod shop/cart-1 container app"


def test_undeclared_numeric_port_is_only_a_warning() -> None:
    result = run(cart(ports=[9090]))
    assert result.status is Status.WARN and "no container declares port 8080/TCP" in result.summary


def test_port_declared_with_another_protocol_warns() -> None:
    result = run(cart(ports=[(8080, "http", "UDP")]))
    assert result.status is Status.WARN and "another protocol" in result.summary


def test_named_port_missing_on_one_pod_warns_and_names_it() -> None:
    good = cart(ports=[(8080, "http")])
    bad = cart("cart-2", "10.0.0.4", ports=[(8080, "web")])
    result = run(good, bad, target_port="http")
    assert result.status is Status.WARN
    assert "cart-2" in result.summary and "named 'http'" in result.summary
    assert any(e.detail == "declared: app: 8080/TCP (web)" for e in result.evidence)


def test_named_port_missing_everywhere_is_explained_by_service() -> None:
    result = run(cart(ports=[(8080, "web")]), target_port="http")
    assert result.status is Status.UNKNOWN and result.explained_by == "service"


def test_named_port_on_a_native_sidecar() -> None:
    sidecar = container("envoy", [(15006, "proxy")], restart_policy="Always")
    result = run(cart(ports=[8080], init_containers=[sidecar]), target_port="proxy")
    assert result.status is Status.PASS
    assert result.summary.startswith("pod shop/cart-1 container envoy: declares 15006/TCP")


def test_nxdomain_is_explained_by_dns_and_external_is_skipped() -> None:
    nx = run(cart(ports=[8080]), target="nope:80")
    assert nx.status is Status.UNKNOWN and nx.explained_by == "dns"
    assert run(cart(ports=[8080]), target="api.example.com:443").status is Status.SKIPPED


def test_probe_on_another_port_is_informational() -> None:
    app = container("app", [(8080, "http"), (8081, "admin")], readiness="admin")
    result = run(cart(containers=[app]))
    assert result.status is Status.PASS
    assert any("checks port admin, traffic goes to 8080" in e.detail for e in result.evidence)


def test_direct_pod_target() -> None:
    result = run(cart(ports=[(8080, "http")]), target="shop/cart-1:http")
    assert result.status is Status.PASS and "8080/TCP" in result.summary


def probed(answer: str) -> LayerResult:
    svc = service(
        "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]
    )
    st = state(pod("shop", "web", ip="10.0.0.2"), svc, *healthy_dns(), cart(ports=[8080]))
    ctx = edge(st, "shop/web", "cart:80")
    ctx.prober = FakeProber({("listen", "10.0.0.3:8080"): answer})
    return ports_layer.check(ctx)


def test_socket_table_showing_loopback_only_fails_on_the_probe_basis() -> None:
    result = probed("loopback-only")
    assert result.status is Status.FAIL and result.basis == "probe"
    assert "127.0.0.1" in result.summary and "0.0.0.0" in (result.hint or "")
    assert (
        "kubectl exec --namespace shop pod/cart-1 -- probe listen 10.0.0.3:8080" in result.commands
    )


def test_socket_table_showing_the_listener_keeps_the_static_verdict() -> None:
    result = probed("listening")
    assert result.status is Status.PASS and result.basis == "static"
    assert any("listening" in e.detail for e in result.evidence)
