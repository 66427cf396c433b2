"""What every fix proposer shares: a candidate fix, and the narrow labels that name a workload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kexplore.fixes.edits import MANIFEST, PATCH, Edit, ObjectKey, pointer
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState

# Labels a controller stamps on each pod: never part of a selector a user writes.
POD_ONLY_LABELS = frozenset(
    {
        "pod-template-hash",
        "controller-revision-hash",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-uid",
        "batch.kubernetes.io/controller-uid",
        "job-name",
        "batch.kubernetes.io/job-name",
    }
)
NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass
class Candidate:
    """A proposed fix before it is checked: its edits, a title, and its trade-off."""

    edits: list[Edit]
    title: str
    tradeoff: str = ""
    redial: str = ""  # the target the source should dial instead (a DNS fix)
    repair: bool = False  # corrects an evident slip (a typo, OR for AND): ranked first


def workload_labels(state: ClusterState, pod: Pod) -> dict[str, str]:
    """The labels that stand for a pod's workload: its controller's matchLabels, else the
    pod's labels without the per-pod ones a controller adds."""
    owner = state.top_owner(pod)
    if owner is not None and owner.spec.selector is not None:
        labels = owner.spec.selector.match_labels or {}
        if labels and not owner.spec.selector.match_expressions:
            return dict(labels)
    return {k: v for k, v in pod.labels.items() if k not in POD_ONLY_LABELS}


def workload_name(state: ClusterState, pod: Pod) -> str:
    """The name of a pod's top controller (the pod's own name for a bare pod)."""
    owner = state.top_owner(pod)
    return owner.name if owner is not None else pod.name


def peer(namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """The narrowest peer for a workload: its namespace AND its labels (never `{}`)."""
    return {
        "namespaceSelector": {"matchLabels": {NAME_LABEL: namespace}},
        "podSelector": {"matchLabels": dict(labels)},
    }


def append_op(items: object, *path: str | int, value: Any) -> dict[str, Any]:
    """Add `value` at the end of a list (creating the list when the object has none)."""
    if items:
        return {"op": "add", "path": pointer(*path, "-"), "value": value}
    return {"op": "add", "path": pointer(*path), "value": [value]}


def replace_ops(old: Any, new: Any, *path: str | int) -> tuple[dict[str, Any], ...]:
    """Test the current value, then replace it (kubectl refuses the patch if it drifted)."""
    where = pointer(*path)
    return (
        {"op": "test", "path": where, "value": old},
        {"op": "replace", "path": where, "value": new},
    )


def patch(kind: str, namespace: str, name: str, *ops: dict[str, Any]) -> Edit:
    """A JSON-patch edit of one object."""
    return Edit(ObjectKey(kind, namespace, name), PATCH, tuple(ops))


def new_object(kind: str, api_version: str, namespace: str, name: str, spec: Any) -> Edit:
    """A manifest edit creating an object."""
    manifest = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    return Edit(ObjectKey(kind, namespace, name), MANIFEST, manifest=manifest)
