"""The `pods` layer: source and target pods exist, Running and Ready, without crash loops."""

from __future__ import annotations

from dataclasses import dataclass, field

from kexplore.checks.common import (
    capped,
    describe_pod,
    event_text,
    events_note,
    external_target,
    how_to_add,
    is_recent,
    no_pods_gate,
    one_line,
    outside_text,
    pod_events,
    pod_ref,
    recent_warnings,
    target_gate,
)
from kexplore.checks.context import EdgeContext
from kexplore.checks.logs import log_evidence
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.pods import ContainerStatus, Pod, StateDetail
from kexplore.model.state import ClusterState
from kexplore.model.workloads import Workload
from kexplore.shell import kubectl

LAYER = "pods"
BAD_WAITING = {
    "CrashLoopBackOff": "the container keeps crashing; read its previous log",
    "ImagePullBackOff": "the image cannot be pulled: check the image name, tag and pull secret",
    "ErrImagePull": "the image cannot be pulled: check the image name, tag and pull secret",
    "InvalidImageName": "the image name is invalid: fix it in the pod template",
    "CreateContainerConfigError": "a referenced ConfigMap/Secret key is missing: create it",
    "CreateContainerError": "the runtime cannot create the container: see describe output",
    "RunContainerError": "the container cannot start: check the command and mounts",
}
ORDER = (Status.PASS, Status.WARN, Status.UNKNOWN, Status.FAIL)
EVENT_HINTS = {
    "Unhealthy": "its probes fail: see the health layer for which probe and how to fix it",
    "ProbeWarning": "its probes warn: see the health layer",
    "BackOff": "it restarts: read its previous log (kubectl logs --previous)",
}


def worst(statuses: list[Status]) -> Status:
    """The most severe status (fail > unknown > warn > pass)."""
    return max(statuses, key=ORDER.index, default=Status.PASS)


@dataclass
class PodJudgement:
    """What is wrong with one pod: a status, the evidence and the fix for its worst problem."""

    pod: Pod
    status: Status = Status.PASS
    evidence: list[Evidence] = field(default_factory=list)
    problem: str = ""
    hint: str = ""

    def add(self, status: Status, ref: str, detail: str, hint: str = "") -> None:
        self.evidence.append(Evidence(ref, detail))
        if ORDER.index(status) > ORDER.index(self.status):
            self.status, self.problem, self.hint = status, f"{ref}: {detail}", hint


def judge_pod(state: ClusterState, pod: Pod) -> PodJudgement:
    """Phase, readiness, container states, restarts and recent Warning events of a pod."""
    out = PodJudgement(pod)
    ref = pod_ref(pod)
    if pod.synthesized:
        hint = "check again against the live cluster, or a snapshot that holds the pods"
        out.add(Status.UNKNOWN, ref, "manifests only: no running pods to judge", hint)
        return out
    phase = pod.status.phase or "Unknown"
    if phase != "Running":
        out.add(Status.FAIL, ref, f"phase {phase}{_why_not_running(state, pod)}", _fix(pod))
    if pod.metadata.deletion_timestamp:
        out.add(Status.WARN, ref, f"terminating since {pod.metadata.deletion_timestamp}")
    elif phase == "Running" and not pod.ips() and not pod.spec.host_network:
        out.add(Status.FAIL, ref, "Running without an IP: no endpoint", _fix(pod))
    for container in [*pod.spec.containers, *pod.spec.init_containers]:
        status = pod.container_status(container.name)
        if status is not None:
            _judge_container(state, out, pod, status, container in pod.serving_containers())
    ready = pod.condition("Ready")
    if phase == "Running" and not pod.is_ready() and out.status is not Status.FAIL:
        reason = one_line(f"{ready.reason} {ready.message}") if ready else "no Ready condition"
        out.add(Status.FAIL, ref, f"not Ready ({reason})", "see the health layer")
    for event in recent_warnings(state, "Pod", pod.namespace, pod.name):
        hint = EVENT_HINTS.get(event.reason, f"the event says what to fix ({describe_pod(pod)})")
        out.add(
            Status.WARN, f"event {pod.namespace}/{event.metadata.name}", event_text(event), hint
        )
    if out.status is Status.PASS:
        out.evidence.insert(0, Evidence(ref, f"Running and Ready on node {pod.spec.node_name}"))
    return out


