"""The header line: what is wrong and where to go first, then where the data comes from,
fitted to the width by dropping the least needed parts (never the counts or the reconnect
countdown)."""

from __future__ import annotations

import re
from typing import NamedTuple

from rich.style import Style
from rich.text import Text

from kexplore.checks.result import Status
from kexplore.ui.style import plain


def plural(count: int, word: str, many: str = "") -> str:
    """`1 service`, `3 services`, `0 policies` (`many`: the irregular plural)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def triage(
    counts: dict[Status, int], checked: int, total: int, styles: dict[Status, Style]
) -> Text:
    """`✗ 14 failing · 2 warn — ] next  ! list`, or how far the checks are, or that all pass."""
    failing, warn, unknown = counts[Status.FAIL], counts[Status.WARN], counts[Status.UNKNOWN]
    text = Text()
    if failing:
        text.append(f"✗ {failing} failing", styles[Status.FAIL])
    for count, word, status in ((unknown, "unknown", Status.UNKNOWN), (warn, "warn", Status.WARN)):
        if count:
            text.append(" · " if text else "")
            text.append(f"{count} {word}", styles[status])
    if failing:
        text.append(" — ] next  ! list", "bold")
    if checked < total:
        text.append(f"{'  ' if text else ''}checking {checked}/{total} edges", "italic")
    elif total and not text:
        text.append(f"✓ {plural(total, 'edge')} checked, none failing", styles[Status.PASS])
    return text


class Part(NamedTuple):
    """A piece of the header: kept by `priority`; `glue` goes before it. Before it is left
    out, a part is cut short to the room left: at the last of its `cuts` that fits, else
    with an ellipsis if `least` cells or more remain."""

    priority: float
    text: Text
    glue: str = "  "
    least: int = 0
    cuts: tuple[int, ...] = ()


def _width(parts: list[Part]) -> int:
    return sum(len(p.glue) + p.text.cell_len for p in parts) - len(parts[0].glue)


def _shortened(part: Part, room: int) -> Part | None:
    """`part` cut to at most `room` cells, or None when it cannot be."""
    fitting = [cut for cut in part.cuts if cut <= room]
    if fitting:
        return part._replace(text=part.text[: max(fitting)], cuts=(), least=0)
    if part.least and room >= part.least:
        text = part.text.copy()
        text.truncate(room, overflow="ellipsis")
        return part._replace(text=text, cuts=(), least=0)
    return None


def fit(parts: list[Part], width: int) -> Text:
    """Join the parts, cutting short or leaving out the lowest-priority ones until it fits."""
    kept = list(parts)
    while len(kept) > 1 and _width(kept) > width:
        low = min(kept, key=lambda p: p.priority)
        short = _shortened(low, low.text.cell_len - (_width(kept) - width))
        if short is None:
            kept.remove(low)
        else:
            kept[kept.index(low)] = short
    line = Text()
    for i, part in enumerate(kept):
        line.append(part.glue if i else "")
        line.append_text(part.text)
    return line


def header(
    tally: Text, where: list[str], fresh: str, marked: str | None, width: int, banner: str = ""
) -> Text:
    """The whole line: `kexplore`, a banner (what-if), the tally, the freshness, the marked
    source, then the source, context and time (these go first when the line is too long).
    The tally's parts are two spaces apart and `fresh`'s ` · ` apart, the most needed first:
    fresh's first part (a countdown to the next reconnect) is kept even over the tally, whose
    last parts are cut for it."""
    parts = [Part(9, Text("kexplore", "bold"))]
    if banner:
        parts.append(Part(10, Text(banner, "bold reverse")))
    if tally:  # cut after the counts, after `! list`, … or with an ellipsis
        cuts = tuple(m.start() for m in re.finditer("  | — ", tally.plain))
        parts.append(Part(8, tally, least=12, cuts=cuts))
    said = fresh.split(" · ") if fresh else []  # state, since when, why
    for i, words in enumerate(said):
        piece = plain(words)
        parts.append(Part(8.5, piece) if i == 0 else Part(7.1 - i / 10, piece, " · ", 24))
    if marked:
        parts.append(Part(6, plain(f"source: {marked}", "italic")))
    where = [p for p in where if p not in said[:1]]  # `live` is not said twice
    parts += [Part(5 - i, plain(p, "dim" if i else "")) for i, p in enumerate(where) if p]
    return fit(parts, width)
