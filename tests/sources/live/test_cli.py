"""The CLI against the fake API server: `kexplore snapshot`, and exit code 3 when unreachable."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from aiohttp import web
from fakeapi import FakeApiServer, FakeCluster, without
from fakeapi import objects as o
from fakeapi.responses import status

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


def test_snapshot_streams_objects_to_disk_and_a_restarted_list_writes_none_twice(
    tmp_path: Path,
) -> None:
    """Objects go to the file as they are decoded, never into the loaded state; a list
    restarted after its continue token expired (500 pods already written) is rewound."""
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), *[o.pod("shop", f"p{i:04}") for i in range(1100)])
    with FakeApiServer(cluster) as api:
        expired: list[bool] = []

        def expire_once(request: object) -> None:
            if not expired and getattr(request, "params", {}).get("continue"):
                expired.append(True)
                cluster.compact()  # the token of the first page is now too old
            raise NotImplementedError

        api.on_loop(lambda: api.handler["get /api/v1/pods"] << expire_once)
        kubeconfig = api.write_kubeconfig(tmp_path / "kc")
        code = main(["snapshot", str(tmp_path / "out"), "--kubeconfig", str(kubeconfig)])
        restarts = [p for p in api.requests("get /api/v1/pods") if "continue" not in p.params]
    assert code == 0 and expired and len(restarts) == 2
    names = [p.metadata.name for p in read_snapshot(tmp_path / "out").pods]
    assert sorted(names) == [f"p{i:04}" for i in range(1100)]
    manifest = json.loads((tmp_path / "out" / "kexplore-manifest.json").read_text())
    assert manifest["objects"]["Pod"] == 1100


def test_a_kind_that_fails_after_writing_leaves_no_file(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), *[o.pod("shop", f"p{i:04}") for i in range(600)])
    with FakeApiServer(cluster) as api:
        failed: list[bool] = []

        def fail_second_page(request: object) -> web.Response:
            if getattr(request, "params", {}).get("continue"):
                failed.append(True)
                return status(403, "Forbidden", "pods is forbidden")
            raise NotImplementedError

        api.on_loop(lambda: api.handler["get /api/v1/pods"] << fail_second_page)
        kubeconfig = api.write_kubeconfig(tmp_path / "kc")
        code = main(["snapshot", str(tmp_path / "out"), "--kubeconfig", str(kubeconfig)])
    assert code == 0 and failed
    assert (tmp_path / "out" / "namespace.json").exists()
    assert not (tmp_path / "out" / "pod.json").exists()
