"""Service port and endpoint resolution: which pods and ports a service sends traffic to."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kexplore.model.pods import Pod
from kexplore.model.services import (
    Endpoint,
    EndpointConditions,
    EndpointPort,
    Endpoints,
    EndpointSlice,
    ObjectReference,
    Service,
    ServicePort,
)
from kexplore.model.state import ClusterState


@dataclass(frozen=True)
class Backend:
    """One pod endpoint of the dialed service port.

    `port` is the port traffic reaches on the pod (targetPort resolved there; the dialed
    port for headless services); None when a named targetPort is missing on that pod.
    """

    pod: Pod
    ip: str
    port: int | None
    protocol: str
    ready: bool
    serving: bool
    terminating: bool
    note: str = ""
    ref: str = ""
    node: str = ""


@dataclass(frozen=True)
class ExternalEndpoint:
    """An endpoint address no pod in the data holds (a manual EndpointSlice to a VM, say).

    `missing_pod` names the pod its targetRef points at when that pod is not in the data
    (a partial snapshot), so it is not mistaken for an address outside the cluster.
    """

    ip: str
    port: int | None
    protocol: str
    ready: bool
    ref: str
    missing_pod: str = ""


@dataclass(frozen=True)
class NearMiss:
    """A pod that matches every selector label but one."""

    pod: Pod
    differing: str


@dataclass
class BackendSet:
    """Where a service port sends traffic, and what is wrong with it."""

    service: Service
    service_port: ServicePort | None
    origin: str
    backends: list[Backend] = field(default_factory=list)
    external: list[ExternalEndpoint] = field(default_factory=list)
    excluded: list[tuple[Backend, str]] = field(default_factory=list)
    selected: list[Pod] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def routable(self) -> list[Backend]:
        """What kube-proxy sends to: ready endpoints with a port, else serving terminating ones."""
        ready = [b for b in self.backends if b.ready and b.port is not None]
        if ready:
            return ready
        return [b for b in self.backends if b.serving and b.terminating and b.port is not None]


ORIGIN_SLICES = "endpointslices"
ORIGIN_ENDPOINTS = "endpoints"
ORIGIN_SELECTOR = "selector"
ORIGIN_EXTERNAL_NAME = "externalname"
ORIGIN_NONE = "none"


def target_port_on_pod(pod: Pod, service_port: ServicePort) -> int | None:
    """The pod port a service port sends to: a number as is (absent = port); a name looked
    up on the containers, then native sidecar init containers, with the same protocol."""
    target = service_port.target_port
    if target is None or target == 0:
        return service_port.port
    if isinstance(target, int):
        return target
    if target.isdigit():
        return int(target)
    for container in pod.serving_containers():
        for cport in container.ports:
            if cport.name == target and cport.protocol == service_port.protocol:
                return cport.container_port
    return None


def endpoint_pods(
    state: ClusterState, namespace: str, ref: ObjectReference | None, addresses: list[str]
) -> list[Pod]:
    """The pods behind an endpoint: its targetRef, else the pods holding its addresses."""
    name = ref.name if ref is not None and ref.kind == "Pod" else ""
    pod = state.get("Pod", namespace, name) if name else None
    if isinstance(pod, Pod):
        return [pod]
    return [p for addr in addresses for p in state.pods_by_ip(addr) if p.namespace == namespace]


def resolve_backends(
    state: ClusterState,
    service: Service,
    service_port: ServicePort | None,
    *,
    dialed_port: int | None = None,
    source_node: str | None = None,
) -> BackendSet:
    """The backends of one service port (from EndpointSlices, legacy Endpoints, or the
    selector when the data has no endpoints), near misses and problems."""
    if service.is_external_name():
        return BackendSet(service, service_port, ORIGIN_EXTERNAL_NAME)
    selector = service.spec.selector or {}
    selected = state.pods_matching(service.namespace, selector) if selector else []
    result = _collect(state, service, service_port, selected, dialed_port)
    result.selected = selected
    if selector and not selected:
        result.problems.append(
            f"selector {_describe(selector)} matches no pods in namespace {service.namespace}"
        )
        result.near_misses = near_misses(state, service.namespace, selector)
    if service.is_headless():
        result.backends = [_headless(b, service_port, dialed_port) for b in result.backends]
    if service.spec.internal_traffic_policy == "Local" and source_node is not None:
        _apply_local_policy(result, source_node)
    return result


def _collect(
    state: ClusterState,
    service: Service,
    service_port: ServicePort | None,
    selected: list[Pod],
    dialed_port: int | None,
) -> BackendSet:
    ns, name = service.namespace, service.name
    slices = state.slices_for(ns, name)
    if slices:
        return _from_slices(state, service, service_port, slices)
    legacy = state.get("Endpoints", ns, name)
    if isinstance(legacy, Endpoints) and legacy.subsets:
        return _from_endpoints(state, service, service_port, legacy)
    if selected:
        result = _from_selector(service, service_port, selected, dialed_port)
        result.notes.append(_no_slices_note(state, ns, name))
        return result
    result = BackendSet(service, service_port, ORIGIN_NONE)
    if not service.spec.selector:
        result.problems.append(
            "selector-less service with no EndpointSlices or Endpoints: nothing to route to"
        )
    return result


def _no_slices_note(state: ClusterState, ns: str, name: str) -> str:
    if "EndpointSlice" in state.meta.unreadable:
        why = f"EndpointSlices unreadable ({state.meta.unreadable['EndpointSlice']})"
    elif not state.endpoint_slices:
        why = "the data holds no EndpointSlices (manifests or a partial snapshot)"
    else:
        why = f"the data holds no EndpointSlice for service {ns}/{name}"
    return f"{why}: endpoints computed from the selector and pod readiness"


def _slice_port(
    ports: list[EndpointPort] | None, service_port: ServicePort | None
) -> tuple[bool, int | None]:
    """(found, number) of the service port in a slice's ports (matched by name, protocol)."""
    if service_port is None:
        return False, None
    for eport in ports or []:
        if (eport.name or "") == service_port.name and eport.protocol == service_port.protocol:
            return True, eport.port
    return False, None


