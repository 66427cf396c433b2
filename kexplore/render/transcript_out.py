"""Transcript exports: Markdown (timeline, ladders, Mermaid graph) and JSON (HTML: session_html)."""

from __future__ import annotations

import json
import re
from typing import Any

from kexplore.checks.result import EdgeReport, Status
from kexplore.render.markdown import md_escape, report_markdown
from kexplore.render.sanitize import strip_controls
from kexplore.render.style import GLYPH
from kexplore.transcript import Session, report_from_json

_MERMAID_ID = re.compile(r"[^A-Za-z0-9_]")


def _event_line(event: dict[str, Any]) -> str:
    kind = event.get("type", "?")
    detail = ""
    if kind == "check":
        rep = report_from_json(event["report"])
        detail = f"{rep.source.label()} → {rep.target.dialed}: {GLYPH[rep.verdict]} {rep.verdict}"
        if rep.failing_layer:
            detail += f" at {rep.failing_layer}"
    elif kind == "verify":
        detail = str(event.get("summary", ""))
    else:
        shown = {k: v for k, v in event.items() if k not in ("v", "ts", "type")}
        detail = ", ".join(f"{k}={v}" for k, v in shown.items() if v not in ("", None))
    return f"- `{event.get('ts', '')}` **{kind}** {md_escape(detail)}"


def _node_id(label: str) -> str:
    return "n_" + _MERMAID_ID.sub("_", label)


_MERMAID_ENTITY = {'"': "#quot;", "`": "#96;", "<": "#lt;", ">": "#gt;"}


def _mermaid_text(text: str) -> str:
    """A quoted Mermaid label: no quote, backtick (a fence) or tag can leave the label."""
    return "".join(_MERMAID_ENTITY.get(ch, ch) for ch in strip_controls(text).replace("\n", " "))


def mermaid(reports: list[EdgeReport]) -> list[str]:
    """A Mermaid flowchart of the edges checked, each labelled with its verdict."""
    lines = ["```mermaid", "flowchart LR"]
    for rep in reports:
        src, tgt = rep.source.label(), rep.target.dialed
        label = f"{rep.verdict}" + (f" at {rep.failing_layer}" if rep.failing_layer else "")
        left = f'{_node_id(src)}["{_mermaid_text(src)}"]'
        right = f'{_node_id(tgt)}["{_mermaid_text(tgt)}"]'
        lines.append(f'  {left} -->|"{_mermaid_text(label)}"| {right}')
    lines.append("```")
    return lines


def session_markdown(session: Session) -> str:
    """The whole session: header, timeline, graph of checked edges, each ladder."""
    start = next((e for e in session.events if e.get("type") == "session-start"), {})
    reports = session.reports()
    lines = ["# kexplore session", ""]
    lines.append(f"Source: {md_escape(str(start.get('source', '?')))}")
    if start.get("context"):
        lines.append(f"Context: {md_escape(str(start['context']))}")
    lines += ["", "## Timeline", "", *(_event_line(e) for e in session.events), ""]
    if reports:
        lines += ["## Edges checked", "", *mermaid(reports), ""]
        failing = sum(1 for r in reports if r.verdict is Status.FAIL)
        lines += [f"{len(reports)} checks, {failing} failing.", ""]
        lines += [report_markdown(r, level=3) for r in reports]
    return "\n".join(lines).rstrip() + "\n"


def session_json(session: Session) -> str:
    """The events as one JSON document."""
    return json.dumps({"path": str(session.path), "events": session.events}, indent=2)
