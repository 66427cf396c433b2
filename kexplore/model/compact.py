"""Sharing the strings a big cluster repeats (namespaces, label keys and values, node names,
images, condition types, env names): decoded objects get one copy of each.

msgspec makes a new str for every occurrence, so 20,000 pods hold 20,000 copies of the
same label keys; interning them in place halves a pod's memory. Only the objects of one
load share an `Interner` (dropped after it), so nothing lives longer than the data.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec.structs import force_setattr


class Interner:
    """One copy of each string seen, for the objects of one load."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def string(self, value: str) -> str:
        return self._seen.setdefault(value, value)

    def compact(self, obj: msgspec.Struct) -> None:
        """Replace every string in `obj` (and the Structs, lists, tuples and dicts in it) by
        its shared copy, in place; values and equality are unchanged."""
        for name in obj.__struct_fields__:
            value = getattr(obj, name)
            if not value:
                continue
            kind = type(value)
            if kind is str:
                force_setattr(obj, name, self.string(value))
            elif kind is dict:
                force_setattr(obj, name, self._dict(value))
            elif kind is list or kind is tuple:
                items = [self._item(v) for v in value]
                force_setattr(obj, name, items if kind is list else tuple(items))
            elif isinstance(value, msgspec.Struct):
                self.compact(value)

    def _dict(self, value: dict[Any, Any]) -> dict[Any, Any]:
        seen = self._seen
        return {
            (seen.setdefault(k, k) if type(k) is str else k): (
                seen.setdefault(v, v) if type(v) is str else v
            )
            for k, v in value.items()
        }

    def _item(self, value: Any) -> Any:
        if type(value) is str:
            return self.string(value)
        if isinstance(value, msgspec.Struct):
            self.compact(value)
        return value
