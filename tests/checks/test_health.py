"""The `health` layer."""

from __future__ import annotations

from typing import Any

from builders import (
    container,
    container_status,
    edge,
    endpoint,
    endpoint_slice,
    event,
    healthy_dns,
    pod,
    service,
    state,
)

from kexplore.checks import health
from kexplore.checks.result import LayerResult, Status
from kexplore.model.base import K8s

APP = container("app", [(8080, "http")], readiness="http")


def cart(name: str = "cart-1", ip: str = "10.0.0.3", **kw: Any) -> K8s:
    kw.setdefault("containers", [APP])
    return pod("shop", name, labels={"app": "cart"}, ip=ip, **kw)


def run(*objs: K8s) -> LayerResult:
    svc = service(
        "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": "http"}]
    )
    st = state(pod("shop", "web", ip="10.0.0.2"), svc, *healthy_dns(), *objs)
    return health.check(edge(st, "shop/web", "cart:80"))


def unhealthy(name: str = "cart-1", container_name: str = "app") -> K8s:
    return event(
        "shop",
        "Pod",
        name,
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
        field_path=f"spec.containers{{{container_name}}}",
        count=12,
    )


def test_ready_serving_container_passes() -> None:
    result = run(cart())
    assert result.status is Status.PASS
    assert result.summary == "pod shop/cart-1 container app: Ready, 0 restarts"
    assert any("http-get" in e.detail for e in result.evidence)


def test_not_ready_with_failing_readiness_probe_fails() -> None:
    result = run(cart(ready=False), unhealthy())
    assert result.status is Status.FAIL
    assert "Readiness probe failed" in result.summary and "(x12)" in result.summary
    assert result.hint is not None and "readiness probe" in result.hint
    assert any(c.startswith("kubectl get events -n shop") for c in result.commands)


def test_crash_loop_fails() -> None:
    status = container_status("app", ready=False, waiting="CrashLoopBackOff", restarts=7)
    result = run(cart(ready=False, statuses=[status]))
    assert result.status is Status.FAIL and "CrashLoopBackOff" in result.summary
    assert "--previous" in (result.hint or "")


def test_recent_oom_kill_warns() -> None:
    status = container_status("app", restarts=3, last_terminated="OOMKilled")
    result = run(cart(statuses=[status]))
    assert result.status is Status.WARN and "OOMKilled" in result.summary
    assert "memory" in (result.hint or "")


def test_probe_on_an_undeclared_port_name_fails() -> None:
    bad = container("app", [(8080, "http")], readiness="healthz")
    result = run(cart(containers=[bad]))
    assert result.status is Status.FAIL and "'healthz'" in result.summary
    # The hint names the ports the probe could use; the evidence shows the broken probe.
    assert result.hint == (
        "point the readiness probe at a declared port (http 8080/TCP), or name a container "
        "port 'healthz'"
    )
    assert any(e.ref.endswith("readinessProbe") and "healthz" in e.detail for e in result.evidence)


def test_undeclared_numeric_probe_port_is_not_a_failure() -> None:
    istio_style = container("app", [(8080, "http")], readiness=15021, liveness=15021)
    assert run(cart(containers=[istio_style])).status is Status.PASS


def test_only_the_container_serving_the_port_is_judged() -> None:
    metrics = container("metrics", [(9090, "metrics")])
    statuses = [
        container_status("app"),
        container_status("metrics", ready=False, waiting="CrashLoopBackOff"),
    ]
    result = run(cart(containers=[APP, metrics], statuses=statuses))
    assert result.status is Status.PASS
    assert all("metrics" not in e.ref for e in result.evidence)


def test_probe_failures_while_ready_warn() -> None:
    result = run(cart(), unhealthy())
    assert result.status is Status.WARN and "probe failures while Ready" in result.summary
    # A warning still says what to do: the readiness probe flaps the pod out of endpoints.
    assert result.hint is not None and result.hint.startswith("the readiness probe (")
    assert "timeoutSeconds (1s)" in result.hint


def test_events_of_other_containers_are_not_attributed() -> None:
    assert run(cart(), unhealthy(container_name="istio-proxy")).status is Status.PASS


def test_one_of_two_pods_failing_warns() -> None:
    result = run(cart(), cart("cart-2", "10.0.0.4", ready=False), unhealthy("cart-2"))
    assert result.status is Status.WARN and "1/2 serving containers failing" in result.summary


def test_synthesized_pods_are_unknown_unless_the_spec_is_broken() -> None:
    assert run(cart(synthesized=True)).status is Status.UNKNOWN
    bad = container("app", [(8080, "http")], liveness="nope")
    assert run(cart(synthesized=True, containers=[bad])).status is Status.FAIL


def test_endpoints_whose_pods_are_missing_from_the_data_are_unknown() -> None:
    svc = service(
        "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]
    )
    sl = endpoint_slice(
        "shop",
        "cart-abc",
        "cart",
        [endpoint("10.0.0.3", pod="cart-gone", ns="shop")],
        [{"port": 8080}],
    )
    st = state(pod("shop", "web", ip="10.0.0.2"), svc, sl, *healthy_dns())
    result = health.check(edge(st, "shop/web", "cart:80"))
    assert result.status is Status.UNKNOWN and result.explained_by is None
    assert "cart-gone" in result.summary and "not in the data" in result.summary
