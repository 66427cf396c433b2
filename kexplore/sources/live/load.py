"""Loading a live cluster: which kinds, in which scopes the user may read, lists in parallel."""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from kexplore.model.base import K8s, OpaqueObject
from kexplore.model.compact import Interner
from kexplore.model.kinds import REGISTRY, DecodeProblem, EventsV1, decode_object, kind_info
from kexplore.model.list_stream import ListStream
from kexplore.model.state import LIVE, ClusterState, SourceMeta
from kexplore.sources.live.access import Rules, can, rules_in
from kexplore.sources.live.client import (
    Connection,
    HttpFailure,
    explain,
    is_api_failure,
    open_stream,
    with_retries,
)
from kexplore.sources.live.discovery import Discovery, ServedResource, discover
from kexplore.sources.progress import LoadProgress

PAGE_SIZE = 500
STREAM_CHUNK = 1 << 18  # bytes read from a list's body between two decoding steps
# (items, bytes) read so far of one list page, and its size when the server said it
Report = Callable[[int, int, int | None], None]
FREEZE_AT = 10_000
M_ARENA_MAX = -8  # glibc's mallopt parameter
MALLOC_ARENAS = 2
T = TypeVar("T", bound=K8s)
# Structs kinds.py post-processes after decoding (kind filled in, events converted).
NEEDS_FINISH: tuple[type[K8s], ...] = (EventsV1, OpaqueObject)
# Secrets: ask for metadata only, so their values never cross the wire.
SECRET_ACCEPT = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
SECRET_WATCH_ACCEPT = (
    "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json"
)


class ObjectSink(Protocol):
    """Where one kind's objects go as they are decoded, instead of into memory (`kexplore
    snapshot` writes them to disk): `mark()` says how much was written, `rewind(mark)`
    drops what came after it (a page read again after a failure, a list restarted)."""

    def add(self, obj: K8s) -> None: ...

    def mark(self) -> int: ...

    def rewind(self, mark: int) -> None: ...


@dataclass(frozen=True)
class Target:
    """One kind to load: its ClusterState key and where the server serves it."""

    key: str
    res: ServedResource

    @property
    def accept(self) -> str:
        """The Accept header of a list (Secrets: metadata only)."""
        return SECRET_ACCEPT if self.key == "Secret" else "application/json"

    @property
    def watch_accept(self) -> str:
        """The Accept header of a watch (Secrets: each event's object as metadata only)."""
        return SECRET_WATCH_ACCEPT if self.key == "Secret" else "application/json"


@dataclass(frozen=True)
class Listed:
    """A collection that was listed (one namespace, or all), and the resourceVersion it had."""

    target: Target
    namespace: str | None
    resource_version: str


@dataclass
class Page:
    """A decoded list page."""

    objects: list[K8s]
    problems: list[str]
    resource_version: str
    continue_token: str
    size: int = 0  # bytes of its body


