"""Decoding a List document item by item as its bytes arrive, never holding the whole body.

An API server answers a `resourceVersion=0` list from its watch cache in one body (240 MB
of pods at 20,000 pods); holding that body and its decoded objects at once doubles the
peak. `ListStream` keeps only the bytes of the item being received: each item is decoded
as soon as it is complete. Item boundaries are found by msgspec's own JSON scanner
(decoding to `Raw`, which reports where a value ends), so strings holding braces or
brackets cannot mislead it. A document that is not a List of objects is kept whole and
decoded by `decode_list` at the end, so the result is always `decode_list`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec

from kexplore.model.base import K8s, TypeMeta
from kexplore.model.compact import Interner
from kexplore.model.kinds import (
    DecodeProblem,
    ListPage,
    decode_list,
    decode_object,
    item_kind_of_list,
)

_ITEMS = re.compile(rb'"items"\s*:\s*\[')
_SPACE = b" \t\r\n"
_TRAILING = re.compile(r"trailing characters \(byte (\d+)\)")
_RUN = msgspec.json.Decoder(list[msgspec.Raw])
_KEY = re.compile(rb'\{"[^"\\]{1,64}":')  # a compact item's opening: `{"metadata":`
_TRIES = 3  # candidate ends tried, last first, before items are split one by one
HEAD_LIMIT = 1 << 20  # bytes before `"items": [` after which the document is kept whole


class _Head(msgspec.Struct, rename="camel"):
    api_version: str = ""
    kind: str = ""
    metadata: dict[str, object] = {}
    items: list[msgspec.Raw] = []


class ListStream:
    """Feed a List's bytes in chunks (`feed`), then `close()` for the decoded page.

    `api_version`/`kind` name the items' type when the List does not (as `decode_list`'s
    do); with `override` they name it whatever the List says (a live list whose kind the
    discovery gave, e.g. Secrets read as PartialObjectMetadataList). `objects` and `count`
    (items seen) grow as items complete, for progress. With an `interner`, each object's
    strings are shared with the other objects it has seen. With a `sink`, each object is
    handed to it as decoded instead of being kept (the page's `objects` stay empty).
    """

    def __init__(
        self,
        api_version: str = "",
        kind: str = "",
        *,
        override: bool = False,
        interner: Interner | None = None,
        sink: Callable[[K8s], None] | None = None,
    ) -> None:
        self.objects: list[K8s] = []
        self.count = 0
        self._api_version, self._kind = api_version, kind
        self._problems: list[tuple[int, str]] = []
        self._pending: list[tuple[int, bytes]] = []  # items whose kind the List names later
        self._buf = bytearray()
        self._retry_at = 0  # buffer size at which an incomplete item is scanned again
        self._stage = "head"  # head → items → tail; "whole" keeps the document whole
        self._lead = False  # the buffer starts with a byte already read (`[` or `,`)
        self._head = _Head()
        self._override = override
        self._interner = interner
        self._sink = sink

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes; every item they complete is decoded at once."""
        self._buf += chunk
        if len(self._buf) < self._retry_at:
            return
        if self._stage == "head":
            self._find_items()
        if self._stage == "items":
            self._take_items()
        # Scanned in vain: wait for the buffer to double (tiny chunks stay linear).
        self._retry_at = 2 * len(self._buf) if self._stage in ("head", "items") else 0

    def close(self) -> ListPage:
        """The decoded page; DecodeProblem when the document is not valid JSON."""
        self._retry_at = 0
        self.feed(b"")
        if self._stage != "tail":
            return self._whole()
        try:
            tail = msgspec.json.decode(b'{"items":[]' + bytes(self._buf), type=_Head)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise DecodeProblem(str(e)) from e
        head = self._head
        meta = {**head.metadata, **tail.metadata}
        if self._pending:
            self._finish_pending(tail.api_version or head.api_version, tail.kind or head.kind)
        page = ListPage(self.objects, self._problems, str(meta.get("resourceVersion") or ""))
        page.continue_token = str(meta.get("continue") or "")
        return page

    def _whole(self) -> ListPage:
        """The document was not a List this stream can split: decode it in one piece."""
        data = bytes(self._buf)
        self._buf.clear()
        return decode_list(data, self._api_version, self._kind)

    def _find_items(self) -> None:
        match = _ITEMS.search(self._buf)
        if match is None:
            stripped = self._buf.lstrip(_SPACE)
            if len(self._buf) > HEAD_LIMIT or (stripped and stripped[:1] != b"{"):
                self._stage = "whole"
            return
        try:
            self._head = msgspec.json.decode(bytes(self._buf[: match.end()]) + b"]}", type=_Head)
        except (msgspec.DecodeError, msgspec.ValidationError):
            self._stage = "whole"  # `"items": [` inside something else: not the List's own
            return
        if not self._override:
            self._api_version = self._head.api_version or self._api_version
            self._kind = item_kind_of_list(self._head.kind) or self._kind
        del self._buf[: match.end() - 1]  # the `[` stays: a run of items is decoded in place
        self._stage, self._lead = "items", True

    def _take_items(self) -> None:
        buf, pos, fast = self._buf, int(self._lead), True
        with memoryview(buf) as view:
            while True:
                while pos < len(buf) and buf[pos] in _SPACE:
                    pos += 1
                if pos == len(buf):
                    break
                if buf[pos] == ord("]"):
                    self._stage, pos = "tail", pos + 1
                    break
                if buf[pos] == ord(",") and self.count:
                    pos += 1
                    continue
                end = self._take_run(buf, view, pos) if fast else -1
                fast = end > 0
                if fast:
                    pos = end
                    continue
                end = _value_end(view, pos)
                if end < 0:
                    break
                self._item(view[pos:end])
                pos = end
        # The byte before the next item stays: the `[` of a run decoded in place goes there.
        self._lead = self._stage == "items" and pos > 0
        del buf[: pos - self._lead]

    def _take_run(self, buf: bytearray, view: memoryview, start: int) -> int:
        """Decode the complete items from `start` up to the last place where one ends and
        the next opens as the first did (`},{"metadata":` in an API server's compact List)
        in one call, as `[...]` written over the bytes around them (item by item costs an
        exception each). A candidate inside a string or a nested object leaves the brackets
        unbalanced, so the decode refuses it and an earlier one is tried. Where the run
        ends; -1 when no candidate holds (or no byte before `start` can hold the `[`)."""
        opening = _KEY.match(buf, start)
        if opening is None or start == 0:
            return -1  # indented (kubectl) Lists: whitespace between items, one by one
        between, cut, before = b"}," + opening.group(), len(buf), buf[start - 1]
        for _ in range(_TRIES):
            cut = buf.rfind(between, start, cut)
            if cut < 0:
                break
            buf[start - 1], buf[cut + 1] = ord("["), ord("]")
            try:
                items = _RUN.decode(view[start - 1 : cut + 2])
            except msgspec.DecodeError:
                continue
            finally:
                buf[start - 1], buf[cut + 1] = before, ord(",")
            for raw in items:
                self._item(memoryview(raw))
            return cut + 1
        return -1

    def _item(self, data: memoryview) -> None:
        index, self.count = self.count, self.count + 1
        api_version, kind = self._api_version, self._kind
        if not kind:
            try:
                head = msgspec.json.decode(data, type=TypeMeta)
            except (msgspec.DecodeError, msgspec.ValidationError) as e:
                self._problems.append((index, str(e)))
                return
            if not head.kind:
                self._pending.append((index, bytes(data)))
                return
        self._decode(index, data, api_version, kind)

    def _decode(self, index: int, data: bytes | memoryview, api_version: str, kind: str) -> None:
        try:
            obj = decode_object(data, api_version, kind)  # type: ignore[arg-type]
        except DecodeProblem as e:
            self._problems.append((index, str(e)))
            return
        if obj is None:
            return
        if self._sink is not None:
            self._sink(obj)
            return
        if self._interner is not None:
            self._interner.compact(obj)
        self.objects.append(obj)

    def _finish_pending(self, api_version: str, list_kind: str) -> None:
        """Items without a kind of a List that names its own kind after them (sorted keys)."""
        kind = item_kind_of_list(list_kind)
        for index, data in self._pending:
            self._decode(index, data, api_version, kind)
        self._pending.clear()
        self._problems.sort()


def _value_end(view: memoryview, start: int) -> int:
    """Where the JSON value starting at `start` ends; -1 when its bytes are not all here."""
    try:
        msgspec.json.decode(view[start:], type=msgspec.Raw)
    except msgspec.DecodeError as e:
        text = str(e)
        found = _TRAILING.search(text)
        if found is not None:
            return start + int(found.group(1)) - 1  # msgspec names the byte after the value
        if "truncated" in text:
            return -1
        raise DecodeProblem(text) from e
    return len(view)
