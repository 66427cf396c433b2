"""Shared machinery of the probe layers: running requests, predictions, explained_by."""

from __future__ import annotations

from kexplore.checks.context import EdgeContext
from kexplore.checks.result import Disagreement, Evidence, LayerResult, Status
from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.probes.commands import kubectl_exec
from kexplore.shell import pasteable

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


UNKNOWN_HINTS = {
    "forbidden": "ask for RBAC `create` on the pods/exec (or pods/portforward) subresource",
    "no-tool": "the image has no probe tool: rerun with --debug-image to use an ephemeral "
    "debug container (it cannot be removed from the pod afterwards)",
    "not-running": "the container is not running: see the pods layer",
}
OUTPUT_TAIL = 3


def probe_ref(result: ProbeResult) -> str:
    """`probe tcp from pod shop/web-1 to 10.0.0.3:8080`."""
    req = result.request
    return f"{result.basis} {req.probe} from pod {req.namespace}/{req.pod} to {req.target}"


def evidence_of(result: ProbeResult) -> Evidence:
    """A probe as evidence: where it ran, its command, result, and the end of its output."""
    ref = probe_ref(result)
    tail = [line.strip() for line in result.output.splitlines() if line.strip()][-OUTPUT_TAIL:]
    detail = result.describe() + "".join(f"\n  | {line}" for line in tail)
    return Evidence(ref, detail)


def reproduce(result: ProbeResult) -> str:
    """The command a user can run by hand: `kubectl exec … -- argv` or the port-forward."""
    argv = result.command
    if argv[:1] != ["kubectl"]:
        req = result.request
        argv = kubectl_exec(req.namespace, req.pod, req.container, argv)
    return pasteable(argv)


def judge(
    ctx: EdgeContext,
    layer_id: str,
    results: list[ProbeResult],
    what: str,
    explaining: tuple[str, ...] = CONFIG_LAYERS,
    unexplained_hint: str = OUTSIDE_HINT,
    note_connected: bool = True,
) -> LayerResult:
    """pass / fail (explained_by a failing config layer of `explaining`) / unknown (the probe
    could not run) / warn (it worked though a config layer of `explaining` predicts failure:
    a disagreement on the edge, unless `note_connected` is off and the caller judges it)."""
    base = LayerResult(
        layer_id,
        Status.PASS,
        f"{what}: all {len(results)} probes succeeded",
        results[0].basis,
        [evidence_of(r) for r in results],
        [reproduce(r) for r in results],
    )
    failed = [r for r in results if not r.ok and not r.mechanism_failed]
    broken = [r for r in results if r.mechanism_failed]
    blocker = static_blocker(ctx, explaining)
    if failed:
        first = failed[0]
        base.status = Status.FAIL
        base.summary = f"{what}: {first.request.target} {first.result}"
        if len(failed) > 1:
            base.summary += f" ({len(failed)} of {len(results)} probes failed)"
        if blocker is not None:
            base.summary += f", as {blocker.id} predicts"
            base.hint, base.explained_by = blocker.hint, blocker.id
        else:
            base.summary += ", though every config layer predicts success"
            base.hint = unexplained_hint
            observed = f"{first.request.target} {first.result}"
            ctx.disagreements.append(
                Disagreement(
                    layer_id,
                    "pass (every config layer predicts success)",
                    observed,
                    (unexplained_hint,),
                    probe_ref(first),
                )
            )
    elif broken:
        lines = broken[0].output.strip().splitlines()
        base.status = Status.UNKNOWN
        base.summary = f"the probe could not run: {lines[-1] if lines else broken[0].result}"
        base.hint = UNKNOWN_HINTS.get(broken[0].result, "read the probe's output below")
    elif blocker is not None:
        base.status = Status.WARN
        base.summary = (
            f"{what}: connected, though {blocker.id} predicts failure — the config layer may "
            "be wrong or the data stale"
        )
        if note_connected:
            connected_despite(ctx, blocker, f"{layer_id}: every probe connected", results[0])
    return base


def connected_despite(
    ctx: EdgeContext, blocker: LayerResult, observed: str, result: ProbeResult
) -> None:
    """A probe got through where a config layer predicts failure: a disagreement."""
    ctx.disagreements.append(
        Disagreement(
            blocker.id,
            f"fail ({blocker.summary})",
            observed,
            (
                "the data is stale: the configuration changed since it was read",
                "the data plane does not enforce what the objects say (a CNI without policy "
                "support, a proxy not yet in sync)",
            ),
            probe_ref(result),
        )
    )
