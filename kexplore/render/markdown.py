"""The ladder of one edge as Markdown (`check --output markdown`, transcripts)."""

from __future__ import annotations

import re

from kexplore.checks.result import Disagreement, EdgeReport, Fix, LayerResult
from kexplore.render.fixes_out import options
from kexplore.render.sanitize import strip_controls
from kexplore.render.style import badge


def md_escape(text: str) -> str:
    """Untrusted text safe inside a Markdown table cell or paragraph."""
    text = strip_controls(text).replace("\n", " ")
    for ch in "\\`*_{}[]<>|#":
        text = text.replace(ch, "\\" + ch)
    return text


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _code(text: str) -> str:
    """A code span that untrusted text cannot close early (CommonMark: the closing run of
    backticks must be exactly as long as the opening one)."""
    text = strip_controls(text).replace("\n", " ")
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(lines: list[str], info: str = "") -> list[str]:
    """A fenced block whose fence is longer than any backtick run in its lines."""
    fence = "`" * max(3, _longest_backtick_run("\n".join(lines)) + 1)
    return [fence + info, *lines, fence]


def layer_markdown(layer: LayerResult, level: int = 3) -> list[str]:
    """The details section of one layer (a heading at `level`, under its edge's)."""
    head = "#" * level
    lines = [f"{head} {layer.id}: {badge(layer.status)}", "", md_escape(layer.summary), ""]
    if layer.explained_by:
        lines += [f"Explained by `{layer.explained_by}`.", ""]
    for ev in layer.evidence:
        first, *rest = ev.detail.split("\n")
        lines.append(f"- {_code(ev.ref)}: {md_escape(first)}")
        if rest:  # raw output (a probe's, a log's) keeps its lines, as code
            lines += ["  " + line for line in code_block([strip_controls(r) for r in rest])]
    if layer.evidence:
        lines.append("")
    if layer.hint:
        lines += [f"**Hint:** {md_escape(layer.hint)}", ""]
    if layer.commands:
        lines += [*code_block([strip_controls(c) for c in layer.commands], "sh"), ""]
    return lines + fixes_markdown(layer.fix, level + 1)


def fixes_markdown(fixes: list[Fix], level: int = 4) -> list[str]:
    """The fix options as Markdown sections with diff and shell blocks."""
    lines: list[str] = []
    for entries in options(fixes):
        first = entries[0]
        lines += [f"{'#' * level} Fix {first.option}: {md_escape(first.title)}", ""]
        lines += [f"**Effect:** {md_escape(first.effect)}", ""]
        for fix in entries:
            lines += [*code_block(strip_controls(fix.diff).splitlines(), "diff"), ""]
        lines += [
            *code_block([strip_controls(f.command).replace("\n", " ") for f in entries], "sh"),
            "",
        ]
    return lines


def disagreements_markdown(items: list[Disagreement], level: int = 3) -> list[str]:
    """Static vs observed: each contradiction as a finding of its own."""
    lines = [f"{'#' * level} Static vs observed", ""]
    for item in items:
        lines.append(f"- **{md_escape(item.layer)}** predicted {md_escape(item.predicted)}; ")
        lines[-1] += f"observed {md_escape(item.observed)}"
        if item.evidence:
            lines.append(f"  (seen by {_code(item.evidence)})")
        lines += [f"  - could be: {md_escape(why)}" for why in item.explanations]
    return [*lines, ""]


def report_markdown(report: EdgeReport, level: int = 2) -> str:
    """Heading, verdict, a table of layers, then each layer's evidence and commands."""
    src, tgt = report.source, report.target
    title = f"{'#' * level} {_code(src.label())} → {_code(tgt.dialed)} ({tgt.protocol})"
    lines = [title, "", f"**Verdict:** {badge(report.verdict)}"]
    if report.failing_layer:
        lines[-1] += f" — failing layer `{report.failing_layer}`"
    if report.prediction:
        lines[-1] += f" — {report.prediction}"
    lines += ["", "| status | layer | summary |", "|---|---|---|"]
    lines += [f"| {badge(r.status)} | {r.id} | {md_escape(r.summary)} |" for r in report.layers]
    lines.append("")
    if report.disagreements:
        lines += disagreements_markdown(report.disagreements, level + 1)
    for layer in report.layers:
        lines += layer_markdown(layer, level + 1)  # layers nest under their edge
    return "\n".join(lines).rstrip() + "\n"
