"""The `ports` layer: the target container declares the port traffic reaches (name, protocol)."""

from __future__ import annotations

from dataclasses import dataclass

from kexplore.analysis.services import Backend
from kexplore.checks.common import (
    capped,
    describe_pod,
    external_target,
    no_pods_gate,
    outside_text,
    pod_ref,
    target_gate,
)
from kexplore.checks.context import EdgeContext
from kexplore.checks.pods import behind_service, worst
from kexplore.checks.probe_parts import merge, socket_table
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.pods import Container, Pod

LAYER = "ports"
LISTEN_HINT = (
    "make the app listen on 0.0.0.0 (not 127.0.0.1) on the port traffic reaches, or point "
    "the service's targetPort at the port it listens on"
)


@dataclass
class PortVerdict:
    """One target pod's verdict on the port traffic reaches."""

    pod: Pod
    status: Status
    summary: str
    evidence: list[Evidence]
    hint: str = ""


def serving_container(pod: Pod, port: int, protocol: str) -> tuple[Container | None, bool]:
    """The container declaring `port` (first with the protocol); and whether the port is
    declared at all (with any protocol)."""
    any_protocol = False
    for container in pod.serving_containers():
        for cport in container.ports:
            if cport.container_port == port:
                if cport.protocol == protocol:
                    return container, True
                any_protocol = True
    return None, any_protocol


def check(ctx: EdgeContext) -> LayerResult:
    """Judge every target pod at the port traffic reaches."""
    gate = target_gate(ctx, LAYER)
    if gate is not None:
        return gate
    if external_target(ctx):
        return LayerResult(LAYER, Status.SKIPPED, f"no target pods: {outside_text(ctx)}")
    gated = no_pods_gate(ctx, LAYER)
    if gated is not None:
        return gated
    backends = _one_per_pod(ctx.backends)
    verdicts = [_judge(ctx, b) for b in backends]
    statuses = [v.status for v in verdicts]
    status = behind_service(
        [
            (v.status, b.ready and b.port is not None)
            for v, b in zip(verdicts, backends, strict=True)
        ]
    )
    first = next((v for v in verdicts if v.status is worst(statuses)), verdicts[0])
    result = LayerResult(LAYER, status, first.summary, hint=first.hint or None)
    result.evidence = capped([e for v in verdicts for e in v.evidence])
    result.commands = [describe_pod(first.pod)]
    if len(verdicts) > 1 and status is Status.PASS:
        result.summary = f"{len(verdicts)} pods: {first.summary.split(': ', 1)[-1]}"
    return merge(result, socket_table(ctx), "socket table", LISTEN_HINT)


def _one_per_pod(backends: list[Backend]) -> list[Backend]:
    seen: dict[tuple[str, str], Backend] = {}
    for b in backends:
        seen.setdefault((b.pod.namespace, b.pod.name), b)
    return list(seen.values())


def _judge(ctx: EdgeContext, backend: Backend) -> PortVerdict:
    pod, protocol = backend.pod, backend.protocol
    if backend.port is None:
        return _named_missing(ctx, pod, protocol)
    port = backend.port
    container, declared_elsewhere = serving_container(pod, port, protocol)
    if container is None:
        other = f" (declared with another protocol, not {protocol})" if declared_elsewhere else ""
        detail = f"no container declares port {port}/{protocol}{other}"
        summary = f"{pod_ref(pod)}: {detail}"
        hint = (
            f"declare containerPort {port} protocol {protocol} on the serving container; "
            "traffic still works if the process listens, but named ports and readers rely on it"
        )
        return PortVerdict(pod, Status.WARN, summary, [Evidence(pod_ref(pod), detail)], hint)
    cport = next(p for p in container.ports if p.container_port == port and p.protocol == protocol)
    name = f" ({cport.name})" if cport.name else ""
    ref = pod_ref(pod, container.name)
    summary = f"{ref}: declares {port}/{protocol}{name}"
    evidence = [Evidence(ref, f"containerPort {port}/{protocol}{name}")]
    evidence += _probe_notes(container, port, ref)
    if backend.note:
        evidence.append(Evidence(pod_ref(pod), backend.note))
    return PortVerdict(pod, Status.PASS, summary, evidence)


def _named_missing(ctx: EdgeContext, pod: Pod, protocol: str) -> PortVerdict:
    target = ctx.service_port.target_port if ctx.service_port else ctx.target.port
    named = [
        f"{c.name}: {p.container_port}/{p.protocol}" + (f" ({p.name})" if p.name else "")
        for c in pod.serving_containers()
        for p in c.ports
    ]
    summary = (
        f"{pod_ref(pod)}: no container declares a port named {target!r} with protocol {protocol}"
    )
    evidence = [Evidence(pod_ref(pod), "declared: " + (", ".join(named) or "no ports"))]
    hint = f"name the serving container's port {target!r} (protocol {protocol}), or use a number"
    return PortVerdict(pod, Status.FAIL, summary, evidence, hint)


def _probe_notes(container: Container, port: int, ref: str) -> list[Evidence]:
    """Probes that check another port than the served one (informational)."""
    notes: list[Evidence] = []
    names = {p.name: p.container_port for p in container.ports if p.name}
    for kind, probe in container.probes():
        probe_port = probe.port()
        number = names.get(probe_port) if isinstance(probe_port, str) else probe_port
        if probe_port is not None and number != port:
            notes.append(
                Evidence(
                    f"{ref} {kind}Probe",
                    f"{probe.describe()} checks port {probe_port}, traffic goes to {port}: "
                    "a passing probe does not show the served port listens",
                )
            )
    return notes
