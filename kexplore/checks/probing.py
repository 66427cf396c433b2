"""Shared machinery of the probe layers: running requests, predictions, explained_by."""

from __future__ import annotations

from kexplore.checks.context import EdgeContext
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.probes.base import ProbeRequest, ProbeResult

# Config layers that can explain a failing probe, in display order.
CONFIG_LAYERS = ("pods", "service", "dns", "mesh", "networkpolicy", "ports", "health", "cluster")
MAX_SOURCE_PODS = 3
OUTSIDE_HINT = (
    "something outside the Kubernetes objects drops the traffic: a cloud firewall or "
    "security group between nodes, the CNI's data path, or the app itself"
)


def run_all(ctx: EdgeContext, requests: list[ProbeRequest]) -> list[ProbeResult]:
    """Run each request with the edge's prober; requests it has nothing for are left out."""
    if ctx.prober is None:
        return []
    out: list[ProbeResult] = []
    for request in requests:
        if ctx.cancel.is_set():
            break
        result = ctx.prober.run(request, ctx.cancel)
        if result is not None:
            out.append(result)
    return out


def static_blocker(ctx: EdgeContext, layers: tuple[str, ...] = CONFIG_LAYERS) -> LayerResult | None:
    """The first of `layers` that fails: what static analysis predicts will stop traffic."""
    for layer_id in layers:
        result = ctx.results.get(layer_id)
        if result is not None and result.status is Status.FAIL:
            return result
    return None


def prediction(ctx: EdgeContext) -> str:
    """The static prediction for a probe that was not run."""
    blocker = static_blocker(ctx)
    if blocker is not None:
        return f"predicted to fail at {blocker.id}"
    return "predicted to succeed: no config layer fails"


def skipped(ctx: EdgeContext, layer_id: str, what: str) -> LayerResult:
    """A probe layer that was not run, with the prediction."""
    if ctx.prober is None:
        why, hint = "not probed", "rerun with --probe (acts on the cluster) to observe it"
    else:
        why, hint = "no probe result for this edge", "record one with --probe on a live cluster"
    return LayerResult(
        layer_id,
        Status.SKIPPED,
        f"{why}: {what}; {prediction(ctx)}",
        basis="static",
        hint=hint,
    )


def evidence_of(result: ProbeResult) -> Evidence:
    """A probe as evidence: where it ran and what it printed."""
    req = result.request
    ref = f"{result.basis} {req.probe} from pod {req.namespace}/{req.pod} to {req.target}"
    return Evidence(ref, result.describe())


def judge(
    ctx: EdgeContext,
    layer_id: str,
    results: list[ProbeResult],
    what: str,
    explaining: tuple[str, ...] = CONFIG_LAYERS,
    unexplained_hint: str = OUTSIDE_HINT,
) -> LayerResult:
    """pass / fail (explained_by a failing config layer) / unknown (probe could not run)."""
    basis = results[0].basis
    evidence = [evidence_of(r) for r in results]
    commands = [" ".join(r.command) for r in results]
    broken = [r for r in results if r.mechanism_failed]
    failed = [r for r in results if not r.ok and not r.mechanism_failed]
    blocker = static_blocker(ctx, explaining)
    if failed:
        first = failed[0]
        summary = f"{what}: {first.request.target} {first.result}"
        if len(failed) > 1:
            summary += f" ({len(failed)} of {len(results)} probes failed)"
        if blocker is not None:
            return LayerResult(
                layer_id,
                Status.FAIL,
                f"{summary}, as {blocker.id} predicts",
                basis,
                evidence,
                commands,
                blocker.hint,
                explained_by=blocker.id,
            )
        return LayerResult(
            layer_id,
            Status.FAIL,
            f"{summary}, though every config layer predicts success",
            basis,
            evidence,
            commands,
            unexplained_hint,
        )
    if broken:
        reason = broken[0].output.strip().splitlines()[-1:] or [broken[0].result]
        return LayerResult(
            layer_id,
            Status.UNKNOWN,
            f"the probe could not run: {reason[0]}",
            basis,
            evidence,
            commands,
            "grant pods/exec, or use a debug container (--debug-image)",
        )
    if blocker is not None:
        return LayerResult(
            layer_id,
            Status.WARN,
            f"{what}: connected, though {blocker.id} predicts failure — the config layer may "
            "be wrong or the data stale",
            basis,
            evidence,
            commands,
        )
    return LayerResult(
        layer_id,
        Status.PASS,
        f"{what}: all {len(results)} probes succeeded",
        basis,
        evidence,
        commands,
    )
