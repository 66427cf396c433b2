"""Port-forward and ephemeral debug containers through the official client and the fake API
server; the probe layers judged on live results (unknown when the mechanism fails)."""

from __future__ import annotations

from pathlib import Path

from fakeapi import FakeApiServer, without
from fakeapi.exec_ws import exec_script
from kubernetes import client, config
from kubernetes.stream import portforward
from probe_cluster import CART_IP, kubeconfig, prober, shop

from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.ladder import run_ladder
from kexplore.checks.result import Status
from kexplore.probes.base import ProbeRequest
from kexplore.probes.live.debug import DEBUG_PREFIX

FORWARD = ProbeRequest("port-forward", "shop", "cart-1", f"{CART_IP}:8080")
TCP = ProbeRequest("tcp", "shop", "web-1", f"{CART_IP}:8080")


def test_fake_port_forward_echoes_through_the_official_client(tmp_path: Path) -> None:
    cluster = shop()
    exec_script(cluster).forward("shop", "cart-1", 8080, "echo")
    with FakeApiServer(cluster) as api:
        core = client.CoreV1Api(config.new_client_from_config(kubeconfig(api, tmp_path)))
        pf = portforward(
            core.connect_get_namespaced_pod_portforward, "cart-1", "shop", ports="8080"
        )
        sock = pf.socket(8080)
        sock.settimeout(10)
        sock.sendall(b"ping")
        assert sock.recv(4) == b"ping"
        pf.close()


def test_port_forward_accepted_and_refused(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        script.forward("shop", "cart-1", 8080, "echo")
        accepted = live.run(FORWARD)
        script.forward("shop", "cart-1", 8080, "refuse")
        refused = live.run(FORWARD)
        script.forward("shop", "cart-1", 8080, "close")
        closed = live.run(FORWARD)
    assert accepted is not None and refused is not None and closed is not None
    assert closed.result == "forwarded" and "closed by the pod without data" in closed.output
    assert accepted.result == "forwarded" and accepted.exit_code == 0
    assert accepted.command == [
        "kubectl",
        "port-forward",
        "--namespace",
        "shop",
        "pod/cart-1",
        ":8080",
    ]
    assert "GET /api/v1/namespaces/shop/pods/cart-1/portforward?ports=8080" in accepted.output
    assert refused.result == "refused"
    assert "dial tcp4 127.0.0.1:8080: connect: connection refused" in refused.output


def test_port_forward_forbidden_names_the_verb(tmp_path: Path) -> None:
    cluster = shop()
    with FakeApiServer(cluster, users=[without("ops", ("", "pods/portforward"))]) as api:
        live, _ = prober(api, tmp_path, user="ops")
        result = live.run(FORWARD)
    assert result is not None and result.result == "forbidden"
    assert "you may not create pods/portforward in namespace shop" in result.output


def test_no_tools_and_no_consent_is_no_tool_without_touching_the_pod(tmp_path: Path) -> None:
    cluster = shop()
    exec_script(cluster).tools()  # a shell, but none of the tools
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(TCP)
        patches = api.requests("patch /api/v1/namespaces/shop/pods/web-1/ephemeralcontainers")
    assert result is not None and result.result == "no-tool"
    last = result.output.strip().splitlines()[-1]
    assert "no tool for a tcp probe in container web of pod shop/web-1 (tools: none)" in last
    assert "--yes" in last
    assert patches == []


def test_debug_container_after_consent_runs_the_probe_and_is_reused(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nc")  # the debug image has nc...
    script.tools(container="web")  # ...the app container has nothing (distroless)
    script.on(lambda argv: argv[0] == "nc", f"{CART_IP} ({CART_IP}:8080) open\n")
    asked: list[str] = []

    def consent(message: str) -> bool:
        asked.append(message)
        return True

    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path, debug_image="mirror.example/busybox:1.36", confirm=consent)
        first = live.run(TCP)
        second = live.run(ProbeRequest("tcp", "shop", "web-1", "10.96.0.20:80"))
    assert first is not None and second is not None
    assert first.result == "connected" and second.result == "connected"
    assert len(asked) == 1 and "cannot be removed" in asked[0]
    assert "mirror.example/busybox:1.36" in asked[0] and "shop/web-1" in asked[0]
    debug = {c.container for c in script.calls if c.container.startswith(DEBUG_PREFIX)}
    assert len(debug) == 1
    assert any("ephemeral debug container" in n for n in first.notes)
    pod = cluster.get(cluster.type_of("v1", "Pod"), "shop", "web-1") or {}
    [added] = pod["spec"]["ephemeralContainers"]
    assert added["image"] == "mirror.example/busybox:1.36" and added["command"] == ["sleep", "3600"]


def test_debug_container_forbidden_or_unpullable(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools()
    script.unpullable.add("busybox:1.36")
    users = [without("ops", ("", "pods/ephemeralcontainers"))]
    with FakeApiServer(cluster, users=users) as api:
        live, _ = prober(api, tmp_path, user="ops", confirm=lambda _m: True)
        forbidden = live.run(TCP)
        live, _ = prober(api, tmp_path, confirm=lambda _m: True)
        unpullable = live.run(TCP)
    assert forbidden is not None and unpullable is not None
    assert forbidden.result == "forbidden"
    assert "you may not patch pods/ephemeralcontainers in namespace shop" in forbidden.output
    assert unpullable.result == "error" and "--debug-image" in unpullable.output


def test_forbidden_exec_makes_the_probe_layers_unknown(tmp_path: Path) -> None:
    cluster = shop()
    users = [without("ops", ("", "pods/exec"), ("", "pods/portforward"))]
    with FakeApiServer(cluster, users=users) as api:
        live, state = prober(api, tmp_path, user="ops")
        report = run_ladder(
            state, resolve_source(state, "shop/web-1"), parse_target("cart:80"), prober=live
        )
    layers = {r.id: r for r in report.layers}
    for layer in ("reachability", "network"):
        assert layers[layer].status is Status.UNKNOWN, layers[layer].summary
        assert layers[layer].basis == "probe"
    assert "create pods/exec" in layers["reachability"].summary
    assert "create pods/portforward" in layers["network"].summary
    assert report.failing_layer is None


def test_source_container_not_running_makes_reachability_unknown(tmp_path: Path) -> None:
    cluster = shop()
    web = cluster.get(cluster.type_of("v1", "Pod"), "shop", "web-1") or {}
    web["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}
    cluster.add(web)
    script = exec_script(cluster)
    with FakeApiServer(cluster) as api:
        live, state = prober(api, tmp_path)
        report = run_ladder(
            state, resolve_source(state, "shop/web-1"), parse_target("cart:80"), prober=live
        )
    reach = next(r for r in report.layers if r.id == "reachability")
    assert reach.status is Status.UNKNOWN
    assert "container web of pod shop/web-1 is not running (ContainerCreating)" in reach.summary
    assert not any(c.pod == "web-1" for c in script.calls)


def test_udp_to_the_dns_service_asks_a_dns_question(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("dig", "nc")
    script.on(
        lambda argv: argv[:2] == ["dig", "@10.96.0.10"],
        ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 7\n;; ANSWER SECTION:\n"
        "kubernetes.default.svc.cluster.local. 30 IN A 10.96.0.1\n",
    )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(ProbeRequest("udp", "shop", "web-1", "10.96.0.10:53"))
    assert result is not None and result.result == "connected"
    assert result.command[:5] == ["dig", "@10.96.0.10", "-p", "53", "+notcp"]
    assert any("any answer (even NXDOMAIN)" in n for n in result.notes)
