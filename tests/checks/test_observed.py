"""Observed evidence on whole edges: the application step of reachability (protocol choice,
classification, explained_by), Envoy's account in mesh, captures, and every disagreement
between a static verdict and what was observed."""

from __future__ import annotations

import json

from builders import FakeProber, edge, state, web_and_cart
from mesh_builders import namespace, peer_auth, pod, service, state_of

from kexplore.checks import l7
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.ladder import run_ladder
from kexplore.checks.result import EdgeReport, Status
from kexplore.model.state import ClusterState

UF_503 = (
    "HTTP/1.1 503 Service Unavailable\r\nserver: envoy\r\ncontent-length: 91\r\n\r\n"
    "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
)
OK_200 = "HTTP/1.1 200 OK\r\nserver: istio-envoy\r\nx-envoy-upstream-service-time: 3\r\n\r\nok"


def ladder(st: ClusterState, source: str, target: str, prober: FakeProber, **kw: str) -> EdgeReport:
    return run_ladder(st, resolve_source(st, source), parse_target(target), prober=prober, **kw)


CART = web_and_cart()  # web-1 → cart:80 (service 10.96.5.5, pod 10.0.0.3:8080)
CONNECTED = {
    ("tcp", "10.96.5.5:80"): ("connected", "open"),
    ("tcp", "10.0.0.3:8080"): ("connected", "open"),
}


def test_the_protocol_comes_from_the_flag_then_what_the_port_declares() -> None:
    def choice(ports: list[dict[str, object]], target: str, flag: str = "") -> tuple[str, bool]:
        objs = [o for o in CART if getattr(o, "kind", "") != "Service"]
        from builders import service

        svc = service("shop", "cart", selector={"app": "cart"}, cluster_ip="10.96.5.5", ports=ports)
        ctx = edge(state(*objs, svc), "shop/web-1", target)
        ctx.l7 = flag
        found = l7.choose(ctx)
        return found.protocol, found.tls

    assert choice(
        [{"port": 80, "targetPort": 8080, "appProtocol": "kubernetes.io/h2c"}], "cart:80"
    ) == ("http", False)
    assert choice([{"port": 7000, "targetPort": 8080, "name": "grpc-api"}], "cart:7000") == (
        "grpc",
        False,
    )
    assert choice([{"port": 80, "targetPort": 8080, "name": "tcp-legacy"}], "cart:80") == (
        "none",
        False,
    )
    assert choice([{"port": 8443, "targetPort": 8080}], "cart:8443") == ("http", True)
    assert choice([{"port": 6379, "targetPort": 8080}], "cart:6379") == ("none", False)
    assert choice([{"port": 6379, "targetPort": 8080}], "cart:6379", "http") == ("http", False)


def test_an_app_answer_passes_and_path_and_host_are_as_asked() -> None:
    prober = FakeProber({**CONNECTED, ("http", "10.96.5.5:80"): ("app-answered", OK_200)})
    report = ladder(state(*CART), "shop/web-1", "cart:80", prober, path="/healthz")
    reach = report.layer("reachability")
    assert reach is not None and reach.status is Status.PASS
    assert reach.summary.endswith("HTTP GET /healthz → 200 from the app")
    asked = [r for r in prober.asked if r.probe == "http"]
    assert [(r.l7.host, r.l7.path) for r in asked] == [("cart:80", "/healthz")]
    assert any(e.kind == "l7" for e in reach.evidence) and report.disagreements == []


def test_a_mesh_answer_no_config_layer_predicts_is_a_disagreement_with_mesh() -> None:
    prober = FakeProber({**CONNECTED, ("http", "10.96.5.5:80"): ("mesh-answered", UF_503)})
    report = ladder(state(*CART), "shop/web-1", "cart:80", prober)
    reach = report.layer("reachability")
    assert reach is not None and reach.status is Status.FAIL and reach.explained_by is None
    assert "503 from the mesh (UF)" in reach.summary and report.failing_layer == "reachability"
    assert [(d.layer, d.predicted.split()[0]) for d in report.disagreements] == [("mesh", "pass")]
    assert "the proxy's endpoints are stale" in " ".join(report.disagreements[0].explanations)


