"""Model decoding: exact selectors, wire names, null lists, kinds, owner chains."""

from __future__ import annotations

import json

import pytest

from kexplore.model.base import LabelSelector, LabelSelectorRequirement
from kexplore.model.kinds import convert_object, decode_list
from kexplore.model.pods import Pod
from kexplore.model.services import Endpoints, EndpointSlice
from kexplore.model.state import ClusterState


def _sel(labels: dict[str, str] | None = None, *exprs: tuple[str, str, list[str]]) -> LabelSelector:
    reqs = [LabelSelectorRequirement(key=k, operator=op, values=v) for k, op, v in exprs]
    return LabelSelector(match_labels=labels, match_expressions=reqs or None)


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        (_sel(), {}, True),
        (_sel({"app": "web"}), {"app": "web", "x": "y"}, True),
        (_sel({"app": "web"}), {"app": "api"}, False),
        (_sel(None, ("tier", "In", ["a", "b"])), {"tier": "b"}, True),
        (_sel(None, ("tier", "In", ["a", "b"])), {}, False),
        (_sel(None, ("tier", "NotIn", ["a"])), {}, True),
        (_sel(None, ("tier", "NotIn", ["a"])), {"tier": "a"}, False),
        (_sel(None, ("tier", "Exists", [])), {"tier": ""}, True),
        (_sel(None, ("tier", "DoesNotExist", [])), {"tier": "x"}, False),
        (_sel({"app": "web"}, ("tier", "Exists", [])), {"app": "web"}, False),
        (_sel(None, ("tier", "Bogus", ["a"])), {"tier": "a"}, False),
    ],
)
def test_label_selector_semantics(
    selector: LabelSelector, labels: dict[str, str], expected: bool
) -> None:
    assert selector.matches(labels) is expected


def test_wire_names_and_null_lists() -> None:
    pod = convert_object(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "p",
                "namespace": "n",
                "creationTimestamp": "2024-01-01T00:00:00Z",
            },
            "spec": {"initContainers": [{"name": "proxy", "restartPolicy": "Always"}]},
            "status": {"podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]},
        }
    )
    assert isinstance(pod, Pod)
    assert pod.ips() == ["10.0.0.1", "fd00::1"]
    assert [c.name for c in pod.serving_containers()] == ["proxy"]
    eps = convert_object(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {"name": "s"},
            "endpoints": None,
        }
    )
    assert isinstance(eps, EndpointSlice) and eps.endpoints == []
    legacy = convert_object({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e"}})
    assert isinstance(legacy, Endpoints) and legacy.subsets == []


def test_typed_list_items_without_kind_and_broken_item() -> None:
    data = {
        "apiVersion": "v1",
        "kind": "PodList",
        "items": [
            {"metadata": {"name": "a", "namespace": "x"}},
            {"metadata": {"name": 5}},
            {"metadata": {"name": "b", "namespace": "x"}},
        ],
    }
    page = decode_list(json.dumps(data).encode())
    assert [o.metadata.name for o in page.objects] == ["a", "b"]  # type: ignore[attr-defined]
    assert page.problems and page.problems[0][0] == 1


def test_owner_chain_pod_to_deployment() -> None:
    objs = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "n"},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": "web-1",
                "namespace": "n",
                "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web-1-a",
                "namespace": "n",
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "controller": True}],
            },
        },
    ]
    state = ClusterState()
    state.add_all([o for o in (convert_object(r) for r in objs) if o is not None])
    (pod,) = state.pods
    top = state.top_owner(pod)
    assert top is not None and (top.kind, top.name) == ("Deployment", "web")
    assert [p.name for p in state.pods_of_workload(top)] == ["web-1-a"]