def _from_slices(
    state: ClusterState,
    service: Service,
    service_port: ServicePort | None,
    slices: list[EndpointSlice],
) -> BackendSet:
    result = BackendSet(service, service_port, ORIGIN_SLICES)
    protocol = service_port.protocol if service_port else "TCP"
    for slice_ in sorted(slices, key=lambda s: s.metadata.name):
        found, number = _slice_port(slice_.ports, service_port)
        port = (number if number is not None else _fallback_port(service_port)) if found else None
        for index, ep in enumerate(slice_.endpoints):
            ref = f"endpointslice {_key(slice_)} endpoints[{index}]"
            _add_endpoint(state, result, ep, port, protocol, ref)
    return result


def _key(slice_: EndpointSlice) -> str:
    return f"{slice_.metadata.namespace}/{slice_.metadata.name}"


def _fallback_port(service_port: ServicePort | None) -> int | None:
    if service_port is None:
        return None
    target = service_port.target_port
    return target if isinstance(target, int) and target else service_port.port


def _add_endpoint(
    state: ClusterState,
    result: BackendSet,
    ep: Endpoint,
    port: int | None,
    protocol: str,
    ref: str,
) -> None:
    cond = ep.conditions
    ready = cond.ready is not False
    serving = cond.serving if cond.serving is not None else ready
    terminating = bool(cond.terminating)
    ns = result.service.namespace
    pods = endpoint_pods(state, ns, ep.target_ref, ep.addresses)
    if not pods:
        ref_pod = ep.target_ref
        missing = ref_pod.name if ref_pod is not None and ref_pod.kind == "Pod" else ""
        for addr in ep.addresses:
            result.external.append(ExternalEndpoint(addr, port, protocol, ready, ref, missing))
        return
    pod = pods[0]
    node = ep.node_name or pod.spec.node_name
    for addr in ep.addresses:
        backend = Backend(
            pod, addr, port, protocol, ready, serving, terminating, _pod_note(pod), ref, node
        )
        result.backends.append(backend)


def _pod_note(pod: Pod) -> str:
    if pod.synthesized:
        return "synthesized from the workload template: readiness not known (manifests only)"
    if pod.spec.host_network:
        return "hostNetwork pod: serves on its node's IP; NetworkPolicy does not apply to it"
    return ""


