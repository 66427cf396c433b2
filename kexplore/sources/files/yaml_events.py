"""A fast YAML document builder working on libyaml's events instead of PyYAML's nodes.

PyYAML builds a node tree and runs a Python constructor per node, about 8× slower than
building dicts and lists straight from the parser's events. This builder handles what
Kubernetes YAML uses (plain and quoted scalars, block and flow collections) and raises
Unsupported for the rest (anchors, aliases, explicit tags, merge keys, complex keys),
for which the caller falls back to the node-based loader.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import events

_MAPPING_START, _SEQUENCE_START = events.MappingStartEvent, events.SequenceStartEvent
_COLLECTION_END = (events.MappingEndEvent, events.SequenceEndEvent)
_SKIPPED = (events.StreamStartEvent, events.DocumentStartEvent, events.DocumentEndEvent)


class Unsupported(Exception):
    """The stream uses a YAML feature this builder leaves to the node-based loader."""


class _Scalars:
    """Plain scalars resolved as YAML 1.1 (minus timestamps), memoised per stream."""

    def __init__(self, resolvers: dict[Any, list[tuple[str, Any]]]) -> None:
        self.resolvers = resolvers
        self.constructor = yaml.SafeLoader("")
        self.build = {
            "tag:yaml.org,2002:int": self.constructor.construct_yaml_int,
            "tag:yaml.org,2002:float": self.constructor.construct_yaml_float,
            "tag:yaml.org,2002:bool": self.constructor.construct_yaml_bool,
            "tag:yaml.org,2002:null": self.constructor.construct_yaml_null,
        }
        self.cache: dict[str, Any] = {}

    def plain(self, value: str) -> Any:
        """The value of a plain (unquoted) scalar."""
        try:
            return self.cache[value]
        except KeyError:
            pass
        out: Any = value if value else None
        for tag, regexp in self.resolvers.get(value[:1], ()):
            if regexp.match(value):
                build = self.build.get(tag)
                if build is None:  # merge key `<<`, value `=`
                    raise Unsupported(tag)
                out = build(yaml.ScalarNode(tag, value))
                break
        self.cache[value] = out
        return out


def _check_plain_node(event: Any) -> None:
    if event.anchor is not None or event.tag not in (None, "!"):
        raise Unsupported("anchor or tag")


class EventBuilder:
    """Builds every document of one stream; records document and `items:` entry lines."""

    def __init__(self, resolvers: dict[Any, list[tuple[str, Any]]]) -> None:
        self.scalars = _Scalars(resolvers)
        self.documents: list[tuple[Any, int, list[int]]] = []
        self.stack: list[Any] = []
        self.keys: list[Any] = []  # per open mapping: None or (pending key,)
        self.line = 0
        self.item_lines: list[int] = []

    def feed(self, event: Any) -> bool:
        """Take one event; False at the end of the stream."""
        cls = type(event)
        if cls is events.ScalarEvent:
            _check_plain_node(event)
            self._note_start(event)
            plain = not event.style and event.implicit[0]
            self._add(self.scalars.plain(event.value) if plain else event.value)
        elif cls is _MAPPING_START or cls is _SEQUENCE_START:
            _check_plain_node(event)
            self._note_start(event)
            self.stack.append({} if cls is _MAPPING_START else [])
            self.keys.append(None)
        elif cls in _COLLECTION_END:
            self.keys.pop()
            self._add(self.stack.pop())
        elif cls is events.StreamEndEvent:
            return False
        elif cls not in _SKIPPED:
            raise Unsupported(cls.__name__)  # an alias
        return True

    def _note_start(self, event: Any) -> None:
        """Remember where a document, or an entry of its top-level `items:` list, starts."""
        depth = len(self.stack)
        if depth == 0:
            self.line, self.item_lines = event.start_mark.line + 1, []
        elif depth == 2 and self.keys[0] == ("items",) and isinstance(self.stack[1], list):
            self.item_lines.append(event.start_mark.line + 1)

    def _add(self, value: Any) -> None:
        if not self.stack:
            self.documents.append((value, self.line, self.item_lines))
            return
        top = self.stack[-1]
        if type(top) is list:
            top.append(value)
            return
        pending = self.keys[-1]
        if pending is None:
            self.keys[-1] = (value,)
            return
        try:
            top[pending[0]] = value
        except TypeError as e:  # a mapping or list as a key
            raise Unsupported("complex key") from e
        self.keys[-1] = None
