"""The ladder of one edge as Markdown (`check --output markdown`, transcripts)."""

from __future__ import annotations

from kexplore.checks.result import EdgeReport, LayerResult
from kexplore.render.sanitize import strip_controls
from kexplore.render.style import badge


def md_escape(text: str) -> str:
    """Untrusted text safe inside a Markdown table cell or paragraph."""
    text = strip_controls(text).replace("\n", " ")
    for ch in "\\`*_{}[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text


def _code(text: str) -> str:
    text = strip_controls(text).replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def layer_markdown(layer: LayerResult) -> list[str]:
    """The details section of one layer."""
    lines = [f"### {layer.id}: {badge(layer.status)}", "", md_escape(layer.summary), ""]
    if layer.explained_by:
        lines += [f"Explained by `{layer.explained_by}`.", ""]
    lines += [f"- {_code(ev.ref)}: {md_escape(ev.detail)}" for ev in layer.evidence]
    if layer.evidence:
        lines.append("")
    if layer.hint:
        lines += [f"**Hint:** {md_escape(layer.hint)}", ""]
    if layer.commands:
        lines += ["```sh", *(strip_controls(c) for c in layer.commands), "```", ""]
    return lines


def report_markdown(report: EdgeReport, level: int = 2) -> str:
    """Heading, verdict, a table of layers, then each layer's evidence and commands."""
    src, tgt = report.source, report.target
    title = f"{'#' * level} {_code(src.label())} → {_code(tgt.dialed)} ({tgt.protocol})"
    lines = [title, "", f"**Verdict:** {badge(report.verdict)}"]
    if report.failing_layer:
        lines[-1] += f" — failing layer `{report.failing_layer}`"
    lines += ["", "| status | layer | summary |", "|---|---|---|"]
    lines += [f"| {badge(r.status)} | {r.id} | {md_escape(r.summary)} |" for r in report.layers]
    lines.append("")
    for layer in report.layers:
        lines += layer_markdown(layer)
    return "\n".join(lines).rstrip() + "\n"
