"""Untrusted text: Markdown and Mermaid keep names inside their code spans, fences and labels;
the sanitizer drops controls that would change what the terminal shows."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from kexplore.checks.result import EdgeReport, LayerResult, SourceRef, Status, TargetRef
from kexplore.render.markdown import report_markdown
from kexplore.render.sanitize import strip_controls
from kexplore.render.transcript_out import mermaid

HOSTILE = ["web|`x`", "`lead", "a``b", "```", "x ```sh\nrm -rf /"]


def _report(name: str, command: str = "kubectl get pods") -> EdgeReport:
    layer = LayerResult("pods", Status.FAIL, "down", commands=[command])
    return EdgeReport(
        SourceRef("shop", "Pod", name, [name]),
        TargetRef("shop", "Service", "cart", 80, "TCP", "cart:80"),
        [layer],
        Status.FAIL,
        "pods",
    )


@pytest.mark.parametrize("name", HOSTILE)
def test_a_name_with_backticks_stays_inside_its_code_span(name: str) -> None:
    tokens = MarkdownIt().parse(report_markdown(_report(name)))
    heading = next(t for t in tokens if t.type == "inline")
    spans = [c.content for c in heading.children or [] if c.type == "code_inline"]
    assert spans[0] == f"shop/pod/{name}".replace("\n", " ")


@pytest.mark.parametrize("name", HOSTILE)
def test_a_command_with_a_fence_stays_inside_its_code_block(name: str) -> None:
    command = f"kubectl describe pod {name}".replace("\n", " ")
    tokens = MarkdownIt().parse(report_markdown(_report("web", command)))
    blocks = [t for t in tokens if t.type == "fence"]
    assert [(b.info, b.content) for b in blocks] == [("sh", command + "\n")]


def test_mermaid_labels_cannot_close_the_fence_or_the_label() -> None:
    lines = mermaid([_report('a"] --> evil["x```<b>')])
    body = "\n".join(lines[1:-1])
    assert "```" not in body and "<b>" not in body
    assert body.count('"') == 6  # three quoted labels, nothing else


def test_bidi_overrides_are_stripped_with_terminal_controls() -> None:
    """U+202E and friends reorder the text after them on screen (Trojan Source)."""
    hostile = "pod-\u202egnp.exe\u2066x\u2069 \x1b]52;c;ZXZpbA==\x07\x1b[2Jok"
    assert strip_controls(hostile) == "pod-gnp.exex ok"


def test_multi_line_evidence_keeps_its_lines_as_code() -> None:
    from kexplore.checks.result import Evidence, LayerResult, Status
    from kexplore.render.markdown import layer_markdown

    layer = LayerResult(
        "reachability",
        Status.FAIL,
        "timeout",
        evidence=[Evidence("recorded tcp", "$ nc -zv 10.0.0.1 80 → timeout\n  | nc: timed out")],
    )
    text = "\n".join(layer_markdown(layer))
    assert "  ```\n    | nc: timed out\n  ```" in text
