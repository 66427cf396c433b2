"""Faults of the API server and of credentials become one-line KexploreErrors with a fix."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from fakeapi import FakeApiServer, FakeCluster
from fakeapi import objects as o

from kexplore.errors import ApiUnreachableError, CredentialsError, KexploreError
from kexplore.sources.live.client import RetryPolicy, Timeouts, TlsError
from kexplore.sources.live.source import LiveSource

FAST = RetryPolicy(attempts=2, base=0.05)


def small_cluster() -> FakeCluster:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "a"), o.node("node-1"))
    return cluster


def live(kubeconfig: Path, read: float = 5.0) -> LiveSource:
    source = LiveSource(kubeconfig=str(kubeconfig), timeouts=Timeouts(connect=2, read=read))
    source.conn.retry = FAST
    return source


def assert_one_line(err: KexploreError, exit_code: int = 3) -> None:
    text = err.one_line()
    assert "\n" not in text and err.fix and err.exit_code == exit_code


def test_server_down(tmp_path: Path) -> None:
    with FakeApiServer() as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc")
        url = api.url
    with pytest.raises(ApiUnreachableError) as err:
        live(kubeconfig).load()
    assert f"cannot connect to {url}" in err.value.message
    assert "connection refused" in err.value.message
    assert_one_line(err.value)


def test_slow_server_times_out(tmp_path: Path) -> None:
    with FakeApiServer() as api:
        api.delay("get /version", 3.0)
        with pytest.raises(ApiUnreachableError) as err:
            live(api.write_kubeconfig(tmp_path / "kc"), read=0.5).load()
    assert "did not answer within 0.5 s" in err.value.message
    assert_one_line(err.value)


def test_one_slow_kind_is_unreadable_and_the_rest_loads(tmp_path: Path) -> None:
    with FakeApiServer(small_cluster()) as api:
        api.delay("get /api/v1/nodes", 3.0)
        state = live(api.write_kubeconfig(tmp_path / "kc"), read=0.5).load()
    assert [p.metadata.name for p in state.pods] == ["a"]
    assert "did not answer within 0.5 s" in state.meta.unreadable["Node"]


def test_transient_5xx_is_retried(tmp_path: Path) -> None:
    with FakeApiServer(small_cluster()) as api:
        api.fail("get /api/v1/pods", 503, times=1)
        state = live(api.write_kubeconfig(tmp_path / "kc")).load()
        assert len(api.requests("get /api/v1/pods")) == 2
    assert [p.metadata.name for p in state.pods] == ["a"] and state.meta.unreadable == {}


def test_lasting_5xx_marks_only_that_kind(tmp_path: Path) -> None:
    with FakeApiServer(small_cluster()) as api:
        api.fail("get /api/v1/pods", 500, times=10, message="etcdserver: request timed out")
        state = live(api.write_kubeconfig(tmp_path / "kc")).load()
    assert state.pods == [] and [n.name for n in state.nodes] == ["node-1"]
    assert "500" in state.meta.unreadable["Pod"]
    assert "etcdserver: request timed out" in state.meta.unreadable["Pod"]


def test_everything_failing_is_an_error(tmp_path: Path) -> None:
    with FakeApiServer(small_cluster()) as api:
        for path in ("/api/v1", "/version", "/apis"):
            api.fail(f"get {path}", 503, times=10, message="apiserver is shutting down")
        with pytest.raises(ApiUnreachableError) as err:
            live(api.write_kubeconfig(tmp_path / "kc")).load()
    assert "503" in err.value.message and "apiserver is shutting down" in err.value.message
    assert_one_line(err.value)


def test_429_waits_for_retry_after(tmp_path: Path) -> None:
    with FakeApiServer(small_cluster()) as api:
        api.fail(
            "get /api/v1/pods", 429, times=1, reason="TooManyRequests", headers={"Retry-After": "1"}
        )
        state = live(api.write_kubeconfig(tmp_path / "kc")).load()
        assert len(api.requests("get /api/v1/pods")) == 2
    assert [p.metadata.name for p in state.pods] == ["a"]


def test_lasting_429_says_throttled(tmp_path: Path) -> None:
    with FakeApiServer(small_cluster()) as api:
        api.fail("get /version", 429, times=10, reason="TooManyRequests")
        with pytest.raises(ApiUnreachableError) as err:
            live(api.write_kubeconfig(tmp_path / "kc")).load()
    assert "throttling" in err.value.message and "429" in err.value.message


def test_tls_error(tmp_path: Path) -> None:
    with FakeApiServer() as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc", scheme="https")
        with pytest.raises(TlsError) as err:
            live(kubeconfig).load()
    assert err.value.message.startswith("TLS handshake with https://127.0.0.1:")
    assert "certificate-authority" in err.value.fix
    assert_one_line(err.value)


def test_expired_credentials(tmp_path: Path) -> None:
    with FakeApiServer() as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc", user="token-that-expired")
        with pytest.raises(CredentialsError) as err:
            live(kubeconfig).load()
    assert "401" in err.value.message and "rejected the credentials" in err.value.message
    assert_one_line(err.value)


def exec_kubeconfig(api: FakeApiServer, tmp_path: Path, script: str) -> Path:
    plugin = tmp_path / "plugin.py"
    plugin.write_text(script)
    doc = api.kubeconfig()
    doc["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(plugin)],
            "interactiveMode": "Never",
        }
    }
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_exec_credential_plugin(tmp_path: Path) -> None:
    script = (
        "import json\n"
        'print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",'
        ' "kind": "ExecCredential", "status": {"token": "admin"}}))\n'
    )
    with FakeApiServer(small_cluster()) as api:
        state = live(exec_kubeconfig(api, tmp_path, script)).load()
    assert [p.metadata.name for p in state.pods] == ["a"]


def test_failing_exec_plugin_is_a_credentials_error(tmp_path: Path) -> None:
    script = "import sys\nsys.stderr.write('SSO session expired')\nsys.exit(1)\n"
    with FakeApiServer() as api, pytest.raises(CredentialsError) as err:
        live(exec_kubeconfig(api, tmp_path, script))
    assert "context 'fake'" in err.value.message
    assert_one_line(err.value)
    assert f"credential plugin {sys.executable!r} failed" in err.value.message


def test_a_missing_exec_plugin_is_named_not_a_refused_connection(tmp_path: Path) -> None:
    with FakeApiServer() as api:
        path = exec_kubeconfig(api, tmp_path, "")
        doc = yaml.safe_load(path.read_text())
        doc["users"][0]["user"]["exec"]["command"] = str(tmp_path / "no-such-login")
        path.write_text(yaml.safe_dump(doc))
        with pytest.raises(CredentialsError) as err:
            live(path)
    assert f"credential plugin {str(tmp_path / 'no-such-login')!r} not found" in err.value.message
    assert "refused" not in err.value.message
    assert_one_line(err.value)
