"""Synthesized pods are the pods admission would create: Istio's sidecar injection applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from kexplore.analysis.mesh.dataplane import dataplane_of
from kexplore.sources.files.reader import read_snapshot

DEPLOYMENT = """\
apiVersion: v1
kind: Namespace
metadata: {{name: {ns}, labels: {ns_labels}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {labels}, annotations: {annotations}}}
    spec:
      hostNetwork: {host}
      containers: [{{name: web, image: nginx, ports: [{{containerPort: 80}}]}}]
"""


def _containers(
    tmp_path: Path,
    ns_labels: str = "{}",
    labels: str = "{app: web}",
    annotations: str = "{}",
    ns: str = "shop",
    host: str = "false",
) -> list[str]:
    text = DEPLOYMENT.format(
        ns=ns, ns_labels=ns_labels, labels=labels, annotations=annotations, host=host
    )
    (tmp_path / "app.yaml").write_text(text)
    state = read_snapshot(tmp_path)
    (pod,) = state.pods
    assert pod.synthesized
    return [c.name for c in pod.spec.containers]


@pytest.mark.parametrize(
    ("ns_labels", "labels", "annotations", "injected"),
    [
        ("{istio-injection: enabled}", "{app: web}", "{}", True),
        ("{istio.io/rev: canary}", "{app: web}", "{}", True),
        ("{}", "{app: web}", "{}", False),
        ("{}", "{app: web, sidecar.istio.io/inject: 'true'}", "{}", True),
        ("{}", "{app: web}", "{sidecar.istio.io/inject: 'true'}", False),
        ("{istio-injection: enabled}", "{app: web}", "{sidecar.istio.io/inject: 'false'}", False),
        ("{istio-injection: enabled}", "{app: web, sidecar.istio.io/inject: 'false'}", "{}", False),
        ("{istio-injection: disabled}", "{app: web, sidecar.istio.io/inject: 'true'}", "{}", False),
        ("{istio.io/dataplane-mode: ambient}", "{app: web}", "{}", False),
    ],
)
def test_injection_follows_istios_rules(
    tmp_path: Path, ns_labels: str, labels: str, annotations: str, injected: bool
) -> None:
    containers = _containers(tmp_path, ns_labels, labels, annotations)
    assert ("istio-proxy" in containers) is injected
    assert containers[0] == "web"


def test_never_injected_in_kube_system_or_on_the_host_network(tmp_path: Path) -> None:
    assert _containers(tmp_path, "{istio-injection: enabled}", ns="kube-system") == ["web"]
    assert _containers(tmp_path, "{istio-injection: enabled}", host="true") == ["web"]


def test_the_data_plane_says_the_sidecar_was_injected_and_why(tmp_path: Path) -> None:
    _containers(tmp_path, "{istio-injection: enabled}")
    state = read_snapshot(tmp_path)
    plane = dataplane_of(state, state.pods[0])
    assert plane.mode == "sidecar"
    assert plane.reason == (
        "istio-proxy injected at admission (namespace shop label istio-injection=enabled)"
    )


def test_ambient_namespace_synthesizes_an_ambient_pod(tmp_path: Path) -> None:
    _containers(tmp_path, "{istio.io/dataplane-mode: ambient}")
    state = read_snapshot(tmp_path)
    assert dataplane_of(state, state.pods[0]).mode == "ambient"