def test_no_l7_for_tcp_ports_and_a_failed_connect_gets_a_capture() -> None:
    dump = "10:00:00.000001 eth0  Out IP 10.0.0.2.40000 > 10.96.5.5.80: Flags [S], length 0\n"
    prober = FakeProber(
        {
            ("tcp", "10.96.5.5:80"): ("timeout", "timed out"),
            ("tcp", "10.0.0.3:8080"): ("timeout", "timed out"),
            ("capture", "10.96.5.5:80"): ("dropped", dump),
        }
    )
    report = ladder(state(*CART), "shop/web-1", "cart:80", prober)
    reach = report.layer("reachability")
    assert reach is not None and reach.summary.endswith("; capture: dropped")
    assert [e.kind for e in reach.evidence if e.kind] == ["capture", "flows"]
    assert not [r for r in prober.asked if r.probe == "http"]  # the connect failed
    assert [d.layer for d in report.disagreements] == ["reachability"]


def mesh_edge(*extra: object) -> ClusterState:
    """web-1 (sidecar, 10.1.0.5) → cart.shop:80 (sidecar, 10.2.0.7:8080, service 10.96.0.10)."""
    return state_of(
        namespace("web", **{"istio-injection": "enabled"}),
        namespace("shop", **{"istio-injection": "enabled"}),
        pod("web", "web-1", {"app": "web"}, sidecar=True, ip="10.1.0.5"),
        pod("shop", "cart-1", {"app": "cart"}, sidecar=True, ip="10.2.0.7"),
        service("shop", "cart", {"app": "cart"}),
        *extra,  # type: ignore[arg-type]
    )


CLIENT_UF = (
    '[2026-03-18T10:41:42.310Z] "GET / HTTP/1.1" 503 UF upstream_reset_before_response_started'
    '{connection_failure} - "-" 0 91 3 - "-" "curl/8.5.0" "5b7e" "cart.shop:80" '
    '"10.2.0.99:8080" outbound|80||cart.shop.svc.cluster.local - 10.96.0.10:80 '
    "10.1.0.5:51220 - default\n"
)
SERVER_200 = (
    '[2026-03-18T10:41:30.121Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 2 3 2 "-" '
    '"web/1.0" "0a1b" "cart.shop:80" "10.2.0.7:8080" inbound|8080|| 127.0.0.6:51877 '
    "10.2.0.7:8080 10.1.0.5:49822 outbound_.80_._.cart.shop.svc.cluster.local default\n"
)
STALE = (
    "outbound|80||cart.shop.svc.cluster.local::10.2.0.99:8080::health_flags::healthy\n"
    "outbound|80||cart.shop.svc.cluster.local::10.2.0.99:8080::cx_connect_fail::9\n"
)


def test_envoy_contradicting_a_passing_mesh_fails_it_on_the_probe_basis() -> None:
    prober = FakeProber(
        {
            ("envoy-log", "10.96.0.10:80"): ("read", CLIENT_UF),
            ("envoy-clusters", "cart.shop.svc.cluster.local:80"): ("read", STALE),
            ("envoy-log", "10.2.0.7:8080"): ("read", ""),
        }
    )
    report = ladder(mesh_edge(), "web/web-1", "cart.shop:80", prober)
    mesh = report.layer("mesh")
    assert mesh is not None and mesh.status is Status.FAIL and mesh.basis == "probe"
    assert mesh.summary.startswith("Envoy's account contradicts the static verdict: 503 UF")
    assert "still sends to 10.2.0.99" in mesh.summary
    assert [e.kind for e in mesh.evidence if e.kind] == ["envoy", "envoy", "envoy"]
    (disagreement,) = report.disagreements
    assert disagreement.layer == "mesh" and disagreement.predicted.startswith("pass")
    asked = {
        (r.probe, r.pod, r.container, r.l7.inbound) for r in prober.asked if "envoy" in r.probe
    }
    assert asked == {
        ("envoy-log", "web-1", "istio-proxy", False),
        ("envoy-clusters", "web-1", "istio-proxy", False),
        ("envoy-tls", "web-1", "istio-proxy", False),
        ("envoy-log", "cart-1", "istio-proxy", True),
    }


