"""Multi-document YAML loading that keeps timestamps as strings and records line numbers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from kexplore.errors import InputError
from kexplore.sources.files.yaml_events import EventBuilder, Unsupported

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class SnapshotLoader(_Base):  # type: ignore[misc]
    """SafeLoader (libyaml when available) without the timestamp resolver.

    Kubernetes timestamps such as `creationTimestamp: 2024-01-01T00:00:00Z` stay strings,
    as they are in the API's JSON.
    """


SnapshotLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}


@dataclass
class YamlDocument:
    """One YAML document: its data, the line it starts on and the lines of its List items."""

    data: Any
    line: int
    item_lines: list[int]


def iter_yaml_documents(data: bytes, where: str) -> Iterator[YamlDocument]:
    """Every non-empty document of a YAML stream; InputError names `where:line` on bad syntax."""
    try:
        try:
            documents = _documents_from_events(data)
        except Unsupported:
            documents = _documents_from_nodes(data)
    except yaml.YAMLError as e:
        raise InputError(
            f"{where}:{_error_line(e, data)}: invalid YAML: {_error_text(e)}",
            "fix the YAML syntax at that line",
        ) from e
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{where}:1: not readable as YAML: {e}", "save the file as UTF-8") from e
    return iter(documents)


def _documents_from_events(data: bytes) -> list[YamlDocument]:
    """The fast path: documents built from libyaml's events (see files_yaml_events)."""
    loader = SnapshotLoader(data)
    builder = EventBuilder(SnapshotLoader.yaml_implicit_resolvers)
    try:
        while builder.feed(loader.get_event()):
            pass
    finally:
        loader.dispose()
    return [YamlDocument(*doc) for doc in builder.documents if doc[0] is not None]


def _documents_from_nodes(data: bytes) -> list[YamlDocument]:
    """PyYAML's own composer and constructor, for anchors, aliases, tags and merge keys."""
    loader = SnapshotLoader(data)
    out: list[YamlDocument] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            doc = None if node is None else loader.construct_document(node)
            if node is not None and doc is not None:
                out.append(YamlDocument(doc, node.start_mark.line + 1, _item_lines(node)))
    finally:
        loader.dispose()
    return out


def _item_lines(node: yaml.Node) -> list[int]:
    """Start lines of the entries of a top-level `items:` sequence (a List's objects)."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        is_items = isinstance(key, yaml.ScalarNode) and key.value == "items"
        if is_items and isinstance(value, yaml.SequenceNode):
            return [child.start_mark.line + 1 for child in value.value]
    return []


def _error_line(error: yaml.YAMLError, data: bytes) -> int:
    """The 1-based line of a YAML error (the problem's mark, else its context's)."""
    for attr in ("problem_mark", "context_mark"):
        mark = getattr(error, attr, None)
        if mark is not None:
            return int(mark.line) + 1
    position = getattr(error, "position", None)
    if isinstance(position, int):
        return data.count(b"\n", 0, position) + 1
    return 1


def _error_text(error: yaml.YAMLError) -> str:
    """The YAML error as one line: its problem and context, without the snippet."""
    parts = [getattr(error, "context", None), getattr(error, "problem", None)]
    text = ", ".join(str(p) for p in parts if p)
    return " ".join((text or str(error).splitlines()[0]).split())
