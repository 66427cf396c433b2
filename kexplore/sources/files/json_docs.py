"""JSON snapshot files: single objects, `*List`s and concatenated streams, decoded from bytes."""

from __future__ import annotations

import codecs
import re
from collections import Counter
from typing import Any, Generic, TypeVar

import msgspec

from kexplore.errors import InputError
from kexplore.model.base import K8s, OpaqueObject, TypeMeta
from kexplore.model.kinds import (
    REGISTRY,
    DecodeProblem,
    EventsV1,
    KindInfo,
    decode_list,
    decode_object,
    group_of,
    item_kind_of_list,
    kind_info,
)
from kexplore.model.workloads import ReplicaSet, SlimReplicaSet
from kexplore.sources.files.collect import (
    Collector,
    controller_in,
    default_namespace,
    ident_of,
    reason_of,
)
from kexplore.sources.files.dump import LOG_START, read_log_block

T = TypeVar("T")
_BYTE_OFFSET = re.compile(r"\s*\(byte (\d+)\)")
_NON_SPACE = re.compile(rb"\S")
_TRAILING = "trailing characters"
_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
MAX_DEPTH = 500  # far below what decoding survives, far above any real object
# Structs that kinds.py post-processes after decoding: never decoded in one pass here.
_NEEDS_FINISH: tuple[type[K8s], ...] = (EventsV1, OpaqueObject)


class _Head(msgspec.Struct, rename="camel"):
    """The kind of a document and, for a List, the kind of each item."""

    api_version: str = ""
    kind: str = ""
    items: list[TypeMeta] | None = None


class _TypedList(msgspec.Struct, Generic[T], rename="camel"):
    api_version: str = ""
    kind: str = ""
    items: list[T] | None = None


class _RawItems(msgspec.Struct):
    items: list[msgspec.Raw] = []


class _StreamFound(Exception):
    """The bytes hold more than one document (a `kubectl cluster-info dump` stream)."""


_KIND_FIELD = re.compile(rb'"kind"\s*:\s*"([^"\\]*)"')
_GUESS_WINDOW = 1 << 16
# Item kind -> (group, KindInfo) for the kinds a List of which decodes in one pass.
_FAST_KINDS: dict[str, tuple[str, KindInfo]] = {}
for (_group, _kind), _info in REGISTRY.items():
    if not issubclass(_info.struct, _NEEDS_FINISH) and _info.key == _kind:
        _FAST_KINDS[_kind] = (_group, _info)

_DECODERS: dict[type[K8s], msgspec.json.Decoder[Any]] = {}


