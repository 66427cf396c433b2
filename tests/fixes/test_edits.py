"""Edits: JSON-patch operations on model objects, patch files, and `check --fix-out/--what-if`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kexplore.cli import main
from kexplore.errors import InputError
from kexplore.fixes.edits import PATCH, Edit, ObjectKey, PatchError, apply_ops, read_edits
from kexplore.fixes.whatif import what_if
from kexplore.sources.demo import load_demo


def test_operations_add_remove_replace_and_test() -> None:
    raw = {"spec": {"selector": {"a/b": "x"}, "ports": [{"port": 1}]}}
    ops = (
        {"op": "test", "path": "/spec/selector/a~1b", "value": "x"},
        {"op": "replace", "path": "/spec/selector/a~1b", "value": "y"},
        {"op": "add", "path": "/spec/ports/-", "value": {"port": 2}},
        {"op": "remove", "path": "/spec/ports/0"},
    )
    assert apply_ops(raw, ops) == {"spec": {"selector": {"a/b": "y"}, "ports": [{"port": 2}]}}
    assert raw["spec"]["ports"] == [{"port": 1}]  # the input is not touched


def test_a_failing_test_operation_refuses_the_patch() -> None:
    with pytest.raises(PatchError, match="expected 'z'"):
        apply_ops({"a": "x"}, ({"op": "test", "path": "/a", "value": "z"},))


def test_what_if_refuses_a_patch_for_a_drifted_object() -> None:
    edit = Edit(
        ObjectKey("Service", "shop", "search"),
        PATCH,
        ({"op": "test", "path": "/spec/selector/tier", "value": "frontend"},),
    )
    with pytest.raises(PatchError):
        what_if(load_demo(), [edit])


def test_fix_out_files_apply_with_what_if(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edge = ["shop/deploy/cart", "redis.data:6379"]
    assert main(["check", "--demo", *edge, "--fix-out", str(tmp_path), "-o", "json"]) == 1
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    text = files[0].read_text()
    assert "# kexplore-target: NetworkPolicy data/redis-allow-clients" in text
    assert "kubectl patch networkpolicy redis-allow-clients -n data --type json" in text
    capsys.readouterr()
    assert main(["check", "--demo", *edge, "--what-if", str(files[0]), "-o", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "pass"
    assert out["what_if"]["edge"]["before"] == "fail at networkpolicy"
    assert out["what_if"]["edge"]["after"] == "pass"
    assert out["what_if"]["changed"] == []
    assert any("from pod shop/cart" in s for s in out["what_if"]["stale"])


def test_what_if_with_a_manifest_reports_every_edge_it_opens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An allow-all ingress policy in data opens cart → redis, named as the edge, and no
    other: the effect names each changed edge."""
    manifest = tmp_path / "allow-all.yaml"
    manifest.write_text(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: default-deny-ingress, namespace: data}\n"
        "spec: {podSelector: {}, ingress: [{}]}\n"
    )
    edge = ["shop/deploy/frontend", "search:8080"]
    assert main(["check", "--demo", *edge, "--what-if", str(manifest)]) == 1
    out = capsys.readouterr().out
    assert "also: shop/deploy/cart → redis.data:6379: fail at networkpolicy → pass" in out
    assert "this edge: shop/deploy/frontend → search:8080: fail at service → fail at service" in out


def test_a_bad_what_if_file_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Frobnicator\napiVersion: v1\nmetadata: {name: x}\n")
    assert main(["check", "--demo", "shop/deploy/cart", "cart:8080", "--what-if", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.yaml" in err and "Frobnicator" in err
    with pytest.raises(InputError):
        read_edits(str(tmp_path / "missing.yaml"))
