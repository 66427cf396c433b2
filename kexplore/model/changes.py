"""Recent changes heard on a live watch, bounded: per object a short ring, a total cap.

Only what a change says is kept (kind, name, type, resourceVersion, the newest
managedFields entry, a few changed fields as text), never the objects themselves."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

PER_OBJECT = 5  # changes kept per object
TOTAL = 2000  # changes kept in all
FIELDS = 6  # changed fields listed per change
FIELD_TEXT = 160  # characters per changed field

ObjectRef = tuple[str, str, str]  # store kind, namespace, name


@dataclass(frozen=True)
class Manager:
    """The newest managedFields entry: who wrote the object last, how, and when."""

    manager: str
    operation: str
    time: str
    subresource: str = ""

    def text(self) -> str:
        sub = f" on {self.subresource}" if self.subresource else ""
        return f"{self.manager} ({self.operation}{sub}) at {self.time}"


@dataclass(frozen=True)
class Change:
    """One watch event on one object: `at` is when kexplore heard it (time.time())."""

    at: float
    kind: str
    namespace: str
    name: str
    type: str  # added, modified, deleted
    resource_version: str
    manager: Manager | None = None
    fields: tuple[str, ...] = ()
    more_fields: int = 0

    @property
    def ref(self) -> ObjectRef:
        return self.kind, self.namespace, self.name

    def what(self) -> str:
        """`modified service shop/cart (rv 812)`."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.type} {self.kind.lower()} {where} (rv {self.resource_version or '?'})"

    def field_lines(self) -> list[str]:
        """The changed fields, and how many more were left out."""
        more = [f"… and {self.more_fields} more field(s)"] if self.more_fields else []
        return [*self.fields, *more]


def summarize(fields: list[str]) -> tuple[tuple[str, ...], int]:
    """At most FIELDS field texts, each cut to FIELD_TEXT characters; how many were left out."""
    cut = [f if len(f) <= FIELD_TEXT else f[: FIELD_TEXT - 1] + "…" for f in fields[:FIELDS]]
    return tuple(cut), max(0, len(fields) - FIELDS)


class ChangeLog:
    """Changes heard since `started` (time.time()), safe to share between threads.

    Each object keeps its PER_OBJECT newest changes (one busy object cannot push the others
    out), and TOTAL bounds them all (the oldest go first). `relists` notes when a collection
    was listed again after its history expired: changes in that gap are not itemized."""

    def __init__(self, started: float) -> None:
        self.started = started
        self._lock = threading.Lock()
        self._by_object: dict[ObjectRef, deque[Change]] = {}
        self._order: deque[Change] = deque()
        self._relists: deque[tuple[float, str]] = deque(maxlen=50)

    def record(self, change: Change) -> None:
        with self._lock:
            ring = self._by_object.setdefault(change.ref, deque(maxlen=PER_OBJECT))
            ring.append(change)
            self._order.append(change)
            while len(self._order) > TOTAL:
                self._forget(self._order.popleft())

    def _forget(self, oldest: Change) -> None:
        ring = self._by_object.get(oldest.ref)
        if ring and ring[0] is oldest:  # else its ring had already dropped it
            ring.popleft()
        if ring is not None and not ring:
            del self._by_object[oldest.ref]

    def relisted(self, at: float, kind: str) -> None:
        with self._lock:
            self._relists.append((at, kind))

    def since(self, when: float) -> list[Change]:
        """Every change kept heard at or after `when`, newest first."""
        with self._lock:
            kept = [c for ring in self._by_object.values() for c in ring if c.at >= when]
        return sorted(kept, key=lambda c: c.at, reverse=True)

    def relists_since(self, when: float) -> list[tuple[float, str]]:
        with self._lock:
            return [r for r in self._relists if r[0] >= when]

    def __len__(self) -> int:
        with self._lock:
            return sum(len(ring) for ring in self._by_object.values())
