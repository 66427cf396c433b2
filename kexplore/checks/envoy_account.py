"""The probe part of `mesh`: Envoy's own account of the edge — the access logs of the source's
and the target's istio-proxy, decoded by response flag, and the source proxy's cluster view —
compared with the static verdict (a contradiction is a disagreement on the edge)."""

from __future__ import annotations

from collections import Counter

from kexplore.analysis.mesh.common import service_fqdn
from kexplore.analysis.mesh.dataplane import PROXY_CONTAINER, proxy_container
from kexplore.checks.context import EdgeContext
from kexplore.checks.probing import MAX_SOURCE_PODS, reproduce, run_all
from kexplore.checks.result import Disagreement, Evidence, LayerResult, Status
from kexplore.probes.base import L7Spec, ProbeRequest, ProbeResult
from kexplore.probes.envoy import (
    AccessLine,
    destination_tls,
    lines_for,
    parse_access_log,
    parse_clusters,
)

MAX_TARGET_PODS = 3
RAW_SHOWN = 3


def requests(ctx: EdgeContext) -> list[ProbeRequest]:
    """Access logs of the proxies on both sides, and the first client proxy's clusters."""
    host = _dialed(ctx)
    out: list[ProbeRequest] = []
    dest_ips = tuple(dict.fromkeys(_dest_ips(ctx)))
    first = _first_address(ctx)
    clients = [p for p in ctx.source.pods[:MAX_SOURCE_PODS] if proxy_container(p) is not None]
    for pod in clients:
        spec = L7Spec(host=host, peers=dest_ips)
        out.append(ProbeRequest("envoy-log", pod.namespace, pod.name, first, PROXY_CONTAINER, spec))
    if clients and ctx.service is not None and ctx.service_port is not None:
        where = f"{service_fqdn(ctx.service)}:{ctx.service_port.port}"
        pod = clients[0]
        for kind in ("envoy-clusters", "envoy-tls"):
            out.append(ProbeRequest(kind, pod.namespace, pod.name, where, PROXY_CONTAINER))
    src_ips = tuple(ip for pod in ctx.source.pods for ip in pod.ips())
    servers = [b for b in ctx.backends if b.ip and b.port is not None and proxy_container(b.pod)]
    for backend in servers[:MAX_TARGET_PODS]:
        spec = L7Spec(host=host, peers=src_ips, inbound=True)
        address = f"{backend.ip}:{backend.port}"
        pod = backend.pod
        out.append(
            ProbeRequest("envoy-log", pod.namespace, pod.name, address, PROXY_CONTAINER, spec)
        )
    return out


def _dialed(ctx: EdgeContext) -> str:
    port = ctx.dialed_port
    return f"{ctx.target.host}:{port}" if port is not None else ctx.target.host


def _dest_ips(ctx: EdgeContext) -> list[str]:
    ips = [b.ip for b in ctx.backends if b.ip]
    if ctx.service is not None and ctx.service.spec.cluster_ip not in ("", "None"):
        ips.insert(0, ctx.service.spec.cluster_ip)
    return ips


def _first_address(ctx: EdgeContext) -> str:
    ips = _dest_ips(ctx)
    port = ctx.dialed_port if ctx.service is not None else None
    if ips and ctx.service is not None and ips[0] == ctx.service.spec.cluster_ip:
        return f"{ips[0]}:{port}"
    backend = next((b for b in ctx.backends if b.ip and b.port is not None), None)
    return f"{backend.ip}:{backend.port}" if backend is not None else ctx.target.dialed


class _Account:
    """What the proxies said: failing and good lines for the edge, cluster-view problems."""

    def __init__(self) -> None:
        self.failing: list[tuple[str, AccessLine]] = []
        self.good = 0
        self.cluster_problems: list[str] = []

    def observed(self) -> str:
        """`503 UF in pod mesh-demo/web-1's proxy (2 lines)` and the cluster view's problem."""
        parts = []
        last: dict[str, AccessLine] = {}
        for who, line in self.failing:
            last[who] = line
        for who, line in last.items():
            count = sum(1 for w, _ in self.failing if w == who)
            parts.append(f"{line.outcome()} in {who}'s access log ({_lines(count)})")
        parts += self.cluster_problems
        return "; ".join(parts)


def _lines(count: int) -> str:
    return f"{count} line" + ("" if count == 1 else "s")


def merge(ctx: EdgeContext, static: LayerResult) -> LayerResult:
    """Add Envoy's account to the static mesh result; a contradiction is a disagreement and an
    observed failure the static part did not predict fails the layer on the probe's basis."""
    results = run_all(ctx, requests(ctx))
    if not results:
        return static
    account = _Account()
    for result in results:
        static.evidence.append(_evidence(ctx, result, account))
        static.commands.append(reproduce(result))
    observed = account.observed()
    if static.status is Status.FAIL and observed:
        static.summary += f"; Envoy agrees: {observed}"
    elif static.status is Status.FAIL and account.good:
        ctx.disagreements.append(
            Disagreement(
                "mesh",
                f"fail ({static.summary})",
                f"{account.good} successful requests for this edge in the proxies' access logs",
                ("the data is stale: the mesh configuration changed since it was read",),
                f"{results[0].basis} envoy-log",
            )
        )
    elif observed:
        _contradicted(ctx, static, account, results[0].basis)
    return static


