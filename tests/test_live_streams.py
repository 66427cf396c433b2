"""The fake API's exec and port-forward websockets, driven by the official client's stream()."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakeapi import ExecRequest, ExecResult, FakeApiServer, FakeCluster, echo, namespaced
from fakeapi import objects as o
from kubernetes import client, config
from kubernetes.stream import portforward, stream


def core(api: FakeApiServer, tmp_path: Path, user: str = "admin") -> client.CoreV1Api:
    path = api.write_kubeconfig(tmp_path / "kc", user=user)
    return client.CoreV1Api(config.new_client_from_config(config_file=str(path)))


def cluster() -> FakeCluster:
    fake = FakeCluster()
    fake.add(o.pod("shop", "cart-1"), o.pod("shop", "two", containers=("app", "istio-proxy")))
    return fake


def test_exec_one_shot_and_exit_code(tmp_path: Path) -> None:
    seen: list[ExecRequest] = []

    def run(request: ExecRequest) -> ExecResult | None:
        seen.append(request)
        if request.command[:1] == ["getent"]:
            return ExecResult(stdout=b"10.96.0.10  cart.shop.svc.cluster.local\n")
        if request.command[:1] == ["nc"]:
            return ExecResult(stderr=b"connection refused\n", exit_code=1)
        return None

    with FakeApiServer(cluster()) as api:
        api.on_exec(run)
        v1 = core(api, tmp_path)
        out = stream(
            v1.connect_get_namespaced_pod_exec,
            "cart-1",
            "shop",
            command=["getent", "hosts", "cart"],
            stderr=True,
            stdout=True,
        )
        ws = stream(
            v1.connect_get_namespaced_pod_exec,
            "cart-1",
            "shop",
            command=["nc", "-z", "10.0.0.7", "8080"],
            stderr=True,
            stdout=True,
            _preload_content=False,
        )
        ws.run_forever(timeout=10)
        missing = stream(
            v1.connect_get_namespaced_pod_exec,
            "two",
            "shop",
            container="app",
            command=["curl", "-s", "x"],
            stderr=True,
            stdout=True,
            _preload_content=False,
        )
        missing.run_forever(timeout=10)
    assert out == "10.96.0.10  cart.shop.svc.cluster.local\n"
    assert ws.returncode == 1 and ws.read_stderr() == "connection refused\n"
    assert missing.returncode == 126 and "executable file not found" in missing.read_stderr()
    assert seen[0] == ExecRequest("shop", "cart-1", "app", ["getent", "hosts", "cart"])
    assert seen[2].container == "app"


def test_exec_stdin(tmp_path: Path) -> None:
    with FakeApiServer(cluster()) as api:
        api.on_exec(lambda r: ExecResult(stdout=r.stdin.upper()))
        ws = stream(
            core(api, tmp_path).connect_get_namespaced_pod_exec,
            "cart-1",
            "shop",
            command=["tr", "a-z", "A-Z"],
            stdin=True,
            stdout=True,
            stderr=True,
            _preload_content=False,
        )
        ws.write_stdin("hello\n")
        ws.run_forever(timeout=10)
    assert ws.read_stdout() == "HELLO\n"


def test_exec_is_forbidden_without_create_on_pods_exec(tmp_path: Path) -> None:
    with FakeApiServer(cluster(), users=[namespaced("reader", ["shop"])]) as api:
        v1 = core(api, tmp_path, user="reader")
        with pytest.raises(client.ApiException) as err:
            stream(
                v1.connect_get_namespaced_pod_exec,
                "cart-1",
                "shop",
                command=["true"],
                stderr=True,
                stdout=True,
            )
    assert "403" in str(err.value.reason)


def test_port_forward_echo(tmp_path: Path) -> None:
    with FakeApiServer(cluster()) as api:
        api.on_port_forward(echo)
        pf = portforward(
            core(api, tmp_path).connect_get_namespaced_pod_portforward,
            "cart-1",
            "shop",
            ports="8080",
        )
        sock = pf.socket(8080)
        sock.settimeout(10)
        sock.sendall(b"ping")
        reply = sock.recv(4)
        sock.close()
    assert reply == b"ping"


def test_port_forward_to_a_closed_port_reports_refused(tmp_path: Path) -> None:
    with FakeApiServer(cluster()) as api:
        pf = portforward(
            core(api, tmp_path).connect_get_namespaced_pod_portforward,
            "cart-1",
            "shop",
            ports="9090",
        )
        sock = pf.socket(9090)
        sock.settimeout(10)
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert sock.recv(1) == b""  # the forwarded connection is closed on error
        sock.close()
        error = pf.error(9090)
    assert error is not None and "connection refused" in error
