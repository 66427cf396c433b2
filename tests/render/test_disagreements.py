"""Static-vs-observed disagreements in every output: text, Markdown, JSON, transcripts; the
observed text is cluster data (a proxy's log line) and is shown as plain text."""

from __future__ import annotations

import io
import json
from pathlib import Path

from markdown_it import MarkdownIt
from rich.console import Console

from kexplore.checks.result import (
    Disagreement,
    EdgeReport,
    Evidence,
    LayerResult,
    SourceRef,
    Status,
    TargetRef,
)
from kexplore.render.markdown import report_markdown
from kexplore.render.text import render_text
from kexplore.transcript import Transcript, read_transcript

HOSTILE = "503 UF [bold red]x[/bold red] \x1b[31mred\x1b[0m `tick`"


def report() -> EdgeReport:
    mesh = LayerResult(
        "mesh",
        Status.FAIL,
        "Envoy's account contradicts",
        "probe",
        [Evidence("probe envoy access log of pod a/b (istio-proxy)", HOSTILE, "envoy")],
    )
    return EdgeReport(
        SourceRef("a", "Deployment", "b", ["b-1"]),
        TargetRef("a", "Service", "c", 80, "TCP", "c:80"),
        [mesh],
        Status.FAIL,
        "mesh",
        disagreements=[
            Disagreement(
                "mesh", "pass (no policy denies)", HOSTILE, ("an unsynced proxy",), "envoy"
            )
        ],
    )


def test_text_shows_the_finding_as_plain_text() -> None:
    out = io.StringIO()
    render_text(report(), Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "static vs observed: 1 disagreement(s)" in text
    assert "mesh predicted pass (no policy denies); observed 503 UF [bold red]x[/bold red]" in text
    assert "could be: an unsynced proxy" in text and "\x1b" not in text


def test_markdown_has_its_own_section_and_escapes_the_observation() -> None:
    md = report_markdown(report())
    assert "### Static vs observed" in md and "\x1b" not in md
    section = md.split("### Static vs observed", 1)[1].split("###", 1)[0]
    tokens = MarkdownIt().parse(section)
    assert not [t for t in tokens if t.type in ("code_block", "fence", "html_block")]


def test_json_and_the_transcript_keep_disagreements_and_evidence_kinds(tmp_path: Path) -> None:
    data = report().to_json()
    assert data["disagreements"][0]["layer"] == "mesh"
    assert data["layers"][0]["evidence"][0]["kind"] == "envoy"
    path = tmp_path / "s.jsonl"
    transcript = Transcript(path, source="demo")
    transcript.record_check(report())
    transcript.close()
    (back,) = read_transcript(path).reports()
    assert back.disagreements[0].explanations == ("an unsynced proxy",)
    assert back.layers[0].evidence[0].kind == "envoy"
    assert json.loads(path.read_text().splitlines()[1])["type"] == "check"
