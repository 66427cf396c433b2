"""ListStream decodes a List fed in chunks to exactly what decode_list makes of the whole."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import TINY, list_bytes
from kexplore.model.compact import Interner
from kexplore.model.kinds import DecodeProblem, ListPage, decode_list
from kexplore.model.list_stream import ListStream

CHUNKS = (1, 7, 333, 1 << 20)


def streamed(data: bytes, size: int, api_version: str = "", kind: str = "") -> ListPage:
    stream = ListStream(api_version, kind)
    for start in range(0, len(data), size):
        stream.feed(data[start : start + size])
    return stream.close()


def assert_same(data: bytes, api_version: str = "", kind: str = "") -> ListPage:
    whole = decode_list(data, api_version, kind)
    for size in CHUNKS:
        page = streamed(data, size, api_version, kind)
        assert page.objects == whole.objects, size
        assert page.problems == whole.problems, size
        assert (page.resource_version, page.continue_token) == (
            whole.resource_version,
            whole.continue_token,
        )
    return whole


@pytest.mark.parametrize("kind_file", ["pods", "services", "endpointslices", "networkpolicies"])
def test_api_server_lists_decode_as_a_whole_body_does(kind_file: str) -> None:
    page = assert_same(list_bytes(TINY, kind_file))
    assert page.objects and not page.problems


def test_kubectl_lists_indented_with_kinds_per_item() -> None:
    page = assert_same(list_bytes(TINY, "pods", style="kubectl"))
    assert len(page.objects) >= TINY.pods


def test_items_before_the_list_kind_wait_for_it() -> None:
    """Sorted keys put `items` before `kind`: items without a kind are decoded at the end."""
    items = [{"metadata": {"name": f"p{i}", "namespace": "shop"}} for i in range(3)]
    doc = {"apiVersion": "v1", "items": items, "kind": "PodList", "metadata": {"continue": "x"}}
    page = assert_same(json.dumps(doc, sort_keys=True).encode())
    assert [o.metadata.name for o in page.objects] == ["p0", "p1", "p2"]  # type: ignore[attr-defined]
    assert page.continue_token == "x"


def test_strings_holding_json_punctuation_do_not_split_items() -> None:
    tricky = '},{"metadata":{"name":"evil"}},"items":[ ] \\" ]'
    items = [
        {"metadata": {"name": "a", "namespace": "n", "annotations": {"x": tricky}}},
        {"metadata": {"name": "b", "namespace": "n", "labels": {"k": "]}"}}},
    ]
    doc = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "7"}}
    data = json.dumps({**doc, "items": items}).encode()
    page = assert_same(data)
    assert [o.metadata.name for o in page.objects] == ["a", "b"]  # type: ignore[attr-defined]
    assert page.resource_version == "7"


def test_compact_items_split_in_runs_where_they_really_end() -> None:
    """Runs of compact items are decoded in one piece up to a `},{"metadata":`: one inside
    a string or a nested object must not end the run there."""
    fake_end = '},{"metadata":{"name":"evil"}}'
    items = [
        {
            "metadata": {"name": f"p{i}", "namespace": "n", "annotations": {"x": fake_end * i}},
            "unread": [{"metadata": {"name": "v"}}, {"metadata": {"name": "w"}}],
        }
        for i in range(40)
    ]
    doc = {"kind": "PodList", "apiVersion": "v1", "items": items}
    page = assert_same(json.dumps(doc, separators=(",", ":")).encode())
    assert [o.metadata.name for o in page.objects] == [f"p{i}" for i in range(40)]  # type: ignore[attr-defined]


def test_a_broken_item_is_a_problem_and_the_rest_decode() -> None:
    items = [
        {"metadata": {"name": "a", "namespace": "n"}},
        {"metadata": {"name": 5}},
        {"metadata": {"name": "c", "namespace": "n"}},
    ]
    page = assert_same(json.dumps({"kind": "PodList", "apiVersion": "v1", "items": items}).encode())
    assert [i for i, _ in page.problems] == [1] and len(page.objects) == 2


def test_a_page_whose_items_carry_no_kind_takes_the_callers() -> None:
    """A raw API page as the live loader gets it (the list's kind given by discovery)."""
    items = [{"metadata": {"name": "a", "namespace": "n"}}]
    data = json.dumps({"metadata": {"continue": "next"}, "items": items}).encode()
    page = assert_same(data, "v1", "Pod")
    assert len(page.objects) == 1 and page.continue_token == "next"


def test_documents_that_are_not_lists_are_decoded_whole() -> None:
    for doc in (b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}}', b"{}"):
        assert_same(doc)


def test_malformed_json_is_a_decode_problem() -> None:
    for doc in (b'{"kind":"PodList","items":[{"metadata":}]}', b'{"items":[{}', b"{", b"[]"):
        with pytest.raises(DecodeProblem):
            decode_list(doc)
        with pytest.raises(DecodeProblem):
            streamed(doc, 3)


def test_an_interner_shares_repeated_strings_and_changes_no_value() -> None:
    data = list_bytes(TINY, "pods")
    interner = Interner()
    stream = ListStream(interner=interner)
    stream.feed(data)
    pods = stream.close().objects
    assert pods == decode_list(data).objects
    first, second = pods[0], pods[1]
    assert first.metadata.namespace == second.metadata.namespace  # type: ignore[attr-defined]
    assert first.metadata.namespace is second.metadata.namespace  # type: ignore[attr-defined]
    keys = [k for p in pods for k in p.metadata.labels]  # type: ignore[attr-defined]
    same = [k for k in keys if k == "pod-template-hash"]
    assert len(same) > 1 and all(k is same[0] for k in same)
    images = [c.image for p in pods for c in p.spec.containers]  # type: ignore[attr-defined]
    assert all(i is interner.string(i) for i in images)
