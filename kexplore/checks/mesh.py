"""The `mesh` layer: Istio sidecars or ambient, mTLS, AuthorizationPolicy and routes on the edge."""

from __future__ import annotations

from kexplore.analysis.mesh.common import service_fqdn
from kexplore.analysis.mesh.dataplane import AMBIENT, SIDECAR, Dataplane
from kexplore.analysis.mesh.edge import MeshEdge, MeshVerdict, judge
from kexplore.analysis.mesh.symptoms import FAIL, WARN, MeshIssue
from kexplore.checks import envoy_account
from kexplore.checks.common import (
    assumed_absent,
    edge_namespaces,
    external_target,
    how_to_add,
    no_pods_gate,
    target_gate,
    unreadable,
)
from kexplore.checks.context import EdgeContext
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.istio import ISTIO_KINDS
from kexplore.model.pods import Pod
from kexplore.shell import istioctl, kubectl

LAYER = "mesh"
# The Istio kinds the judgement reads (Gateways only route ingress/egress gateway traffic).
MESH_ROOT_NAMESPACE = "istio-system"  # where mesh-wide PeerAuthentications live
JUDGED_KINDS = tuple(kind for kind in ISTIO_KINDS if kind != "IstioGateway")
MAX_PLANES_SHOWN = 6


def check(ctx: EdgeContext) -> LayerResult:
    """Judge the service-mesh part of the edge; `pass` when neither side is in a mesh."""
    gate = target_gate(ctx, LAYER) or no_pods_gate(ctx, LAYER)
    if gate is not None:
        return gate
    verdict = judge(ctx.state, _edge(ctx))
    result = LayerResult(LAYER, Status.PASS, "", commands=_commands(ctx, verdict))
    missing = unreadable(
        ctx.state, *JUDGED_KINDS, namespaces=(*edge_namespaces(ctx), MESH_ROOT_NAMESPACE)
    )
    hidden = unreadable(ctx.state, "Namespace")
    if not verdict.in_mesh and hidden and _ztunnel_present(ctx):
        result.status = Status.UNKNOWN
        result.summary = (
            "no sidecar on either side, but ambient enrolment (namespace labels) is unreadable"
        )
        result.evidence.append(Evidence("kind Namespace", hidden["Namespace"]))
        result.hint = "grant list on namespaces: ztunnel runs here, so pods may be in ambient mode"
    elif not verdict.in_mesh:
        _outside_mesh(result, verdict, missing)
    elif missing:
        kinds = ", ".join(sorted(missing))
        result.status = Status.UNKNOWN
        result.summary = f"{_planes_text(verdict)}, but {kinds} not in the data"
        result.evidence.extend(Evidence(f"kind {k}", why) for k, why in sorted(missing.items()))
        result.hint = how_to_add(ctx.state, sorted(missing)[0])
    else:
        _judged(result, verdict)
    _extend_unique(result, _plane_evidence(verdict))
    result.evidence.extend(assumed_absent(ctx.state, *JUDGED_KINDS))
    return envoy_account.merge(ctx, result) if verdict.in_mesh else result


def _ztunnel_present(ctx: EdgeContext) -> bool:
    """Istio's ambient node proxy runs in the cluster."""
    return any(p.labels.get("app") == "ztunnel" for p in ctx.state.pods)


def _edge(ctx: EdgeContext) -> MeshEdge:
    """The client pods and each server pod with the port traffic reaches on it."""
    targets: dict[tuple[str, str], tuple[Pod, int | None]] = {}
    for backend in ctx.backends:
        if backend.port is not None:
            targets.setdefault(
                (backend.pod.namespace, backend.pod.name), (backend.pod, backend.port)
            )
    if not targets:
        for pod in ctx.target_pods:
            targets.setdefault((pod.namespace, pod.name), (pod, ctx.dialed_port))
    external = ""
    if external_target(ctx):
        external = ctx.resolution.external_name or ctx.target.host
    return MeshEdge(
        ctx.source.namespace,
        list(ctx.source.pods),
        list(targets.values()),
        ctx.service,
        ctx.service_port,
        external,
    )


def _outside_mesh(result: LayerResult, verdict: MeshVerdict, missing: dict[str, str]) -> None:
    note = ""
    if missing:
        kinds = ", ".join(sorted(missing))
        note = f" ({kinds} not in the data, but without a proxy they cannot apply)"
    serious = [i for i in verdict.issues if i.severity in (FAIL, WARN)]
    _add_issues(result, [*serious, *(i for i in verdict.issues if i not in serious)])
    if serious:
        result.status = Status.WARN
        result.summary = f"no sidecar on either side, but {serious[0].title}{note}"
        result.hint = serious[0].hint or None
    elif verdict.issues:
        result.summary = (
            f"no sidecar on either side; policies selecting the target are not enforced{note}"
        )
    else:
        result.summary = f"no sidecar on either side; no mesh policy applies{note}"


