"""Service selection and port resolution against other projects' expected results.

Reads ../shared/oracles (kube-score, kube-linter, np-guard) and skips when it is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kexplore.analysis.services import resolve_backends
from kexplore.model.pods import Pod
from kexplore.model.services import Service
from kexplore.model.state import ClusterState
from kexplore.sources.files.reader import read_snapshot

ORACLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "oracles"
pytestmark = pytest.mark.skipif(not ORACLES.is_dir(), reason="../shared/oracles is absent")


def targets_pods(state: ClusterState, svc: Service) -> bool:
    """kube-score's "Service Targets Pod": the selector matches a pod (ExternalName is OK)."""
    port = svc.spec.ports[0] if svc.spec.ports else None
    return svc.is_external_name() or bool(resolve_backends(state, svc, port).selected)


def kube_score_cases() -> list[dict[str, Any]]:
    path = ORACLES / "kube-score" / "cases.json"
    if not path.is_file():
        return []
    cases = json.loads(path.read_text())
    return [c for c in cases if c["check"] == "Service Targets Pod"]


@pytest.mark.parametrize("case", kube_score_cases(), ids=lambda c: c["test"])
def test_kube_score_service_targets_pod(case: dict[str, Any]) -> None:
    state = read_snapshot(ORACLES / "kube-score" / case["file"])
    assert state.services, case["file"]
    ok = all(targets_pods(state, svc) for svc in state.services)
    assert ok == (case["expectedGrade"] == "GradeAllOK")


def test_kube_linter_dangling_service() -> None:
    source = (ORACLES / "kube-linter" / "SOURCE.txt").read_text()
    match = re.search(r"dangling-service \([^;]*; \d+ expected: ([^)]*)\)", source)
    assert match, "SOURCE.txt no longer states the dangling-service expectation"
    expected = {name.strip() for name in match.group(1).split(",")}
    state = read_snapshot(ORACLES / "kube-linter" / "checks" / "dangling-service.yml")
    dangling = {svc.name for svc in state.services if not targets_pods(state, svc)}
    assert dangling == expected


# np-guard's ingress analyzer: ingress controller -> Service port -> targetPort -> workload.
# Only the directories without NetworkPolicies and reached through Ingress objects (not
# OpenShift Routes) are used, so the allowed ports are exactly the resolved targetPorts.
INGRESS_DIRS = (
    "ingress_example_with_named_port",
    "one_ingress_multiple_ports",
    "one_ingress_multiple_services",
    "multiple_ingress_objects_with_different_ports",
    "k8s_ingress_test",
)


def expected_ingress_rows() -> dict[str, dict[str, str]]:
    path = ORACLES / "np-guard" / "ingress_service" / "INGRESS_ANALYZER_EXPECTED.txt"
    rows: dict[str, dict[str, str]] = {}
    if not path.is_file():
        return rows
    for line in path.read_text().splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[0] in INGRESS_DIRS:
            rows.setdefault(parts[0], {})[parts[1]] = parts[2]
    return rows


def ingress_backends(root: Path) -> list[tuple[str, str, int | str]]:
    """(namespace, service, port number or name) of every Ingress backend under root."""
    out: list[tuple[str, str, int | str]] = []
    for path in sorted(root.rglob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            items = doc.get("items", [doc]) if isinstance(doc, dict) else []
            for obj in items:
                if isinstance(obj, dict) and obj.get("kind") == "Ingress":
                    out += _backends_of(obj)
    return out


def _backends_of(ingress: dict[str, Any]) -> list[tuple[str, str, int | str]]:
    ns = ingress["metadata"].get("namespace", "default")
    spec = ingress.get("spec", {})
    found = [spec["defaultBackend"]] if "defaultBackend" in spec else []
    for rule in spec.get("rules", []):
        found += [p["backend"] for p in rule.get("http", {}).get("paths", [])]
    out: list[tuple[str, str, int | str]] = []
    for backend in found:
        svc = backend["service"]
        port = svc["port"].get("number", svc["port"].get("name"))
        out.append((ns, svc["name"], port))
    return out


def workload_of(state: ClusterState, pod: Pod) -> str:
    top = state.top_owner(pod)
    if top is not None:
        return f"{top.namespace}/{top.name}[{top.kind}]"
    ref = next((r for r in pod.metadata.owner_references if r.controller), None)
    if ref is not None:
        return f"{pod.namespace}/{ref.name}[{ref.kind}]"
    return f"{pod.namespace}/{pod.name}[Pod]"


@pytest.mark.parametrize("case", sorted(expected_ingress_rows().items()), ids=lambda c: c[0])
def test_np_guard_ingress_target_ports(case: tuple[str, dict[str, str]]) -> None:
    directory, expected = case
    root = ORACLES / "np-guard" / "ingress_service" / directory
    state = read_snapshot(root)
    got: dict[str, set[int]] = {}
    for ns, name, port in ingress_backends(root):
        svc = state.get("Service", ns, name)
        assert isinstance(svc, Service), (ns, name)
        result = resolve_backends(state, svc, svc.find_port(port, "TCP"))
        for backend in result.backends:
            if backend.port is not None:
                got.setdefault(workload_of(state, backend.pod), set()).add(backend.port)
    rendered = {wl: "TCP " + ",".join(str(p) for p in sorted(ports)) for wl, ports in got.items()}
    assert rendered == expected
