"""`kexplore diff` and `kexplore verify` on pairs of demo snapshots: the demo, and a copy
with one planted fault fixed (its first proposed fix applied). Golden outputs.

Regenerate with `KEXPLORE_UPDATE_GOLDEN=1 pytest tests/fixes/test_proof.py` and review."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from kexplore.checks.ladder import check_edge
from kexplore.cli import main
from kexplore.fixes.diff import ALONE, diff_states
from kexplore.fixes.edits import PATCH, Edit, ObjectKey
from kexplore.fixes.propose import propose
from kexplore.fixes.scratch import scratch
from kexplore.fixes.verify import FIXED, REGRESSED, STILL, verify
from kexplore.fixes.whatif import EdgeSpec, canonical, known_edges, run_edge
from kexplore.model.state import ClusterState
from kexplore.render.proof_out import diff_lines, verify_lines
from kexplore.sources.demo import load_demo
from kexplore.sources.files.reader import read_snapshot
from kexplore.sources.record import write_snapshot
from kexplore.transcript import Transcript, read_transcript
from tests.fixes.test_propose import CONFIG_FAULTS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "proof"
FAULTS = {
    f"{source.split('/')[-1]}-{target.split(':')[0]}": (source, target)
    for source, target, *_ in CONFIG_FAULTS
}


def _compare(path: Path, actual: str) -> None:
    if os.environ.get("KEXPLORE_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with KEXPLORE_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from its golden"


@pytest.fixture(scope="module")
def demo() -> ClusterState:
    return load_demo()


@pytest.fixture(scope="module")
def session(demo: ClusterState, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A transcript of the demo session: every demo edge checked once."""
    path = tmp_path_factory.mktemp("session") / "demo.jsonl"
    log = Transcript(path, source="demo")
    for edge in known_edges(demo):
        report = run_edge(demo, edge)
        assert report is not None
        log.record_check(report)
    log.close()
    return path


def _fixed_snapshot(
    demo: ClusterState, name: str, out: Path
) -> tuple[EdgeSpec, ClusterState, set[ObjectKey]]:
    """The demo with the first proposed fix of one planted fault applied, saved and read back
    (and the objects the fix edits)."""
    source, target = FAULTS[name]
    edge = canonical(demo, EdgeSpec(source, target))
    edits = propose(demo, check_edge(demo, source, target), edge)[0].candidate.edits
    write_snapshot(scratch(demo, edits, "istio-system").state, out)
    return edge, read_snapshot(out), {e.key for e in edits}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_diff_names_exactly_the_fixed_fault(demo: ClusterState, name: str, tmp_path: Path) -> None:
    edge, fixed, edited = _fixed_snapshot(demo, name, tmp_path / "b")
    result = diff_states(demo, fixed)
    assert [e.edge.key for e in result.edges] == [edge.key]
    causes = result.edges[0].causes
    assert {c.key for rank, c in causes if rank == ALONE} == edited
    assert {c.key for c in result.objects} == {c.key for _, c in causes}
    _compare(
        GOLDEN / f"diff-{name}.txt",
        "\n".join(diff_lines(result, "demo", f"demo+fix:{name}")) + "\n",
    )


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_verify_reports_the_fixed_edge_fixed_and_nothing_else_moved(
    demo: ClusterState, session: Path, name: str, tmp_path: Path
) -> None:
    edge, fixed, _ = _fixed_snapshot(demo, name, tmp_path / "b")
    results = verify(read_transcript(session), fixed)
    outcomes = {
        (r.edge.source.split("/")[0], r.edge.source.split("/")[-1], r.edge.target): r.outcome
        for r in results
    }
    parts = edge.source.split("/")
    assert outcomes.pop((parts[0], parts[-1], edge.target)) == FIXED
    assert FIXED not in outcomes.values() and REGRESSED not in outcomes.values()
    _compare(GOLDEN / f"verify-{name}.txt", "\n".join(verify_lines(results, "demo.jsonl")) + "\n")


