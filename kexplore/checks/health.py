"""The `health` layer: the containers serving the target port are healthy (probes, crashes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kexplore.checks.common import (
    capped,
    describe_pod,
    event_text,
    events_note,
    external_target,
    is_recent,
    no_pods_gate,
    outside_text,
    pod_events,
    pod_ref,
    recent_warnings,
    target_gate,
)
from kexplore.checks.context import EdgeContext
from kexplore.checks.logs import log_evidence
from kexplore.checks.pods import ORDER, behind_service, worst
from kexplore.checks.ports import serving_container
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.cluster import Event
from kexplore.model.pods import Container, Pod
from kexplore.shell import kubectl

LAYER = "health"
PROBE_EVENTS = ("Unhealthy", "BackOff", "ProbeWarning")
_FIELD_CONTAINER = re.compile(r"spec\.(?:initContainers|containers|ephemeralContainers)\{(.+)\}")


@dataclass
class Judged:
    """The verdict on one serving container."""

    ref: str
    pod: Pod
    status: Status = Status.PASS
    summary: str = ""
    hint: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    container: str = ""

    def add(self, status: Status, detail: str, hint: str = "") -> None:
        self.evidence.append(Evidence(self.ref, detail))
        if ORDER.index(status) > ORDER.index(self.status):
            self.status, self.summary, self.hint = status, f"{self.ref}: {detail}", hint


def check(ctx: EdgeContext) -> LayerResult:
    """Judge the containers that serve the target port on every target pod."""
    gate = target_gate(ctx, LAYER)
    if gate is not None:
        return gate
    if external_target(ctx):
        return LayerResult(LAYER, Status.SKIPPED, f"no target pods: {outside_text(ctx)}")
    gated = no_pods_gate(ctx, LAYER)
    if gated is not None:
        return gated
    ports = {(b.pod.namespace, b.pod.name): b for b in ctx.backends if b.port is not None}
    judged: list[Judged] = []
    for pod in ctx.target_pods:
        backend = ports.get((pod.namespace, pod.name))
        containers = _serving(pod, backend.port if backend else None, ctx.target.protocol)
        events = recent_warnings(ctx.state, "Pod", pod.namespace, pod.name)
        judged += [_judge(ctx, pod, c, events) for c in containers]
    result = _combine(judged)
    worst_one = next((j for j in judged if j.status is result.status), None)
    if worst_one is not None and result.status in (Status.FAIL, Status.WARN):
        result.evidence += log_evidence(ctx.state, worst_one.pod, worst_one.container)
    result.evidence.extend(events_note(ctx.state))
    return result


def _serving(pod: Pod, port: int | None, protocol: str) -> list[Container]:
    """The container declaring the port; all app containers when none declares it."""
    if port is not None:
        container, _ = serving_container(pod, port, protocol)
        if container is not None:
            return [container]
    return list(pod.spec.containers)


def _judge(ctx: EdgeContext, pod: Pod, container: Container, events: list[Event]) -> Judged:
    out = Judged(pod_ref(pod, container.name), pod, container=container.name)
    _judge_probes(out, container)
    if pod.synthesized:
        if out.status is Status.PASS:
            out.add(Status.UNKNOWN, "manifests only: no running container to judge")
        return out
    status = pod.container_status(container.name)
    if status is None:
        out.add(Status.UNKNOWN, "no container status reported", f"see {describe_pod(pod)}")
        return out
    waiting = status.state.waiting
    mine = [e for e in events if _event_container(e) in ("", container.name)]
    probe_events = [e for e in mine if e.reason in PROBE_EVENTS]
    if waiting is not None and waiting.reason == "CrashLoopBackOff":
        logs = kubectl("logs", "-n", pod.namespace, pod.name, "-c", container.name, "--previous")
        out.add(Status.FAIL, "CrashLoopBackOff", f"read why it exits: {logs}")
    elif not status.ready:
        why = event_text(probe_events[-1]) if probe_events else "not Ready"
        out.add(Status.FAIL, f"not Ready: {why}", _probe_hint(container))
    elif probe_events:
        detail = f"probe failures while Ready: {event_text(probe_events[-1])}"
        out.add(Status.WARN, detail, _flapping_hint(container, probe_events[-1]))
    last = status.last_state.terminated
    if status.restart_count and last is not None and is_recent(last.finished_at, ctx.state):
        detail = f"restarted {status.restart_count}x, last exit {last.reason or last.exit_code}"
        hint = "raise the memory limit or fix the leak" if last.reason == "OOMKilled" else ""
        out.add(Status.WARN, detail, hint)
    for event in probe_events:
        out.evidence.append(
            Evidence(f"event {pod.namespace}/{event.metadata.name}", event_text(event))
        )
    if out.status is Status.PASS:
        out.summary = f"{out.ref}: Ready, {status.restart_count} restarts"
    return out


def _judge_probes(out: Judged, container: Container) -> None:
    """Probes pointing at a port name the container does not declare can never succeed;
    an undeclared numeric probe port is fine (Istio's sidecar probes 15021 undeclared)."""
    names = {p.name for p in container.ports if p.name}
    if container.readiness_probe is None:
        out.evidence.append(
            Evidence(out.ref, "no readiness probe: traffic is sent as soon as it starts")
        )
    for kind, probe in container.probes():
        port = probe.port()
        out.evidence.append(Evidence(f"{out.ref} {kind}Probe", probe.describe()))
        if isinstance(port, str) and not port.isdigit() and port not in names:
            declared = ", ".join(
                f"{p.name} {p.container_port}/{p.protocol}" if p.name else str(p.container_port)
                for p in container.ports
            )
            to = f"a declared port ({declared})" if declared else "a port number"
            out.add(
                Status.FAIL,
                f"{kind} probe uses port name {port!r}, which the container does not declare",
                f"point the {kind} probe at {to}, or name a container port {port!r}",
            )


def _probe_hint(container: Container) -> str:
    probe = container.readiness_probe
    if probe is None:
        return "the container is not Ready: read its log and events"
    return f"the readiness probe ({probe.describe()}) fails: check that endpoint answers"


def _flapping_hint(container: Container, event: Event) -> str:
    """Failing probes on a Ready pod: it flaps in and out of the endpoints (or restarts)."""
    kind = next((k for k, _ in container.probes() if event.message.startswith(k.title())), "")
    probe = dict(container.probes()).get(kind)
    if probe is None:
        return "the probe fails now and then: make it check local state only"
    effect = "restarts the container" if kind == "liveness" else "takes the pod out of endpoints"
    return (
        f"the {kind} probe ({probe.describe()}) fails now and then and {effect}: make it "
        f"check local state only, or raise its timeoutSeconds ({probe.timeout_seconds}s)"
    )


def _event_container(event: Event) -> str:
    match = _FIELD_CONTAINER.fullmatch(event.involved_object.field_path)
    return match.group(1) if match else ""


def _combine(judged: list[Judged]) -> LayerResult:
    statuses = [j.status for j in judged]
    status = behind_service([(j.status, j.pod.is_ready()) for j in judged])
    first = next(j for j in judged if j.status is worst(statuses))
    result = LayerResult(LAYER, status, first.summary, hint=first.hint or None)
    if len(judged) > 1 and status is Status.PASS:
        result.summary = f"{len(judged)} serving containers Ready"
    elif first.status is Status.FAIL and len(judged) > 1:
        bad = sum(1 for s in statuses if s is Status.FAIL)
        result.summary = f"{bad}/{len(judged)} serving containers failing; {first.summary}"
    result.evidence = capped([e for j in judged for e in j.evidence])
    result.commands = [describe_pod(first.pod), pod_events(first.pod.namespace, first.pod.name)]
    return result
