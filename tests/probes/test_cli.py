"""`kexplore check --probe` end to end against the fake API server (official client, real HTTP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeApiServer
from fakeapi.exec_ws import ExecScript, exec_script
from probe_cluster import CART_IP, CART_SVC_IP, kubeconfig, shop

from kexplore.cli import main

NSLOOKUP = (
    "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
    "Name:\tcart.shop.svc.cluster.local\nAddress: 10.96.0.20\n"
)
LISTENING = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
    "23456 1 0000000000000000 100 0 0 10 0\n"
)

HTTP_OK = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nserver: nginx\r\n\r\ncart ok\n"


def scripted(connect_reply: tuple[str, int]) -> tuple[Any, ExecScript]:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("nslookup", "nc", "curl", pod="web-1")
    script.tools("cat", pod="cart-1")
    script.on(["nslookup", "cart"], NSLOOKUP, pod="web-1")
    script.on(lambda argv: argv[0] == "nc", connect_reply[0], exit_code=connect_reply[1])
    script.on(["cat", "/proc/net/tcp", "/proc/net/tcp6"], LISTENING, pod="cart-1")
    script.on(lambda argv: argv[0] == "curl", HTTP_OK, pod="web-1")
    script.forward("shop", "cart-1", 8080, "echo")
    return cluster, script


def check(api: FakeApiServer, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "check",
        "--probe",
        "--probe-timeout",
        "2",
        "--kubeconfig",
        kubeconfig(api, tmp_path),
        "shop/web-1",
        "cart:80",
        *extra,
    ]


def test_check_probe_runs_every_probe_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster, script = scripted(("open\n", 0))
    with FakeApiServer(cluster) as api:
        code = main(check(api, tmp_path, "-o", "json"))
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    layers = {layer["id"]: layer for layer in report["layers"]}
    assert report["verdict"] == "pass", [(k, v["status"], v["summary"]) for k, v in layers.items()]
    reach = layers["reachability"]
    assert reach["status"] == "pass" and reach["basis"] == "probe"
    exec_web = "kubectl exec --namespace shop pod/web-1 -c web --"
    assert reach["commands"] == [
        f"{exec_web} nc -zv -w 2 {CART_SVC_IP} 80",
        f"{exec_web} nc -zv -w 2 {CART_IP} 8080",
        f"{exec_web} curl -sS -i --connect-timeout 2 -m 4 -H 'Host: cart:80' "
        f"http://{CART_SVC_IP}:80/",
    ]
    assert reach["summary"].endswith("HTTP GET / → 200 from the app")
    assert layers["network"]["status"] == "pass"
    assert "kubectl port-forward --namespace shop pod/cart-1 :8080" in layers["network"]["commands"]
    assert f"{exec_web} nslookup cart" in layers["dns"]["commands"]
    assert (
        "kubectl exec --namespace shop pod/cart-1 -c app -- cat /proc/net/tcp /proc/net/tcp6"
        in layers["ports"]["commands"]
    )
    ran = {(c.pod, c.argv[0]) for c in script.calls}
    assert ran == {
        ("web-1", "sh"),
        ("web-1", "nslookup"),
        ("web-1", "nc"),
        ("web-1", "curl"),
        ("cart-1", "sh"),
        ("cart-1", "cat"),
    }


def test_check_probe_refused_fails_reachability_as_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster, _ = scripted((f"nc: {CART_IP} ({CART_IP}:8080): Connection refused\n", 1))
    with FakeApiServer(cluster) as api:
        code = main(check(api, tmp_path, "-o", "json"))
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["failing_layer"] == "reachability"
    reach = next(layer for layer in report["layers"] if layer["id"] == "reachability")
    assert (
        "refused" in reach["summary"] and "every config layer predicts success" in reach["summary"]
    )
    assert reach["explained_by"] is None


def test_without_a_terminal_or_yes_no_debug_container_is_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = shop()
    exec_script(cluster).tools()
    exec_script(cluster).forward("shop", "cart-1", 8080, "echo")
    with FakeApiServer(cluster) as api:
        code = main(check(api, tmp_path, "-o", "json"))
        patches = api.requests("patch /api/v1/namespaces/shop/pods/web-1/ephemeralcontainers")
    report = json.loads(capsys.readouterr().out)
    reach = next(layer for layer in report["layers"] if layer["id"] == "reachability")
    assert code == 0 and report["verdict"] == "unknown"
    assert reach["status"] == "unknown" and "--yes" in reach["summary"]
    assert (
        f"kubectl exec --namespace shop pod/web-1 -c web -- nc -zv -w 2 {CART_IP} 8080"
        in (reach["commands"])
    )
    assert patches == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--demo"], "--probe needs a live cluster"),
        (["--snapshot", "x"], "--probe needs a live cluster"),
        (["--read-only"], "--read-only forbids every probe"),
        (["--probe-timeout", "0"], "--probe-timeout 0: expected a positive number"),
    ],
)
def test_probe_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--probe", *args, "shop/web-1", "cart:80"])
    assert code == 2
    assert message in capsys.readouterr().err


def test_l7_and_path_choose_the_application_probe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster, script = scripted(("open\n", 0))
    with FakeApiServer(cluster) as api:
        none = main(check(api, tmp_path, "-o", "json", "--l7", "none"))
        reach = next(
            x for x in json.loads(capsys.readouterr().out)["layers"] if x["id"] == "reachability"
        )
        assert none == 0 and "no application probe (--l7 none)" in reach["summary"]
        main(check(api, tmp_path, "-o", "json", "--path", "/healthz?full=1"))
    curls = [c.argv for c in script.calls if c.argv[0] == "curl"]
    assert curls[-1][-1] == f"http://{CART_SVC_IP}:80/healthz?full=1"
    capsys.readouterr()
    assert main(["check", "--demo", "a/b", "c:80", "--path", "no slash"]) == 2
    assert "--path" in capsys.readouterr().err


def test_a_failed_connect_captures_packets_with_the_image_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster, script = scripted((f"nc: {CART_IP} ({CART_IP}:8080): Connection timed out\n", 1))
    script.on(lambda argv: "tcpdump" in argv, "0 packets captured\n", exit_code=124)
    image = "mirror.example/netshoot:v0.13"
    with FakeApiServer(cluster) as api:
        code = main(check(api, tmp_path, "-o", "json", "--yes", "--capture-image", image))
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    reach = next(layer for layer in report["layers"] if layer["id"] == "reachability")
    capture = [e for e in reach["evidence"] if e.get("kind") == "capture"]
    assert capture and "no packet to or from" in capture[0]["detail"]
    assert any(c.startswith("kubectl debug pod/web-1") and image in c for c in reach["commands"])
    pod = cluster.get(cluster.type_of("v1", "Pod"), "shop", "web-1") or {}
    assert [c["image"] for c in pod["spec"]["ephemeralContainers"]] == [image]
