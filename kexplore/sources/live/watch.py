"""Keeping a ClusterState current: list-then-watch per collection, backoff, 410, bookmarks."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from kexplore.model.changes import ChangeLog
from kexplore.model.kinds import DecodeProblem, decode_object
from kexplore.model.state import ClusterState, mark_forbidden, mark_readable, meta_of
from kexplore.sources.live.client import (
    Connection,
    HttpFailure,
    explain,
    interrupt,
    is_api_failure,
    open_stream,
)
from kexplore.sources.live.heard import change_of
from kexplore.sources.live.load import Listed, forbidden_in, list_scope

MAX_BACKOFF = 30.0


@dataclass(frozen=True)
class Freshness:
    """How current one watched collection is.

    `status`: `live` (its watch stream is open: the data is current, even when no event or
    bookmark comes), `relisting` (history expired, listing again), `retrying` (the API server
    failed; `detail` says why, `retry_at` when the next try is), `forbidden` (permission lost,
    tried again at `retry_at`), `stopped`. `confirmed_at` is the time.time() the data was
    last known current (a list, an open watch; for a live collection, until now); `changes`
    counts the events applied so far.
    """

    key: str
    namespace: str | None
    status: str
    confirmed_at: float
    changes: int = 0
    detail: str = ""
    retry_at: float = 0.0


OnUpdate = Callable[[Freshness], None]


class _WatchEvent(msgspec.Struct):
    type: str
    object: msgspec.Raw


class _Meta(msgspec.Struct, frozen=True, rename="camel"):
    resource_version: str = ""


class _StatusOrMeta(msgspec.Struct):
    metadata: _Meta = _Meta()
    code: int = 0
    reason: str = ""
    message: str = ""


def _lines(resp: Any) -> Iterator[bytes]:
    """Complete lines of a streaming reply, as they arrive."""
    buffer = b""
    for chunk in resp.stream(amt=None, decode_content=True):
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        yield from (line for line in complete if line.strip())
    if buffer.strip():
        yield buffer


class StateWatcher:
    """One thread per listed collection keeps `state` current; `on_update` hears about it.

    Changes are applied under `lock` (hold it while reading the state from another thread)
    and recorded in `changes` (Events excepted: they are the cluster's own record).
    `on_update` runs on the watcher threads: a UI must hand it over to its own thread.
    """

    def __init__(
        self,
        conn: Connection,
        state: ClusterState,
        listed: list[Listed],
        lock: threading.RLock | None = None,
        on_update: OnUpdate | None = None,
    ) -> None:
        self._conn = conn
        self._state = state
        self._listed = list(listed)
        self.lock = lock or threading.RLock()
        self._on_update = on_update
        self._stop = threading.Event()
        self._back = threading.Condition()  # a reconnect wakes the others' backoff waits
        self._threads: list[threading.Thread] = []
        self._open: set[Any] = set()
        self._fresh: dict[tuple[str, str | None], Freshness] = {}
        self._guard = threading.Lock()
        self.changes = ChangeLog(time.time())

    # --- public -----------------------------------------------------------------------------
    def start(self) -> None:
        self.add(self._listed)

    def add(self, listed: list[Listed]) -> None:
        """Watch more collections (a namespace the user opened), from their lists' versions."""
        for one in listed:
            name = f"watch-{one.target.key}-{one.namespace or 'all'}"
            thread = threading.Thread(target=self._run, args=(one,), name=name, daemon=True)
            self._threads.append(thread)
            self._report(one, "live")
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every watch: close the open streams and wait for the threads."""
        self._stop.set()
        with self._back:
            self._back.notify_all()
        with self._guard:
            streams = list(self._open)
        for resp in streams:
            interrupt(resp)
        for thread in self._threads:
            thread.join(timeout)

    def freshness(self) -> list[Freshness]:
        with self._guard:
            return list(self._fresh.values())

    # --- one collection -----------------------------------------------------------------------
    def _run(self, listed: Listed) -> None:
        api = self._conn.client()  # one ApiClient per thread
        rv, attempt, refused = listed.resource_version, 0, False
        while not self._stop.is_set():
            try:
                if not rv:
                    rv = self._relist(api, listed)
                rv, expired = self._watch(api, listed, rv)
                attempt, refused = 0, False
                if expired:
                    self._report(listed, "relisting", "history expired (410 Gone): listing again")
                    rv = ""
            except HttpFailure as e:
                if e.status == 410:
                    rv = ""
                elif e.status == 403 and rv and refused:  # may list, but not watch
                    self._report(listed, "stopped", f"forbidden: {e.message}")
                    return
                elif e.status == 403:  # a refused watch: is listing still allowed?
                    if not rv:
                        attempt = self._forbidden(listed, attempt)
                    rv, refused = "", True
                else:
                    attempt = self._backoff(listed, e, attempt)
            except (msgspec.DecodeError, msgspec.ValidationError) as e:
                if self._stop.is_set():
                    break  # a stream cut by stop() ends mid-line
                attempt = self._backoff(listed, e, attempt)
            except Exception as e:
                if self._stop.is_set():
                    break
                if not is_api_failure(e):  # a bug: say so in the header, never crash the UI
                    self._report(listed, "stopped", f"watch failed: {e!r}")
                    return
                attempt = self._backoff(listed, e, attempt)
        self._report(listed, "stopped")

    def _backoff(self, listed: Listed, exc: BaseException, attempt: int) -> int:
        attempt += 1
        wait = min(MAX_BACKOFF, self._conn.retry.backoff(attempt))
        if isinstance(exc, HttpFailure) and exc.retry_after is not None:
            wait = max(wait, min(exc.retry_after, MAX_BACKOFF))
        if isinstance(exc, (msgspec.DecodeError, msgspec.ValidationError)):
            reason = f"the watch stream sent something unreadable ({exc})"
        else:
            reason = explain(exc, self._conn).message
        self._report(listed, "retrying", reason, retry_at=time.time() + wait)
        with self._back:  # until the retry, or until another collection got through
            if not self._stop.is_set():
                self._back.wait(wait)
        return attempt

    def _forbidden(self, listed: Listed, attempt: int) -> int:
        """Permission lost: the collection's objects leave the state, which records why
        (so nothing is judged from them); listing is tried again until it is allowed."""
        key, ns = listed.target.key, listed.namespace
        reason = forbidden_in(listed.target.res, ns)
        with self.lock:
            for obj_ns, name in list(self._state.objects.get(key, {})):
                if ns is None or obj_ns == ns:
                    self._state.remove(key, obj_ns, name)
            mark_forbidden(self._state.meta, key, ns, reason)
        attempt += 1
        wait = min(MAX_BACKOFF, self._conn.retry.backoff(attempt))
        self._report(listed, "forbidden", reason, retry_at=time.time() + wait)
        self._stop.wait(wait)
        return attempt

    def _relist(self, api: Any, listed: Listed) -> str:
        objects, rv, problems = list_scope(self._conn, api, listed.target, listed.namespace)
        key = listed.target.key
        fresh = {(meta_of(o).namespace, meta_of(o).name) for o in objects}
        with self.lock:
            held = list(self._state.objects.get(key, {}))
            for ns, name in held:
                in_scope = listed.namespace is None or ns == listed.namespace
                if in_scope and (ns, name) not in fresh:
                    self._state.remove(key, ns, name)
            self._state.add_all(objects)
            self._state.warnings.extend(p for p in problems if p not in self._state.warnings)
            mark_readable(self._state.meta, key, listed.namespace)
        self.changes.relisted(time.time(), key)
        self._report(listed, "live", "listed again")
        return rv

    def _watch(self, api: Any, listed: Listed, rv: str) -> tuple[str, bool]:
        """Follow one watch stream until it ends; returns the last resourceVersion and 410."""
        timeouts = self._conn.timeouts
        query: list[tuple[str, str | int]] = [
            ("watch", "1"),
            ("resourceVersion", rv),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", timeouts.watch),
        ]
        path = listed.target.res.path(listed.namespace)
        accept = listed.target.watch_accept
        resp = open_stream(self._conn, api, path, query, timeouts.watch + 30, accept)
        with self._guard:
            self._open.add(resp)
        try:
            if self._stop.is_set():  # stop() came after the request left: it missed this one
                return rv, False
            self._reconnected(listed)
            for line in _lines(resp):
                if self._stop.is_set():
                    break
                event = msgspec.json.decode(line, type=_WatchEvent)
                if event.type == "ERROR":
                    status = msgspec.json.decode(event.object, type=_StatusOrMeta)
                    if status.code == 410:
                        return rv, True
                    raise HttpFailure(status.code, status.reason, status.message)
                rv = self._apply(listed, event) or rv
        finally:
            with self._guard:
                self._open.discard(resp)
            resp.release_conn()
        return rv, False

    def _reconnected(self, listed: Listed) -> None:
        """The server took the watch: the data is current; after a failure, the collections
        waiting to retry try now (the API server is back: they need not wait their backoff)."""
        with self._guard:
            previous = self._fresh.get((listed.target.key, listed.namespace))
        self._report(listed, "live")
        if previous is not None and previous.status == "retrying":
            with self._back:
                self._back.notify_all()

    def _apply(self, listed: Listed, event: _WatchEvent) -> str:
        """Apply one event to the state; returns its resourceVersion."""
        res = listed.target.res
        if event.type == "BOOKMARK":
            rv = msgspec.json.decode(event.object, type=_StatusOrMeta).metadata.resource_version
            self._report(listed, "live")
            return rv
        try:
            obj = decode_object(event.object, res.api_version, res.kind)
        except DecodeProblem as e:
            with self.lock:
                self._state.warnings.append(f"{res.full_name}: watch event skipped: {e}")
            return msgspec.json.decode(event.object, type=_StatusOrMeta).metadata.resource_version
        if obj is None:
            return ""
        meta = meta_of(obj)
        with self.lock:
            old = self._state.get(listed.target.key, meta.namespace, meta.name)
            if event.type == "DELETED":
                self._state.remove(listed.target.key, meta.namespace, meta.name)
            else:
                self._state.add(obj)
        if listed.target.key != "Event":
            self.changes.record(change_of(event.type, event.object, old, obj, time.time()))
        self._report(listed, "live", changed=True)
        return meta.resource_version

    def _report(
        self,
        listed: Listed,
        status: str,
        detail: str = "",
        changed: bool = False,
        retry_at: float = 0.0,
    ) -> None:
        key = (listed.target.key, listed.namespace)
        with self._guard:
            previous = self._fresh.get(key)
            changes = (previous.changes if previous else 0) + (1 if changed else 0)
            confirmed = (  # a collection that was live was current until now
                time.time()
                if status == "live" or previous is None or previous.status == "live"
                else previous.confirmed_at
            )
            fresh = Freshness(
                listed.target.key, listed.namespace, status, confirmed, changes, detail, retry_at
            )
            self._fresh[key] = fresh
        if self._on_update is not None:
            self._on_update(fresh)


def copy_state(state: ClusterState, lock: threading.RLock) -> ClusterState:
    """A consistent copy to hand to another thread (objects are immutable: shallow is enough)."""
    with lock:
        return state.copy()


def _age(seconds: float) -> str:
    if seconds < 60:
        return f"{max(0, int(seconds))}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    return f"{int(seconds // 3600)}h"


def _countdown(fresh: list[Freshness], now: float) -> str:
    """`in 4 s` until the soonest retry of `fresh`, or `now` when it is under way."""
    soonest = min(f.retry_at for f in fresh)
    return f"in {math.ceil(soonest - now)} s" if soonest > now else "now"


def freshness_text(fresh: list[Freshness], now: float) -> str:
    """One line for a header, its parts joined by ` · ` from the most needed to the least
    (a narrow header keeps the first): `live`, or what is wrong, when it is tried again and
    since when the data is not current. Open watches are live even when quiet."""
    if not fresh:
        return "live (not watching)"
    forbidden = [f for f in fresh if f.status == "forbidden"]
    retrying = [f for f in fresh if f.status == "retrying"]
    relisting = [f for f in fresh if f.status == "relisting"]
    stopped = sorted({f.key for f in fresh if f.status == "stopped"})
    broken = [f.confirmed_at for f in fresh if f.status != "live" and f.confirmed_at]
    age = f"data from {_age(now - min(broken))} ago" if broken else "no data yet"
    if forbidden:
        where = ", ".join(sorted({f.namespace or "all namespaces" for f in forbidden}))
        count = len({f.key for f in forbidden})
        kinds = f"{count} kind{'' if count == 1 else 's'}"
        retry = _countdown(forbidden, now)
        parts = [f"permission lost in {where}, retry {retry}", kinds, forbidden[0].detail]
    elif retrying:
        parts = [f"reconnecting {_countdown(retrying, now)}", age, retrying[0].detail]
    elif relisting:
        parts = [f"relisting {', '.join(sorted({f.key for f in relisting}))}", age]
    elif len(stopped) == len({f.key for f in fresh}):
        parts = ["not watching", age]
    else:
        parts = ["live"]
        reasons = [f.detail for f in fresh if f.status == "stopped" and f.detail]
        if stopped:
            why = f": {reasons[0]}" if reasons else ""
            parts.append(f"not watched: {', '.join(stopped)}{why}")
    return " · ".join(p for p in parts if p)
