"""A session as one self-contained HTML page: a heading and collapsible section per edge, the
ladder as a table whose status colours survive printing, evidence lists, commands as code,
and the checked edges as an inline SVG graph drawn here (no script, no network)."""

from __future__ import annotations

from html import escape
from typing import Any

from kexplore.checks.result import EdgeReport, LayerResult, Status
from kexplore.render.sanitize import strip_controls
from kexplore.render.style import GLYPH
from kexplore.transcript import Session

COLOURS = {  # (text, background): readable on screen and on paper, with the glyph and word
    Status.PASS: ("#14532d", "#dcfce7"),
    Status.WARN: ("#713f12", "#fef9c3"),
    Status.FAIL: ("#7f1d1d", "#fee2e2"),
    Status.UNKNOWN: ("#1e3a8a", "#dbeafe"),
    Status.SKIPPED: ("#374151", "#f3f4f6"),
}
STYLE = """
body{font-family:system-ui,sans-serif;max-width:120ch;margin:2em auto;padding:0 1em;
line-height:1.45;color:#111}
h1,h2,h3{line-height:1.2}code,pre{font-family:ui-monospace,monospace;font-size:90%}
pre{background:#f6f8fa;border:1px solid #ddd;padding:.5em;white-space:pre-wrap}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}
details{border:1px solid #ccc;border-radius:4px;padding:.25em .75em;margin:.75em 0}
summary{cursor:pointer;font-weight:600}
.status{font-weight:600;white-space:nowrap}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media print{details{break-inside:avoid}details>*{display:block}}
"""


def _text(value: object) -> str:
    """Untrusted text, control sequences stripped and HTML-escaped."""
    return escape(strip_controls(str(value)))


def _badge(status: Status) -> str:
    fg, bg = COLOURS[status]
    word = f"{GLYPH[status]} {status}"
    return f'<span class="status" style="color:{fg};background:{bg}">{escape(word)}</span>'


def _layer_row(layer: LayerResult) -> str:
    fg, bg = COLOURS[layer.status]
    summary = layer.summary + (
        f" (explained by {layer.explained_by})" if layer.explained_by else ""
    )
    return (
        f'<tr style="background:{bg};color:{fg}"><td>{_text(layer.id)}</td>'
        f"<td>{_badge(layer.status)}</td><td>{_text(summary)}</td>"
        f"<td>{_text(layer.basis)}</td></tr>"
    )


def _layer_detail(layer: LayerResult) -> list[str]:
    """Evidence as a list, the hint, commands as code blocks."""
    if not (layer.evidence or layer.hint or layer.commands):
        return []
    out = [f"<h4>{_text(layer.id)} {_badge(layer.status)}</h4>"]
    if layer.evidence:
        items = "".join(
            f"<li><b>{_text(ev.ref)}</b>{': ' + _text(ev.detail) if ev.detail else ''}</li>"
            for ev in layer.evidence
        )
        out.append(f"<ul>{items}</ul>")
    if layer.hint:
        out.append(f"<p><b>hint:</b> {_text(layer.hint)}</p>")
    out += [f"<pre><code>$ {_text(cmd)}</code></pre>" for cmd in layer.commands]
    return out


def edge_section(report: EdgeReport, index: int) -> str:
    """One edge: heading with its verdict, the ladder table, then each layer's evidence."""
    title = f"{report.source.label()} → {report.target.dialed}"
    verdict = _badge(report.verdict)
    if report.failing_layer:
        verdict += f" at <b>{_text(report.failing_layer)}</b>"
    rows = "".join(_layer_row(layer) for layer in report.layers)
    details = [line for layer in report.layers for line in _layer_detail(layer)]
    opened = " open" if report.verdict is not Status.PASS else ""
    return "\n".join(
        [
            f'<details id="edge-{index}"{opened}>',
            f"<summary><h3 style='display:inline'>{_text(title)}</h3> {verdict}</summary>",
            "<table><thead><tr><th>layer</th><th>status</th><th>summary</th><th>basis</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>",
            *details,
            "</details>",
        ]
    )


def edge_graph_svg(reports: list[EdgeReport]) -> str:
    """The checked edges as an SVG: sources left, targets right, one arrow per edge in its
    verdict's colour, labelled with the verdict (and failing layer)."""
    sources = list(dict.fromkeys(r.source.label() for r in reports))
    targets = list(dict.fromkeys(r.target.dialed for r in reports))
    row, box_w, gap = 34, 300, 260
    height = max(len(sources), len(targets)) * row + 20
    width = 2 * box_w + gap + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
        'font-size="12"><title>edges checked</title>'
    ]

    def box(x: int, index: int, label: str) -> str:
        y = 10 + index * row
        return (
            f'<rect x="{x}" y="{y}" width="{box_w}" height="24" rx="4" fill="#f9fafb" '
            f'stroke="#6b7280"/><text x="{x + 6}" y="{y + 16}">{_text(label[:46])}</text>'
        )

    parts += [box(10, i, s) for i, s in enumerate(sources)]
    parts += [box(10 + box_w + gap, i, t) for i, t in enumerate(targets)]
    for rep in reports:
        fg, _ = COLOURS[rep.verdict]
        y1 = 22 + sources.index(rep.source.label()) * row
        y2 = 22 + targets.index(rep.target.dialed) * row
        x1, x2 = 10 + box_w, 10 + box_w + gap
        label = f"{GLYPH[rep.verdict]} {rep.verdict}" + (
            f" at {rep.failing_layer}" if rep.failing_layer else ""
        )
        parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2 - 6}" y2="{y2}" stroke="{fg}" '
            f'stroke-width="2"/><polygon points="{x2},{y2} {x2 - 8},{y2 - 4} {x2 - 8},{y2 + 4}" '
            f'fill="{fg}"/><text x="{(x1 + x2) // 2}" y="{(y1 + y2) // 2 - 3}" '
            f'text-anchor="middle" fill="{fg}">{_text(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _timeline(events: list[dict[str, Any]]) -> str:
    items = []
    for event in events:
        kind = event.get("type", "?")
        shown = {k: v for k, v in event.items() if k not in ("v", "ts", "type", "report")}
        detail = ", ".join(f"{k}={v}" for k, v in shown.items() if v not in ("", None))
        items.append(
            f"<li><code>{_text(event.get('ts', ''))}</code> <b>{_text(kind)}</b> "
            f"{_text(detail)}</li>"
        )
    return f"<ul>{''.join(items)}</ul>"


def session_html(session: Session) -> str:
    """The whole session: source, the edge graph, a section per edge, then the timeline."""
    start = next((e for e in session.events if e.get("type") == "session-start"), {})
    reports = session.reports()
    failing = sum(1 for r in reports if r.verdict is Status.FAIL)
    body = [
        "<h1>kexplore session</h1>",
        f"<p>Source: <b>{_text(start.get('source', '?'))}</b>"
        + (f" · context <b>{_text(start['context'])}</b>" if start.get("context") else "")
        + f" · {len(reports)} edge check(s), {failing} failing</p>",
    ]
    if reports:
        body += ["<h2>Edges checked</h2>", edge_graph_svg(reports)]
        body += [edge_section(r, i) for i, r in enumerate(reports)]
    body += [
        "<details><summary><h2 style='display:inline'>Timeline</h2></summary>",
        _timeline(session.events),
        "</details>",
    ]
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>kexplore session</title>\n"
        f"<style>{STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
