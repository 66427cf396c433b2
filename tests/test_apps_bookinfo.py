"""Istio's Bookinfo as raw manifests in an injected, STRICT namespace (tests/fixtures/apps).

The verdicts are those Istio's documentation states: with sidecar injection by namespace
label and mesh-wide STRICT mTLS, the app's calls work (the all-mTLS DestinationRules and the
route-to-v1 VirtualServices included, whose unused subsets select no pod); a DestinationRule
that disables TLS against STRICT fails, and so does a client outside the mesh.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from kexplore.checks.ladder import check_edge
from kexplore.checks.result import EdgeReport, Status
from kexplore.model.state import ClusterState
from kexplore.render.markdown import report_markdown
from kexplore.render.text import render_text
from kexplore.sources.files.reader import read_snapshot

BOOKINFO = Path(__file__).parent / "fixtures" / "apps" / "bookinfo"
# The calls Bookinfo makes (its architecture page): productpage -> details, reviews;
# reviews v2/v3 -> ratings.
EDGES = [
    ("bookinfo/deploy/productpage-v1", "details:9080"),
    ("bookinfo/deploy/productpage-v1", "reviews:9080"),
    ("bookinfo/deploy/reviews-v2", "ratings:9080"),
    ("bookinfo/deploy/reviews-v3", "ratings:9080"),
]
# Layers that need running pods or kube-system, which raw manifests do not hold.
NEEDS_A_CLUSTER = {"pods", "dns", "health", "cluster"}


def _with(tmp_path: Path, extra: str) -> ClusterState:
    shutil.copytree(BOOKINFO, tmp_path / "app")
    (tmp_path / "app" / "extra.yaml").write_text(extra)
    return read_snapshot(tmp_path / "app")


def _describe(report: EdgeReport) -> str:
    return "; ".join(f"{r.id}={r.status}: {r.summary}" for r in report.layers)


@pytest.fixture(scope="module")
def bookinfo() -> ClusterState:
    return read_snapshot(BOOKINFO)


def test_synthesized_pods_get_the_sidecar_the_namespace_label_injects(
    bookinfo: ClusterState,
) -> None:
    pods = [p for p in bookinfo.pods if p.namespace == "bookinfo"]
    assert len(pods) == 6 and all(p.synthesized for p in pods)
    assert all("istio-proxy" in [c.name for c in p.spec.containers] for p in pods)


@pytest.mark.parametrize(("source", "target"), EDGES)
def test_documented_edges_pass_every_config_layer(
    bookinfo: ClusterState, source: str, target: str
) -> None:
    report = check_edge(bookinfo, source, target)
    assert report.failing_layer is None, _describe(report)
    for layer in report.layers:
        assert layer.status is not Status.WARN, _describe(report)
        if layer.status is Status.UNKNOWN:
            assert layer.id in NEEDS_A_CLUSTER, _describe(report)
    mesh = report.layer("mesh")
    assert mesh is not None and mesh.status is Status.PASS
    assert "server STRICT mTLS, client sends ISTIO_MUTUAL" in mesh.summary


def test_unused_subsets_are_noted_not_warned(bookinfo: ClusterState) -> None:
    report = check_edge(bookinfo, "bookinfo/deploy/reviews-v2", "ratings:9080")
    mesh = report.layer("mesh")
    assert mesh is not None and mesh.status is Status.PASS
    unused = {e.ref for e in mesh.evidence if "unused" in e.detail}
    assert "destinationrule bookinfo/ratings subsets[v2-mysql]" in unused


# The all-mTLS rule for details replaced by one that disables TLS (same name, read last).
DISABLE = """\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: details, namespace: bookinfo}
spec:
  host: details
  trafficPolicy: {tls: {mode: DISABLE}}
  subsets: [{name: v1, labels: {version: v1}}]
"""


def test_a_destination_rule_disabling_tls_against_strict_fails_at_mesh(tmp_path: Path) -> None:
    state = _with(tmp_path, DISABLE)
    report = check_edge(state, "bookinfo/deploy/productpage-v1", "details:9080")
    assert report.failing_layer == "mesh", _describe(report)
    mesh = report.layer("mesh")
    assert mesh is not None and "STRICT mTLS" in mesh.summary and "plaintext" in mesh.summary


OUTSIDE = """\
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: legacy}
spec:
  selector: {matchLabels: {app: sleep}}
  template:
    metadata: {labels: {app: sleep}}
    spec:
      containers: [{name: sleep, image: curlimages/curl, command: [/bin/sleep, infinity]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: opted-out, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: opted-out}}
  template:
    metadata: {labels: {app: opted-out, sidecar.istio.io/inject: "false"}}
    spec:
      containers: [{name: curl, image: curlimages/curl}]
"""


@pytest.mark.parametrize("source", ["legacy/deploy/sleep", "bookinfo/deploy/opted-out"])
def test_a_client_outside_the_mesh_fails_at_mesh(tmp_path: Path, source: str) -> None:
    state = _with(tmp_path, OUTSIDE)
    report = check_edge(state, source, "productpage.bookinfo:9080")
    assert report.failing_layer == "mesh", _describe(report)
    mesh = report.layer("mesh")
    assert mesh is not None and "STRICT" in mesh.summary


def test_commands_and_hints_name_workloads_never_synthesized_pods(
    bookinfo: ClusterState,
) -> None:
    report = check_edge(bookinfo, "bookinfo/deploy/productpage-v1", "details:9080")
    commands = [c for layer in report.layers for c in layer.commands]
    hints = [layer.hint or "" for layer in report.layers]
    assert not [c for c in commands + hints if "synthesized" in c]
    assert "kubectl describe deployment -n bookinfo details-v1" in commands
    assert "kubectl get pods -n bookinfo -l app=details,version=v1" in commands
    assert "istioctl proxy-config route deployment/productpage-v1 -n bookinfo" in commands


def test_the_headline_states_the_prediction(bookinfo: ClusterState) -> None:
    report = check_edge(bookinfo, "bookinfo/deploy/productpage-v1", "details:9080")
    assert report.verdict is Status.UNKNOWN  # the JSON verdict follows the contract
    assert report.prediction == (
        "no config layer fails; pods not deployed yet (pods, dns, health, cluster judged "
        "once deployed)"
    )
    assert report.to_json()["prediction"] == report.prediction
    assert "verdict ? unknown: no config layer fails; pods not deployed yet" in " ".join(
        _text(report).split()
    )
    assert f"**Verdict:** ? unknown — {report.prediction}" in report_markdown(report)


def _text(report: EdgeReport) -> str:
    buf = io.StringIO()
    render_text(report, Console(file=buf, width=100, color_system=None))
    return buf.getvalue()