@dataclass
class KindResult:
    """What loading one kind produced."""

    target: Target
    objects: list[K8s] = field(default_factory=list)
    listed: list[Listed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unreadable: str = ""
    error: BaseException | None = None
    # for a kind read namespace by namespace: where it was read, and where it was forbidden
    read_in: list[str] | None = None
    forbidden_in: dict[str, str] = field(default_factory=dict)


class _ListMeta(msgspec.Struct, frozen=True, rename="camel"):
    resource_version: str = ""
    continue_: str = msgspec.field(default="", name="continue")


class _RawPage(msgspec.Struct):
    metadata: _ListMeta = _ListMeta()
    items: list[msgspec.Raw] | None = None


def wanted_groups() -> set[str]:
    return {group for group, _ in REGISTRY}


def targets_for(disc: Discovery) -> list[Target]:
    """Registered kinds the server serves, one per ClusterState key (registry order wins)."""
    out: list[Target] = []
    taken: set[str] = set()
    for (group, kind), info in REGISTRY.items():
        res = disc.find(group, kind)
        if res is None or "list" not in res.verbs or info.key in taken:
            continue
        taken.add(info.key)
        out.append(Target(info.key, res))
    return out


class _TypedPage(msgspec.Struct, Generic[T]):
    metadata: _ListMeta = _ListMeta()
    items: list[T] | None = None


_TYPED: dict[type[K8s], msgspec.json.Decoder[Any]] = {}


def _typed_page(data: bytes, res: ServedResource) -> Page | None:
    """One typed pass over a page (the fast path); None when an item needs the slow path."""
    info = kind_info(res.api_version, res.kind)
    if info is None or issubclass(info.struct, NEEDS_FINISH):
        return None
    decoder = _TYPED.get(info.struct)
    if decoder is None:
        decoder = _TYPED[info.struct] = msgspec.json.Decoder(_TypedPage[info.struct])  # type: ignore[name-defined]
    try:
        typed = decoder.decode(data)
    except msgspec.DecodeError:  # also ValidationError: some item is broken
        return None
    meta = typed.metadata
    return Page(list(typed.items or []), [], meta.resource_version, meta.continue_)


def decode_page(data: bytes, res: ServedResource) -> Page:
    """A raw list page as model objects; undecodable items become problems, not failures."""
    fast = _typed_page(data, res)
    if fast is not None:
        return fast
    raw = msgspec.json.decode(data, type=_RawPage)
    page = Page([], [], raw.metadata.resource_version, raw.metadata.continue_)
    for index, item in enumerate(raw.items or []):
        try:
            obj = decode_object(item, res.api_version, res.kind)
        except DecodeProblem as e:
            page.problems.append(f"{res.full_name} item {index} skipped: {e}")
            continue
        if obj is not None:
            page.objects.append(obj)
    return page


def _fetch(
    conn: Connection,
    api: Any,
    target: Target,
    path: str,
    token: str,
    report: Report,
    interner: Interner | None,
    sink: ObjectSink | None = None,
) -> Page:
    """One list page, decoded item by item as its body arrives (the body is never held
    whole: a `resourceVersion=0` list is the whole collection in one body)."""
    paging: tuple[str, str] = ("continue", token) if token else ("resourceVersion", "0")
    query: list[tuple[str, str | int]] = [("limit", PAGE_SIZE), paging]
    mark = sink.mark() if sink is not None else 0

    def attempt() -> Page:
        if sink is not None:
            sink.rewind(mark)  # what a failed attempt wrote
        resp = open_stream(conn, api, path, query, conn.timeouts.read, target.accept)
        try:
            return _stream_page(resp, target.res, report, interner, sink)
        finally:
            resp.release_conn()

    page: Page = with_retries(conn, attempt)
    return page


def _stream_page(
    resp: Any,
    res: ServedResource,
    report: Report,
    interner: Interner | None,
    sink: ObjectSink | None,
) -> Page:
    length = resp.headers.get("Content-Length")
    total = int(length) if length and str(length).isdigit() else None
    add = sink.add if sink is not None else None
    stream = ListStream(res.api_version, res.kind, override=True, interner=interner, sink=add)
    size = 0
    for chunk in resp.stream(STREAM_CHUNK, decode_content=True):
        stream.feed(chunk)
        size += len(chunk)
        report(stream.count, size, total)
    try:
        page = stream.close()
    except DecodeProblem as e:
        raise msgspec.DecodeError(str(e)) from e
    problems = [f"{res.full_name} item {i} skipped: {p}" for i, p in page.problems]
    return Page(page.objects, problems, page.resource_version, page.continue_token, size)


def _after(report: Report, items: int, size: int) -> Report:
    """`report` counting from `items` and `size` already read (earlier pages or scopes)."""
    return lambda more, read, total: report(items + more, size + read, total)


def _pages(
    conn: Connection,
    api: Any,
    target: Target,
    path: str,
    report: Report,
    interner: Interner | None,
    sink: ObjectSink | None,
) -> tuple[list[K8s], str, list[str]] | None:
    """One pass over the pages, each decoded as it arrives.

    None when the continue token expired (410) and the list must start again.
    """
    objects: list[K8s] = []
    problems: list[str] = []
    token, size = "", 0
    while True:
        try:
            report_page = _after(report, len(objects), size)
            page = _fetch(conn, api, target, path, token, report_page, interner, sink)
        except HttpFailure as e:
            if e.status == 410 and token:
                return None
            raise
        objects += page.objects
        problems += page.problems
        size += page.size
        token = page.continue_token
        if not token:
            return objects, page.resource_version, problems


def list_scope(
    conn: Connection,
    api: Any,
    target: Target,
    namespace: str | None,
    report: Report = lambda items, size, total: None,
    interner: Interner | None = None,
    sink: ObjectSink | None = None,
) -> tuple[list[K8s], str, list[str]]:
    """Every object of a collection, page by page; an expired continue token restarts it.
    `interner`: shares the strings of every list of one load; `sink`: takes the objects
    instead of the returned list."""
    path = target.res.path(namespace)
    mark = sink.mark() if sink is not None else 0
    for _restart in range(3):
        if sink is not None:
            sink.rewind(mark)
        listed = _pages(conn, api, target, path, report, interner, sink)
        if listed is not None:
            return listed
    raise HttpFailure(410, "Expired", f"listing {target.res.full_name} kept expiring while paging")


class RulesMemo:
    """One SelfSubjectRulesReview per namespace, shared by the threads loading kinds."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._rules: dict[str, Rules | None] = {}

    def get(self, api: Any, namespace: str) -> Rules | None:
        with self._lock:
            if namespace not in self._rules:
                self._rules[namespace] = rules_in(self._conn, api, namespace)
            return self._rules[namespace]


def forbidden_in(res: ServedResource, namespace: str | None) -> str:
    """Why a collection was not read: the verb and resource, as `kubectl auth can-i` asks."""
    where = f"in namespace {namespace}" if namespace else "in all namespaces"
    if not res.namespaced:
        where = "(cluster-scoped)"
    return f"forbidden: cannot list {res.full_name} {where}"


def in_play(namespaces: Sequence[str], context_namespace: str) -> list[str]:
    """The namespaces to read one by one when a cluster-wide list is forbidden (DESIGN §9)."""
    return list(dict.fromkeys([*namespaces, context_namespace]))


def load_kind(
    conn: Connection,
    target: Target,
    namespaces: Sequence[str],
    memo: RulesMemo,
    observer: LoadObserver | None = None,
    fallback: Sequence[str] = (),
) -> KindResult:
    """List one kind: cluster-wide, else (forbidden) in each namespace in play; `namespaces`
    restricts it to those. What was forbidden is recorded per namespace, never guessed."""
    api = conn.client()  # one ApiClient per thread
    result = KindResult(target)
    observer = observer or LoadObserver()
    progress = observer.progress
    reader = partial(_read, result, conn, api, observer=observer)
    try:
        _list_kind(result, conn, api, namespaces, memo, fallback, reader)
    except HttpFailure as e:
        result.objects, result.listed = [], []
        result.error = e
        result.unreadable = f"error: {explain(e, conn).message}"
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        result.unreadable = f"error: the API server's reply could not be decoded ({e})"
    except Exception as e:
        if not is_api_failure(e):
            raise
        result.objects, result.listed, result.error = [], [], e
        result.unreadable = f"error: {explain(e, conn).message}"
    progress.done(target.key, len(result.objects))
    return result


def _list_kind(
    result: KindResult,
    conn: Connection,
    api: Any,
    namespaces: Sequence[str],
    memo: RulesMemo,
    fallback: Sequence[str],
    reader: Callable[[str | None], bool],
) -> None:
    res = result.target.res
    if not res.namespaced or not namespaces:
        if can(conn, api, "list", res, None) is not False and reader(None):
            return
        if not res.namespaced:
            result.unreadable = forbidden_in(res, None)
            return
    scopes = namespaces or in_play(fallback, conn.namespace)
    _per_namespace(result, conn, api, scopes, memo, reader)
    if not namespaces:
        _say_what_was_read(result)


def _per_namespace(
    result: KindResult,
    conn: Connection,
    api: Any,
    namespaces: Sequence[str],
    memo: RulesMemo,
    reader: Callable[[str | None], bool],
) -> None:
    """List the kind in each namespace the user may, recording where it was forbidden."""
    res = result.target.res
    result.read_in = []
    for ns in namespaces:
        rules = memo.get(api, ns)
        allowed = rules.allows("list", res) if rules else can(conn, api, "list", res, ns)
        if allowed is False or not reader(ns):
            result.forbidden_in[ns] = forbidden_in(res, ns)
        else:
            result.read_in.append(ns)


def _say_what_was_read(result: KindResult) -> None:
    """A kind read in no namespace is unreadable, naming every scope that was tried."""
    if not result.read_in:
        tried = ", ".join(result.forbidden_in)
        result.unreadable = f"{forbidden_in(result.target.res, None)}, nor in namespace {tried}"


def partial_reads(results: list[KindResult]) -> list[str]:
    """One warning per set of namespaces that kinds were read in instead of all of them."""
    by_scope: dict[tuple[str, ...], list[str]] = {}
    for r in results:
        if r.read_in and not r.unreadable:
            by_scope.setdefault(tuple(r.read_in), []).append(r.target.key)
    return [
        f"only namespace{'s' * (len(scope) > 1)} {', '.join(scope)} read for "
        f"{', '.join(kinds)} (no permission to list them in all namespaces)"
        for scope, kinds in by_scope.items()
    ]


def _read(
    result: KindResult,
    conn: Connection,
    api: Any,
    namespace: str | None,
    observer: LoadObserver,
) -> bool:
    """List one scope into the result; False when the server forbids it (403)."""
    key, progress = result.target.key, observer.progress
    report = _after(partial(progress.update, key), len(result.objects), progress.bytes_of(key))
    sink = observer.sink_for(key) if observer.sink_for is not None else None
    mark = sink.mark() if sink is not None else 0
    try:
        objects, rv, problems = list_scope(
            conn, api, result.target, namespace, report, observer.interner, sink
        )
    except HttpFailure as e:
        if sink is not None:
            sink.rewind(mark)  # a scope not read is not written either
        if e.status == 403:
            return False
        raise
    result.objects += objects
    result.listed.append(Listed(result.target, namespace, rv))
    result.warnings += problems
    return True


def read_namespace(conn: Connection, targets: Sequence[Target], namespace: str) -> list[KindResult]:
    """List kinds read namespace by namespace in one more namespace (one the user opened)."""
    memo = RulesMemo(conn)
    return [load_kind(conn, target, [namespace], memo) for target in targets]


def apply_namespace(state: ClusterState, results: list[KindResult], namespace: str) -> None:
    """Add what read_namespace found to the state, recording where it was forbidden."""
    for r in results:
        state.add_all(r.objects)
        state.warnings += [w for w in r.warnings if w not in state.warnings]
        read = state.meta.read_in.setdefault(r.target.key, [])
        if r.read_in and namespace not in read:
            read.append(namespace)
        reason = r.forbidden_in.get(namespace) or r.unreadable
        if reason:
            state.meta.forbidden_in.setdefault(r.target.key, {})[namespace] = reason


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _load_all(
    conn: Connection,
    targets: list[Target],
    namespaces: Sequence[str],
    memo: RulesMemo,
    workers: int,
    observer: LoadObserver,
    fallback: Sequence[str] = (),
) -> list[KindResult]:
    """Load every target in parallel, with the cyclic GC paused (as the snapshot reader does)."""

    def load(target: Target) -> KindResult:
        result = load_kind(conn, target, namespaces, memo, observer, fallback)
        if observer.on_kind is not None:
            observer.on_kind(result)
        return result

    limit_malloc_arenas()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # decoding allocates many acyclic containers: GC passes only cost
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets)))) as pool:
            results = list(pool.map(load, targets))
        if sum(len(r.objects) for r in results) >= FREEZE_AT:
            gc.freeze()  # long-lived: keep the GC from walking them again and again
    finally:
        if gc_was_enabled:
            gc.enable()
    return results


def limit_malloc_arenas() -> bool:
    """Let the loading threads share MALLOC_ARENAS malloc arenas (glibc; elsewhere nothing
    happens): each thread would get an arena of its own, each keeping the memory its
    thread freed (the chunks of a big list), which adds some 20 MB to the peak at W2.
    True when the limit was set."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, MALLOC_ARENAS))


@dataclass
class LoadObserver:
    """Who watches a load: its progress, and `on_kind(result)` as each kind is read (on the
    loading threads; e.g. to show the namespaces before the pods are in)."""

    progress: LoadProgress = field(default_factory=LoadProgress)
    on_kind: Callable[[KindResult], None] | None = None
    interner: Interner | None = field(default_factory=Interner)  # the load's shared strings
    # where each kind's objects go instead of into the state (by ClusterState key)
    sink_for: Callable[[str], ObjectSink] | None = None


def load_state(
    conn: Connection,
    namespaces: Sequence[str] = (),
    workers: int = 12,
    observer: LoadObserver | None = None,
    fallback: Sequence[str] = (),
) -> tuple[ClusterState, list[Listed]]:
    """Discover, then load every served kind in parallel into a new ClusterState.

    `namespaces` restricts the namespaced kinds to those; otherwise a kind the user may not
    list cluster-wide is listed in the `fallback` namespaces and the context's namespace.
    """
    observer = observer or LoadObserver()
    try:
        disc = discover(conn, wanted_groups())
    except Exception as e:
        if not is_api_failure(e):
            raise
        raise explain(e, conn, "reading API discovery") from e
    targets = targets_for(disc)
    memo = RulesMemo(conn)
    results = _load_all(conn, targets, namespaces, memo, workers, observer, fallback)
    errors = [r.error for r in results if r.error is not None]
    if results and len(errors) == len(results) and errors[0] is not None:
        raise explain(errors[0], conn, "listing objects") from errors[0]
    meta = SourceMeta(
        source="live",
        origin=LIVE,
        namespace=conn.namespace,
        context=conn.context,
        server_version=disc.server_version,
        time=now_rfc3339(),
    )
    state = ClusterState(meta)
    state.warnings += disc.problems
    if not namespaces:
        state.warnings += partial_reads(results)
    if not conn.configuration.verify_ssl:
        state.warnings.append(
            f"context {conn.context!r} skips TLS verification (insecure-skip-tls-verify): "
            "the API server's identity is not checked"
        )
    listed: list[Listed] = []
    for r in results:
        state.add_all(r.objects)
        state.warnings += r.warnings
        listed += r.listed
        if r.unreadable:
            state.meta.unreadable[r.target.key] = r.unreadable
        elif r.read_in is not None:
            state.meta.read_in[r.target.key] = r.read_in
            if r.forbidden_in:
                state.meta.forbidden_in[r.target.key] = r.forbidden_in
    return state, listed
