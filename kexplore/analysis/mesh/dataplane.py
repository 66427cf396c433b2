"""Which Istio data plane a pod is in: a sidecar (injected or expected), ambient, or none."""

from __future__ import annotations

from dataclasses import dataclass

from kexplore.model.pods import Container, Pod
from kexplore.model.services import Service
from kexplore.model.state import ClusterState

PROXY_CONTAINER = "istio-proxy"
INJECT_KEY = "sidecar.istio.io/inject"
INJECTION_LABEL = "istio-injection"
REVISION_LABEL = "istio.io/rev"
DATAPLANE_LABEL = "istio.io/dataplane-mode"
WAYPOINT_LABEL = "istio.io/use-waypoint"

SIDECAR, AMBIENT, NONE = "sidecar", "ambient", "none"
NEVER_INJECTED = ("kube-system", "kube-public")


@dataclass(frozen=True)
class Dataplane:
    """How one pod takes part in the mesh, and why kexplore thinks so."""

    pod: Pod
    mode: str
    reason: str
    injection_expected: bool = False
    waypoint: str = ""
    workload: str = ""

    @property
    def missing_proxy(self) -> bool:
        """Injection applies to the pod but it runs without istio-proxy (and not in ambient)."""
        return self.mode == NONE and self.injection_expected

    @property
    def in_mesh(self) -> bool:
        return self.mode != NONE

    def ref(self) -> str:
        return f"pod {self.pod.namespace}/{self.pod.name}"

    def label(self) -> str:
        """The workload the pod belongs to (`deployment shop/cart`), else the pod."""
        return self.workload or self.ref()


def proxy_container(pod: Pod) -> Container | None:
    """The istio-proxy container, as a regular container or a native sidecar."""
    for container in pod.serving_containers():
        if container.name == PROXY_CONTAINER:
            return container
    return None


def injection_expected(state: ClusterState, pod: Pod) -> tuple[bool, str]:
    """Whether Istio's injector (default webhooks) would add a sidecar, and the deciding label."""
    meta = pod.metadata
    return would_inject(state, pod.namespace, meta.labels, meta.annotations, pod.spec.host_network)


def would_inject(
    state: ClusterState,
    namespace: str,
    labels: dict[str, str],
    annotations: dict[str, str],
    host_network: bool = False,
) -> tuple[bool, str]:
    """The injector's decision for a pod (or pod template) with these labels and annotations.

    Istio's default webhooks: a namespace labelled `istio-injection` (enabled injects,
    disabled never) wins over `istio.io/rev`; a labelled namespace injects unless the pod
    opts out with `sidecar.istio.io/inject=false` (label, else annotation: the label wins);
    an unlabelled namespace injects only a pod *labelled* `sidecar.istio.io/inject=true` or
    `istio.io/rev` (the webhook's objectSelector reads labels, so an annotation alone does
    not). hostNetwork pods and kube-system / kube-public are never injected.
    """
    if host_network:
        return False, "hostNetwork pods are never injected"
    if namespace in NEVER_INJECTED:
        return False, f"pods in {namespace} are never injected"
    ns_labels = state.namespace_labels(namespace)
    opt_out = _pod_opt_out(labels, annotations)
    ns_label = ns_labels.get(INJECTION_LABEL)
    if ns_label is not None and ns_label != "enabled":
        return False, f"namespace {namespace} label {INJECTION_LABEL}={ns_label}"
    if ns_label is not None or REVISION_LABEL in ns_labels:
        key = INJECTION_LABEL if ns_label is not None else REVISION_LABEL
        why = f"namespace {namespace} label {key}={ns_labels[key]}"
        return (False, opt_out) if opt_out else (True, why)
    if labels.get(INJECT_KEY) == "true":
        return True, f"pod label {INJECT_KEY}=true"
    if REVISION_LABEL in labels and not opt_out:
        return True, f"pod label {REVISION_LABEL}={labels[REVISION_LABEL]}"
    return False, f"namespace {namespace} has no injection label"


def _pod_opt_out(labels: dict[str, str], annotations: dict[str, str]) -> str:
    """The pod's `sidecar.istio.io/inject` opt-out (label, else annotation), or ""."""
    if INJECT_KEY in labels:
        value, where = labels[INJECT_KEY], "label"
    else:
        value, where = annotations.get(INJECT_KEY, ""), "annotation"
    if value.lower() in ("", "y", "yes", "true", "on"):
        return ""
    return f"pod {where} {INJECT_KEY}={value}"


def ambient_enrolled(state: ClusterState, pod: Pod) -> tuple[bool, str]:
    """Whether ztunnel captures the pod: ambient label on pod or namespace, not opted out."""
    pod_mode = pod.labels.get(DATAPLANE_LABEL)
    if pod_mode is not None:
        return pod_mode == "ambient", f"pod label {DATAPLANE_LABEL}={pod_mode}"
    ns_mode = state.namespace_labels(pod.namespace).get(DATAPLANE_LABEL)
    if ns_mode is not None:
        return ns_mode == "ambient", f"namespace {pod.namespace} label {DATAPLANE_LABEL}={ns_mode}"
    return False, ""


def waypoint_of(state: ClusterState, pod: Pod, service: Service | None) -> str:
    """The waypoint serving the target (`istio.io/use-waypoint` on pod, service or namespace)."""
    for labels in (
        pod.labels,
        service.metadata.labels if service is not None else {},
        state.namespace_labels(pod.namespace),
    ):
        name = labels.get(WAYPOINT_LABEL)
        if name is not None:
            return "" if name == "none" else name
    return ""


def dataplane_of(state: ClusterState, pod: Pod, service: Service | None = None) -> Dataplane:
    """Classify one pod: sidecar (istio-proxy present), ambient (ztunnel), or none."""
    expected, why = injection_expected(state, pod)
    owner = state.top_owner(pod)
    workload = f"{owner.kind.lower()} {owner.namespace}/{owner.name}" if owner else ""
    if proxy_container(pod) is not None:
        reason = f"container {PROXY_CONTAINER} present"
        if pod.synthesized and expected:
            reason = f"{PROXY_CONTAINER} injected at admission ({why})"
        return Dataplane(pod, SIDECAR, reason, expected, "", workload)
    ambient, ambient_why = ambient_enrolled(state, pod)
    if ambient and not pod.spec.host_network:
        waypoint = waypoint_of(state, pod, service)
        return Dataplane(pod, AMBIENT, f"ambient: {ambient_why}", expected, waypoint, workload)
    if expected:
        reason = f"no {PROXY_CONTAINER} container although {why}"
        return Dataplane(pod, NONE, reason, True, "", workload)
    return Dataplane(pod, NONE, f"no {PROXY_CONTAINER} container ({why})", False, "", workload)