def _why_not_running(state: ClusterState, pod: Pod) -> str:
    """` (Unschedulable: 0/3 nodes are available: …)`: the scheduler's or kubelet's reason."""
    if pod.status.reason:
        return f" ({pod.status.reason}: {one_line(pod.status.message)})"
    scheduled = pod.condition("PodScheduled")
    if scheduled is not None and scheduled.status == "False":
        return f" ({scheduled.reason or 'not scheduled'}: {one_line(scheduled.message)})"
    failed = [
        e
        for e in state.events_for("Pod", pod.namespace, pod.name)
        if e.reason == "FailedScheduling"
    ]
    return f" (FailedScheduling: {one_line(failed[-1].message)})" if failed else ""


def _fix(pod: Pod) -> str:
    return f"see why: {describe_pod(pod)}"


def _judge_container(
    state: ClusterState, out: PodJudgement, pod: Pod, status: ContainerStatus, serving: bool
) -> None:
    ref = pod_ref(pod, status.name)
    waiting = status.state.waiting
    last = status.last_state.terminated
    if waiting is not None and waiting.reason in BAD_WAITING:
        logs = kubectl("logs", "-n", pod.namespace, pod.name, "-c", status.name, "--previous")
        hint = BAD_WAITING[waiting.reason]
        detail = f"waiting: {waiting.reason}" + (
            f": {one_line(waiting.message)}" if waiting.message else ""
        )
        if waiting.reason == "CrashLoopBackOff":  # the back-off message is noise: say how
            exits = f", last exit {_exit_text(last)}" if last is not None else ""
            detail = f"waiting: CrashLoopBackOff ({status.restart_count} restarts{exits})"
        out.add(Status.FAIL, ref, detail, f"{hint} ({logs})" if "log" in hint else hint)
    elif waiting is not None and serving:
        out.add(Status.WARN, ref, f"waiting: {waiting.reason or 'not started'}")
    elif serving and status.state.running is not None and not status.ready:
        out.add(Status.FAIL, ref, "running but not Ready", "see the health layer (readiness probe)")
    if status.restart_count and last is not None:
        detail = f"{status.restart_count} restarts; last exit {_exit_text(last)}"
        if last.finished_at:
            detail += f" at {last.finished_at}"
        recent = is_recent(last.finished_at, state)
        hint = "raise the memory limit or fix the leak" if last.reason == "OOMKilled" else ""
        out.add(Status.WARN if recent else Status.PASS, ref, detail, hint)


def _exit_text(last: StateDetail) -> str:
    """`Error (exit code 2)`, `OOMKilled (exit code 137)`, or just the code."""
    if last.reason and last.exit_code is not None:
        return f"{last.reason} (exit code {last.exit_code})"
    return last.reason or f"exit code {last.exit_code}"


def behind_service(judged: list[tuple[Status, bool]]) -> Status:
    """The many-pods rule (DESIGN §2) for the target side, from (status, receives traffic)
    per backend: a broken backend that receives traffic fails the layer; broken backends
    out of the endpoints warn while others serve; all broken fails."""
    statuses = [status for status, _ in judged]
    status = worst(statuses)
    if status is not Status.FAIL or any(s is Status.FAIL and live for s, live in judged):
        return status
    if all(s is Status.FAIL for s in statuses):
        return Status.FAIL
    return Status.UNKNOWN if Status.UNKNOWN in statuses else Status.WARN


def judge_side(
    state: ClusterState, pods: list[Pod], source: bool = False
) -> tuple[Status, list[PodJudgement]]:
    """One side's pods: every source pod is a client, so any failing one fails the side;
    target pods follow `behind_service` (a not-Ready pod is out of the endpoints)."""
    judged = [judge_pod(state, pod) for pod in pods]
    if source:
        return worst([j.status for j in judged]), judged
    return behind_service([(j.status, j.pod.is_ready()) for j in judged]), judged


