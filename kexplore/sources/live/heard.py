"""A watch event as a recorded change: its managedFields' newest entry and the fields it changed."""

from __future__ import annotations

import msgspec

from kexplore.model.base import K8s
from kexplore.model.changes import Change, Manager, summarize
from kexplore.model.compare import object_fields
from kexplore.model.state import meta_of, store_key

TYPES = {"ADDED": "added", "MODIFIED": "modified", "DELETED": "deleted"}


class _Entry(msgspec.Struct, frozen=True, rename="camel"):
    manager: str = ""
    operation: str = ""
    time: str = ""
    subresource: str = ""


class _Meta(msgspec.Struct, frozen=True, rename="camel"):
    managed_fields: tuple[_Entry, ...] = ()


class _Managed(msgspec.Struct, frozen=True):
    metadata: _Meta = _Meta()


def newest_manager(raw: msgspec.Raw | bytes) -> Manager | None:
    """The managedFields entry with the latest time (the last writer), if the object has any."""
    try:
        entries = msgspec.json.decode(raw, type=_Managed).metadata.managed_fields
    except msgspec.DecodeError:
        return None
    if not entries:
        return None
    newest = max(enumerate(entries), key=lambda pair: (pair[1].time, pair[0]))[1]
    return Manager(newest.manager, newest.operation, newest.time, newest.subresource)


def change_of(
    event_type: str, raw: msgspec.Raw | bytes, old: K8s | None, new: K8s, at: float
) -> Change:
    """The change one event made: for a modification, the fields kexplore reads (status
    included) that differ from the version held before it."""
    meta = meta_of(new)
    fields: list[str] = []
    if event_type == "MODIFIED" and old is not None:
        fields = [f.text() for f in object_fields(old, new, status=True)]
    texts, more = summarize(fields)
    return Change(
        at,
        store_key(new),
        meta.namespace,
        meta.name,
        TYPES.get(event_type, event_type.lower()),
        meta.resource_version,
        newest_manager(raw),
        texts,
        more,
    )