def _judged(result: LayerResult, verdict: MeshVerdict) -> None:
    fails = [i for i in verdict.issues if i.severity == FAIL]
    warns = [i for i in verdict.issues if i.severity == WARN]
    _add_issues(result, [*fails, *warns, *(i for i in verdict.issues if i not in fails + warns)])
    _extend_unique(result, [Evidence(f.ref, f.detail) for f in verdict.notes])
    top = fails[0] if fails else warns[0] if warns else None
    if top is None:
        modes = "/".join(sorted(verdict.server_modes)) or "no"
        sends = "/".join(sorted(verdict.client_sends)) or "nothing"
        result.summary = (
            f"{_planes_text(verdict)}; server {modes} mTLS, client sends {sends}; "
            "no policy denies, routes resolve"
        )
        return
    result.status = Status.FAIL if fails else Status.WARN
    more = len(fails or warns) - 1
    result.summary = f"{top.title} → {top.symptom}" + (f" (+{more} more)" if more else "")
    result.hint = top.hint or None


def _add_issues(result: LayerResult, issues: list[MeshIssue]) -> None:
    """Each issue under the reference of the first object that decided it (DESIGN style),
    then the other deciding objects."""
    for issue in issues:
        facts = [Evidence(f.ref, f.detail) for f in issue.facts]
        what = f"{issue.severity}: {issue.title} → {issue.symptom}"
        first = facts.pop(0) if facts else Evidence("mesh", "")
        detail = f"{first.detail}; {what}" if first.detail else what
        result.evidence.append(Evidence(first.ref, detail))
        _extend_unique(result, facts)


def _extend_unique(result: LayerResult, evidence: list[Evidence]) -> None:
    """Append evidence not already listed (the same object may decide several issues)."""
    seen = {(e.ref, e.detail) for e in result.evidence}
    seen |= {(e.ref, e.detail.split(" — ", 1)[-1]) for e in result.evidence}
    seen |= {(e.ref, e.detail.split("; ", 1)[0]) for e in result.evidence}  # an issue's lead
    for item in evidence:
        if (item.ref, item.detail) not in seen:
            seen.add((item.ref, item.detail))
            result.evidence.append(item)


def _planes_text(verdict: MeshVerdict) -> str:
    def side(planes: list[Dataplane]) -> str:
        modes = sorted({_mode_text(p) for p in planes})
        return "/".join(modes) if modes else "outside the cluster's pods"

    return f"client {side(verdict.sources)} → server {side(verdict.targets)}"


def _mode_text(plane: Dataplane) -> str:
    if plane.mode == AMBIENT:
        return f"ambient (ztunnel{', waypoint ' + plane.waypoint if plane.waypoint else ''})"
    return "sidecar" if plane.mode == SIDECAR else "no sidecar"


def _plane_evidence(verdict: MeshVerdict) -> list[Evidence]:
    out = []
    for label, planes in (("client", verdict.sources), ("server", verdict.targets)):
        for plane in planes[:MAX_PLANES_SHOWN]:
            out.append(Evidence(plane.ref(), f"{label}: {_mode_text(plane)} — {plane.reason}"))
        if len(planes) > MAX_PLANES_SHOWN:
            out.append(
                Evidence(f"{label} pods", f"{len(planes) - MAX_PLANES_SHOWN} more not shown")
            )
    if verdict.in_mesh:
        settings = verdict.settings
        auto = "on" if settings.auto_mtls else "off"
        where = f"root namespace {settings.root_namespace}, auto-mTLS {auto}"
        out.append(Evidence("meshconfig", f"{where} ({settings.source})"))
    return out


def _commands(ctx: EdgeContext, verdict: MeshVerdict) -> list[str]:
    cmds: list[str] = []
    server = verdict.targets[0] if verdict.targets else None
    client = verdict.sources[0] if verdict.sources else None
    ns = server.pod.namespace if server else ctx.source.namespace
    cmds.append(kubectl("get", "peerauthentication,authorizationpolicy", "-n", ns))
    cmds.append(kubectl("get", "peerauthentication", "-n", verdict.settings.root_namespace))
    cmds.append(kubectl("get", "destinationrule,virtualservice,sidecar", "-A"))
    if server is not None:
        cmds.append(istioctl("x", "describe", "pod", server.pod.name, "-n", ns))
        if server.mode == SIDECAR:
            cmds.append(
                istioctl("proxy-config", "listener", server.pod.name, "-n", ns, "--port", "15006")
            )
    if client is not None and client.mode == SIDECAR and ctx.service is not None:
        fqdn, pod = service_fqdn(ctx.service), client.pod
        cmds.append(
            istioctl("proxy-config", "cluster", pod.name, "-n", pod.namespace, "--fqdn", fqdn)
        )
        cmds.append(istioctl("proxy-config", "route", pod.name, "-n", pod.namespace))
    if any(p.mode == AMBIENT for p in (*verdict.sources, *verdict.targets)):
        cmds.append(istioctl("ztunnel-config", "workloads"))
    cmds.append(istioctl("analyze", "-n", ns))
    return cmds
