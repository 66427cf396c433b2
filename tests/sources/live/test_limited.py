"""A user who may read only some namespaces (DESIGN §9), through the CLI against the fake API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakeapi import FakeApiServer, FakeCluster, namespaced
from fakeapi import objects as o

from kexplore.cli import main
from kexplore.sources.files.reader import read_snapshot


def ready_pod(ns: str, name: str, app: str, ip: str, port: int = 8080) -> dict[str, Any]:
    pod = o.pod(ns, name, labels={"app": app}, ip=ip, ports=(port,))
    pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    return pod


def owned_pod(ns: str, name: str, app: str, owner: tuple[str, str], ip: str) -> dict[str, Any]:
    pod = ready_pod(ns, name, app, ip)
    kind, owner_name = owner
    pod["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": kind, "name": owner_name, "uid": "u", "controller": True}
    ]
    return pod


def deployment(ns: str, name: str) -> list[dict[str, Any]]:
    """A Deployment, its ReplicaSet and one pod."""
    labels = {"app": name}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app"}]}}
    spec = {"replicas": 1, "selector": {"matchLabels": labels}, "template": template}
    rs_meta = {
        "name": f"{name}-7d9f",
        "namespace": ns,
        "labels": labels,
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": "d"}
        ],
    }
    rs_meta["ownerReferences"][0]["controller"] = True
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": o._meta(name, ns, labels)}
        | {"spec": spec},
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": rs_meta, "spec": spec},
        owned_pod(ns, f"{name}-7d9f-x2", name, ("ReplicaSet", f"{name}-7d9f"), "10.0.1.5"),
    ]


def web_and_api() -> FakeCluster:
    cluster = FakeCluster()
    cluster.add(o.namespace("web"), o.namespace("api"), o.node("node-1"))
    cluster.add(*deployment("web", "ui"))
    cluster.add(ready_pod("api", "gateway-1", "gateway", "10.0.2.7", 8443))
    cluster.add(o.service("api", "gateway", {"app": "gateway"}, port=443, target=8443))
    return cluster


def run_cli(user: str, tmp_path: Path, *args: str) -> int:
    """`kexplore ARGS` as a user who may read only namespace web (eve: none of ours)."""
    readable = ["web"] if user == "alice" else ["elsewhere"]
    with FakeApiServer(web_and_api(), users=[namespaced(user, readable)]) as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc", user=user, namespace="web")
        return main([*args, "--kubeconfig", str(kubeconfig)])


def run_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, user: str, *args: str
) -> tuple[int, dict[str, Any], str]:
    code = run_cli(user, tmp_path, "check", *args, "-o", "json")
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def layers(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {layer["id"]: layer for layer in report["layers"]}


def test_a_readable_source_is_found_when_cluster_wide_lists_are_forbidden(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, err = run_json(capsys, tmp_path, "alice", "web/deploy/ui", "api/svc/gateway:443")
    assert code == 0, err
    assert report["source"]["pods"] == ["ui-7d9f-x2"]  # not "not found"
    assert report["verdict"] == "unknown"
    service = layers(report)["service"]
    assert service["status"] == "unknown"
    assert "cannot list services in namespace api" in service["summary"]
    assert "kubectl auth can-i list services -n api" in service["hint"]
    assert layers(report)["pods"]["status"] != "fail"


@pytest.mark.parametrize("dialed", ["gateway.api:443", "gateway.api.svc.cluster.local:443"])
def test_an_unreadable_namespace_is_neither_external_nor_nxdomain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dialed: str
) -> None:
    code, report, err = run_json(capsys, tmp_path, "alice", "ui", dialed, "--namespace", "web")
    assert code == 0, err
    found = layers(report)
    assert found["dns"]["status"] == "unknown"
    assert "namespace api" in found["dns"]["summary"]
    for layer in ("mesh", "networkpolicy", "service"):
        assert found[layer]["status"] == "unknown", (layer, found[layer]["summary"])
        assert "outside the cluster" not in found[layer]["summary"]


def test_nothing_readable_exits_3_naming_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("eve", tmp_path, "check", "web/deploy/ui", "api/svc/gateway:443")
    err = capsys.readouterr().err
    assert code == 3
    assert "cannot list" in err and "namespace web" in err
    assert "Traceback" not in err


def test_only_forbidden_namespaces_are_unknown_and_a_missing_object_is_still_not_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_json(capsys, tmp_path, "alice", "web/deploy/nope", "api/svc/gateway:443")
    assert code == 2 and "no Deployment 'nope' in namespace 'web'" in err


def test_snapshot_records_what_was_forbidden_per_namespace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("alice", tmp_path, "snapshot", str(tmp_path / "out"), "-n", "web", "-n", "api")
    err = capsys.readouterr().err
    assert code == 0
    assert "not saved: Pod in namespace api: forbidden: cannot list pods in namespace api" in err
    back = read_snapshot(tmp_path / "out")
    assert back.meta.gap("Pod", "web") == ""
    assert back.meta.gap("Pod", "api") == "forbidden: cannot list pods in namespace api"
