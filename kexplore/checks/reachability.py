"""The reachability layer: TCP/UDP connects from the source pod to the service and backends."""

from __future__ import annotations

from kexplore.checks import capture_part, flows_part, l7
from kexplore.checks.context import EdgeContext
from kexplore.checks.probing import (
    MAX_SOURCE_PODS,
    OUTSIDE_HINT,
    connected_despite,
    judge,
    run_all,
    skipped,
    static_blocker,
)
from kexplore.checks.result import LayerResult, Status
from kexplore.probes.base import ProbeRequest, ProbeResult


def _addresses(ctx: EdgeContext) -> list[str]:
    """IP:port pairs a connect should reach: the service IP (not headless), then backends."""
    out: list[str] = []
    svc, port = ctx.service, ctx.dialed_port
    if svc is not None and port is not None and svc.spec.cluster_ip not in ("", "None"):
        out.append(_join(svc.spec.cluster_ip, port))
    for backend in ctx.backends:
        if backend.ip and backend.port is not None:
            out.append(_join(backend.ip, backend.port))
    if ctx.target.kind == "IP" and not out:
        out.append(_join(ctx.target.host, port or 0))
    return list(dict.fromkeys(out))


def _join(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def check(ctx: EdgeContext) -> LayerResult:
    """Connect from each source pod (up to three) to every address the edge uses, then speak
    the application protocol (HTTP, gRPC health) where the connect succeeded."""
    addresses = _addresses(ctx)
    what = f"{ctx.target.protocol} connect to {ctx.target.dialed}"
    if not addresses:
        return skipped(ctx, "reachability", "no address to connect to")
    probe = "udp" if ctx.target.protocol == "UDP" else "tcp"
    requests = [
        ProbeRequest(probe, pod.namespace, pod.name, address)
        for pod in ctx.source.pods[:MAX_SOURCE_PODS]
        for address in addresses
    ]
    results = run_all(ctx, requests)
    if not results:
        return skipped(ctx, "reachability", what)
    hint = _outside_hint(ctx, results)
    base = judge(ctx, "reachability", results, what, unexplained_hint=hint, note_connected=False)
    base, answers = l7.run(ctx, base, results)
    if base.status is Status.WARN:
        _connected_despite(ctx, results, answers)
    base = capture_part.add(ctx, base, [*results, *answers])
    return flows_part.add(ctx, base, [*results, *answers])


def _connected_despite(
    ctx: EdgeContext, connects: list[ProbeResult], answers: list[ProbeResult]
) -> None:
    """Connected though a config layer predicts failure: a disagreement — except a mesh
    failure without an application probe (a sidecar accepts the connection, then fails it)."""
    blocker = static_blocker(ctx)
    answered = [a for a in answers if a.ok]
    if blocker is None or (blocker.id == "mesh" and not answered):
        return
    if answered:
        connected_despite(ctx, blocker, f"reachability: {l7.headline(answered[0])}", answered[0])
    else:
        connected_despite(ctx, blocker, "reachability: every probe connected", connects[0])


def _outside_hint(ctx: EdgeContext, results: list[ProbeResult]) -> str:
    """Where to look when no config layer explains it: which paths failed narrows it down."""
    backends = {_join(b.ip, b.port) for b in ctx.backends if b.ip and b.port is not None}
    failed = {r.request.target for r in results if not r.ok and not r.mechanism_failed}
    answered = {r.request.target for r in results if r.ok}
    if backends and failed >= backends:
        ports = ",".join(sorted({str(b.port) for b in ctx.backends if b.port is not None}))
        nodes = {p.spec.node_name for p in [*ctx.source.pods, *ctx.target_pods]}
        if len(nodes) == 1:
            return (
                "the pod IPs fail too, on one node: not the Service path (kube-proxy) but the "
                "CNI's data path or a host firewall on that node, or the app itself"
            )
        return (
            "the pod IPs fail too, so it is not the Service path (kube-proxy) but the network "
            f"between the nodes: a cloud firewall or security group that does not open "
            f"{ctx.target.protocol} {ports} between them (an unencapsulated CNI exposes pod "
            "ports to it), the CNI's data path, or the app itself"
        )
    if failed and backends and backends <= answered:
        return (
            "the pod IPs answer but the service IP does not: check kube-proxy (or the CNI's "
            "service implementation) on the source's node"
        )
    return OUTSIDE_HINT
