"""Observed evidence through the official client and the fake API server over real HTTP: a
proxy's access log (pod log API, bounded), its cluster view (exec pilot-agent), a packet
capture in a debug container (with consent naming the image and the command)."""

from __future__ import annotations

import json
from pathlib import Path

from fakeapi import FakeApiServer, FakeCluster, without
from fakeapi import objects as o
from fakeapi.exec_ws import exec_script
from probe_cluster import CART_IP, CART_SVC_IP, prober, shop

from kexplore.probes.base import L7Spec, ProbeRequest
from kexplore.probes.live.debug import DEBUG_PREFIX

EDGE_LINE = (
    '[2026-03-18T10:41:42.310Z] "GET / HTTP/1.1" 503 UF upstream_reset_before_response_started'
    '{connection_failure} - "-" 0 91 3 - "-" "curl/8.5.0" "5b7e" "cart:80" '
    f'"{CART_IP}:8080" outbound|80||cart.shop.svc.cluster.local - {CART_SVC_IP}:80 '
    "10.0.0.2:51220 - default"
)
OTHER_LINE = (
    '[2026-03-18T10:41:43.000Z] "GET /x HTTP/1.1" 200 - via_upstream - "-" 0 2 3 2 "-" "web" '
    '"9a9a" "search:80" "10.0.0.77:8080" outbound|80||search.shop.svc.cluster.local '
    "10.0.0.2:1 10.96.0.77:80 10.0.0.2:2 - default"
)
CLUSTERS = (
    "outbound|80||cart.shop.svc.cluster.local::observability_name::outbound|80||cart.shop.svc.cluster.local\n"
    f"outbound|80||cart.shop.svc.cluster.local::{CART_IP}:8080::health_flags::healthy\n"
    "outbound|80||search.shop.svc.cluster.local::10.0.0.77:8080::health_flags::healthy\n"
)
LOG = ProbeRequest(
    "envoy-log",
    "shop",
    "web-1",
    f"{CART_SVC_IP}:80",
    "istio-proxy",
    L7Spec(host="cart:80", peers=(CART_SVC_IP, CART_IP)),
)


def with_proxy() -> FakeCluster:
    """shop() with an istio-proxy beside web-1's app container."""
    cluster = shop()
    rtype = cluster.type_of("v1", "Pod")
    web = cluster.get(rtype, "shop", "web-1") or {}
    web["spec"]["containers"].append({"name": "istio-proxy", "image": "istio/proxyv2:1.23"})
    web["status"]["containerStatuses"].append(
        {"name": "istio-proxy", "ready": True, "restartCount": 0, "state": {"running": {}}}
    )
    cluster.add(web)
    return cluster


def test_the_proxy_log_is_read_bounded_and_only_the_edges_lines_kept(tmp_path: Path) -> None:
    cluster = with_proxy()
    cluster.append_log(
        "shop", "web-1", "istio-proxy", "info\tEnvoy proxy is ready", EDGE_LINE, OTHER_LINE
    )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(LOG)
        seen = api.requests("get /api/v1/namespaces/shop/pods/web-1/log")
    assert result is not None and result.result == "read"
    assert result.output.splitlines() == [
        EDGE_LINE,
        "[kexplore kept 1 access-log lines for this edge of 3 lines read]",
    ]
    assert result.command[:2] == ["kubectl", "logs"] and "--since=300s" in result.command
    query = seen[0].params if seen else {}
    assert query.get("container") == "istio-proxy" and query.get("limitBytes") == str(512 << 10)


def test_a_forbidden_log_read_is_a_mechanism_failure(tmp_path: Path) -> None:
    cluster = with_proxy()
    users = [without("nolog", ("", "pods/log"))]
    with FakeApiServer(cluster, users=users) as api:
        live, _ = prober(api, tmp_path, user="nolog")
        result = live.run(LOG)
    assert result is not None and result.result == "forbidden" and result.mechanism_failed


def test_the_cluster_view_is_read_by_exec_in_the_proxy(tmp_path: Path) -> None:
    cluster = with_proxy()
    script = exec_script(cluster)
    script.on(["pilot-agent", "request", "GET", "clusters"], CLUSTERS, container="istio-proxy")
    request = ProbeRequest(
        "envoy-clusters", "shop", "web-1", "cart.shop.svc.cluster.local:80", "istio-proxy"
    )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(request)
    assert result is not None and result.result == "read"
    assert (
        "search" not in result.output and f"{CART_IP}:8080::health_flags::healthy" in result.output
    )
    assert [c.container for c in script.calls] == ["istio-proxy"]


