"""kubeconfig resolution like kubectl: KUBECONFIG lists, --kubeconfig, --context, --namespace."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import urllib3
import yaml
from fakeapi import FakeApiServer, FakeCluster, admin
from fakeapi import objects as o

from kexplore.errors import CredentialsError, InputError, UsageError
from kexplore.sources.live.client import Timeouts, connect, list_contexts
from kexplore.sources.live.source import LiveSource, load_live


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc))
    return path


def two_files(api: FakeApiServer, tmp_path: Path) -> tuple[Path, Path]:
    first = write(tmp_path / "one", api.kubeconfig(context="one", namespace="shop"))
    second = write(tmp_path / "two", api.kubeconfig(context="two", user="alice"))
    return first, second


def test_first_file_setting_current_context_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeApiServer() as api:
        first, second = two_files(api, tmp_path)
        monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{second}")
        source = LiveSource()
        names, current = list_contexts()
    assert source.context == "one" and current == "one"
    assert names == ["one", "two"]  # contexts of every file are merged
    assert source.conn.namespace == "shop"  # the context's namespace is the default


def test_context_and_namespace_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = FakeCluster()
    cluster.add(o.pod("shop", "a"))
    with FakeApiServer(cluster, users=[admin("alice")]) as api:
        first, second = two_files(api, tmp_path)
        monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
        source = LiveSource(context="two", namespace="other")
        state = source.load()
        authorization = [
            v
            for r in api.requests("get /api/v1/pods")
            for k, v in r.headers.items()
            if k.lower() == "authorization"
        ]
    assert source.context == "two" and source.conn.namespace == "other"
    assert authorization == ["Bearer alice"]  # the user of context "two"
    assert state.meta.context == "two"


def test_kubeconfig_flag_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeApiServer() as api:
        first, second = two_files(api, tmp_path)
        monkeypatch.setenv("KUBECONFIG", str(first))
        source = LiveSource(kubeconfig=str(second))
    assert source.context == "two" and source.conn.namespace == "default"


def test_unknown_context_is_a_usage_error(tmp_path: Path) -> None:
    with FakeApiServer() as api:
        first, _ = two_files(api, tmp_path)
        with pytest.raises(UsageError) as err:
            LiveSource(kubeconfig=str(first), context="prod")
    assert "'prod' is not in the kubeconfig (known: one)" in err.value.message
    assert err.value.exit_code == 2 and "get-contexts" in err.value.fix


def test_missing_kubeconfig_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        LiveSource(kubeconfig=str(tmp_path / "nope"))
    assert "does not exist" in err.value.message


def test_no_kubeconfig_outside_a_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(CredentialsError) as err:
        LiveSource()
    assert "no kubeconfig found" in err.value.message and "--snapshot" in err.value.fix
    assert err.value.exit_code == 3


def test_broken_kubeconfig_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "kc"
    path.write_text("apiVersion: v1\nclusters:\n- name: a\n  cluster: {server: [\n")
    with pytest.raises(InputError) as err:
        LiveSource(kubeconfig=str(path))
    assert f"kubeconfig {path}:" in err.value.message and err.value.exit_code == 2


def test_a_kubeconfig_that_is_a_list_or_a_directory_is_bad_input(tmp_path: Path) -> None:
    listed = tmp_path / "kc"
    listed.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="a YAML list, not a kubeconfig") as err:
        LiveSource(kubeconfig=str(listed))
    assert err.value.exit_code == 2
    with pytest.raises(UsageError, match="is a directory"):
        LiveSource(kubeconfig=str(tmp_path))


def test_an_exec_plugin_that_never_answers_is_timed_out_by_name(tmp_path: Path) -> None:
    plugin = tmp_path / "hanging-login"
    plugin.write_text("#!/bin/sh\nexec sleep 600\n")
    plugin.chmod(0o755)
    with FakeApiServer() as api:
        doc = api.kubeconfig()
        doc["users"][0]["user"] = {
            "exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin)}
        }
        path = write(tmp_path / "kc", doc)
        with pytest.raises(CredentialsError) as err:
            connect(kubeconfig=str(path), timeouts=Timeouts(exec_plugin=0.5))
    assert f"credential plugin {str(plugin)!r} did not answer in 0.5 s" in err.value.message


def test_insecure_skip_tls_verify_is_one_warning_of_ours(tmp_path: Path) -> None:
    with FakeApiServer(FakeCluster()) as api:
        doc = api.kubeconfig()
        doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
        path = write(tmp_path / "kc", doc)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            state = load_live(kubeconfig=str(path))
            warnings.warn(urllib3.exceptions.InsecureRequestWarning("per request"), stacklevel=1)
    assert [w for w in caught if issubclass(w.category, urllib3.exceptions.HTTPWarning)] == []
    assert any("skips TLS verification (insecure-skip-tls-verify)" in w for w in state.warnings)
