"""`kexplore snapshot`: a live state saved by record.py and read back by the snapshot reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeapi import FakeApiServer, FakeCluster, without
from fakeapi import objects as o

from kexplore.errors import UsageError
from kexplore.model.recorded import RecordedLog, RecordedProbe
from kexplore.model.state import ClusterState
from kexplore.sources.files.reader import read_snapshot
from kexplore.sources.live.source import load_live
from kexplore.sources.record import write_snapshot


def live_state(tmp_path: Path) -> ClusterState:
    cluster = FakeCluster()
    secret = o.secret("shop", "db-password", value="aHVudGVyMg==")
    secret["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"password":"aHVudGVyMg=="}}'
    }
    cluster.add(
        o.namespace("shop", labels={"team": "web"}),
        o.node("node-1"),
        o.with_managed_fields(o.pod("shop", "cart-1", labels={"app": "cart"}, ip="10.0.0.7")),
        o.service("shop", "cart", {"app": "cart"}),
        o.network_policy("shop", "deny"),
        secret,
        o.event("shop", "cart-1.x", "Pod", "cart-1", "BackOff", "Back-off restarting"),
    )
    bob = without("bob", ("networking.k8s.io", "networkpolicies"))
    with FakeApiServer(cluster, users=[bob]) as api:
        return load_live(kubeconfig=str(api.write_kubeconfig(tmp_path / "kc", user="bob")))


def test_round_trip_through_the_snapshot_reader(tmp_path: Path) -> None:
    state = live_state(tmp_path)
    out = write_snapshot(state, tmp_path / "snap")
    back = read_snapshot(out)
    for key in ("Namespace", "Node", "Pod", "Service", "Event"):
        assert back.objects[key] == state.objects[key], key
    assert back.meta.context == "fake" and back.meta.server_version == "v1.31.2"
    assert back.meta.time == state.meta.time
    assert back.meta.unreadable == state.meta.unreadable
    assert "NetworkPolicy" in back.meta.unreadable
    assert back.get("Secret", "shop", "db-password") is not None


def test_secrets_are_names_only_and_managed_fields_are_gone(tmp_path: Path) -> None:
    out = write_snapshot(live_state(tmp_path), tmp_path / "snap")
    text = "\n".join(p.read_text() for p in out.iterdir())
    assert "aHVudGVyMg==" not in text and "last-applied-configuration" not in text
    assert "managedFields" not in text
    [secret] = json.loads((out / "secret.json").read_text())["items"]
    assert secret == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "db-password", "namespace": "shop"},
    }


def test_manifest_records_source_and_unreadable_kinds(tmp_path: Path) -> None:
    state = live_state(tmp_path)
    out = write_snapshot(state, tmp_path / "snap")
    manifest = json.loads((out / "kexplore-manifest.json").read_text())
    assert manifest["context"] == "fake" and manifest["server_version"] == "v1.31.2"
    assert manifest["time"] == state.meta.time and manifest["time"].endswith("Z")
    assert manifest["unreadable"]["NetworkPolicy"].startswith("forbidden")
    assert manifest["objects"]["Pod"] == 1


def test_recorded_probes_and_logs_are_saved(tmp_path: Path) -> None:
    state = live_state(tmp_path)
    probe = RecordedProbe(
        probe="tcp",
        namespace="shop",
        pod="cart-1",
        target="10.0.0.7:8080",
        command=["nc", "-z", "10.0.0.7", "8080"],
        output="",
        result="refused",
    )
    state.recorded_probes.append(probe)
    state.logs.append(RecordedLog(namespace="shop", pod="cart-1", container="app", text="boom"))
    back = read_snapshot(write_snapshot(state, tmp_path / "snap"))
    assert back.recorded_probes == [probe]
    assert back.logs == state.logs


def test_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "snap").mkdir()
    (tmp_path / "snap" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError) as err:
        write_snapshot(ClusterState(), tmp_path / "snap")
    assert "not empty" in err.value.message
    assert (tmp_path / "snap" / "notes.txt").read_text() == "mine"
