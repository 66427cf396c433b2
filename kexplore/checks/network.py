"""The network layer: port-forward to the target pod and connect, bypassing the service."""

from __future__ import annotations

from kexplore.checks.context import EdgeContext
from kexplore.checks.logs import log_evidence
from kexplore.checks.pods import judge_side
from kexplore.checks.probing import judge, run_all, skipped
from kexplore.checks.result import LayerResult, Status
from kexplore.probes.base import ProbeRequest, ProbeResult


def _any_failed(results: list[ProbeResult]) -> bool:
    return any(not r.ok and not r.mechanism_failed for r in results)


def check(ctx: EdgeContext) -> LayerResult:
    """A port-forward to each backend pod's target port, then a local connect."""
    requests = [
        ProbeRequest("port-forward", b.pod.namespace, b.pod.name, f"{b.ip}:{b.port}")
        for b in ctx.backends
        if b.port is not None and b.ip
    ]
    what = "port-forward to the target pods"
    if not requests:
        return skipped(ctx, "network", "no target pod with the port")
    results = run_all(ctx, requests)
    if not results:
        return skipped(ctx, "network", what)
    # A port-forward goes through the kubelet into the pod: policies, mesh and the service
    # path do not apply, so only the pod's own state can explain a failure. It dials
    # localhost inside the pod, so a loopback-only listener (a ports failure) still answers:
    # success contradicts only the pods and health layers. The source is not involved: a
    # pods failure on the source side alone (e.g. scaled to 0) predicts nothing here.
    explaining: tuple[str, ...] = (
        ("pods", "ports", "health") if _any_failed(results) else ("pods", "health")
    )
    if judge_side(ctx.state, ctx.target_pods)[0] is not Status.FAIL:
        explaining = tuple(layer for layer in explaining if layer != "pods")
    result = judge(
        ctx,
        "network",
        results,
        what,
        explaining=explaining,
        unexplained_hint="nothing accepts connections on that port inside the pod although "
        "it looks healthy: read the app's log, check its socket table (ports layer probe), "
        "and make the readiness probe exercise the real listener",
    )
    if result.status is Status.FAIL and result.explained_by is None:
        failed = {r.request.pod for r in results if not r.ok and not r.mechanism_failed}
        for pod in [p for p in ctx.target_pods if p.name in failed][:1]:
            result.evidence += log_evidence(ctx.state, pod)
    return result