def read_json(data: bytes, where: str, collector: Collector) -> None:
    """A JSON file: one object, a List, an array of objects, or a stream of them with logs."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        try:
            _read_document(data, where, 1, collector)
        except _StreamFound:
            _read_stream(data, where, collector)
    except RecursionError as e:
        raise too_deep(where, data) from e


def too_deep(where: str, data: bytes) -> InputError:
    """An InputError naming the line where the nesting passes MAX_DEPTH levels."""
    depth, offset = 0, 0
    for match in _NESTING.finditer(data):
        token = match.group()
        depth += 1 if token in (b"[", b"{") else -1 if token in (b"]", b"}") else 0
        if depth > MAX_DEPTH:
            offset = match.start()
            break
    line = data.count(b"\n", 0, offset) + 1
    return InputError(
        f"{where}:{line}: nested more than {MAX_DEPTH} levels deep",
        "no Kubernetes object nests this deep: is the file damaged?",
    )


def _read_document(data: bytes, where: str, line: int, collector: Collector) -> None:
    """One JSON document starting at `line` of `where`."""
    if not _read_uniform_list(data, collector):
        _read_any_document(data, where, line, collector)


def _read_uniform_list(data: bytes, collector: Collector) -> bool:
    """Decode a List of one kind in a single pass, guessing the kind from the first bytes.

    Returns False (nothing added) when the guess does not hold; the general path then
    reads the document and reports any problem.
    """
    guess = _FAST_KINDS.get(guess_item_kind(data))
    if guess is None:
        return False
    group, info = guess
    slim = info.struct is ReplicaSet
    try:
        page = _typed_decoder(SlimReplicaSet if slim else info.struct).decode(data)
    except msgspec.DecodeError:  # also ValidationError: a broken item, or not this kind
        return False
    kind = info.key
    if page.items is None or page.kind not in ("List", f"{kind}List"):
        return False
    if page.kind != "List" and group_of(page.api_version) != group:
        return False
    seen = {(obj.kind, obj.api_version) for obj in page.items}
    if any(k != kind or group_of(v) != group for k, v in seen):
        return False
    for obj in page.items:
        collector.interner.compact(obj)
    if slim:
        replica_sets = [rs.without_template() for rs in page.items]
        collector.add_of_kind(kind, info.namespaced, replica_sets)
        # The List is kept for the templates only while a controller is missing (files
        # are read in name order: deployments.json before replicasets.json).
        if not all(controller_in(collector.state, rs) for rs in replica_sets):
            collector.without_templates.append((data, replica_sets))
    else:
        collector.add_of_kind(kind, info.namespaced, page.items)
    return True


def restore_templates(collector: Collector) -> None:
    """Pod templates of the ReplicaSets read without them whose controller is not in the data.

    Only a ReplicaSet without its controller is a talker or gets a synthesized pod: the
    List it came from is decoded again, in full, and those ReplicaSets replaced.
    """
    state, store = collector.state, collector.state.objects["ReplicaSet"]
    for data, replica_sets in collector.without_templates:
        if all(controller_in(state, rs) for rs in replica_sets):
            continue
        for rs in _typed_decoder(ReplicaSet).decode(data).items:
            if not rs.metadata.namespace:
                rs = default_namespace(rs)
            if not controller_in(state, rs):
                store[(rs.namespace, rs.name)] = rs
    collector.without_templates.clear()


def guess_item_kind(data: bytes) -> str:
    """The kind of a List's items from its first `"kind"`s; "" when it is not a List.

    API pages name the `*List` kind first; kubectl writes `items` (each with its kind)
    before the List's own `kind`.
    """
    for number, match in enumerate(_KIND_FIELD.finditer(data, 0, _GUESS_WINDOW)):
        kind = match.group(1).decode("utf-8", "replace")
        if kind != "List":
            if kind.endswith("List"):
                return item_kind_of_list(kind)
            return kind if data.find(b'"items"', 0, match.start()) >= 0 else ""
        if number:
            break
    return ""


def _read_any_document(data: bytes, where: str, line: int, collector: Collector) -> None:
    """One JSON document of any shape (the general, slower path)."""
    try:
        head = msgspec.json.decode(data, type=_Head)
    except msgspec.ValidationError:
        # Not the usual shape (an array, a scalar, odd items): take the generic path.
        try:
            value = msgspec.json.decode(data)
        except msgspec.DecodeError as e:
            raise _decode_failure(data, where, line, e) from e
        collector.add_parsed(value, where, line, [])
        return
    except msgspec.DecodeError as e:
        raise _decode_failure(data, where, line, e) from e
    if head.items is not None and head.kind.endswith("List"):
        _read_list(data, head, where, line, collector)
    elif head.kind:
        _read_object(data, head, where, line, collector)


def _decode_failure(data: bytes, where: str, line: int, error: Exception) -> Exception:
    """_StreamFound when more follows a document (or a log block starts), else a syntax error."""
    if _TRAILING in str(error) or data.lstrip().startswith(LOG_START):
        return _StreamFound()
    return syntax_error(where, data, line, error)


def _read_object(data: bytes, head: _Head, where: str, line: int, collector: Collector) -> None:
    try:
        obj = decode_object(data, head.api_version, head.kind)
    except DecodeProblem as e:
        collector.skip(where, line, ident_of(msgspec.json.decode(data)), reason_of(e))
        return
    if obj is None:
        collector.ignore(head.kind)
    else:
        collector.add_all((obj,))


def _read_list(data: bytes, head: _Head, where: str, line: int, collector: Collector) -> None:
    """A List item by item: mixed kinds, kinds that need finishing, or a broken item."""
    item_kind = item_kind_of_list(head.kind)
    assert head.items is not None
    kinds = Counter((i.api_version or head.api_version, i.kind or item_kind) for i in head.items)
    for (api_version, kind), count in kinds.items():
        if kind_info(api_version, kind) is None:
            collector.ignore(kind, count)
    page = decode_list(data)
    collector.add_all(page.objects)
    if page.problems:
        _report_items(data, head, where, line, page.problems, collector)


def _typed_decoder(struct: type[K8s]) -> msgspec.json.Decoder[Any]:
    decoder = _DECODERS.get(struct)
    if decoder is None:
        decoder = _DECODERS[struct] = msgspec.json.Decoder(_TypedList[struct])  # type: ignore[valid-type]
    return decoder


def _report_items(
    data: bytes,
    head: _Head,
    where: str,
    line: int,
    problems: list[tuple[int, str]],
    collector: Collector,
) -> None:
    """A warning per broken List item, naming the line the item starts on."""
    items = msgspec.json.decode(data, type=_RawItems).items
    item_kind = item_kind_of_list(head.kind)
    for index, problem in problems:
        raw = bytes(items[index])
        offset = max(data.find(raw), 0)
        parsed = msgspec.json.decode(raw)
        ident = ident_of(parsed, head.api_version, item_kind)
        kind = ident.split(" ", 1)[0]
        reason = problem.removeprefix(f"{kind}: ")
        collector.skip(where, line + data.count(b"\n", 0, offset), ident, reason)


def _read_stream(data: bytes, where: str, collector: Collector) -> None:
    """Concatenated JSON documents, with container log blocks between them (cluster-info dump)."""
    view = memoryview(data)
    position, line, counted = 0, 1, 0
    while (match := _NON_SPACE.search(data, position)) is not None:
        start = match.start()
        line += data.count(b"\n", counted, start)
        counted = start
        if data.startswith(LOG_START, start):
            log, position = read_log_block(data, start)
            if log is not None:
                collector.state.logs.append(log)
            continue
        position = _document_end(view, start, where, line)
        _read_document(data[start:position], where, line, collector)


def _document_end(view: memoryview, start: int, where: str, line: int) -> int:
    """Where the JSON document starting at `start` ends (a cheap skipping scan)."""
    try:
        msgspec.json.decode(view[start:], type=msgspec.Raw)
    except msgspec.DecodeError as e:
        offset = _BYTE_OFFSET.search(str(e))
        if _TRAILING in str(e) and offset is not None:
            return start + int(offset.group(1)) - 1  # msgspec names the byte after it
        raise syntax_error(where, bytes(view[start:]), line, e) from e
    return len(view)


def syntax_error(where: str, data: bytes, line: int, error: Exception) -> InputError:
    """An InputError naming `where:line` of a JSON syntax error inside `data` (at `line`)."""
    text = str(error)
    offset = _BYTE_OFFSET.search(text)
    position = int(offset.group(1)) if offset else len(data.rstrip())
    at = line + data.count(b"\n", 0, position)
    message = _BYTE_OFFSET.sub("", text).removeprefix("JSON is malformed: ")
    return InputError(f"{where}:{at}: invalid JSON: {message}", "fix the JSON syntax at that line")
