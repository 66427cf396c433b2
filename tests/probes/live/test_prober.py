"""The live prober through the official client against the fake API server over real HTTP:
exec probes (DNS, TCP, socket table), tool detection and fallback, RBAC, not-running pods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import websocket
from fakeapi import FakeApiServer, without
from fakeapi.exec_ws import exec_script
from probe_cluster import CART_IP, CART_SVC_IP, DNS_IP, prober, shop

from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.probes.live.prober import as_recorded
from kexplore.probes.recorded import RecordedProber
from kexplore.probes.strategy import DETECT_COMMAND

TCP_TABLE = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: {addr}:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
    "23456 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0300000A:1F90 0200000A:C8F4 01 00000000:00000000 00:00000000 00000000     0        0 "
    "23457 1 0000000000000000 20 4 30 10 -1\n"
)


def test_dns_lookup_runs_getent_with_a_timeout_and_records_everything(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("getent", "timeout", "nc")
    script.on(
        ["timeout", "3", "getent", "hosts", "cart"],
        "10.96.0.20      cart.shop.svc.cluster.local\n",
        pod="web-1",
    )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(ProbeRequest("dns", "shop", "web-1", "cart"))
    assert result is not None
    assert result.result == "resolved"
    assert result.command == ["timeout", "3", "getent", "hosts", "cart"]
    assert result.output == "10.96.0.20      cart.shop.svc.cluster.local\n"
    assert result.exit_code == 0 and result.basis == "probe" and result.time
    assert [(c.container, c.argv) for c in script.calls] == [
        ("web", DETECT_COMMAND),
        ("web", ["timeout", "3", "getent", "hosts", "cart"]),
    ]


def test_nxdomain_from_nslookup(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nslookup")
    script.on(
        ["nslookup", "kart"],
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find kart: NXDOMAIN\n",
        exit_code=1,
    )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(ProbeRequest("dns", "shop", "web-1", "kart"))
    assert result is not None and result.result == "nxdomain" and result.exit_code == 1


def test_tcp_connect_connected_refused_and_timeout(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nc")
    answers = {
        CART_SVC_IP: ("", f"nc: {CART_SVC_IP} ({CART_SVC_IP}:80): Connection refused\n", 1),
        CART_IP: (f"{CART_IP} ({CART_IP}:8080) open\n", "", 0),
        DNS_IP: ("", f"nc: {DNS_IP} ({DNS_IP}:53): Connection timed out\n", 1),
    }
    for ip, (out, err, code) in answers.items():
        script.on(
            lambda argv, ip=ip: argv[:4] == ["nc", "-zv", "-w", "1"] and argv[4] == ip,
            out,
            err,
            code,
        )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        got = {
            target: live.run(ProbeRequest("tcp", "shop", "web-1", target))
            for target in (f"{CART_SVC_IP}:80", f"{CART_IP}:8080", f"{DNS_IP}:53")
        }
    results = {t: r.result for t, r in got.items() if r is not None}
    assert results == {
        f"{CART_SVC_IP}:80": "refused",
        f"{CART_IP}:8080": "connected",
        f"{DNS_IP}:53": "timeout",
    }
    refused = got[f"{CART_SVC_IP}:80"]
    assert refused is not None
    assert refused.command == ["nc", "-zv", "-w", "1", CART_SVC_IP, "80"]
    assert "Connection refused" in refused.output and refused.exit_code == 1
    detections = [c for c in script.calls if c.argv == DETECT_COMMAND]
    assert len(detections) == 1  # tools detected once per container, then cached


def test_missing_tool_falls_back_to_the_next_and_is_remembered(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nc", "bash", "timeout")  # nc is announced but not runnable (default reply)
    script.on(lambda argv: argv[2:4] == ["bash", "-c"], "connected\n")
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        first = live.run(ProbeRequest("tcp", "shop", "web-1", f"{CART_IP}:8080"))
        second = live.run(ProbeRequest("tcp", "shop", "web-1", f"{CART_SVC_IP}:80"))
    assert first is not None and second is not None
    assert first.result == "connected" and second.result == "connected"
    script_text = 'exec 3<>"/dev/tcp/$0/$1" && echo connected'
    assert first.command == ["timeout", "1", "bash", "-c", script_text, CART_IP, "8080"]
    assert any("nc: unusable (exit 126)" in n for n in first.notes)
    tools_run = [c.argv[0] for c in script.calls if c.argv != DETECT_COMMAND]
    assert tools_run == ["nc", "timeout", "timeout"]  # nc tried once, then skipped


def test_cluster_strings_are_separate_argv_elements_never_shell_text(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("getent", "nc")
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        bad_name = live.run(ProbeRequest("dns", "shop", "web-1", "-x;rm -rf /"))
        bad_ip = live.run(ProbeRequest("tcp", "shop", "web-1", "$(reboot):80"))
    assert bad_name is not None and bad_ip is not None
    assert bad_name.result == "error" and "not a DNS name" in bad_name.output
    assert bad_ip.result == "error" and "not an IP:port" in bad_ip.output
    assert script.calls == []  # refused before anything ran


def test_socket_table_listening_and_loopback_only(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("cat")
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        script.on(["cat", "/proc/net/tcp", "/proc/net/tcp6"], TCP_TABLE.format(addr="00000000"))
        listening = live.run(ProbeRequest("listen", "shop", "cart-1", f"{CART_IP}:8080"))
        script.on(["cat", "/proc/net/tcp", "/proc/net/tcp6"], TCP_TABLE.format(addr="0100007F"))
        loopback = live.run(ProbeRequest("listen", "shop", "cart-1", f"{CART_IP}:8080"))
    assert listening is not None and loopback is not None
    assert listening.result == "listening" and loopback.result == "loopback-only"
    assert "bound to 127.0.0.1:8080 only" in loopback.notes[-1]
    assert "0100007F:1F90" in loopback.output
    assert "0200000A:C8F4" not in loopback.output  # established sockets are summarised
    assert "[1 sockets not in LISTEN state omitted by kexplore]" in loopback.output


def test_exec_forbidden_is_asked_first_and_names_the_verb(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    with FakeApiServer(cluster, users=[without("ops", ("", "pods/exec"))]) as api:
        live, _ = prober(api, tmp_path, user="ops")
        result = live.run(ProbeRequest("tcp", "shop", "web-1", f"{CART_IP}:8080"))
        reviews = api.requests("post /apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert result is not None and result.result == "forbidden" and result.mechanism_failed
    assert "you may not create pods/exec in namespace shop" in result.output
    assert script.calls == []
    attrs = [r.data["spec"]["resourceAttributes"] for r in reviews]  # type: ignore[index]
    assert {
        "verb": "create",
        "resource": "pods",
        "subresource": "exec",
        "namespace": "shop",
        "group": "",
    } in attrs


def test_server_side_403_on_the_upgrade_is_forbidden_too(tmp_path: Path) -> None:
    cluster = shop()
    with FakeApiServer(cluster, users=[without("ops", ("", "pods/exec"))]) as api:
        live, _ = prober(api, tmp_path, user="ops")
        live.permissions._answers[("create", "pods/exec", "shop")] = None  # review unavailable
        result = live.run(ProbeRequest("tcp", "shop", "web-1", f"{CART_IP}:8080"))
    assert result is not None and result.result == "forbidden"
    assert 'cannot create resource "pods/exec"' in result.output


def test_container_not_running_is_not_probed(tmp_path: Path) -> None:
    cluster = shop(cart_running=False)
    script = exec_script(cluster)
    script.tools("cat")
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(ProbeRequest("listen", "shop", "cart-1", f"{CART_IP}:8080"))
    assert result is not None and result.result == "not-running"
    assert "container app of pod shop/cart-1 is not running (CrashLoopBackOff)" in result.output
    assert script.calls == []


def test_container_stopped_since_the_load_is_not_running(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        cluster.add(
            shop(cart_running=False).get(cluster.type_of("v1", "Pod"), "shop", "cart-1") or {}
        )
        result = live.run(ProbeRequest("listen", "shop", "cart-1", f"{CART_IP}:8080"))
    assert result is not None and result.result == "not-running"
    assert 'container not found ("app")' in result.output
    assert script.calls == []


def test_a_hanging_command_is_cut_at_the_deadline_and_reads_as_a_timeout(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nc")
    script.on(lambda argv: argv[0] == "nc", delay=3.0)
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path, timeout=0.2, exec_grace=0.0)
        result = live.run(ProbeRequest("tcp", "shop", "web-1", f"{CART_IP}:8080"))
    assert result is not None and result.result == "timeout"
    assert "[stopped by kexplore: no exit status before the deadline]" in result.output


def test_output_is_bounded(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("getent")
    script.on(["getent", "hosts", "cart"], "10.96.0.20      cart.shop.svc.cluster.local\n" * 5000)
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path, max_output=4096)
        result = live.run(ProbeRequest("dns", "shop", "web-1", "cart"))
    assert result is not None and result.result == "resolved"
    assert "[output truncated by kexplore]" in result.output
    assert len(result.output) < 20_000


@pytest.mark.parametrize("protocol", ["v4.channel.k8s.io", "v5.channel.k8s.io"])
def test_fake_exec_speaks_both_channel_protocols(tmp_path: Path, protocol: str) -> None:
    cluster = shop()
    exec_script(cluster).on(["echo", "hi"], "hi\n", "warn\n", 3)
    with FakeApiServer(cluster) as api:
        url = api.url.replace("http://", "ws://") + (
            "/api/v1/namespaces/shop/pods/web-1/exec?command=echo&command=hi&stdout=true"
        )
        ws = websocket.create_connection(
            url, header=["Authorization: Bearer admin"], subprotocols=[protocol]
        )
        frames = []
        while True:
            try:
                frames.append(ws.recv())
            except websocket.WebSocketConnectionClosedException:
                break
            if frames[-1] == "" or frames[-1] == b"":
                break
        negotiated = ws.subprotocol
        ws.close()
    assert negotiated == protocol
    assert frames[:2] == [b"\x01hi\n", b"\x02warn\n"]
    status = json.loads(frames[2][1:])
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]
    assert exec_script(cluster).calls[-1].argv == ["echo", "hi"]


def test_dns_lookup_notes_the_resolv_conf_search_path(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nslookup", "cat")
    script.on(["nslookup", "cart"], "Name:\tcart.shop.svc.cluster.local\nAddress: 10.96.0.20\n")
    script.on(
        ["cat", "/etc/resolv.conf"],
        "# generated by kubelet\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\noptions ndots:5\n",
    )
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path)
        result = live.run(ProbeRequest("dns", "shop", "web-1", "cart"))
    assert result is not None and result.result == "resolved"
    assert result.notes[-1] == (
        "/etc/resolv.conf: search shop.svc.cluster.local svc.cluster.local cluster.local; "
        "nameserver 10.96.0.10; options ndots:5"
    )


def test_results_are_kept_streamed_and_replayable_as_recorded(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nc")
    script.on(lambda argv: argv[0] == "nc", f"{CART_IP} ({CART_IP}:8080) open\n")
    streamed: list[ProbeResult] = []
    request = ProbeRequest("tcp", "shop", "web-1", f"{CART_IP}:8080")
    with FakeApiServer(cluster) as api:
        live, _ = prober(api, tmp_path, on_result=streamed.append)
        result = live.run(request)
    assert result is not None and streamed == [result] and live.history == [result]
    assert result.request.container == "web" and as_recorded(result).container == "web"
    replayed = RecordedProber([as_recorded(result)]).run(request)
    assert replayed is not None and replayed.basis == "recorded"
    assert (replayed.result, replayed.command, replayed.output) == (
        "connected",
        ["nc", "-zv", "-w", "1", CART_IP, "8080"],
        f"{CART_IP} ({CART_IP}:8080) open\n",
    )
