"""Comparing two versions of an object field by field (`kexplore diff`, the live change log)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from kexplore.model.base import K8s

_NOISE = ("uid", "resourceVersion", "creationTimestamp", "ownerReferences", "deletionTimestamp")


@dataclass(frozen=True)
class FieldChange:
    """One field: `spec.selector.tier: backnd → backend` (None: absent)."""

    path: str
    before: Any
    after: Any

    def text(self) -> str:
        def show(value: Any) -> str:
            if value is None:
                return "(absent)"
            if isinstance(value, dict | list):
                return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)
            return str(value)

        return f"{self.path}: {show(self.before)} → {show(self.after)}"


def raw_of(obj: K8s) -> dict[str, Any]:
    """The object as a JSON-like dict of the fields kexplore reads (camelCase)."""
    raw = msgspec.json.decode(msgspec.json.encode(obj))  # plain dicts and lists, no tuples
    assert isinstance(raw, dict)
    return raw


def display(raw: dict[str, Any] | None, status: bool = False) -> dict[str, Any]:
    """An object as compared: empty and bookkeeping fields left out, status too unless asked."""
    if raw is None:
        return {}
    shown: dict[str, Any] = drop_empty({k: v for k, v in raw.items() if status or k != "status"})
    meta = shown.get("metadata")
    if isinstance(meta, dict):
        shown["metadata"] = {k: v for k, v in meta.items() if k not in _NOISE}
    return shown


def drop_empty(value: Any) -> Any:
    """Dicts and lists without their empty entries (None, [], {}, "")."""
    if isinstance(value, dict):
        return {k: drop_empty(v) for k, v in value.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [drop_empty(v) for v in value]
    return value


def field_changes(old: Any, new: Any, path: str = "") -> Iterator[FieldChange]:
    """Leaf changes; list items by index (an item added or removed at the end as a whole)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in list(old) + [k for k in new if k not in old]:
            yield from field_changes(old.get(k), new.get(k), f"{path}.{k}" if path else str(k))
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            x = old[i] if i < len(old) else None
            y = new[i] if i < len(new) else None
            yield from field_changes(x, y, f"{path}[{i}]")
    elif old != new:
        yield FieldChange(path, old, new)


def object_fields(old: K8s, new: K8s, status: bool = False) -> list[FieldChange]:
    """The fields kexplore reads that differ between two versions of an object, in the order
    a walk of the whole objects gives; only the top-level parts that differ are walked (a
    label change on a pod does not convert its spec and status)."""
    if type(old) is not type(new):
        return list(field_changes(display(raw_of(old), status), display(raw_of(new), status)))
    first: list[FieldChange] = []
    then: list[FieldChange] = []  # parts empty before: a walk of the whole meets them last
    kind = type(old)
    for name, wire in zip(kind.__struct_fields__, kind.__struct_encode_fields__, strict=True):
        a, b = getattr(old, name), getattr(new, name)
        if a == b or (wire == "status" and not status):
            continue
        x, y = _part(wire, a), _part(wire, b)
        (first if x is not None else then).extend(field_changes(x, y, wire))
    return first + then


def _part(name: str, value: Any) -> Any:
    """One top-level part as display() shows it (None when display() leaves it out)."""
    shown = drop_empty(msgspec.json.decode(msgspec.json.encode(value)))
    if name == "metadata" and isinstance(shown, dict):
        shown = {k: v for k, v in shown.items() if k not in _NOISE}
    return None if shown in (None, [], {}, "") else shown
