"""Real-world load test: other projects' manifests (np-guard, kube-score) read without a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from kexplore.sources.files.reader import read_snapshot

ORACLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "oracles"
NP_GUARD = ORACLES / "np-guard" / "core"
KUBE_SCORE = ORACLES / "kube-score" / "testdata"


def _cases(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


@pytest.mark.skipif(not NP_GUARD.is_dir(), reason="np-guard oracle cases are not present")
@pytest.mark.parametrize("case", _cases(NP_GUARD), ids=lambda p: p.name)
def test_np_guard_case_yields_pods(case: Path) -> None:
    state = read_snapshot(case)
    warnings = "\n".join(state.warnings)
    assert state.pods, f"{case.name}: no pods; warnings:\n{warnings}"
    for pod in state.pods:
        assert pod.namespace, f"{case.name}: pod {pod.name} without namespace"
    # Raw Deployments become synthesized pods carrying their template's labels.
    for pod in state.pods:
        if pod.synthesized:
            owner = state.owner(pod)
            assert owner is not None and owner.pod_template() is not None
            assert pod.labels == owner.pod_template().metadata.labels  # type: ignore[union-attr]


@pytest.mark.skipif(not NP_GUARD.is_dir(), reason="np-guard oracle cases are not present")
def test_np_guard_known_case_contents() -> None:
    state = read_snapshot(NP_GUARD / "onlineboutique")
    assert len(state.pods) == 12 and not any(p.synthesized for p in state.pods)
    assert len(state.network_policies) >= 10
    assert state.warnings == []
    synth = read_snapshot(NP_GUARD / "new_online_boutique_synthesis")
    assert len(synth.pods) == 11 and all(p.synthesized for p in synth.pods)
    # A container port entry without containerPort is an invalid manifest: skipped, named.
    named = read_snapshot(NP_GUARD / "netpol_named_port_test_2")
    assert any("Deployment helloworld/pod-a skipped" in w for w in named.warnings)


@pytest.mark.skipif(not KUBE_SCORE.is_dir(), reason="kube-score testdata is not present")
def test_kube_score_testdata_loads() -> None:
    state = read_snapshot(KUBE_SCORE)
    assert state.pods and state.network_policies
    unexpected = [w for w in state.warnings if "skipped" in w]
    assert unexpected == [], "\n".join(unexpected)
