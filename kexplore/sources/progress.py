"""What a load has read so far, per kind: items, bytes, the total when known, done or not.

Loader threads update it; the UI reads `kinds()` on a timer (no message per item). It is
also how a load is stopped: once `cancel()` is called, the next update raises
`LoadCancelled` in the reading thread (readers report every chunk they read).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace


class LoadCancelled(Exception):
    """Raised in a reading thread when its load was cancelled (the user quit meanwhile)."""


@dataclass(frozen=True)
class KindProgress:
    """One kind (or file) being read."""

    name: str
    items: int = 0
    bytes: int = 0
    total_bytes: int | None = None  # Content-Length or file size, when known
    done: bool = False


class LoadProgress:
    """Thread-safe progress of one load, with the time it started."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._kinds: dict[str, KindProgress] = {}
        self.finished = False
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop the load: its threads raise LoadCancelled at their next update."""
        self.cancelled.set()

    def _check(self) -> None:
        if self.cancelled.is_set():
            raise LoadCancelled

    def update(self, name: str, items: int, size: int, total: int | None = None) -> None:
        """Record `name`'s items and bytes read so far (`total`: its size when known)."""
        self._check()
        with self._lock:
            old = self._kinds.get(name, KindProgress(name))
            total = total if total is not None else old.total_bytes
            self._kinds[name] = replace(old, items=items, bytes=size, total_bytes=total)

    def done(self, name: str, items: int) -> None:
        """`name` is read: `items` objects kept."""
        self._check()
        with self._lock:
            old = self._kinds.get(name, KindProgress(name))
            self._kinds[name] = replace(old, items=items, done=True)

    def bytes_of(self, name: str) -> int:
        with self._lock:
            return self._kinds[name].bytes if name in self._kinds else 0

    def finish(self) -> None:
        self.finished = True

    def kinds(self) -> list[KindProgress]:
        """Every kind seen so far, in the order they started."""
        with self._lock:
            return list(self._kinds.values())

    def elapsed(self) -> float:
        return time.monotonic() - self.started
