"""The application-protocol part of `reachability`: HTTP or gRPC health from the source pod
after its TCP connect succeeded, the protocol chosen from what the cluster declares."""

from __future__ import annotations

from dataclasses import dataclass

from kexplore.checks.context import EdgeContext
from kexplore.checks.probing import (
    MAX_SOURCE_PODS,
    probe_ref,
    reproduce,
    run_all,
    static_blocker,
)
from kexplore.checks.result import Disagreement, Evidence, LayerResult, Status
from kexplore.probes.base import L7Spec, ProbeRequest, ProbeResult
from kexplore.probes.envoy import FLAGS
from kexplore.probes.l7 import MESH_ANSWERED, grpc_status, mesh_flag, parse_http

# Istio's port-name prefixes and Kubernetes appProtocol values → (protocol, TLS).
DECLARED = {
    "http": ("http", False),
    "http2": ("http", False),
    "kubernetes.io/h2c": ("http", False),
    "https": ("http", True),
    "grpc": ("grpc", False),
    "grpc-web": ("http", False),
    "tcp": ("none", False),
    "tls": ("none", True),
    "mongo": ("none", False),
    "mysql": ("none", False),
    "redis": ("none", False),
    "udp": ("none", False),
}
WELL_KNOWN = {80: "http", 8000: "http", 8080: "http", 443: "https", 8443: "https", 50051: "grpc"}


@dataclass(frozen=True)
class L7Choice:
    """The application protocol to probe with, and why."""

    protocol: str  # http, grpc or none
    tls: bool
    why: str


def choose(ctx: EdgeContext) -> L7Choice:
    """--l7 first, then the Service port's appProtocol, its name's Istio prefix, the port."""
    if ctx.l7:
        return L7Choice(ctx.l7, False, f"--l7 {ctx.l7}")
    if ctx.target.protocol != "TCP":
        return L7Choice("none", False, f"{ctx.target.protocol} has no application probe")
    sp = ctx.service_port
    if sp is not None and sp.app_protocol and sp.app_protocol.lower() in DECLARED:
        proto, tls = DECLARED[sp.app_protocol.lower()]
        return L7Choice(proto, tls, f"appProtocol {sp.app_protocol}")
    if sp is not None and sp.name:
        prefix = sp.name.lower().split("-")[0]
        if sp.name.lower().startswith("grpc-web"):
            prefix = "grpc-web"
        if prefix in DECLARED:
            proto, tls = DECLARED[prefix]
            return L7Choice(proto, tls, f"port name {sp.name}")
    port = ctx.dialed_port
    if port in WELL_KNOWN:
        known = WELL_KNOWN[port]
        return L7Choice(known.removesuffix("s"), known == "https", f"well-known port {port}")
    return L7Choice("none", False, "the port declares no application protocol (use --l7)")


def requests(ctx: EdgeContext, reached: list[ProbeRequest]) -> list[ProbeRequest]:
    """One application probe per source pod, to the first address it connected to (the
    service IP before the backends)."""
    choice = choose(ctx)
    if choice.protocol == "none":
        return []
    spec = L7Spec(host=_dialed_host(ctx), path=ctx.path, tls=choice.tls)
    out: dict[str, ProbeRequest] = {}
    for req in reached:
        if req.probe == "tcp" and req.pod not in out and len(out) < MAX_SOURCE_PODS:
            out[req.pod] = ProbeRequest(
                choice.protocol, req.namespace, req.pod, req.target, l7=spec
            )
    return list(out.values())


def _dialed_host(ctx: EdgeContext) -> str:
    """The Host header as the application dials it (`ledger:8080`)."""
    port = ctx.dialed_port
    host = ctx.target.host
    return f"{host}:{port}" if port is not None and ":" not in host else host


def run(
    ctx: EdgeContext, base: LayerResult, connects: list[ProbeResult]
) -> tuple[LayerResult, list[ProbeResult]]:
    """Run the application probes after the connects and fold them into the layer."""
    if base.status not in (Status.PASS, Status.WARN):
        return base, []
    results = run_all(ctx, requests(ctx, [r.request for r in connects if r.ok]))
    if not results:
        choice = choose(ctx)
        if choice.protocol == "none":
            base.summary += f"; no application probe ({choice.why})"
        return base, []
    base.evidence.extend(Evidence(probe_ref(r), detail(r), "l7") for r in results)
    base.commands.extend(reproduce(r) for r in results)
    failed = [r for r in results if not r.ok and not r.mechanism_failed]
    ran = [r for r in results if not r.mechanism_failed]
    if not failed and ran:
        base.summary += f"; {headline(ran[0])}"
    elif not failed:
        lines = results[0].output.strip().splitlines()
        why = lines[-1] if lines else results[0].result
        base.summary += f"; the {results[0].request.probe} probe could not run: {why}"
    else:
        _failed(ctx, base, failed[0])
    return base, results


