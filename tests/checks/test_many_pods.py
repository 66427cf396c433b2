"""One rule for many pods (DESIGN §2), per layer; and backends that exist but do not run."""

from __future__ import annotations

from builders import (
    _convert,
    container_status,
    endpoint,
    endpoint_slice,
    event,
    healthy_dns,
    pod,
    service,
    state,
)
from mesh_builders import peer_auth
from mesh_builders import pod as mesh_pod
from mesh_builders import service as mesh_service

from kexplore.checks.ladder import check_edge
from kexplore.checks.result import EdgeReport, LayerResult, Status
from kexplore.model.base import K8s

WEB = {"app": "web", "tier": "web"}
CANARY = {"app": "web-canary", "tier": "web"}  # the classic: a canary with other labels


def clients(canary_statuses: list[dict[str, object]] | None = None) -> list[K8s]:
    return [
        pod("shop", "web-1", labels=WEB, ip="10.0.0.2"),
        pod("shop", "web-canary", labels=CANARY, ip="10.0.0.9", statuses=canary_statuses),
        service("shop", "web", selector={"tier": "web"}, ports=[{"port": 80}]),
    ]


def cart_service(*backends: tuple[str, str, bool]) -> list[K8s]:
    """The cart service on port 80 → 8080, a slice holding the Ready backends (name, ip)."""
    pods = [
        pod("shop", name, labels={"app": "cart"}, ip=ip, ports=[8080], ready=ready)
        for name, ip, ready in backends
    ]
    eps = [endpoint(ip, pod=name, ns="shop", ready=ready) for name, ip, ready in backends]
    return [
        *pods,
        service("shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]),
        endpoint_slice("shop", "cart-x", "cart", eps, [{"port": 8080}]),
    ]


def policy(name: str, spec: dict[str, object]) -> K8s:
    return _convert(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": spec,
        }
    )


def report(*objs: K8s) -> EdgeReport:
    return check_edge(state(*healthy_dns(), *objs), "shop/svc/web", "cart:80")


def layer(found: EdgeReport, layer_id: str) -> LayerResult:
    result = found.layer(layer_id)
    assert result is not None
    return result


ONE_CART = (("cart-1", "10.0.0.3", True),)


def test_pods_one_crash_looping_source_pod_fails_naming_it() -> None:
    crashing = [container_status("app", ready=False, restarts=7, waiting="CrashLoopBackOff")]
    found = layer(report(*clients(crashing), *cart_service(*ONE_CART)), "pods")
    assert found.status is Status.FAIL and "web-canary" in found.summary


def test_pods_a_backend_out_of_the_endpoints_warns_while_others_serve() -> None:
    carts = cart_service(*ONE_CART, ("cart-2", "10.0.0.4", False))
    found = layer(report(*clients(), *carts), "pods")
    assert found.status is Status.WARN and "cart-2" in found.summary


def test_health_agrees_with_pods_on_the_same_backends() -> None:
    carts = cart_service(*ONE_CART, ("cart-2", "10.0.0.4", False))
    found = report(*clients(), *carts)
    assert layer(found, "health").status is Status.WARN
    assert layer(found, "pods").status is Status.WARN
    down = report(*clients(), *cart_service(("cart-2", "10.0.0.4", False)))
    assert layer(down, "health").status is not Status.PASS


def test_networkpolicy_one_denied_source_pod_fails_naming_it() -> None:
    only_web = policy(
        "cart-from-web",
        {
            "podSelector": {"matchLabels": {"app": "cart"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}],
        },
    )
    found = layer(report(*clients(), *cart_service(*ONE_CART), only_web), "networkpolicy")
    assert found.status is Status.FAIL
    assert "web-canary" in found.summary and "1 of 2 pod pairs denied" in found.summary


def test_networkpolicy_a_serving_backend_that_denies_fails() -> None:
    carts = cart_service(*ONE_CART, ("cart-2", "10.0.0.4", True))
    carts[1] = pod("shop", "cart-2", labels={"app": "cart", "v": "2"}, ip="10.0.0.4", ports=[8080])
    closed = policy("cart-v2-closed", {"podSelector": {"matchLabels": {"v": "2"}}})
    found = layer(report(*clients(), *carts, closed), "networkpolicy")
    assert found.status is Status.FAIL and "cart-2" in found.summary


def test_dns_one_source_pod_without_dns_egress_fails() -> None:
    no_egress = policy(
        "canary-no-egress",
        {"podSelector": {"matchLabels": {"app": "web-canary"}}, "policyTypes": ["Egress"]},
    )
    found = layer(report(*clients(), *cart_service(*ONE_CART), no_egress), "dns")
    assert found.status is Status.FAIL and "web-canary" in found.summary


def test_ports_a_backend_without_the_named_port_is_out_of_the_endpoints_and_warns() -> None:
    good = pod("shop", "cart-1", labels={"app": "cart"}, ip="10.0.0.3", ports=[(8080, "http")])
    other = pod("shop", "cart-2", labels={"app": "cart"}, ip="10.0.0.4", ports=[(8080, "web")])
    svc = service(
        "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": "http"}]
    )
    found = layer(report(*clients(), good, other, svc), "ports")
    assert found.status is Status.WARN and "cart-2" in found.summary


def test_pending_backends_fail_pods_with_the_scheduler_message_and_explain_service() -> None:
    pending = _convert(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "cart-1", "namespace": "shop", "labels": {"app": "cart"}},
            "spec": {"containers": [{"name": "app", "ports": [{"containerPort": 8080}]}]},
            "status": {
                "phase": "Pending",
                "conditions": [
                    {
                        "type": "PodScheduled",
                        "status": "False",
                        "reason": "Unschedulable",
                        "message": "0/3 nodes are available: 3 Insufficient cpu.",
                    }
                ],
            },
        }
    )
    svc = service(
        "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]
    )
    empty = endpoint_slice("shop", "cart-x", "cart", [], [{"port": 8080}])
    found = report(*clients(), pending, svc, empty)
    pods_layer = layer(found, "pods")
    assert pods_layer.status is Status.FAIL
    assert "Insufficient cpu" in pods_layer.summary and "cart-1" in pods_layer.summary
    assert layer(found, "service").explained_by == "pods"
    assert layer(found, "networkpolicy").explained_by == "pods"
    assert found.failing_layer == "pods"


def test_a_terminating_backend_without_endpoints_is_named_by_pods() -> None:
    gone = pod("shop", "cart-1", labels={"app": "cart"}, ip=None, ports=[8080], deleting=True)
    svc = service(
        "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]
    )
    scheduled = event("shop", "Pod", "cart-1", "Killing", "Stopping container app", type="Normal")
    found = report(*clients(), gone, svc, scheduled)
    assert "terminating" in layer(found, "pods").summary
    assert layer(found, "service").explained_by == "pods"


def test_mesh_one_client_pod_without_a_sidecar_fails_naming_it() -> None:
    meshed = [
        mesh_pod("shop", "web-1", WEB, sidecar=True, ip="10.0.0.2"),
        mesh_pod("shop", "web-canary", CANARY, sidecar=False, ip="10.0.0.9"),
        mesh_pod("shop", "cart-1", {"app": "cart"}, sidecar=True, ip="10.0.0.3"),
        mesh_service("shop", "cart", {"app": "cart"}),
        mesh_service("shop", "web", {"tier": "web"}),
        peer_auth("shop", "strict", "STRICT"),
    ]
    found = layer(check_edge(state(*healthy_dns(), *meshed), "shop/svc/web", "cart:80"), "mesh")
    assert found.status is Status.FAIL and "shop/web-canary" in found.summary
