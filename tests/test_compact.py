"""The Interner shares what objects repeat (strings, label maps, containers), no value changed."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec
from msgspec.structs import force_setattr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.generate import TINY, list_bytes
from kexplore.model.base import OpaqueObject
from kexplore.model.compact import TRIAL, Interner
from kexplore.model.kinds import decode_list, decode_object
from kexplore.model.pods import Pod
from kexplore.model.services import EndpointSlice, ObjectReference


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


def _distinct_parts(value: Any, seen: dict[int, Any]) -> dict[int, Any]:
    """Every string, container and Struct reachable from `value`, by id (its memory)."""
    if isinstance(value, (bool, int, float)) or value is None or id(value) in seen:
        return seen
    seen[id(value)] = value
    if isinstance(value, dict):
        for k, v in value.items():
            _distinct_parts(k, seen)
            _distinct_parts(v, seen)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _distinct_parts(v, seen)
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            _distinct_parts(getattr(value, name), seen)
    return seen


def _slices() -> list[EndpointSlice]:
    data = list_bytes(replace(TINY, pods=900, services=300), "endpointslices")
    objs = list(decode_list(data).objects)
    assert len(objs) > TRIAL and all(isinstance(o, EndpointSlice) for o in objs)
    return [o for o in objs if isinstance(o, EndpointSlice)]


def test_slices_read_directly_equal_and_share_as_much_as_the_generic_walk() -> None:
    direct = _slices()
    _compacted(list(direct))
    generic = _slices()
    walker = Interner()._walker(EndpointSlice)
    for obj in generic:
        walker.fields(obj)
    assert direct == generic == _slices()
    assert len(_distinct_parts(direct, {})) <= len(_distinct_parts(generic, {}))
    eps = [e for s in direct for e in s.endpoints]
    assert len({id(e.conditions) for e in eps}) <= 3  # ready, not ready, terminating
    assert len({id(e.node_name) for e in eps}) == len({e.node_name for e in eps})
    assert len({id(p) for s in direct for p in s.ports or ()}) == len(
        {p for s in direct for p in s.ports or ()}
    )


def test_a_pod_behind_two_services_is_one_shared_reference() -> None:
    first, second = _slices()[:2]
    ref = ObjectReference(kind="Pod", name="web-1", namespace="shop", uid="u1")
    for obj in (first, second):
        force_setattr(obj.endpoints[0], "target_ref", msgspec.structs.replace(ref))
    _compacted([first, second])
    assert first.endpoints[0].target_ref is second.endpoints[0].target_ref
    assert first.endpoints[0].target_ref == ref