def test_envoy_agreeing_with_a_failing_mesh_says_so_and_successes_disagree() -> None:
    strict = peer_auth("shop", "strict", None, {"app": "cart"}, {8080: "STRICT"})
    legacy = state_of(
        namespace("web"),
        namespace("shop", **{"istio-injection": "enabled"}),
        pod(
            "web",
            "web-1",
            {"app": "web"},
            ip="10.1.0.5",
            annotations={"sidecar.istio.io/inject": "false"},
        ),
        pod("shop", "cart-1", {"app": "cart"}, sidecar=True, ip="10.2.0.7"),
        service("shop", "cart", {"app": "cart"}),
        strict,
    )
    nr = (
        '[2026-03-18T10:41:35.002Z] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" '
        '"-" "-" "-" - - 10.2.0.7:8080 10.1.0.5:40412 - -\n'
    )
    agree = ladder(
        legacy,
        "web/web-1",
        "cart.shop:80",
        FakeProber({("envoy-log", "10.2.0.7:8080"): ("read", nr)}),
    )
    mesh = agree.layer("mesh")
    assert mesh is not None and mesh.status is Status.FAIL
    assert "Envoy agrees: NR (filter_chain_not_found)" in mesh.summary and agree.disagreements == []
    served = FakeProber({("envoy-log", "10.2.0.7:8080"): ("read", SERVER_200)})
    report = ladder(legacy, "web/web-1", "cart.shop:80", served)
    assert [d.layer for d in report.disagreements] == ["mesh"]
    assert "1 successful requests" in report.disagreements[0].observed


def _agent(app: str, node: str = "node-1") -> object:
    from builders import pod as plain_pod

    return plain_pod("kube-system", f"{app}-x1", labels={"k8s-app": app}, ip="10.9.0.1", node=node)


def _timeouts() -> dict[tuple[str, str], str | tuple[str, str]]:
    return {("tcp", "10.96.5.5:80"): "timeout", ("tcp", "10.0.0.3:8080"): "timeout"}


DENIED = json.dumps(
    {
        "flow": {
            "verdict": "DROPPED",
            "drop_reason_desc": "POLICY_DENIED",
            "IP": {"source": "10.0.0.2", "destination": "10.0.0.3"},
            "l4": {"TCP": {"destination_port": 8080}},
            "traffic_direction": "INGRESS",
        }
    }
)


def test_hubble_denying_what_networkpolicy_allows_is_a_disagreement() -> None:
    answers = {**_timeouts(), ("flows", "10.0.0.3:8080"): ("read", DENIED + "\n")}
    prober = FakeProber(answers)
    report = ladder(state(*CART, _agent("cilium")), "shop/web-1", "cart:80", prober)
    (asked,) = [r for r in prober.asked if r.probe == "flows"]
    assert (asked.pod, asked.container, asked.l7.peers) == (
        "cilium-x1",
        "cilium-agent",
        ("10.0.0.2",),
    )
    reach = report.layer("reachability")
    assert reach is not None
    (flows,) = [e for e in reach.evidence if e.kind == "flows"]
    assert flows.detail.startswith("Hubble: 1× DROPPED POLICY_DENIED")
    (disagreement,) = [d for d in report.disagreements if d.layer == "networkpolicy"]
    assert disagreement.predicted.startswith("pass") and "POLICY_DENIED" in disagreement.observed
    assert "CiliumNetworkPolicy" in disagreement.explanations[0]


def test_without_cilium_the_evidence_says_which_source_would_have_told() -> None:
    calico = ladder(
        state(*CART, _agent("calico-node")), "shop/web-1", "cart:80", FakeProber(_timeouts())
    )
    reach = calico.layer("reachability")
    assert reach is not None
    (note,) = [e for e in reach.evidence if e.kind == "flows"]
    assert note.ref == "flows on node node-1" and "action: Log" in note.detail
    bare = ladder(state(*CART), "shop/web-1", "cart:80", FakeProber(_timeouts()))
    reach = bare.layer("reachability")
    assert reach is not None and any("hubble observe" in e.detail for e in reach.evidence)