def _from_endpoints(
    state: ClusterState, service: Service, service_port: ServicePort | None, legacy: Endpoints
) -> BackendSet:
    result = BackendSet(service, service_port, ORIGIN_ENDPOINTS)
    protocol = service_port.protocol if service_port else "TCP"
    base = f"endpoints {legacy.metadata.namespace}/{legacy.metadata.name}"
    for s_index, subset in enumerate(legacy.subsets):
        found, number = _slice_port(subset.ports, service_port)
        port = (number if number is not None else _fallback_port(service_port)) if found else None
        groups = (
            ("addresses", subset.addresses, True),
            ("notReadyAddresses", subset.not_ready_addresses, False),
        )
        for key, addresses, ready in groups:
            for index, addr in enumerate(addresses):
                ep = Endpoint(
                    addresses=[addr.ip],
                    conditions=EndpointConditions(ready=ready),
                    target_ref=addr.target_ref,
                    node_name=addr.node_name,
                )
                ref = f"{base} subsets[{s_index}].{key}[{index}]"
                _add_endpoint(state, result, ep, port, protocol, ref)
    return result


def _from_selector(
    service: Service,
    service_port: ServicePort | None,
    selected: list[Pod],
    dialed_port: int | None,
) -> BackendSet:
    """Endpoints as the EndpointSlice controller would make them from the selected pods; a
    pod synthesized from a template (manifests only) counts as ready: its readiness is
    unknown, and only the configuration is being judged."""
    result = BackendSet(service, service_port, ORIGIN_SELECTOR)
    publish = service.spec.publish_not_ready_addresses
    protocol = service_port.protocol if service_port else "TCP"
    for pod in sorted(selected, key=lambda p: p.name):
        if pod.status.phase in ("Succeeded", "Failed"):
            continue
        port = target_port_on_pod(pod, service_port) if service_port else dialed_port
        terminating = pod.metadata.deletion_timestamp is not None
        serving = pod.is_ready() or pod.synthesized
        ready = (serving or publish) and not terminating
        ref = f"pod {pod.namespace}/{pod.name}"
        for ip in pod.ips() or ([""] if pod.synthesized else []):  # no IP: no endpoint
            node = pod.spec.node_name
            note = _pod_note(pod)
            backend = Backend(pod, ip, port, protocol, ready, serving, terminating, note, ref, node)
            result.backends.append(backend)
    return result


def _headless(backend: Backend, service_port: ServicePort | None, dialed: int | None) -> Backend:
    """Headless: clients connect to the pod IP on the port they dialed (no translation)."""
    port = service_port.port if service_port is not None else dialed
    note = backend.note
    if backend.port is not None and backend.port != port:
        extra = (
            f"headless: clients connect to port {port} directly; "
            f"targetPort {backend.port} is not applied"
        )
        note = f"{note}; {extra}" if note else extra
    return replace(backend, port=port, note=note)


def _apply_local_policy(result: BackendSet, source_node: str) -> None:
    """internalTrafficPolicy Local: only endpoints on the source pod's node receive traffic."""
    kept: list[Backend] = []
    for backend in result.backends:
        if backend.node == source_node:
            kept.append(backend)
        else:
            reason = (
                f"internalTrafficPolicy Local: on node {backend.node or '?'}, "
                f"not the source's node {source_node}"
            )
            result.excluded.append((backend, reason))
    result.backends = kept


def near_misses(state: ClusterState, namespace: str, selector: dict[str, str]) -> list[NearMiss]:
    """Pods of the namespace that match all selector labels but one (with a single-label
    selector: pods that have the key with another value)."""
    out: list[NearMiss] = []
    for pod in sorted(state.pods_in(namespace), key=lambda p: p.name):
        wrong = [(k, v) for k, v in selector.items() if pod.labels.get(k) != v]
        if len(wrong) != 1:
            continue
        key, want = wrong[0]
        if key in pod.labels:
            out.append(NearMiss(pod, f"{key}={want} (pod has {key}={pod.labels[key]})"))
        elif len(selector) > 1:
            out.append(NearMiss(pod, f"{key}={want} (pod has no label {key})"))
    return out


def _describe(selector: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
