"""Synthesized pods: one per top-level workload that has no pods in the data (raw manifests)."""

from __future__ import annotations

import msgspec

from kexplore.analysis.mesh.dataplane import PROXY_CONTAINER, proxy_container, would_inject
from kexplore.model.base import ObjectMeta, OwnerReference
from kexplore.model.pods import Container, ContainerPort, Pod
from kexplore.model.state import ClusterState
from kexplore.model.workloads import Workload

# The kind of the objects a workload creates that in turn own its pods.
_CHILD_KIND = {"Deployment": "ReplicaSet", "CronJob": "Job"}
_PARENT_KINDS = tuple(_CHILD_KIND.values())
# What Istio's injector adds that kexplore reads: the proxy container and its metrics port.
_PROXY = Container(
    name=PROXY_CONTAINER,
    image="istio/proxyv2",
    ports=(ContainerPort(container_port=15090, name="http-envoy-prom"),),
)


def synthesize_pods(state: ClusterState) -> list[Pod]:
    """A pod from the template of each top-level manifest workload that has no pods.

    A workload read from a live cluster (it has a uid) whose pods are missing from data
    that does hold pods is left alone: its missing pods are a finding, not a gap to fill.
    Workloads scaled to zero get no pod.
    """
    any_pods = bool(state.objects.get("Pod"))
    candidates = [
        w
        for w in state.workloads
        if w.pod_template() is not None
        and w.spec.replicas != 0
        and not (any_pods and w.metadata.uid)
    ]
    if not candidates:
        return []
    owned = _owners_with_pods(state)
    return [
        admitted(state, synthesized_pod(w))
        for w in candidates
        if (w.kind, w.namespace, w.name) not in owned
        and _controller(state, w) is None
        and not _has_pods(state, w)
    ]


def synthesized_pod(workload: Workload) -> Pod:
    """The pod a workload's template describes, marked synthesized, without IP or phase."""
    template = workload.pod_template()
    assert template is not None
    owner = OwnerReference(
        api_version=workload.api_version,
        kind=workload.kind,
        name=workload.name,
        uid=workload.metadata.uid,
        controller=True,
    )
    meta = ObjectMeta(
        name=f"{workload.name}-synthesized",
        namespace=workload.namespace,
        labels=dict(template.metadata.labels),
        annotations=dict(template.metadata.annotations),
        owner_references=(owner,),
    )
    return Pod(metadata=meta, spec=template.spec, synthesized=True)


def admitted(state: ClusterState, pod: Pod) -> Pod:
    """The pod as admission would create it: with istio-proxy where Istio's injector adds it
    (namespace and pod labels, pod annotation; see `would_inject`)."""
    meta = pod.metadata
    inject, _ = would_inject(
        state, pod.namespace, meta.labels, meta.annotations, pod.spec.host_network
    )
    if not inject or proxy_container(pod) is not None:
        return pod
    spec = msgspec.structs.replace(pod.spec, containers=(*pod.spec.containers, _PROXY))
    return msgspec.structs.replace(pod, spec=spec)


def _owners_with_pods(state: ClusterState) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of every controller of a pod, and of their controllers."""
    owned: set[tuple[str, str, str]] = set()
    for (namespace, _), pod in state.objects.get("Pod", {}).items():
        for ref in pod.metadata.owner_references:  # type: ignore[attr-defined]
            if ref.controller:
                owned.add((ref.kind, namespace, ref.name))
    for kind in _PARENT_KINDS:  # ReplicaSet -> Deployment, Job -> CronJob
        for (namespace, name), child in state.objects.get(kind, {}).items():
            if (kind, namespace, name) in owned:
                for ref in child.metadata.owner_references:  # type: ignore[attr-defined]
                    if ref.controller:
                        owned.add((ref.kind, namespace, ref.name))
    return owned


def _controller(state: ClusterState, workload: Workload) -> Workload | None:
    """The workload's controller when it is in the data (then that one gets the pod)."""
    for ref in workload.metadata.owner_references:
        if ref.controller:
            found = state.get(ref.kind, workload.namespace, ref.name)
            if isinstance(found, Workload):
                return found
    return None


def _has_pods(state: ClusterState, workload: Workload) -> bool:
    """Pods of the workload are in the data though no owner chain says so.

    By selector, or by a controller reference to a child the data lacks (dumps that hold
    the pods but not the ReplicaSets/Jobs between them).
    """
    selector = workload.spec.selector
    pods = state.pods_in(workload.namespace)
    if (
        selector is not None
        and not selector.is_empty()
        and any(selector.matches(pod.labels) for pod in pods)
    ):
        return True
    return _has_child_pods(pods, workload)


def _has_child_pods(pods: list[Pod], workload: Workload) -> bool:
    """A pod controlled by a ReplicaSet/Job named after the workload (not in the data)."""
    child_kind = _CHILD_KIND.get(workload.kind)
    prefix = f"{workload.name}-"
    for pod in pods:
        for ref in pod.metadata.owner_references:
            if ref.kind == child_kind and ref.name.startswith(prefix):
                return True
    return False
