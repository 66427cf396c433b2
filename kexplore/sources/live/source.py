"""The live source: load a cluster with the official client, keep it current, logs and events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from kexplore.errors import KexploreError, NotFoundError, SourceError
from kexplore.model.changes import ChangeLog
from kexplore.model.cluster import Event
from kexplore.model.state import ClusterState
from kexplore.sources.live.client import (
    Connection,
    HttpFailure,
    Query,
    Timeouts,
    connect,
    explain,
    get_bytes,
    interrupt,
    is_api_failure,
    list_contexts,
    open_stream,
)
from kexplore.sources.live.discovery import ServedResource
from kexplore.sources.live.load import (
    Listed,
    LoadObserver,
    Target,
    apply_namespace,
    decode_page,
    load_state,
    now_rfc3339,
    read_namespace,
)
from kexplore.sources.live.watch import (
    Freshness,
    OnUpdate,
    StateWatcher,
    copy_state,
    freshness_text,
)

EVENTS = ServedResource("", "v1", "events", "Event", namespaced=True)


class LogFollow:
    """A followed container log: iterate for lines as they are written; `close()` ends it."""

    def __init__(self, resp: Any) -> None:
        self._resp = resp
        self._closed = False

    def __iter__(self) -> Iterator[str]:
        buffer = b""
        try:
            for chunk in self._resp.stream(amt=None, decode_content=True):
                buffer += chunk
                *complete, buffer = buffer.split(b"\n")
                yield from (line.decode("utf-8", "replace") for line in complete)
        except Exception:
            if not self._closed:
                raise
        if buffer and not self._closed:
            yield buffer.decode("utf-8", "replace")

    def close(self) -> None:
        self._closed = True
        interrupt(self._resp)
        self._resp.release_conn()


class LiveSource:
    """One kubeconfig context: `load()` a ClusterState, then `watch()` it; logs and events."""

    def __init__(
        self,
        context: str | None = None,
        namespace: str | None = None,
        kubeconfig: str | None = None,
        namespaces: Sequence[str] = (),
        timeouts: Timeouts | None = None,
        in_play: Sequence[str] = (),
    ) -> None:
        self.conn: Connection = connect(context, namespace, kubeconfig, timeouts)
        self.kubeconfig = kubeconfig
        self.namespaces = list(namespaces)
        self.in_play = list(in_play)  # read one by one where a cluster-wide list is forbidden
        self._listed: list[Listed] = []

    @property
    def context(self) -> str:
        return self.conn.context

    def contexts(self) -> tuple[list[str], str]:
        """Every context of the kubeconfig and the current one (for `:ctx`)."""
        return list_contexts(self.kubeconfig)

    def load(self, observer: LoadObserver | None = None) -> ClusterState:
        """List every served kind (in parallel) the user may read; see state.meta.unreadable.
        `observer` follows the progress and gets each kind as it is read."""
        state, self._listed = load_state(
            self.conn, self.namespaces, observer=observer, fallback=self.in_play
        )
        return state

    def namespace_targets(self) -> list[Target]:
        """The kinds listed namespace by namespace (a cluster-wide list was forbidden)."""
        found = {li.target.key: li.target for li in self._listed if li.namespace is not None}
        return list(found.values())

    def watch(
        self,
        state: ClusterState,
        on_update: OnUpdate | None = None,
        lock: threading.RLock | None = None,
    ) -> StateWatcher:
        """Start watching every collection `load()` listed; stop the returned watcher when done."""
        watcher = StateWatcher(self.conn, state, self._listed, lock, on_update)
        watcher.start()
        return watcher

    # --- drill-down ---------------------------------------------------------------------------
    def logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        tail: int | None = None,
        previous: bool = False,
        since_seconds: int | None = None,
    ) -> str:
        """A container's log (the last `tail` lines, the previous instance, or a recent window)."""
        query = _log_query(container, tail, previous, since_seconds)
        try:
            data = get_bytes(
                self.conn, self.conn.client(), _log_path(namespace, pod), query, "text/plain"
            )
        except Exception as e:
            raise self._drill_error(e, f"pod {namespace}/{pod}", "reading logs") from e
        return data.decode("utf-8", "replace")

    def follow_logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        tail: int | None = None,
        since_seconds: int | None = None,
    ) -> LogFollow:
        """Follow a container's log; iterate the result for lines, close it to stop."""
        query = [*_log_query(container, tail, False, since_seconds), ("follow", "true")]
        try:
            resp = open_stream(
                self.conn, self.conn.client(), _log_path(namespace, pod), query, None, "text/plain"
            )
        except Exception as e:
            raise self._drill_error(e, f"pod {namespace}/{pod}", "following logs") from e
        return LogFollow(resp)

    def events_for(self, kind: str, namespace: str, name: str) -> list[Event]:
        """Events about one object, oldest first (asked of the server, not the cached state)."""
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        try:
            data = get_bytes(
                self.conn, self.conn.client(), EVENTS.path(namespace), [("fieldSelector", selector)]
            )
        except Exception as e:
            raise self._drill_error(e, f"{kind} {namespace}/{name}", "reading events") from e
        events = [e for e in decode_page(data, EVENTS).objects if isinstance(e, Event)]
        return sorted(events, key=lambda e: e.when())

    def _drill_error(self, exc: Exception, what: str, doing: str) -> KexploreError:
        """The user-facing error for a failed drill-down fetch (re-raises non-API errors)."""
        if not is_api_failure(exc):
            raise exc
        if isinstance(exc, HttpFailure) and exc.status == 404:
            return NotFoundError(f"{what} no longer exists", "refresh the view")
        if isinstance(exc, HttpFailure) and exc.status == 400:
            return SourceError(f"{what}: {exc.message}", "pick a container or another pod")
        return explain(exc, self.conn, doing)


