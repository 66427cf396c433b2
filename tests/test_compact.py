"""The Interner shares what objects repeat (strings, label maps, containers), no value changed."""

from __future__ import annotations

import sys
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import TINY, list_bytes
from kexplore.model.base import OpaqueObject
from kexplore.model.compact import TRIAL, Interner
from kexplore.model.kinds import decode_list, decode_object
from kexplore.model.pods import Pod


def _pod(name: str, when: str, labels: dict[str, str] | None = None) -> Pod:
    raw = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": labels or {"app": "web"}},
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {"name": "web", "image": "web:1", "ports": [{"containerPort": 80}]},
            ],
        },
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": when}],
            "containerStatuses": [{"name": "web", "ready": True, "state": {"running": {}}}],
        },
    }
    obj = decode_object(msgspec.json.encode(raw))
    assert isinstance(obj, Pod)
    return obj


def _compacted(objs: list[msgspec.Struct]) -> list[msgspec.Struct]:
    interner = Interner()
    for obj in objs:
        interner.compact(obj)
    return objs


def test_pods_of_one_template_share_their_containers_labels_and_statuses() -> None:
    first, second = _compacted([_pod("a", "t1"), _pod("b", "t2")])
    assert isinstance(first, Pod) and isinstance(second, Pod)
    assert first.spec.containers is second.spec.containers
    assert first.status.container_statuses is second.status.container_statuses
    assert first.metadata.labels is second.metadata.labels
    assert first.spec.node_name is second.spec.node_name
    assert first.status.conditions[0].type is second.status.conditions[0].type


def test_sharing_changes_no_value() -> None:
    data = list_bytes(TINY, "pods")
    assert _compacted(list(decode_list(data).objects)) == decode_list(data).objects
    made = [("a", "t1"), ("b", "t2"), ("c", "t1")]
    assert _compacted([_pod(*m) for m in made]) == [_pod(*m) for m in made]


def test_maps_of_other_values_are_never_merged_with_equal_looking_ones() -> None:
    """{"on": 1} and {"on": True} compare equal in Python; neither may take the other's place."""
    one = OpaqueObject(kind="X", spec={"on": 1})
    true = OpaqueObject(kind="X", spec={"on": True})
    _compacted([one, true])
    assert type(one.spec["on"]) is int and type(true.spec["on"]) is bool


def test_conditions_with_their_own_times_still_share_their_strings() -> None:
    pods = _compacted([_pod(f"p{i}", f"t{i}") for i in range(TRIAL + 10)])
    conditions = [p.status.conditions[0] for p in pods if isinstance(p, Pod)]
    assert len({id(c.type) for c in conditions}) == 1
    assert len({c.last_transition_time for c in conditions}) == TRIAL + 10