DUMP = (
    "listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n"
    f"10:35:24.118240 eth0  Out IP 10.0.0.2.43822 > {CART_SVC_IP}.80: Flags [S], length 0\n"
    f"10:35:25.131377 eth0  Out IP 10.0.0.2.43822 > {CART_SVC_IP}.80: Flags [S], length 0\n"
    "2 packets captured\n"
)


def test_a_capture_runs_in_a_consented_debug_container_while_the_connect_repeats(
    tmp_path: Path,
) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nc", container="web")
    script.on(lambda argv: argv[0] == "nc", "nc: timed out\n", exit_code=1, container="web")
    script.on(lambda argv: "tcpdump" in argv, DUMP, exit_code=124)
    asked: list[str] = []

    def consent(message: str) -> bool:
        asked.append(message)
        return True

    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path, confirm=consent, capture_warmup=0.0)
        result = live.run(ProbeRequest("capture", "shop", "web-1", f"{CART_SVC_IP}:80"))
    assert result is not None and result.result == "dropped"
    assert (
        result.command[:2] == ["kubectl", "debug"]
        and "tcpdump" in result.command
        and result.request.container.startswith(DEBUG_PREFIX)
    )
    (message,) = asked
    assert "nicolaka/netshoot" in message and "cannot be removed" in message
    assert f"tcpdump -nn -X -i any -c 20 host {CART_SVC_IP} and port 80" in message
    ran = [(c.container.startswith(DEBUG_PREFIX), c.argv[0]) for c in script.calls]
    assert (True, "timeout") in ran and (False, "nc") in ran


def test_without_consent_there_is_no_capture(tmp_path: Path) -> None:
    cluster = shop()
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(ProbeRequest("capture", "shop", "web-1", f"{CART_SVC_IP}:80"))
    assert result is not None and result.mechanism_failed and "--yes" in result.output
    pod = cluster.get(cluster.type_of("v1", "Pod"), "shop", "web-1") or {}
    assert not pod["spec"].get("ephemeralContainers")


def test_hubble_flows_are_read_by_exec_in_the_cilium_agent(tmp_path: Path) -> None:
    cluster = shop()
    cluster.add(
        o.pod("kube-system", "cilium-x1", {"k8s-app": "cilium"}, ("cilium-agent",), "10.9.0.1")
    )
    script = exec_script(cluster)
    ips = {"source": "10.0.0.2", "destination": "10.0.0.3"}
    doc = {"verdict": "DROPPED", "drop_reason_desc": "POLICY_DENIED", "IP": ips}
    flow = json.dumps({"flow": {**doc, "l4": {"TCP": {"destination_port": 8080}}}}) + "\n"
    script.on(lambda argv: argv[:2] == ["hubble", "observe"], flow, container="cilium-agent")
    request = ProbeRequest(
        "flows",
        "kube-system",
        "cilium-x1",
        f"{CART_IP}:8080",
        "cilium-agent",
        L7Spec(peers=("10.0.0.2",)),
    )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(request)
    assert result is not None and result.result == "read" and result.output == flow
    (call,) = script.calls
    assert call.argv[-6:] == ["--from-ip", "10.0.0.2", "--to-ip", CART_IP, "--to-port", "8080"]
    assert result.command[:2] == ["kubectl", "exec"] and "hubble" in result.command


def test_the_clusters_tls_is_read_from_the_config_dump_and_only_its_fields_kept(
    tmp_path: Path,
) -> None:
    cluster = with_proxy()
    script = exec_script(cluster)
    dump = {
        "configs": [
            {"cluster": {"name": "outbound|80||cart.shop.svc.cluster.local", "lb_policy": "X"}},
            {"cluster": {"name": "outbound|80||search.shop.svc.cluster.local"}},
        ]
    }
    script.on(lambda argv: argv[:3] == ["pilot-agent", "request", "GET"], json.dumps(dump))
    request = ProbeRequest(
        "envoy-tls", "shop", "web-1", "cart.shop.svc.cluster.local:80", "istio-proxy"
    )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(request)
    assert result is not None and result.result == "read"
    assert result.output.splitlines()[0] == '{"name": "outbound|80||cart.shop.svc.cluster.local"}'
    (call,) = script.calls
    assert call.argv[-1] == "config_dump?resource=dynamic_active_clusters"