def test_verify_exit_codes_and_the_proof_appended_to_the_session(
    demo: ClusterState, session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "incident.jsonl"
    copy.write_bytes(session.read_bytes())
    assert main(["verify", str(copy), "--demo"]) == 0
    assert "0 fixed, 15 still failing, 0 regressed, 10 unchanged" in capsys.readouterr().out
    broken = Edit(
        ObjectKey("Service", "shop", "cart"),
        PATCH,
        ({"op": "replace", "path": "/spec/selector/app", "value": "kart"},),
    )
    write_snapshot(scratch(demo, [broken], "istio-system").state, tmp_path / "broken")
    assert main(["verify", str(copy), "--snapshot", str(tmp_path / "broken"), "-o", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    regressed = [r for r in out["results"] if r["outcome"] == REGRESSED]
    assert [(r["target"], r["before"], r["after"]) for r in regressed] == [
        ("cart:8080", "pass", "fail at service")
    ]
    events = read_transcript(copy).events
    proofs = [e for e in events if e["type"] == "verify"]
    assert [p["exit"] for p in proofs] == [0, 1]
    assert events[-1]["type"] == "session-end"
    assert sum(e["type"] == "check" for e in events) == 25  # the baseline is untouched
    still = [r for r in out["results"] if r["outcome"] == STILL]
    assert len(still) == 15


def test_diff_cli_one_edge_and_bad_arguments(
    demo: ClusterState, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fixed_snapshot(demo, "frontend-search", tmp_path / "b")
    a = str(Path(__file__).resolve().parents[2] / "kexplore" / "sources" / "demo_data")
    args = ["diff", a, str(tmp_path / "b"), "shop/frontend", "search:8080", "-o", "json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["edges"][0]["causes"][0]["fields"] == [
        {"path": "spec.selector.tier", "before": "backnd", "after": "backend"}
    ]
    assert main(["diff", a]) == 2
    assert "SNAPSHOT_B" in capsys.readouterr().err


def test_verify_follows_a_checked_pod_replaced_by_a_rollout_to_its_workload(
    demo: ClusterState, tmp_path: Path
) -> None:
    pod = next(p for p in demo.pods_in("shop") if p.name.startswith("frontend-"))
    log = Transcript(tmp_path / "s.jsonl", source="demo")
    report = check_edge(demo, f"shop/pod/{pod.name}", "search:8080")
    log.record_check(report)
    log.close()
    later = load_demo()
    later.remove("Pod", "shop", pod.name)  # the rollout replaced it
    (result,) = verify(read_transcript(tmp_path / "s.jsonl"), later)
    assert result.outcome == STILL
    assert result.detail.startswith("pod gone: judged by shop/deployment/frontend")


@pytest.mark.parametrize("output", ["text", "markdown", "json"])
def test_check_shows_the_fixes_in_every_output(
    output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fix part of the output only (the rest of the ladder has its own goldens)."""
    assert main(["check", "--demo", "shop/deploy/cart", "redis.data:6379", "-o", output]) == 1
    out = capsys.readouterr().out
    if output == "json":
        layer = next(r for r in json.loads(out)["layers"] if r["id"] == "networkpolicy")
        part = json.dumps(layer["fix"], indent=2, ensure_ascii=False) + "\n"
    elif output == "markdown":
        part = out[out.index("#### Fix 1") :].split("\n### ", 1)[0]
    else:
        part = re.split(r"\n\w+: [✓!✗?–] ", out[out.index("fix 1:") :], maxsplit=1)[0]
    suffix = {"text": "txt", "markdown": "md", "json": "json"}[output]
    _compare(GOLDEN / f"check-cart-redis-fix.{suffix}", part)
    assert "kubernetes.io/metadata.name" in part and "6379" in part


def test_verify_of_a_session_without_checks_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.jsonl"
    Transcript(empty, source="demo").close()
    assert main(["verify", str(empty), "--demo"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no checks in this session" in err
    assert [e["type"] for e in read_transcript(empty).events] == ["session-start", "session-end"]
