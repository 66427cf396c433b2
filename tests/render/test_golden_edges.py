"""Golden files for `kexplore edges` (text and JSON, with and without --check).

Regenerate on purpose with `KEXPLORE_UPDATE_GOLDEN=1` and review the diff.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from kexplore.cli import main
from kexplore.errors import NotFoundError
from kexplore.model.state import ClusterState
from kexplore.render.edges_out import run_edges
from kexplore.sources.demo import load_demo
from kexplore.sources.files.reader import read_snapshot

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "golden" / "edges"
BOOKINFO = ROOT / "fixtures" / "apps" / "bookinfo"


@pytest.fixture(scope="module")
def demo() -> ClusterState:
    return load_demo()


def _run(state: ClusterState, output: str, check: bool, namespaces: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    console = Console(file=buf, width=100, color_system=None, force_terminal=False)
    code = run_edges(state, namespaces, check, output, console)
    return code, buf.getvalue()


def _compare(path: Path, actual: str) -> None:
    if os.environ.get("KEXPLORE_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with KEXPLORE_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from its golden"


@pytest.mark.parametrize("output", ["text", "json"])
@pytest.mark.parametrize("check", [False, True], ids=["list", "check"])
def test_demo_edges_match_goldens(demo: ClusterState, output: str, check: bool) -> None:
    code, out = _run(demo, output, check, [])
    assert code == (1 if check else 0)  # the demo plants failing edges
    name = f"demo{'-check' if check else ''}.{'txt' if output == 'text' else 'json'}"
    _compare(GOLDEN / name, out)


def test_bookinfo_manifests_list_every_call_and_predict_no_failure() -> None:
    code, out = _run(read_snapshot(BOOKINFO), "text", True, [])
    assert code == 0
    _compare(GOLDEN / "bookinfo-check.txt", out)


def test_json_rows_name_source_dialed_resolution_and_where(demo: ClusterState) -> None:
    _, out = _run(demo, "json", True, ["shop"])
    data = json.loads(out)
    rows = {(r["source"], r["dialed"]): r for r in data["edges"]}
    assert {r["source"].split("/")[0] for r in data["edges"]} == {"shop"}
    redis = rows[("shop/deploy/cart", "redis.data:6379")]
    assert redis["resolves_to"] == "service data/redis"
    assert redis["found_in"] == ["env REDIS_HOST of container cart"]
    assert (redis["verdict"], redis["failing_layer"]) == ("fail", "networkpolicy")
    typo = rows[("shop/deploy/frontend", "payments-api:8443")]
    assert typo["resolves_to"] == "no Service (NXDOMAIN from namespace shop)"
    assert data["counts"]["edges"] == len(data["edges"])


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edges", "--demo"]) == 0
    assert main(["edges", "--demo", "--check", "-o", "json"]) == 1
    assert main(["edges", "--demo", "--check", "mesh-demo", "payments"]) == 1
    assert main(["edges", "--demo", "nope"]) == 2
    assert "NAMESPACE 'nope'" in capsys.readouterr().err


def test_unknown_namespace_is_not_found(demo: ClusterState) -> None:
    with pytest.raises(NotFoundError):
        _run(demo, "text", False, ["nope"])
