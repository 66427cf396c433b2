"""kexplore's mesh analyzers against Istio's own `istioctl analyze` test cases.

Reads <repo>/../shared/oracles/istio (cases.json + testdata/) when present, else skips.
Each case runs the kexplore analyzer standing for the named Istio analyzer over the case's
input files and compares the multiset of (code, resource) messages.

SOURCE.txt of the oracle also lists peerauthentication_compose_cases.yaml and
client_tls_auto_mtls_cases.yaml; they are not in the folder, so the same Istio tables
(TestComposePeerAuthentication, TestBuildAutoMtlsSettings) are transcribed in
tests/test_mesh_peerauth.py and tests/test_mesh_tls.py instead; the tests below for those
files skip while the files are absent.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from kexplore.analysis.mesh.analyzers import ANALYZERS
from kexplore.model.kinds import DecodeProblem, convert_object
from kexplore.model.state import ClusterState

ORACLE = Path(__file__).resolve().parents[3] / ".." / "shared" / "oracles" / "istio"
CASES_FILE = ORACLE / "cases.json"

# Messages kexplore deliberately does not produce, per case, with the reason; the rest of
# the case's expectation must still agree.
DISAGREES = {
    "Route Rule no effect on Ingress": (
        {"IngressRouteRulesNotAffected"},
        "IngressRouteRulesNotAffected concerns gateway-bound routes (ingress traffic), which "
        "the mesh layer does not judge",
    ),
}


def _cases() -> list[dict[str, Any]]:
    if not CASES_FILE.exists():
        return []
    return list(json.loads(CASES_FILE.read_text()))


def load_state(files: list[str]) -> ClusterState:
    """The case's input files as a ClusterState (objects kept exactly as written)."""
    state = ClusterState()
    for name in files:
        for doc in yaml.safe_load_all((ORACLE / name).read_text()):
            if not isinstance(doc, dict):
                continue
            try:
                obj = convert_object(doc)
            except DecodeProblem:
                continue
            if obj is not None:
                state.add(obj)
    return state


def _id(case: dict[str, Any]) -> str:
    return str(case["name"])


@pytest.mark.skipif(not CASES_FILE.exists(), reason="../shared/oracles/istio not present")
@pytest.mark.parametrize("case", _cases(), ids=_id)
def test_analyzer_case(case: dict[str, Any]) -> None:
    analyzer = case["analyzer"]
    left_out, _reason = DISAGREES.get(case["name"], (set(), ""))
    state = load_state(case["inputFiles"])
    got = Counter((f.code, f.resource) for f in ANALYZERS[analyzer](state))
    want = Counter(
        (e["code"], e["resource"]) for e in case["expected"] if e["code"] not in left_out
    )
    assert got == want


@pytest.mark.parametrize(
    "name", ["peerauthentication_compose_cases.yaml", "client_tls_auto_mtls_cases.yaml"]
)
def test_listed_tables_are_transcribed_while_absent(name: str) -> None:
    if not ORACLE.exists() or not (ORACLE / name).exists():
        pytest.skip(
            f"{name} is not in the oracle folder; its Istio table is in tests/test_mesh_*.py"
        )
    pytest.fail(f"{name} has appeared in the oracle folder: add a reader for it here")
