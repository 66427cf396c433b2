"""Transcripts: JSON Lines events with redaction, read back, exported."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from kexplore.checks.result import EdgeReport, Evidence, LayerResult, SourceRef, Status, TargetRef
from kexplore.cli import main
from kexplore.errors import InputError
from kexplore.redact import redact
from kexplore.render.session_html import session_html
from kexplore.render.transcript_out import session_markdown
from kexplore.transcript import Transcript, read_transcript


def _report() -> EdgeReport:
    layer = LayerResult(
        "networkpolicy",
        Status.FAIL,
        "no ingress rule admits shop/frontend",
        evidence=[Evidence("networkpolicy data/default-deny", "selects data/pg-0 <b>")],
        commands=["kubectl get networkpolicy -n data"],
        hint="allow TCP 5432 from shop",
    )
    return EdgeReport(
        SourceRef("shop", "Deployment", "frontend", ["frontend-1"]),
        TargetRef("data", "Service", "pg", 5432, "TCP", "pg.data:5432"),
        [layer],
        Status.FAIL,
        "networkpolicy",
    )


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abcdefghijklmnop", "abcdefghijklmnop"),
        ("DATABASE_URL=postgres://app:hunter2@pg:5432/db", "hunter2"),
        ("password=s3cr3t-value other", "s3cr3t-value"),
        ("token: eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4", "eyJhbGciOiJIUzI1"),
        ("key AKIAABCDEFGHIJKLMNOP used", "AKIAABCDEFGHIJKLMNOP"),
    ],
)
def test_redact_hides_secrets(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and "***" in out


def test_redact_keeps_ordinary_text() -> None:
    text = "connect to cart.shop.svc.cluster.local:8080 timed out"
    assert redact(text) == text


def test_round_trip_and_exports(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    tr = Transcript(path, source="demo", context="kind-x")
    tr.record("navigate", object="shop/deploy/frontend", note="password=abc123")
    tr.record_check(_report())
    tr.close()
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["type"] for e in events] == ["session-start", "navigate", "check", "session-end"]
    assert all(e["v"] == 1 and e["ts"].endswith("Z") for e in events)
    assert "abc123" not in path.read_text()
    session = read_transcript(path)
    (report,) = session.reports()
    assert report.failing_layer == "networkpolicy" and report.layers[0].evidence[0].ref
    md = session_markdown(session)
    assert "```mermaid" in md and "networkpolicy" in md and "kubectl get networkpolicy" in md
    page = session_html(session)
    assert "pg-0 <b>" not in page and "pg-0 &lt;b&gt;" in page


def test_bad_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"v": 1, "type": "session-start"}\nnot json\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2"):
        read_transcript(path)


def test_cli_show_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.jsonl"
    tr = Transcript(path, source="demo")
    tr.record_check(_report())
    tr.close()
    assert main(["transcript", "show", str(path)]) == 0
    assert "networkpolicy" in capsys.readouterr().out
    assert main(["transcript", "export", str(path), "--output", "html"]) == 0
    assert capsys.readouterr().out.startswith("<!doctype html>")
    assert main(["transcript", "show", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


def _check_event(**report_changes: object) -> dict[str, object]:
    report = _report().to_json()
    report.update(report_changes)
    return {"v": 1, "ts": "2026-01-01T00:00:00Z", "type": "check", "report": report}


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"type": 7}, "Expected `str`, got `int` - at `$.type`"),
        ({"type": "check", "report": []}, "Expected `object`, got `array`"),
        (_check_event(layers="x"), "at `$.layers`"),
        (_check_event(verdict="maybe"), "Invalid enum value 'maybe' - at `$.verdict`"),
        (_check_event(source={"namespace": 1}), "at `$.source.namespace`"),
        (_check_event(layers=[{"id": "dns", "status": "pass", "summary": None}]), "summary"),
        (
            _check_event(layers=[{"id": "dns", "status": "pass", "summary": "", "evidence": [3]}]),
            "evidence[0]",
        ),
        ({"type": "x", "ts": ["not", "a", "time"]}, "at `$.ts`"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_a_transcript_with_wrong_types_is_bad_input_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], event: object, named: str
) -> None:
    path = tmp_path / "bad.jsonl"
    line = event if isinstance(event, str) else json.dumps(event)
    path.write_text('{"v": 1, "type": "session-start"}\n' + line + "\n")
    with pytest.raises(InputError, match=re.escape("bad.jsonl:2: ")) as caught:
        read_transcript(path)
    assert named in caught.value.message
    for argv in (["show", str(path)], ["export", str(path), "-o", "html"]):
        assert main(["transcript", *argv]) == 2
        assert capsys.readouterr().err.startswith("kexplore: bad input: ")


def test_a_transcript_that_is_a_fifo_is_refused_unread(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jsonl")
    with pytest.raises(InputError, match="a FIFO, not a file"):
        read_transcript(tmp_path / "pipe.jsonl")