def _contradicted(ctx: EdgeContext, static: LayerResult, account: _Account, basis: str) -> None:
    decoded = [d for _, line in account.failing for d in line.decoded()]
    explanations = [f"{flag}: {meaning}" for flag, meaning, _ in decoded[-1:]]
    if account.cluster_problems:
        explanations.append("the proxy is not in sync with the cluster: istiod has not pushed")
    explanations.append("the data is stale: the configuration changed since it was read")
    ctx.disagreements.append(
        Disagreement(
            "mesh",
            f"{static.status} ({static.summary})",
            account.observed(),
            tuple(dict.fromkeys(explanations)),
            f"{basis} envoy",
        )
    )
    static.summary = f"Envoy's account contradicts the static verdict: {account.observed()}"
    static.status, static.basis = Status.FAIL, basis
    layers = [layer for _, _, layer in decoded if layer and layer != "mesh"]
    static.hint = (
        "the proxy says traffic fails where the configuration predicts it works: "
        + (f"look at the {layers[-1]} layer; " if layers else "")
        + "compare the proxy's view (`istioctl proxy-status`, `istioctl proxy-config "
        "endpoint`) with the cluster"
    )


def _evidence(ctx: EdgeContext, result: ProbeResult, account: _Account) -> Evidence:
    req = result.request
    who = f"pod {req.namespace}/{req.pod}"
    kind = {"envoy-log": "access log", "envoy-tls": "cluster TLS"}.get(req.probe, "clusters")
    ref = f"{result.basis} envoy {kind} of {who} ({req.container or PROXY_CONTAINER})"
    if result.mechanism_failed:
        lines = result.output.strip().splitlines()
        return Evidence(ref, f"could not read: {lines[-1] if lines else result.result}", "envoy")
    if req.probe == "envoy-clusters":
        return Evidence(ref, _clusters_detail(ctx, result, account), "envoy")
    if req.probe == "envoy-tls":
        fqdn, _, port = req.target.rpartition(":")
        modes = destination_tls(result.output, fqdn, int(port))
        shown = [f"{name}: {mode}" for name, mode in modes.items()]
        return Evidence(ref, "; ".join(shown) or f"no cluster for {req.target}", "envoy")
    spec = req.l7
    entries = lines_for(parse_access_log(result.output), set(spec.peers), spec.host, spec.inbound)
    failing = [e for e in entries if e.failed]
    account.failing += [(who, e) for e in failing]
    account.good += len(entries) - len(failing)
    return Evidence(ref, _log_detail(result, entries, failing), "envoy")


def _log_detail(result: ProbeResult, entries: list[AccessLine], failing: list[AccessLine]) -> str:
    if not entries:
        return f"$ {' '.join(result.command)}\nno access-log line for this edge in the window"
    counts = Counter(e.short() for e in entries)
    head = f"{_lines(len(entries))} for this edge: " + ", ".join(
        f"{n}× {what}" for what, n in counts.most_common()
    )
    lines = [head]
    seen: set[str] = set()
    for entry in failing:
        for flag, meaning, layer in entry.decoded():
            if flag not in seen:
                seen.add(flag)
                lines.append(f"{flag}: {meaning}" + (f" (layer {layer})" if layer else ""))
    lines += [e.raw for e in (failing or entries)[-RAW_SHOWN:]]
    return lines[0] + "".join(f"\n  | {line}" for line in lines[1:])


def _clusters_detail(ctx: EdgeContext, result: ProbeResult, account: _Account) -> str:
    fqdn, _, port = result.request.target.rpartition(":")
    views = parse_clusters(result.output, fqdn, int(port))
    if not views:
        account.cluster_problems.append(f"the client proxy has no cluster for {fqdn}:{port}")
        return (
            f"no outbound cluster for {fqdn}:{port}: the proxy does not know the service "
            "(a Sidecar resource's egress hosts, exportTo, or istiod has not pushed)"
        )
    known = {b.ip for b in ctx.backends if b.ip}
    lines = []
    for view in views:
        endpoints = {address.rpartition(":")[0].strip("[]") for address in view.endpoints}
        stale, missing = sorted(endpoints - known), sorted(known - endpoints)
        healthy = view.healthy()
        lines.append(f"{view.name}: {len(view.endpoints)} endpoints, {len(healthy)} healthy")
        if stale and not view.name.split("|")[2]:
            lines.append(f"stale: {', '.join(stale)} in the proxy but in no EndpointSlice")
            account.cluster_problems.append(f"the client proxy still sends to {', '.join(stale)}")
        if missing and not view.name.split("|")[2]:
            lines.append(f"missing: {', '.join(missing)} in the EndpointSlices, not in the proxy")
    return lines[0] + "".join(f"\n  | {line}" for line in lines[1:])
