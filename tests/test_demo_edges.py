"""Every edge listed in docs/demo.md: discoverable, and failing at the documented layer."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from kexplore.checks import ladder
from kexplore.checks.ladder import check_edge
from kexplore.checks.result import LAYER_IDS, EdgeReport, Status
from kexplore.cli import main
from kexplore.graph import talks_to
from kexplore.model.state import ClusterState
from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.probes.recorded import RecordedProber
from kexplore.sources.demo import load_demo

DOC = Path(__file__).resolve().parents[1] / "docs" / "demo.md"
_EDGE = r"^\| `kexplore check --demo (?P<source>\S+) (?P<target>\S+)` \| "
FAULT_ROW = re.compile(_EDGE + r"`(?P<layer>[a-z]+)` \| (?P<needs>[^|]+) \|")
WARN_ROW = re.compile(_EDGE + r"`(?P<layer>[a-z]+)` \| [^|]+ \| [^|]+ \|$")
HEALTHY_ROW = re.compile(_EDGE + r"[^|]+ \|$")
NEEDS = {"—", "recorded probes", "DNS egress check"}
# The probe kind a layer's recorded fault is seen through.
PROBE_OF_LAYER = {
    "reachability": "tcp",
    "ports": "listen",
    "network": "port-forward",
    "mesh": "envoy-clusters",  # Envoy's account: the proxy's cluster view (and access logs)
}


@dataclass(frozen=True)
class DocEdge:
    source: str
    target: str
    layer: str | None  # the failing (or warning) layer; None: a healthy edge
    needs: str = "—"

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


def _section(text: str, title: str) -> list[str]:
    body = text.split(f"\n## {title}\n", 1)[1]
    return body.split("\n## ", 1)[0].splitlines()


def doc_edges() -> tuple[list[DocEdge], list[DocEdge], list[DocEdge]]:
    """(planted faults, edges that warn, healthy edges) as docs/demo.md's tables list them."""
    text = DOC.read_text()
    faults, warns, healthy = [], [], []
    for line in _section(text, "Planted faults"):
        if line.startswith("| `kexplore"):
            match = FAULT_ROW.match(line)
            assert match, f"unparseable fault row: {line[:80]}"
            needs = match["needs"].strip()
            faults.append(DocEdge(match["source"], match["target"], match["layer"], needs))
    for line in _section(text, "Edges that warn"):
        if line.startswith("| `kexplore"):
            match = WARN_ROW.match(line)
            assert match, f"unparseable warning row: {line[:80]}"
            warns.append(DocEdge(match["source"], match["target"], match["layer"]))
    for line in _section(text, "Healthy edges"):
        if line.startswith("| `kexplore"):
            match = HEALTHY_ROW.match(line)
            assert match, f"unparseable healthy row: {line[:80]}"
            healthy.append(DocEdge(match["source"], match["target"], None))
    return faults, warns, healthy


FAULTS, WARNS, HEALTHY = doc_edges()
ALL_EDGES = FAULTS + WARNS + HEALTHY


@pytest.fixture(scope="module")
def state() -> ClusterState:
    return load_demo()


class SpyProber:
    """The demo's recorded probes replayed, remembering what the layers asked for."""

    basis = "recorded"

    def __init__(self, state: ClusterState) -> None:
        self.inner = RecordedProber(state.recorded_probes, state.logs)
        self.requests: list[ProbeRequest] = []

    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        self.requests.append(request)
        return self.inner.run(request, cancel)


def run(state: ClusterState, edge: DocEdge, prober: SpyProber | None = None) -> EdgeReport:
    """As `kexplore check --demo` runs it: with the demo's recorded probes replayed."""
    return check_edge(state, edge.source, edge.target, prober=prober or SpyProber(state))


def describe(report: EdgeReport) -> str:
    return "; ".join(f"{r.id}={r.status}: {r.summary}" for r in report.layers)


def test_the_tables_parse_and_plant_a_fault_in_every_layer() -> None:
    assert len(FAULTS) >= len(LAYER_IDS) and len(HEALTHY) >= 5
    assert {f.layer for f in FAULTS} == set(LAYER_IDS)
    assert all(f.needs in NEEDS for f in FAULTS)
    assert WARNS and all(w.layer in LAYER_IDS for w in WARNS)
    edges = [(e.source, e.target) for e in ALL_EDGES]
    assert len(edges) == len(set(edges)), "an edge is listed twice"


