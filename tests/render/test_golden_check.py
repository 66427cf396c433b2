"""Golden files for `kexplore check --demo` in text, json and markdown.

The goldens change only on purpose: regenerate with `KEXPLORE_UPDATE_GOLDEN=1 pytest
tests/test_golden_check.py` and review the diff before committing it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

from kexplore.checks.ladder import check_edge
from kexplore.cli import main
from kexplore.model.state import ClusterState
from kexplore.render.json_out import report_json
from kexplore.render.markdown import report_markdown
from kexplore.render.text import render_text
from kexplore.sources.demo import load_demo

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "check"
EDGES = {
    "healthy-cart": ("shop/deploy/frontend", "cart:8080"),
    "dns-short-name": ("shop/deploy/frontend", "payments-api:8443"),
    "netpol-or-peers": ("shop/deploy/cart", "redis.data:6379"),
    "mesh-strict-disable": ("mesh-demo/deploy/web", "ledger:8080"),
    "ports-loopback": ("shop/deploy/frontend", "reviews:8080"),
    "service-selector-typo": ("shop/deploy/frontend", "search:8080"),
}


@pytest.fixture(scope="module")
def demo() -> ClusterState:
    return load_demo()


def _text(report: object) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=110, color_system=None, force_terminal=False)
    render_text(report, console)  # type: ignore[arg-type]
    return buf.getvalue()


def _compare(path: Path, actual: str) -> None:
    if os.environ.get("KEXPLORE_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with KEXPLORE_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs from its golden"


@pytest.mark.parametrize("name", sorted(EDGES))
def test_check_outputs_match_goldens(demo: ClusterState, name: str) -> None:
    source, target = EDGES[name]
    report = check_edge(demo, source, target)
    _compare(GOLDEN / f"{name}.json", report_json(report) + "\n")
    _compare(GOLDEN / f"{name}.md", report_markdown(report))
    _compare(GOLDEN / f"{name}.txt", _text(report))


def test_cli_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--demo", "shop/deploy/frontend", "cart:8080", "-o", "json"]) == 0
    assert main(["check", "--demo", "shop/deploy/cart", "redis.data:6379", "-o", "json"]) == 1
    assert main(["check", "--demo", "shop/deploy/nope", "cart:8080"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err


def test_snapshot_of_the_demo_reads_back_with_the_same_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snap"
    assert main(["--demo", "snapshot", str(out)]) == 0
    assert "saved" in capsys.readouterr().out
    for source, target in EDGES.values():
        args = ["check", "--snapshot", str(out), source, target, "-o", "json"]
        demo_args = ["check", "--demo", source, target, "-o", "json"]
        assert main(args) == main(demo_args)
        from_snapshot, from_demo = capsys.readouterr().out.split("\n}\n", 1)
        assert from_snapshot + "\n}\n" == from_demo
    assert main(["--demo", "snapshot", str(out)]) == 2  # never overwrites


def test_text_details_leave_out_layers_another_layer_explains(demo: ClusterState) -> None:
    """At 3am the failing layer's details come first: a layer left unjudged because the
    service sends the port nowhere keeps its table row but not a details section."""
    text = _text(check_edge(demo, "shop/deploy/frontend", "search:8080"))
    assert "service: ✗ fail" in text
    assert "(explained by service)" not in text and "\nmesh: " not in text
    assert " ? unknown  mesh " in text
