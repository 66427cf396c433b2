"""The HTML export is real HTML: a section per edge, the ladder as a table whose colours
survive printing, evidence lists, commands as code, an inline SVG graph, nothing external."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kexplore.checks.ladder import check_edge
from kexplore.cli import main
from kexplore.render.session_html import session_html
from kexplore.render.transcript_out import session_markdown
from kexplore.sources.demo import load_demo
from kexplore.transcript import Transcript, read_transcript

EDGES = [("shop/deploy/frontend", "search:8080"), ("shop/deploy/frontend", "cart:8080")]


class Tags(HTMLParser):
    """Every start tag, in order, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


@pytest.fixture
def session_file(tmp_path: Path) -> Path:
    state = load_demo()
    path = tmp_path / "s.jsonl"
    tr = Transcript(path, source="demo", context="kind-x")
    for source, target in EDGES:
        tr.record_check(check_edge(state, source, target))
    tr.close()
    return path


def test_export_has_a_section_table_lists_code_and_svg_per_edge(session_file: Path) -> None:
    page = session_html(read_transcript(session_file))
    parser = Tags()
    parser.feed(page)
    names = [t for t, _ in parser.tags]
    assert names.count("details") == len(EDGES) + 1  # one per edge, one for the timeline
    assert names.count("h3") == len(EDGES) and names.count("table") == len(EDGES)
    assert "ul" in names and "pre" in names and "code" in names and "li" in names
    assert names.count("svg") == 1 and "line" in names and "polygon" in names
    assert "script" not in names and not re.search(r"(src|href)=['\"]?https?:", page)
    assert "print-color-adjust:exact" in page
    failing = next(a for t, a in parser.tags if t == "details")
    assert "open" in failing  # the failing edge (search) opens; it is checked first
    assert "<h3 style='display:inline'>shop/deployment/frontend → search:8080</h3>" in page
    assert "✗ fail" in page and "✓ pass" in page  # glyph and word, not colour alone


def test_cli_export_writes_the_file_and_says_where(
    session_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert (
        main(["transcript", "export", str(session_file), "--output", "html", "-o", str(out)]) == 0
    )
    said = capsys.readouterr().out
    assert str(out.resolve()) in said and said.count("\n") == 1
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    bad = tmp_path / "missing-dir" / "x.html"
    assert (
        main(["transcript", "export", str(session_file), "--output", "html", "-o", str(bad)]) == 2
    )
    assert "missing-dir" in capsys.readouterr().err


def test_markdown_export_nests_layers_under_their_edge(session_file: Path) -> None:
    md = session_markdown(read_transcript(session_file))
    headings = [line.split(" ", 1)[0] for line in md.splitlines() if line.startswith("#")]
    edges = [i for i, h in enumerate(headings) if h == "###"]
    assert len(edges) == len(EDGES)
    for start, end in zip(edges, [*edges[1:], len(headings)], strict=True):
        layers = headings[start + 1 : end]
        assert layers and all(h.startswith("####") for h in layers)
