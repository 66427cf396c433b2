"""The header line: what is wrong and where to go first, then where the data comes from,
fitted to the width by dropping the least needed parts (never the counts or the reconnect
countdown)."""

from __future__ import annotations

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
    """A piece of the header: kept by `priority`; `glue` goes before it; a part with `least`
    cells is cropped to the room left (not below `least`) before it is left out."""

    priority: float
    text: Text
    glue: str = "  "
    least: int = 0


def _width(parts: list[Part]) -> int:
    return sum(len(p.glue) + p.text.cell_len for p in parts) - len(parts[0].glue)


def fit(parts: list[Part], width: int) -> Text:
    """Join the parts, cropping or leaving out the lowest-priority ones until it fits."""
    kept = list(parts)
    while len(kept) > 1 and _width(kept) > width:
        low = min(kept, key=lambda p: p.priority)
        room = low.text.cell_len - (_width(kept) - width)
        if low.least and room >= low.least:
            cropped = low.text.copy()
            cropped.truncate(room, overflow="ellipsis")
            kept[kept.index(low)] = low._replace(text=cropped, least=0)
        else:
            kept.remove(low)
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
    fresh's first part (a countdown to the next reconnect) is kept even over the tally's
    counts, which are cropped for it."""
    parts = [Part(9, Text("kexplore", "bold"))]
    if banner:
        parts.append(Part(10, Text(banner, "bold reverse")))
    for i, piece in enumerate(tally.split("  ") if tally else []):  # counts, `! list`, …
        parts.append(Part(8 - i / 10, piece, least=0 if i else min(piece.cell_len, 12)))
    for i, said in enumerate(fresh.split(" · ") if fresh else []):  # state, since, why
        piece = plain(said)
        parts.append(Part(8.5, piece) if i == 0 else Part(7.1 - i / 10, piece, " · ", 24))
    if marked:
        parts.append(Part(6, plain(f"source: {marked}", "italic")))
    parts += [Part(5 - i, plain(p, "dim" if i else "")) for i, p in enumerate(where) if p]
    return fit(parts, width)