def test_the_documented_edges_are_exactly_the_inferred_talks_to_edges(
    state: ClusterState,
) -> None:
    inferred = {(t.source, t.target) for t in talks_to(state)}
    documented = {(e.source, e.target) for e in ALL_EDGES}
    assert documented == inferred


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_planted_fault_fails_at_its_layer(state: ClusterState, fault: DocEdge) -> None:
    present = {layer_id for layer_id, _ in ladder.LAYERS}
    assert fault.layer in present, f"layer {fault.layer!r} is not in ladder.LAYERS"
    if fault.needs == "DNS egress check":
        assert ladder.DNS_EGRESS is not None, (
            "the DNS egress check (ladder.DNS_EGRESS) is not wired"
        )
    prober = SpyProber(state)
    report = run(state, fault, prober)
    probe_kind = PROBE_OF_LAYER.get(fault.layer, "")
    asked = [r for r in prober.requests if r.probe == probe_kind]
    if fault.needs == "recorded probes":
        assert asked, f"the {fault.layer} layer asks for no {probe_kind!r} probe"
    assert report.failing_layer == fault.layer, f"{describe(report)}; probes asked: {asked}"
    assert report.verdict is Status.FAIL
    if fault.needs == "recorded probes":
        failing = report.layer(fault.layer)
        assert failing is not None and failing.basis == "recorded", describe(report)


@pytest.mark.parametrize("edge", WARNS, ids=str)
def test_warning_edge_warns_at_its_layer_and_fails_nowhere(
    state: ClusterState, edge: DocEdge
) -> None:
    assert edge.layer in {layer_id for layer_id, _ in ladder.LAYERS}, edge.layer
    report = run(state, edge)
    layer = report.layer(edge.layer or "")
    assert layer is not None and layer.status is Status.WARN, describe(report)
    assert report.failing_layer is None, describe(report)
    assert report.verdict is Status.WARN


@pytest.mark.parametrize("edge", HEALTHY, ids=str)
def test_healthy_edge_has_no_failing_layer(state: ClusterState, edge: DocEdge) -> None:
    report = run(state, edge)
    assert report.failing_layer is None, describe(report)
    assert report.verdict is Status.PASS, describe(report)


@pytest.mark.parametrize(("edge", "code"), [(FAULTS[0], 1), (HEALTHY[0], 0)], ids=str)
def test_the_documented_command_runs_as_written(
    edge: DocEdge, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--demo", edge.source, edge.target, "--output", "json"]) == code
    report = json.loads(capsys.readouterr().out)
    assert report["failing_layer"] == edge.layer


OBSERVED_FAULTS = [f for f in FAULTS if f.layer in ("mesh", "networkpolicy")]
PLANTED_DISAGREEMENT = DocEdge("mesh-demo/deploy/ledger", "web:8080", "mesh", "recorded probes")


def kinds(report: EdgeReport) -> set[str]:
    return {e.kind for layer in report.layers for e in layer.evidence if e.kind}


@pytest.mark.parametrize(
    "fault", [f for f in OBSERVED_FAULTS if str(f) != str(PLANTED_DISAGREEMENT)], ids=str
)
def test_mesh_and_policy_faults_have_observed_evidence_that_agrees(
    state: ClusterState, fault: DocEdge
) -> None:
    report = run(state, fault)
    observed = kinds(report)
    assert observed & {"l7", "envoy", "capture"}, describe(report)
    assert report.disagreements == [], [d.line() for d in report.disagreements]
    reach = report.layer("reachability")
    assert reach is not None and reach.status is Status.FAIL and reach.explained_by == fault.layer
    if fault.layer == "mesh":
        mesh = report.layer("mesh")
        assert mesh is not None and "Envoy agrees" in mesh.summary and "envoy" in observed
        assert "l7" in observed


def test_the_planted_disagreement_is_a_finding_in_every_output(
    state: ClusterState, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run(state, PLANTED_DISAGREEMENT)
    assert [(d.layer, d.predicted.split(" ")[0]) for d in report.disagreements] == [
        ("mesh", "pass")
    ]
    assert "503 URX,UF" in report.disagreements[0].observed
    assert "10.244.171.99" in report.disagreements[0].observed  # the proxy's stale endpoint
    mesh = report.layer("mesh")
    assert mesh is not None and mesh.basis == "recorded" and mesh.status is Status.FAIL
    for output in ("text", "markdown", "json"):
        main(["check", "--demo", *str(PLANTED_DISAGREEMENT).split(" -> "), "--output", output])
        text = capsys.readouterr().out
        assert "predicted" in text and "503 URX,UF" in text, output


def test_the_healthy_mesh_edge_is_observed_healthy(state: ClusterState) -> None:
    report = run(state, DocEdge("mesh-demo/deploy/ledger", "accounts:8080", None))
    reach = report.layer("reachability")
    assert reach is not None and reach.summary.endswith("HTTP GET / → 200 from the app")
    assert {"l7", "envoy"} <= kinds(report) and report.disagreements == []
