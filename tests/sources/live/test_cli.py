"""The CLI against the fake API server: `kexplore snapshot`, and exit code 3 when unreachable."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fakeapi import FakeApiServer, FakeCluster, without
from fakeapi import objects as o

from kexplore.cli import main
from kexplore.sources.files.reader import read_snapshot


def test_snapshot_command_saves_what_it_could_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "a"), o.network_policy("shop", "deny"))
    bob = without("bob", ("networking.k8s.io", "networkpolicies"))
    with FakeApiServer(cluster, users=[bob]) as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc", user="bob")
        code = main(["snapshot", str(tmp_path / "out"), "--kubeconfig", str(kubeconfig)])
    out, err = capsys.readouterr()
    assert code == 0 and "saved" in out
    assert "not saved: NetworkPolicy: forbidden" in err
    back = read_snapshot(tmp_path / "out")
    assert [p.metadata.name for p in back.pods] == ["a"]
    assert back.meta.unreadable["NetworkPolicy"].startswith("forbidden")


def test_unreachable_cluster_exits_3_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApiServer() as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc")
    code = main(["snapshot", str(tmp_path / "out"), "--kubeconfig", str(kubeconfig)])
    _, err = capsys.readouterr()
    assert code == 3
    assert err.count("\n") == 1 and "cannot connect to" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_snapshot_into_a_non_empty_folder_is_refused_before_any_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "a"))
    with FakeApiServer(cluster) as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc")
        code = main(["snapshot", str(out), "--kubeconfig", str(kubeconfig)])
        seen = api.requests("get")
    _, err = capsys.readouterr()
    assert code == 2 and "is not empty" in err
    assert seen == []  # refused before discovery or any list
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_diff_of_a_snapshot_against_the_live_cluster_names_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    cluster = FakeCluster()
    cluster.add(
        o.namespace("shop"),
        o.pod("shop", "web", {"app": "web"}, ip="10.0.0.11"),
        o.pod("shop", "cart", {"app": "cart"}, ip="10.0.0.12"),
        o.service("shop", "cart", {"app": "cart"}),
    )
    with FakeApiServer(cluster) as api:
        kubeconfig = str(api.write_kubeconfig(tmp_path / "kc"))
        assert main(["snapshot", str(tmp_path / "before"), "--kubeconfig", kubeconfig]) == 0
        cluster.add(o.network_policy("shop", "deny-cart", {"app": "cart"}))
        args = ["diff", str(tmp_path / "before"), "--live", "shop/web", "cart:80"]
        code = main([*args, "--kubeconfig", kubeconfig, "-o", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out[captured.out.index("{") :])
    assert {"object": "networkpolicy shop/deny-cart", "how": "added", "fields": []} in out[
        "objects"
    ]
    (edge,) = out["edges"]
    assert (edge["source"], edge["target"]) == ("shop/web", "cart:80")


def test_snapshot_writes_each_kind_as_it_is_read(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "a"))
    out = tmp_path / "out"
    with FakeApiServer(cluster) as api:
        held = api.hold("get /api/v1/pods")
        kubeconfig = api.write_kubeconfig(tmp_path / "kc")
        codes: list[int] = []
        run = threading.Thread(
            target=lambda: codes.append(
                main(["snapshot", str(out), "--kubeconfig", str(kubeconfig)])
            )
        )
        run.start()
        try:
            for _ in range(600):
                if (out / "namespace.json").exists():
                    break
                time.sleep(0.05)
            written_meanwhile = sorted(p.name for p in out.iterdir())
        finally:
            held.set()
            run.join(60)
    assert "namespace.json" in written_meanwhile and "pod.json" not in written_meanwhile
    assert codes == [0] and (out / "pod.json").exists()


def test_snapshot_into_one_tar_gz_reads_back_like_a_directory(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.pod("shop", "a"), o.service("shop", "web", {"app": "web"}))
    with FakeApiServer(cluster) as api:
        kubeconfig = str(api.write_kubeconfig(tmp_path / "kc"))
        assert main(["snapshot", str(tmp_path / "snap.tar.gz"), "--kubeconfig", kubeconfig]) == 0
        assert main(["snapshot", str(tmp_path / "dir"), "--kubeconfig", kubeconfig]) == 0
        again = main(["snapshot", str(tmp_path / "snap.tar.gz"), "--kubeconfig", kubeconfig])
    archived, directory = read_snapshot(tmp_path / "snap.tar.gz"), read_snapshot(tmp_path / "dir")
    assert dict(archived.objects) == dict(directory.objects)
    assert [p.metadata.name for p in archived.pods] == ["a"]
    assert again == 2  # an existing archive is never overwritten
