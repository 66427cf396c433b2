"""What file input covers (DESIGN §5): a real cluster-info dump layout, added kinds, manifests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kexplore.cli import main
from kexplore.model.state import DUMP
from kexplore.sources.files.reader import read_snapshot

DUMP_DIR = Path(__file__).parents[2] / "fixtures" / "snapshots" / "cluster-info-dump"
DENY_ALL = """apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: deny-all, namespace: shop}
  spec: {podSelector: {}, policyTypes: [Ingress]}
"""
NO_POLICIES = "apiVersion: v1\nitems: []\nkind: List\n"


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", *args, "-o", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def layer(report: dict[str, Any], layer_id: str) -> dict[str, Any]:
    return next(lay for lay in report["layers"] if lay["id"] == layer_id)


def test_a_dump_covers_its_known_kinds_only() -> None:
    state = read_snapshot(DUMP_DIR)
    assert state.meta.origin == DUMP
    assert state.meta.gap("Pod", "shop") == "" and state.meta.gap("Service", "shop") == ""
    for kind in ("NetworkPolicy", "ConfigMap", "EndpointSlice", "StatefulSet", "Job"):
        assert state.meta.gap(kind, "shop").startswith("not in a kubectl cluster-info dump")
    assert state.meta.gap("PeerAuthentication", "shop") != ""
    assert "AdminNetworkPolicy" in state.meta.assumed_absent


def test_on_a_dump_networkpolicy_is_unknown_with_the_command_that_adds_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = check_json(capsys, "--snapshot", str(DUMP_DIR), "shop/frontend", "cart:8080")
    assert code == 0 and report["verdict"] == "unknown"
    policy = layer(report, "networkpolicy")
    assert policy["status"] == "unknown" and "NetworkPolicy" in policy["summary"]
    assert "allowed" not in policy["summary"]
    assert "kubectl get networkpolicies -A -o yaml > networkpolicies.yaml" in policy["hint"]
    assert layer(report, "mesh")["status"] == "pass"  # no proxy: mesh objects cannot apply


@pytest.mark.parametrize(
    ("source", "pod"),
    [("shop/job/etl", "etl-7xk2p"), ("shop/cronjob/report", "report-29012345-h7d2s")],
)
def test_a_kind_the_dump_lacks_resolves_through_owner_references(
    capsys: pytest.CaptureFixture[str], source: str, pod: str
) -> None:
    code, report = check_json(capsys, "--snapshot", str(DUMP_DIR), source, "cart:8080")
    assert code == 0 and report["source"]["pods"] == [pod]
    assert "ownerReferences" in json.dumps(layer(report, "pods")["evidence"])


def test_policies_added_beside_the_dump_are_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    added = tmp_path / "networkpolicies.yaml"
    added.write_text(DENY_ALL)
    args = ("--snapshot", str(DUMP_DIR), "--snapshot", str(added), "shop/frontend", "cart:8080")
    code, report = check_json(capsys, *args)
    assert code == 1 and report["failing_layer"] == "networkpolicy"
    added.write_text(NO_POLICIES)  # an empty list still covers the kind it is named after
    code, report = check_json(capsys, *args)
    policy = layer(report, "networkpolicy")
    assert policy["status"] in ("pass", "warn"), policy["summary"]
    assert "no adminnetworkpolicies in the input" in json.dumps(policy["evidence"])


def test_manifests_say_which_policy_kinds_the_verdict_assumes_absent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("pods.json", "services.json"):  # `kubectl get -o json` output, no policies
        (tmp_path / name).write_text((DUMP_DIR / "shop" / name).read_text())
    code, report = check_json(
        capsys, "--snapshot", str(tmp_path), "shop/frontend-5d8c7-q2x9z", "cart:8080"
    )
    policy = layer(report, "networkpolicy")
    assert code == 0 and policy["status"] == "pass"
    assert "no networkpolicies in the input" in json.dumps(policy["evidence"])


def test_a_broken_cluster_dump_names_the_unschedulable_backend(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = check_json(capsys, "--snapshot", str(DUMP_DIR), "shop/frontend", "payments:8080")
    assert code == 1 and report["failing_layer"] == "pods"
    assert "Insufficient cpu" in layer(report, "pods")["summary"]
    assert layer(report, "service")["explained_by"] == "pods"
    assert layer(report, "networkpolicy")["status"] == "unknown"
    assert layer(report, "cluster")["status"] == "pass"  # kube-system was captured: it looked
