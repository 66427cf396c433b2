"""YAML loading: timestamps kept as strings, document and item lines, the event fast path."""

from __future__ import annotations

import pytest

from kexplore.errors import InputError
from kexplore.sources.files.yaml_docs import (
    _documents_from_events,
    _documents_from_nodes,
    iter_yaml_documents,
)
from kexplore.sources.files.yaml_events import Unsupported

SCALARS = b"""\
created: 2024-01-01T00:00:00Z
date: 2024-01-01
octal: 0755
hex: 0x1F
under: 1_000
float: .5
null1: ~
null2:
bool: yes
quoted: "123"
single: 'true'
empty: ''
block: |
  line1
  line2
flow: {a: [1, 'x', "y"], b: null}
"""

LIST = b"""\
---
# a comment-only document
---
kind: List
items:
- a: 1
- b
- [x]
---
x: [1, {y: 2}]
"""


def _shape(docs: list) -> list:  # type: ignore[type-arg]
    return [(d.data, d.line, d.item_lines) for d in docs]


def test_scalars_resolve_like_yaml_1_1_but_timestamps_stay_strings() -> None:
    (doc,) = iter_yaml_documents(SCALARS, "f.yaml")
    assert doc.data == {
        "created": "2024-01-01T00:00:00Z",
        "date": "2024-01-01",
        "octal": 493,
        "hex": 31,
        "under": 1000,
        "float": 0.5,
        "null1": None,
        "null2": None,
        "bool": True,
        "quoted": "123",
        "single": "true",
        "empty": "",
        "block": "line1\nline2\n",
        "flow": {"a": [1, "x", "y"], "b": None},
    }


@pytest.mark.parametrize("text", [SCALARS, LIST], ids=["scalars", "list"])
def test_event_path_equals_pyyaml_constructor(text: bytes) -> None:
    assert _shape(_documents_from_events(text)) == _shape(_documents_from_nodes(text))


def test_document_and_list_item_lines() -> None:
    docs = list(iter_yaml_documents(LIST, "f.yaml"))
    assert [(d.line, d.item_lines) for d in docs] == [(4, [6, 7, 8]), (10, [])]


WHEN = "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            b"base: &b {app: web}\nlabels: *b\nwhen: 2024-01-01T00:00:00Z\n",
            {"base": {"app": "web"}, "labels": {"app": "web"}, "when": WHEN},
        ),
        (b"<<: {app: web}\nwhen: 2024-01-01T00:00:00Z\n", {"app": "web", "when": WHEN}),
        (b"port: !!str 8080\nwhen: 2024-01-01T00:00:00Z\n", {"port": "8080", "when": WHEN}),
    ],
    ids=["alias", "merge", "tag"],
)
def test_anchors_merge_keys_and_tags_take_the_pyyaml_path(text: bytes, expected: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(Unsupported):
        _documents_from_events(text)
    (doc,) = iter_yaml_documents(text, "f.yaml")
    assert doc.data == expected


def test_syntax_error_names_the_line_on_either_path() -> None:
    for text in (b"a: 1\nb: [2\nc: 3\n", b"a: &x 1\nb: *x\nc: {d\n"):
        with pytest.raises(InputError) as info:
            list(iter_yaml_documents(text, "m.yaml"))
        assert info.value.message.startswith("m.yaml:") and "invalid YAML" in info.value.message
    with pytest.raises(InputError, match=r"^m\.yaml:3: invalid YAML"):
        list(iter_yaml_documents(b"a: 1\nb: 2\n  c: 3\n", "m.yaml"))
