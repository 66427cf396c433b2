"""The header line: what is wrong and where to go first, then where the data comes from,
fitted to the width by dropping the least needed parts (never the counts or the freshness)."""

from __future__ import annotations

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


def fit(parts: list[tuple[int, Text]], width: int) -> Text:
    """Join parts with two spaces, leaving out the lowest-priority ones until it fits."""
    kept = list(parts)
    while len(kept) > 1 and sum(t.cell_len + 2 for _, t in kept) - 2 > width:
        kept.remove(min(kept, key=lambda p: p[0]))
    return Text("  ").join(t for _, t in kept)


def header(
    tally: Text, where: list[str], fresh: str, marked: str | None, width: int, banner: str = ""
) -> Text:
    """The whole line: `kexplore`, a banner (what-if), the tally, the freshness, the marked
    source, then the source, context and time (these go first when the line is too long)."""
    parts: list[tuple[int, Text]] = [(9, Text("kexplore", "bold"))]
    if banner:
        parts.append((10, Text(banner, "bold reverse")))
    if tally:
        parts.append((8, tally))
    if fresh:
        parts.append((7, plain(fresh)))
    if marked:
        parts.append((6, plain(f"source: {marked}", "italic")))
    parts += [(5 - i, plain(p, "dim" if i else "")) for i, p in enumerate(where) if p]
    return fit(parts, width)