class LiveSession:
    """A live source loaded, then watched, handing the UI consistent copies of the state.

    `load()` first (build the UI on its result), then `watch(on_change)`: `on_change` gets a
    fresh copy after changes, at most once per `min_interval` seconds (bursts of events are
    coalesced), on the session's own thread. `stop()` at the end.
    """

    def __init__(self, source: LiveSource, min_interval: float = 1.0) -> None:
        self.source = source
        self._min_interval = min_interval
        self._state = ClusterState()
        self._on_change: Callable[[ClusterState], None] | None = None
        self._watcher: StateWatcher | None = None
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._deliver, name="live-session", daemon=True)
        self._seen: dict[tuple[str, str | None], int] = {}
        self._lock = threading.RLock()  # shared by every watcher of this session

    def load(self, observer: LoadObserver | None = None) -> ClusterState:
        """List everything; returns a copy the caller owns."""
        self._state = self.source.load(observer)
        return copy_state(self._state, threading.RLock())

    def watch(self, on_change: Callable[[ClusterState], None]) -> None:
        """Keep the state current and report changes to `on_change`."""
        self._on_change = on_change
        self._watcher = self.source.watch(self._state, self._heard, self._lock)
        self._thread.start()

    def switch_context(
        self, context: str, on_error: Callable[[KexploreError], None] | None = None
    ) -> threading.Thread:
        """Load `context` in the background; on success its data replaces this one's (through
        `on_change`) and is watched instead. On failure `on_error` gets the error and the
        current context stays."""
        thread = threading.Thread(
            target=self._switch, args=(context, on_error), name="live-switch", daemon=True
        )
        thread.start()
        return thread

    def _switch(self, context: str, on_error: Callable[[KexploreError], None] | None) -> None:
        old = self.source
        try:
            source = LiveSource(context, None, old.kubeconfig, old.namespaces, old.conn.timeouts)
            state = source.load()
        except KexploreError as e:
            if on_error is not None:
                on_error(e)
            return
        if self._stop.is_set():
            return
        previous = self._watcher
        with self._lock:
            self._seen.clear()
            self.source, self._state = source, state
        if self._on_change is not None:
            self._watcher = source.watch(state, self._heard, self._lock)
        if previous is not None:
            previous.stop()
        self._dirty.set()

    def open_namespace(self, namespace: str) -> threading.Thread:
        """Read one more namespace in the background (the user opened it while cluster-wide
        lists are forbidden), then watch it; `on_change` gets the state with it, or with it
        marked unreadable."""
        thread = threading.Thread(
            target=self._open, args=(namespace,), name="live-namespace", daemon=True
        )
        thread.start()
        return thread

    def _open(self, namespace: str) -> None:
        source = self.source
        results = read_namespace(source.conn, source.namespace_targets(), namespace)
        listed = [li for r in results for li in r.listed]
        with self._lock:
            if source is not self.source:
                return  # the context was switched meanwhile
            apply_namespace(self._state, results, namespace)
        if self._watcher is not None:
            self._watcher.add(listed)
        self._dirty.set()

    def changes(self) -> ChangeLog | None:
        """What the watch heard change (None before it starts); a context switch starts anew."""
        return self._watcher.changes if self._watcher is not None else None

    def freshness(self) -> str:
        """How current the data is, for the header (`live, updated 2s ago`)."""
        fresh = self._watcher.freshness() if self._watcher else []
        return freshness_text(fresh, time.time())

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        if self._watcher is not None:
            self._watcher.stop()
        if self._thread.is_alive():
            self._thread.join(5)

    def _heard(self, fresh: Freshness) -> None:
        key = (fresh.key, fresh.namespace)
        if fresh.changes != self._seen.get(key, 0) or fresh.detail == "listed again":
            self._seen[key] = fresh.changes
            self._dirty.set()

    def _deliver(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set() or self._on_change is None:
                return
            self._dirty.clear()
            copy = copy_state(self._state, self._lock)
            copy.meta.time = now_rfc3339()  # "recent" is judged against the data's time
            self._on_change(copy)
            self._stop.wait(self._min_interval)


def _log_path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/log"


def _log_query(
    container: str | None, tail: int | None, previous: bool, since_seconds: int | None
) -> Query:
    query: list[tuple[str, str | int]] = []
    if container:
        query.append(("container", container))
    if tail is not None:
        query.append(("tailLines", tail))
    if previous:
        query.append(("previous", "true"))
    if since_seconds is not None:
        query.append(("sinceSeconds", since_seconds))
    return query


def load_live(
    context: str | None = None,
    namespace: str | None = None,
    kubeconfig: str | None = None,
    namespaces: Sequence[str] = (),
    in_play: Sequence[str] = (),
) -> ClusterState:
    """Load a live cluster the way kubectl resolves it (the CLI's entry point); `in_play`
    namespaces are read one by one where a cluster-wide list is forbidden."""
    return LiveSource(context, namespace, kubeconfig, namespaces, in_play=in_play).load()