def check(ctx: EdgeContext) -> LayerResult:
    """Judge the source pods and the target pods."""
    src_status, src = judge_side(ctx.state, ctx.source.pods, source=True)
    if not ctx.source.pods:
        src_status = Status.UNKNOWN if ctx.source.unreadable else Status.FAIL
    gate = target_gate(ctx, LAYER) or (None if ctx.idle_pods else no_pods_gate(ctx, LAYER))
    targets = [*ctx.target_pods, *ctx.idle_pods]
    tgt_status, tgt = (Status.PASS, []) if gate else judge_side(ctx.state, targets)
    judged = src + tgt
    result = LayerResult(LAYER, worst([src_status, tgt_status]), "")
    result.evidence = capped([e for j in judged for e in j.evidence]) + events_note(ctx.state)
    result.commands = _commands(ctx, judged)
    bad = sorted(
        (j for j in judged if j.status is not Status.PASS), key=lambda j: -ORDER.index(j.status)
    )
    if ctx.source.note:
        result.evidence.insert(0, Evidence(_source_text(ctx), ctx.source.note))
    if ctx.source.unreadable and not ctx.source.pods:
        _unreadable_source(ctx, result)
    elif not ctx.source.pods:
        _no_source_pods(ctx, result)
    elif bad:
        result.summary = _side_of(bad[0], src) + bad[0].problem
        result.hint = bad[0].hint or f"inspect it: {describe_pod(bad[0].pod)}"
        result.evidence.extend(log_evidence(ctx.state, bad[0].pod))
    else:
        result.summary = _healthy_summary(ctx, src, tgt)
    if gate is not None and src_status is not Status.FAIL:
        result.status, result.explained_by = Status.UNKNOWN, gate.explained_by
        result.summary = f"{result.summary}; target: {gate.summary}"
        result.hint = result.hint or gate.hint
        result.evidence.extend(gate.evidence)
    return result


def _source_text(ctx: EdgeContext) -> str:
    src = ctx.source
    return f"{src.kind.lower()} {src.namespace}/{src.name}"


def _unreadable_source(ctx: EdgeContext, result: LayerResult) -> None:
    """The source's pods could not be read: say what is missing and how to get it."""
    src = ctx.source
    result.summary = f"source {src.namespace}/{src.name} cannot be read ({src.unreadable})"
    result.evidence.insert(0, Evidence(_source_text(ctx), src.unreadable))
    result.hint = how_to_add(ctx.state, f"Pod in namespace {src.namespace}")


def _no_source_pods(ctx: EdgeContext, result: LayerResult) -> None:
    """Why the source runs nothing: scaled to 0 (say how to scale it), else its selector or
    controller (say where to look)."""
    src = ctx.source
    kind = src.kind.lower()
    result.summary = f"source {src.kind} {src.namespace}/{src.name} has no pods"
    result.hint = "scale it up or fix its selector: nothing runs to send traffic"
    workload = ctx.state.get(src.kind, src.namespace, src.name)
    if isinstance(workload, Workload):
        spec, status = workload.spec, workload.status
        desired = "unset" if spec.replicas is None else str(spec.replicas)
        result.evidence.insert(
            0,
            Evidence(
                f"{kind} {src.namespace}/{src.name}",
                f"spec.replicas {desired}, status.replicas {status.replicas}",
            ),
        )
        if spec.replicas == 0:
            result.summary += " (scaled to 0)"
            scale = kubectl("scale", kind, src.name, "-n", src.namespace, "--replicas=1")
            result.hint = f"it is scaled to 0: {scale} (or as many as it needs)"
    result.commands.insert(0, kubectl("describe", kind, "-n", src.namespace, src.name))


def _side_of(judgement: PodJudgement, source: list[PodJudgement]) -> str:
    return "source " if judgement in source else "target "


def _healthy_summary(ctx: EdgeContext, src: list[PodJudgement], tgt: list[PodJudgement]) -> str:
    text = f"source: {len(src)} pod(s) Running and Ready"
    if tgt:
        text += f"; target: {len(tgt)} pod(s) Running and Ready"
    elif external_target(ctx):
        text += f"; target: {outside_text(ctx)}"
    return text


def _commands(ctx: EdgeContext, judged: list[PodJudgement]) -> list[str]:
    namespaces = sorted({j.pod.namespace for j in judged} or {ctx.source.namespace})
    commands = [kubectl("get", "pods", "-n", ns, "-o", "wide") for ns in namespaces]
    for j in judged:
        if j.status is not Status.PASS and not j.pod.synthesized:
            commands += [describe_pod(j.pod), pod_events(j.pod.namespace, j.pod.name)]
            break
    return commands