def _failed(ctx: EdgeContext, base: LayerResult, first: ProbeResult) -> None:
    blocker = static_blocker(ctx)
    base.status = Status.FAIL
    base.basis = first.basis
    base.summary = f"TCP connects, but {headline(first)}"
    if blocker is not None:
        base.summary += f", as {blocker.id} predicts"
        base.explained_by, base.hint = blocker.id, blocker.hint
        return
    base.summary += ", though every config layer predicts success"
    flag = mesh_flag(first.output) if first.result == MESH_ANSWERED else ""
    base.hint = _hint(first.result, flag)
    layer = "mesh" if first.result == MESH_ANSWERED else "reachability"
    mesh = ctx.results.get("mesh")
    predicted = f"pass ({mesh.summary})" if layer == "mesh" and mesh else "pass"
    ctx.disagreements.append(
        Disagreement(layer, predicted, headline(first), _explanations(flag), probe_ref(first))
    )


def headline(result: ProbeResult) -> str:
    """`HTTP GET / → 503 from the mesh (UF)`, `gRPC health → SERVING`…"""
    said = _SAID.get(result.result, result.result)
    if result.request.probe == "grpc":
        status = grpc_status(result.output)
        what = f"gRPC health → {status or said}"
        if status and result.result == MESH_ANSWERED:
            what += f" {said}"
    else:
        answer = parse_http(result.output)
        code = f"{answer.status} " if answer is not None else ""
        what = f"HTTP GET {result.request.l7.path} → {code}{said}"
    flag = mesh_flag(result.output) if result.result == MESH_ANSWERED else ""
    return f"{what} ({flag})" if flag else what


_SAID = {"app-answered": "from the app", "mesh-answered": "from the mesh"}


def detail(result: ProbeResult) -> str:
    """The command and result, then what tells the story: headers, body's first bytes."""
    lines = [result.describe(), headline(result)]
    answer = parse_http(result.output) if result.request.probe == "http" else None
    if answer is not None:
        for name, value in answer.envoy_headers().items():
            lines.append(f"{name}: {value}")
        if answer.body:
            lines.append(f"body: {answer.body[:200]}")
    else:
        lines.extend(line for line in result.output.strip().splitlines()[-3:])
    flag = mesh_flag(result.output) if result.result == MESH_ANSWERED else ""
    if flag in FLAGS:
        lines.append(f"{flag}: {FLAGS[flag][0]}")
    return lines[0] + "".join(f"\n  | {line}" for line in lines[1:])


_HINTS = {
    "reset": "the connection opens and is reset: a server sidecar rejecting plaintext "
    "(STRICT mTLS), a TCP AuthorizationPolicy, or the app closing it — see the mesh layer",
    "tls-mismatch": "the port speaks TLS and the client plaintext, or the reverse: check the "
    "port's appProtocol/name and the DestinationRule tls mode",
    "timeout": "the connection opens but no answer comes: the app hangs, or a proxy waits",
    "not-serving": "the app answers gRPC health NOT_SERVING: see its logs",
}


def _hint(result: str, flag: str) -> str:
    if flag in FLAGS:
        layer = FLAGS[flag][1]
        where = f" (look at the {layer} layer)" if layer else ""
        return f"Envoy answered {flag}: {FLAGS[flag][0]}{where}"
    return _HINTS.get(result, "read the probe's answer below")


def _explanations(flag: str) -> tuple[str, ...]:
    """What could make the static verdict wrong for this observation."""
    common = "the data is stale: the configuration changed since it was read"
    by_flag = {
        "UF": (
            "the proxy's endpoints are stale (istiod has not pushed): compare its cluster view",
            "a CNI policy (CiliumNetworkPolicy, Calico) or a cloud firewall drops the "
            "proxy's connection",
            "the app does not listen on the target port",
        ),
        "UC": ("the server's sidecar rejects the client's TLS (mTLS settings differ)",),
        "URX": ("every retry failed to connect: see UF",),
        "NR": ("the proxy has no route: a Sidecar resource, exportTo, or an unsynced proxy",),
        "UH": ("the proxy sees no healthy endpoint (outlier detection, stale EDS)",),
        "RBAC": ("an AuthorizationPolicy the data does not hold (another revision or root)",),
    }
    return (*by_flag.get(flag, ("an app-level error", "an unsynced proxy")), common)
