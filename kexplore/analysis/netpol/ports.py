"""PortSet: sets of (protocol, port range) with set operations and np-guard's text form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PROTOCOLS: tuple[str, ...] = ("SCTP", "TCP", "UDP")
MIN_PORT, MAX_PORT = 1, 65535
Range = tuple[int, int]
Ranges = tuple[Range, ...]
_FULL: Ranges = ((MIN_PORT, MAX_PORT),)


def _normalize(ranges: Iterable[Range]) -> Ranges:
    """Sorted, merged, clipped ranges (adjacent ranges join)."""
    out: list[list[int]] = []
    for lo, hi in sorted((max(lo, MIN_PORT), min(hi, MAX_PORT)) for lo, hi in ranges):
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _intersect(a: Ranges, b: Ranges) -> Ranges:
    out: list[Range] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _subtract(a: Ranges, b: Ranges) -> Ranges:
    out: list[Range] = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur or blo > hi:
                continue
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


class PortSet:
    """An immutable set of allowed connections: protocol -> disjoint inclusive port ranges."""

    __slots__ = ("_hash", "_ranges")

    def __init__(self, ranges: Mapping[str, Iterable[Range]] | None = None) -> None:
        norm = {p.upper(): _normalize(r) for p, r in (ranges or {}).items()}
        self._ranges: dict[str, Ranges] = {p: r for p, r in norm.items() if r}
        self._hash: int | None = None

    @classmethod
    def of(cls, protocol: str, low: int, high: int | None = None) -> PortSet:
        """One port, or an inclusive range, of one protocol."""
        return cls({protocol: [(low, low if high is None else high)]})

    @classmethod
    def protocol(cls, protocol: str) -> PortSet:
        """All ports of one protocol."""
        return cls({protocol: _FULL})

    def ranges(self, protocol: str) -> Ranges:
        """The ranges of one protocol (empty tuple when none)."""
        return self._ranges.get(protocol.upper(), ())

    def contains(self, protocol: str, port: int) -> bool:
        """Whether (protocol, port) is in the set."""
        return any(lo <= port <= hi for lo, hi in self.ranges(protocol))

    def is_empty(self) -> bool:
        return not self._ranges

    def is_all(self) -> bool:
        return all(self._ranges.get(p) == _FULL for p in PROTOCOLS)

    def __or__(self, other: PortSet) -> PortSet:
        if other.is_empty() or self is other or self is ALL:
            return self
        if self.is_empty() or other is ALL:
            return other
        if self._ranges == other._ranges:
            return self
        keys = set(self._ranges) | set(other._ranges)
        return PortSet({p: self.ranges(p) + other.ranges(p) for p in keys})

    def __and__(self, other: PortSet) -> PortSet:
        if self is other or other.is_all():
            return self
        if self.is_all():
            return other
        keys = set(self._ranges) & set(other._ranges)
        return PortSet({p: _intersect(self._ranges[p], other._ranges[p]) for p in keys})

    def __sub__(self, other: PortSet) -> PortSet:
        if other.is_empty():
            return self
        return PortSet({p: _subtract(r, other.ranges(p)) for p, r in self._ranges.items()})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortSet) and self._ranges == other._ranges

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted(self._ranges.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"PortSet({self.describe() or 'none'})"

    def describe(self) -> str:
        """np-guard's text: `All Connections`, `TCP 80,8080-8090,UDP 53`, or "" when empty."""
        if self.is_all():
            return "All Connections"
        parts: list[str] = []
        for proto in sorted(self._ranges):
            texts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self._ranges[proto]]
            parts.append(f"{proto} {','.join(texts)}")
        return ",".join(parts)

    def to_json(self) -> dict[str, list[list[int]]] | str:
        """`"all"` or {protocol: [[lo, hi], ...]}."""
        if self.is_all():
            return "all"
        return {p: [[lo, hi] for lo, hi in r] for p, r in sorted(self._ranges.items())}


ALL = PortSet({p: _FULL for p in PROTOCOLS})
NONE = PortSet()
