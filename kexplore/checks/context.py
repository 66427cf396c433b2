"""EdgeContext: what every layer of one edge's ladder reads, built once per edge."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kexplore.analysis.dns import (
    EXTERNAL_NAME,
    HEADLESS_POD,
    POD,
    SERVICE,
    NameResolution,
    resolve_name,
)
from kexplore.analysis.services import Backend, BackendSet, resolve_backends
from kexplore.checks.edge import SourceSpec, TargetSpec
from kexplore.checks.result import Disagreement, Evidence, LayerResult, Status
from kexplore.model.pods import Pod
from kexplore.model.services import Service, ServicePort
from kexplore.model.state import ClusterState

if TYPE_CHECKING:
    from kexplore.probes.base import Prober


@dataclass
class PartialCheck:
    """One part of a layer judged by another module (e.g. DNS egress under NetworkPolicy)."""

    status: Status
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    hint: str | None = None


# Judges whether the source may send DNS queries to the DNS backends (UDP and TCP to their
# target port). Provided by the networkpolicy layer's owner and wired in ladder.DNS_EGRESS.
DnsEgressCheck = Callable[["EdgeContext", list[Backend]], PartialCheck]


@dataclass
class EdgeContext:
    """The edge being checked: source, target, what the target resolved to, and its backends.

    `backends` are the endpoints of the dialed service port (for a Pod or IP target: the pod
    with the dialed port); `target_pods` the pods traffic can reach (a backend with a port).
    """

    state: ClusterState
    source: SourceSpec
    target: TargetSpec
    resolution: NameResolution
    service: Service | None = None
    service_port: ServicePort | None = None
    backends: list[Backend] = field(default_factory=list)
    target_pods: list[Pod] = field(default_factory=list)
    backend_set: BackendSet | None = None
    # selected by the service but out of its endpoints because they do not run: Pending
    # (unschedulable), without an IP, terminating; the pods layer says why
    idle_pods: list[Pod] = field(default_factory=list)
    results: dict[str, LayerResult] = field(default_factory=dict)
    prober: Prober | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    dns_egress: DnsEgressCheck | None = None
    l7: str = ""  # http, grpc or none (--l7); "" chooses from what the cluster declares
    path: str = "/"  # the HTTP path an application probe asks for (--path)
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def source_pod(self) -> Pod | None:
        """The first source pod (the one whose DNS setup and node stand for the source)."""
        return self.source.pods[0] if self.source.pods else None

    @property
    def dialed_port(self) -> int | None:
        """The port number dialed (a service port name resolved on the service)."""
        if isinstance(self.target.port, int):
            return self.target.port
        return self.service_port.port if self.service_port is not None else None


def build_context(
    state: ClusterState,
    source: SourceSpec,
    target: TargetSpec,
    *,
    prober: Prober | None = None,
    cancel: threading.Event | None = None,
    dns_egress: DnsEgressCheck | None = None,
    l7: str = "",
    path: str = "/",
) -> EdgeContext:
    """Resolve the target once (name, service port, backends) for all layers."""
    src_pod = source.pods[0] if source.pods else None
    resolution = resolve_name(state, source.namespace, src_pod, target)
    ctx = EdgeContext(
        state, source, target, resolution, prober=prober, dns_egress=dns_egress, l7=l7, path=path
    )
    if cancel is not None:
        ctx.cancel = cancel
    ctx.service = resolution.service
    if ctx.service is not None:
        ctx.service_port = ctx.service.find_port(target.port, target.protocol)
    if resolution.kind in (SERVICE, EXTERNAL_NAME) and ctx.service is not None:
        _service_backends(ctx, ctx.service, src_pod)
    elif resolution.kind in (POD, HEADLESS_POD):
        ctx.backends = [pod_backend(pod, resolution.ip, target) for pod in resolution.pods]
        ctx.target_pods = list(resolution.pods)
    return ctx


def _service_backends(ctx: EdgeContext, service: Service, src_pod: Pod | None) -> None:
    dialed = ctx.target.port if isinstance(ctx.target.port, int) else None
    node = src_pod.spec.node_name if src_pod is not None else None
    found = resolve_backends(
        ctx.state, service, ctx.service_port, dialed_port=dialed, source_node=node or None
    )
    ctx.backend_set = found
    ctx.backends = found.backends
    seen: dict[tuple[str, str], Pod] = {}
    for backend in found.backends:
        if backend.port is not None:
            seen.setdefault((backend.pod.namespace, backend.pod.name), backend.pod)
    ctx.target_pods = list(seen.values())
    ctx.idle_pods = [
        pod
        for pod in found.selected
        if (pod.namespace, pod.name) not in seen
        and not pod.synthesized
        and pod.status.phase not in ("Succeeded", "Failed")
        and (pod.status.phase == "Pending" or not pod.ips() or pod.metadata.deletion_timestamp)
    ]


def pod_backend(pod: Pod, ip: str, target: TargetSpec) -> Backend:
    """A pod dialed directly: the dialed port (a port name looked up on its containers)."""
    port: int | None = target.port if isinstance(target.port, int) else None
    if isinstance(target.port, str):
        for container in pod.serving_containers():
            for cport in container.ports:
                if cport.name == target.port and cport.protocol == target.protocol:
                    port = cport.container_port
    ready = pod.is_ready()
    terminating = pod.metadata.deletion_timestamp is not None
    address = ip or (pod.ips() or [""])[0]
    ref = f"pod {pod.namespace}/{pod.name}"
    note = "hostNetwork pod: serves on its node's IP" if pod.spec.host_network else ""
    return Backend(
        pod,
        address,
        port,
        target.protocol,
        ready,
        ready,
        terminating,
        note,
        ref,
        pod.spec.node_name,
    )
