"""The ladder framework: layer order, on_layer, cancel, verdict, failing_layer, explained_by."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from builders import (
    _convert,
    endpoint,
    endpoint_slice,
    healthy_dns,
    node,
    node_agents,
    pod,
    service,
    state,
)

from kexplore.checks import cluster, dns, health, ladder, pods, ports
from kexplore.checks import service as service_layer
from kexplore.checks.context import EdgeContext
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.result import LAYER_IDS, EdgeReport, LayerResult, Status
from kexplore.errors import NotFoundError
from kexplore.model.state import ClusterState


def shop() -> ClusterState:
    return state(
        pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"),
        pod("shop", "cart-1", labels={"app": "cart"}, ip="10.0.0.3", ports=[(8080, "http")]),
        service(
            "shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": "http"}]
        ),
        endpoint_slice(
            "shop",
            "cart-abc",
            "cart",
            [endpoint("10.0.0.3", pod="cart-1", ns="shop")],
            [{"port": 8080}],
        ),
        *healthy_dns(),
    )


def fixed(
    layer: str, status: Status, explained_by: str | None = None
) -> Callable[..., LayerResult]:
    def check(ctx: EdgeContext) -> LayerResult:
        return LayerResult(layer, status, f"{layer} {status}", explained_by=explained_by)

    return check


@pytest.fixture
def layers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def install(*pairs: tuple[str, Callable[..., LayerResult]]) -> None:
        monkeypatch.setattr(ladder, "LAYERS", list(pairs))

    return install


def run(st: ClusterState, target: str = "cart:80", **kw: Any) -> EdgeReport:
    return ladder.check_edge(st, "shop/web", target, **kw)


def test_layers_run_in_display_order_and_report_each(layers: Callable[..., None]) -> None:
    layers(("cluster", fixed("cluster", Status.PASS)), ("pods", fixed("pods", Status.PASS)))
    seen: list[str] = []
    report = run(shop(), on_layer=lambda r: seen.append(r.id))
    assert seen == ["pods", "cluster"]
    assert [r.id for r in report.layers] == ["pods", "cluster"]


def test_first_failing_cause_is_the_failing_layer(layers: Callable[..., None]) -> None:
    layers(
        ("pods", fixed("pods", Status.WARN)),
        ("service", fixed("service", Status.FAIL)),
        ("ports", fixed("ports", Status.FAIL)),
    )
    report = run(shop())
    assert report.verdict is Status.FAIL
    assert report.failing_layer == "service"


def test_explained_failure_is_not_the_failing_layer(layers: Callable[..., None]) -> None:
    layers(
        ("dns", fixed("dns", Status.FAIL, explained_by="networkpolicy")),
        ("networkpolicy", fixed("networkpolicy", Status.FAIL)),
    )
    report = run(shop())
    assert report.failing_layer == "networkpolicy"


def test_verdict_unknown_beats_warn_and_skipped_does_not_count(layers: Callable[..., None]) -> None:
    layers(("pods", fixed("pods", Status.WARN)), ("cluster", fixed("cluster", Status.UNKNOWN)))
    assert run(shop()).verdict is Status.UNKNOWN
    layers(("pods", fixed("pods", Status.PASS)), ("cluster", fixed("cluster", Status.SKIPPED)))
    report = run(shop())
    assert report.verdict is Status.PASS
    assert report.failing_layer is None


def test_cancel_stops_the_remaining_layers(layers: Callable[..., None]) -> None:
    cancel = threading.Event()
    calls: list[str] = []

    def first(ctx: EdgeContext) -> LayerResult:
        calls.append("pods")
        cancel.set()
        return LayerResult("pods", Status.PASS, "ok")

    def second(ctx: EdgeContext) -> LayerResult:
        calls.append("cluster")
        return LayerResult("cluster", Status.PASS, "ok")

    layers(("pods", first), ("cluster", second))
    report = run(shop(), cancel=cancel)
    assert calls == ["pods"]
    cancelled = report.layer("cluster")
    assert cancelled is not None
    assert cancelled.status is Status.UNKNOWN and "cancelled" in cancelled.summary


def test_a_crashing_layer_is_unknown_not_pass(layers: Callable[..., None]) -> None:
    def broken(ctx: EdgeContext) -> LayerResult:
        raise KeyError("boom")

    layers(("pods", broken), ("cluster", fixed("cluster", Status.PASS)))
    report = run(shop())
    statuses = {r.id: r.status for r in report.layers}
    assert statuses == {"pods": Status.UNKNOWN, "cluster": Status.PASS}


def test_context_is_built_once_with_resolution_and_backends(layers: Callable[..., None]) -> None:
    seen: list[EdgeContext] = []

    def grab(ctx: EdgeContext) -> LayerResult:
        seen.append(ctx)
        return LayerResult((ctx.results and "cluster") or "pods", Status.PASS, "ok")

    layers(("pods", grab), ("cluster", grab))
    report = run(shop())
    assert seen[0] is seen[1]
    ctx = seen[0]
    assert ctx.service is not None and ctx.service.name == "cart"
    assert [(b.pod.name, b.port) for b in ctx.backends] == [("cart-1", 8080)]
    assert [p.name for p in ctx.target_pods] == ["cart-1"]
    assert "pods" in ctx.results
    assert report.target.kind == "Service" and report.target.name == "cart"


def test_json_shape(layers: Callable[..., None]) -> None:
    layers(("pods", fixed("pods", Status.PASS)))
    data = run(shop()).to_json()
    assert data["source"] == {"namespace": "shop", "kind": "Pod", "name": "web", "pods": ["web"]}
    assert data["target"]["dialed"] == "cart:80" and data["target"]["namespace"] == "shop"
    assert data["verdict"] == "pass" and data["failing_layer"] is None


def test_explicit_target_that_does_not_exist_is_an_input_error() -> None:
    with pytest.raises(NotFoundError, match="no Service 'nope'"):
        run(shop(), target="shop/svc/nope:80")


def test_run_ladder_takes_parsed_specs(layers: Callable[..., None]) -> None:
    layers(("pods", fixed("pods", Status.PASS)))
    st = shop()
    source = resolve_source(st, "shop/web")
    report = ladder.run_ladder(st, source, parse_target("shop/svc/cart:80"))
    assert report.target.name == "cart"


STATIC = [
    ("pods", pods.check),
    ("service", service_layer.check),
    ("dns", dns.check),
    ("ports", ports.check),
    ("health", health.check),
    ("cluster", cluster.check),
]


def statuses(report: EdgeReport) -> dict[str, tuple[str, str | None]]:
    return {r.id: (str(r.status), r.explained_by) for r in report.layers}


def test_nxdomain_makes_the_target_layers_unknown_explained_by_dns(
    layers: Callable[..., None],
) -> None:
    layers(*STATIC)
    report = run(shop(), target="basket:80")
    got = statuses(report)
    assert got["dns"] == ("fail", None)
    for layer in ("pods", "service", "ports", "health"):
        assert got[layer] == ("unknown", "dns"), layer
    assert report.failing_layer == "dns" and report.verdict is Status.FAIL


def test_selector_matching_nothing_fails_service_and_explains_pods(
    layers: Callable[..., None],
) -> None:
    layers(*STATIC)
    st = shop()
    st.remove("EndpointSlice", "shop", "cart-abc")
    st.add(pod("shop", "cart-1", labels={"app": "carts"}, ip="10.0.0.3", ports=[(8080, "http")]))
    report = run(st)
    got = statuses(report)
    assert got["service"] == ("fail", None)
    assert got["pods"] == ("unknown", "service")
    assert got["ports"] == ("unknown", "service") and got["health"] == ("unknown", "service")
    assert report.failing_layer == "service"


def test_healthy_edge_through_the_static_layers(layers: Callable[..., None]) -> None:
    layers(*STATIC)
    st = shop()
    st.add_all([node("node-1"), *node_agents("node-1")])
    report = run(st)
    assert {r.id: str(r.status) for r in report.layers} == {
        "pods": "pass",
        "service": "pass",
        "dns": "pass",
        "ports": "pass",
        "health": "pass",
        "cluster": "pass",
    }
    assert report.verdict is Status.PASS
    for layer in report.layers:
        assert layer.summary and layer.basis == "static"
        assert layer.evidence, layer.id
        assert layer.commands, layer.id


def test_static_layers_are_registered_and_reported_in_display_order() -> None:
    ids = [layer_id for layer_id, _ in ladder.LAYERS]
    assert {"pods", "service", "dns", "ports", "health", "cluster"} <= set(ids)
    report = run(shop())
    reported = [r.id for r in report.layers]
    assert reported == sorted(reported, key=LAYER_IDS.index)


def test_headless_pod_record_targets_the_pod(layers: Callable[..., None]) -> None:
    layers(("pods", fixed("pods", Status.PASS)))
    st = shop()
    st.add(
        pod("shop", "db-0", labels={"app": "db"}, ip="10.0.0.7", hostname="db-0", subdomain="db")
    )
    st.add(service("shop", "db", selector={"app": "db"}, cluster_ip="None", ports=[{"port": 5432}]))
    report = run(st, target="db-0.db:5432")
    assert (report.target.kind, report.target.name) == ("Pod", "db-0")


TARGET_KINDS = [
    "cart:80",
    "cart.shop.svc.cluster.local:80",
    "shop/svc/cart:80",
    "shop/cart-1:8080",
    "10.0.0.3:8080",
    "10.200.0.9:80",
    "db-0.db:5432",
    "db:5432",
    "10-0-0-3.shop.pod:8080",
    "psp:443",
    "api.example.com:443",
    "basket:80",
    "cart:81",
]


@pytest.mark.parametrize("target", TARGET_KINDS)
def test_every_static_layer_handles_every_kind_of_target(
    layers: Callable[..., None], target: str
) -> None:
    layers(*STATIC)
    st = shop()
    st.add(
        pod("shop", "db-0", labels={"app": "db"}, ip="10.0.0.7", hostname="db-0", subdomain="db")
    )
    st.add(service("shop", "db", selector={"app": "db"}, cluster_ip="None", ports=[{"port": 5432}]))
    st.add(service("shop", "psp", type="ExternalName", external_name="api.stripe.com"))
    report = run(st, target=target)
    assert [r.id for r in report.layers] == [layer_id for layer_id, _ in STATIC]
    for result in report.layers:
        assert "internal error" not in result.summary, (result.id, result.summary)
        assert result.summary and "\n" not in result.summary
        if result.status in (Status.FAIL, Status.UNKNOWN, Status.WARN):
            assert result.hint or result.explained_by, (result.id, result.summary)


def test_commands_holding_shell_syntax_from_the_data_are_withheld(
    layers: Callable[..., None],
) -> None:
    """A hostile snapshot's name (`$(…)`, `;`, backticks) must never reach a printed command;
    a clean command, and one quoted by shlex, are kept as they are."""
    commands = [
        "kubectl describe pod -n shop web$(touch /tmp/pwned)",
        "kubectl logs -n shop web;id",
        "kubectl get pods -n shop -o wide",
        "kubectl exec --namespace shop pod/web -- bash -c 'exec 3<>/dev/tcp/$0/$1' 10.0.0.3 80",
    ]

    def check(ctx: EdgeContext) -> LayerResult:
        return LayerResult("pods", Status.PASS, "ok", commands=list(commands))

    layers(("pods", check))
    assert run(shop()).layers[0].commands == [ladder.WITHHELD_COMMAND, *commands[2:]]


@pytest.mark.parametrize("target", ["localhost:9000", "ip6-localhost:9000", "127.0.0.1:9000"])
def test_loopback_never_leaves_the_pod(target: str) -> None:
    """`localhost` comes from the pod's /etc/hosts (not NXDOMAIN), and an egress-isolated
    pod still reaches its own loopback: NetworkPolicy does not apply inside a pod."""
    deny_egress = _convert(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny-egress", "namespace": "shop"},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"]},
        }
    )
    st = shop()
    st.add(deny_egress)
    report = run(st, target=target)
    layers = {r.id: r for r in report.layers}
    assert report.failing_layer is None, [(r.id, r.summary) for r in report.layers]
    assert layers["networkpolicy"].status is Status.PASS
    assert "own loopback" in layers["networkpolicy"].summary
    if not target[0].isdigit():
        assert layers["dns"].status is Status.PASS
        assert "from the pod's /etc/hosts" in layers["dns"].summary
