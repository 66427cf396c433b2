"""Policy decisions from the data plane in `reachability`: when a path fails, the flows the
CNI kept for it (Hubble in the Cilium agent on the target's node) against the static
networkpolicy verdict — or which source would have told, and how to enable it."""

from __future__ import annotations

from kexplore.checks.context import EdgeContext
from kexplore.checks.probing import probe_ref, run_all
from kexplore.checks.result import Disagreement, Evidence, LayerResult, Status
from kexplore.model.pods import Pod
from kexplore.probes.base import L7Spec, ProbeRequest, ProbeResult
from kexplore.probes.flows import Flow, parse_hubble, policy_denied, verdicts
from kexplore.shell import pasteable

CILIUM_AGENT = "cilium-agent"
RAW_SHOWN = 4
CALICO_HOW = (
    "Calico (open source) keeps no per-flow policy decisions: a GlobalNetworkPolicy rule "
    "with `action: Log` before the deny writes matching packets to the node's kernel log "
    "(`journalctl -k` on the node), and Calico Enterprise/Cloud flow logs record every "
    "denied flow; with Cilium, `hubble observe --verdict DROPPED` shows it"
)
NONE_HOW = (
    "this CNI keeps no policy decisions kexplore can read: with Cilium, `hubble observe "
    "--verdict DROPPED` in the agent shows denied flows; with Calico, a `Log` rule or "
    "Calico Enterprise flow logs"
)


def _agent(ctx: EdgeContext, app: str, node: str) -> Pod | None:
    return next(
        (p for p in ctx.state.pods if p.labels.get("k8s-app") == app and p.spec.node_name == node),
        None,
    )


def request_for(ctx: EdgeContext) -> ProbeRequest | None:
    """Hubble's flows from the source pods to the first backend, read in the Cilium agent on
    that backend's node (None: no backend, or no Cilium agent there)."""
    backend = next((b for b in ctx.backends if b.ip and b.port is not None), None)
    agent = _agent(ctx, "cilium", backend.node) if backend is not None else None
    if backend is None or agent is None:
        return None
    sources = tuple(ip for pod in ctx.source.pods for ip in pod.ips())
    target = f"{backend.ip}:{backend.port}"
    spec = L7Spec(peers=sources)
    return ProbeRequest("flows", agent.namespace, agent.name, target, CILIUM_AGENT, spec)


def add(ctx: EdgeContext, base: LayerResult, results: list[ProbeResult]) -> LayerResult:
    """After a failed connect (a policy drops packets, not answers): read the flows, or say
    which source would have told."""
    connects = [r for r in results if r.request.probe in ("tcp", "udp")]
    failed = [r for r in connects if not r.ok and not r.mechanism_failed]
    backend = next((b for b in ctx.backends if b.ip and b.port is not None), None)
    if not failed or backend is None:
        return base
    request = request_for(ctx)
    if request is None:
        calico = _agent(ctx, "calico-node", backend.node) is not None
        note = CALICO_HOW if calico else NONE_HOW
        base.evidence.append(Evidence(f"flows on node {backend.node or '?'}", note, "flows"))
        return base
    for result in run_all(ctx, [request]):
        base.commands.append(pasteable(result.command))
        _judge(ctx, base, result)
    return base


def _judge(ctx: EdgeContext, base: LayerResult, result: ProbeResult) -> None:
    if result.mechanism_failed:
        lines = result.output.strip().splitlines()
        why = lines[-1] if lines else result.result
        base.evidence.append(Evidence(probe_ref(result), f"no flows: {why}", "flows"))
        return
    flows = parse_hubble(result.output)
    counts = ", ".join(f"{n}× {v}" for v, n in verdicts(flows).most_common()) or "no flow"
    shown = "".join(f"\n  | {f.line()}" for f in flows[-RAW_SHOWN:])
    base.evidence.append(Evidence(probe_ref(result), f"Hubble: {counts}{shown}", "flows"))
    denied = policy_denied(flows)
    static = ctx.results.get("networkpolicy")
    if static is None or not flows:
        return
    if denied and static.status is Status.FAIL:
        base.summary += "; Hubble agrees: POLICY_DENIED"
    elif denied:
        _disagree(ctx, static, f"Hubble: {denied[-1].line()}", probe_ref(result), _ALLOW_GAP)
    elif static.status is Status.FAIL and _forwarded(flows):
        _disagree(ctx, static, f"Hubble: {flows[-1].line()}", probe_ref(result), _DENY_GAP)


def _forwarded(flows: list[Flow]) -> bool:
    return any(f.verdict == "FORWARDED" for f in flows)


_ALLOW_GAP = (
    "a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy the Kubernetes objects do not show",
    "Cilium's CIDR rules do not select cluster endpoints (an ipBlock the API's semantics allow)",
    "the data is stale: a NetworkPolicy changed since it was read",
)
_DENY_GAP = (
    "the data is stale: a NetworkPolicy changed since it was read",
    "the CNI enforces policy differently (an allow policy the data does not hold)",
)


def _disagree(
    ctx: EdgeContext, static: LayerResult, observed: str, ref: str, gap: tuple[str, ...]
) -> None:
    predicted = f"{static.status} ({static.summary})"
    ctx.disagreements.append(Disagreement("networkpolicy", predicted, observed, gap, ref))
