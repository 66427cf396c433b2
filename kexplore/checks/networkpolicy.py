"""The networkpolicy layer: source egress and backend ingress at the targetPort; DNS egress."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from kexplore.analysis.dns import EXTERNAL, EXTERNAL_NAME, IP
from kexplore.analysis.netpol.engine import direction_of
from kexplore.analysis.netpol.explain import (
    DirectionVerdict,
    Verdict,
    dns_egress_verdicts,
    verdict,
)
from kexplore.analysis.netpol.ipblocks import IPRange
from kexplore.analysis.netpol.nearmiss import FIX, dangling, nearly_selecting
from kexplore.analysis.netpol.peers import EGRESS, Endpoint
from kexplore.analysis.services import Backend
from kexplore.checks.common import (
    assumed_absent,
    edge_namespaces,
    how_to_add,
    no_pods_gate,
    target_gate,
    unreadable,
    unreadable_result,
)
from kexplore.checks.context import EdgeContext, PartialCheck
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState
from kexplore.shell import kubectl

LAYER = "networkpolicy"
MAX_EVIDENCE = 12
POLICY_KINDS = (
    "NetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
)


@dataclass(frozen=True)
class Pair:
    """One connection to judge: a source pod to a destination on (protocol, port)."""

    source: Pod
    target: Pod | Endpoint
    protocol: str
    port: int


def check(ctx: EdgeContext) -> LayerResult:
    """Judge every source pod against every backend at its targetPort (after DNAT); say
    which policy kinds the verdict assumes absent (raw manifests, a dump)."""
    result = _judge(ctx)
    result.evidence.extend(assumed_absent(ctx.state, *POLICY_KINDS))
    return result


def _judge(ctx: EdgeContext) -> LayerResult:
    gate = target_gate(ctx, LAYER)
    if gate is not None:
        return gate
    reasons = unreadable(ctx.state, *POLICY_KINDS, namespaces=edge_namespaces(ctx))
    if reasons:
        return unreadable_result(LAYER, reasons, ctx.state)
    if not ctx.source.pods:
        return LayerResult(
            LAYER,
            Status.UNKNOWN,
            f"not judged: {ctx.source.kind} {ctx.source.namespace}/{ctx.source.name} has no pods",
            hint="check the pods layer: the source must run pods for traffic to leave it",
            explained_by="pods",
        )
    res = ctx.resolution
    if res.kind == IP and res.ip and ipaddress.ip_address(res.ip).is_loopback:
        return LayerResult(
            LAYER,
            Status.PASS,
            f"{res.query} is the pod's own loopback: NetworkPolicy never applies inside a pod",
        )
    pairs = _pairs(ctx)
    if pairs is None:
        return _external_name(ctx)
    if not pairs:
        gated = no_pods_gate(ctx, LAYER)
        return gated or LayerResult(
            LAYER,
            Status.UNKNOWN,
            "not judged: the target has no pod with the dialed port",
            hint="see the service and ports layers",
            explained_by="service" if ctx.service is not None else None,
        )
    verdicts = [verdict(ctx.state, p.source, p.target, p.protocol, p.port) for p in pairs]
    return _result(ctx, verdicts)


def _pairs(ctx: EdgeContext) -> list[Pair] | None:
    """Source pods × backends at their target port; None for a name with no address."""
    protocol = ctx.target.protocol
    routable = ctx.backend_set.routable() if ctx.backend_set is not None else []
    backends = routable or [b for b in ctx.backends if b.port is not None]
    if backends:
        seen: dict[tuple[str, str, int], Backend] = {}
        for b in backends:
            assert b.port is not None
            seen.setdefault((b.pod.namespace, b.pod.name, b.port), b)
        targets: list[tuple[Pod | Endpoint, int]] = [
            (b.pod, port) for (_, _, port), b in sorted(seen.items())
        ]
    elif manual := _manual_endpoints(ctx):
        targets = manual
    elif ctx.resolution.kind in (IP, EXTERNAL) and ctx.resolution.ip:
        port = ctx.dialed_port
        if port is None:
            return []
        targets = [(Endpoint.of_ip(ctx.resolution.ip), port)]
    elif ctx.resolution.kind in (EXTERNAL_NAME, EXTERNAL):
        return None
    else:
        return []
    return [Pair(src, dst, protocol, port) for src in ctx.source.pods for dst, port in targets]


def _manual_endpoints(ctx: EdgeContext) -> list[tuple[Pod | Endpoint, int]]:
    """Endpoints of a selector-less service outside the pod network (a VM, a database):
    judged as external addresses (egress ipBlocks apply). Addresses of pods missing from
    the data are not external and are left out."""
    found = ctx.backend_set.external if ctx.backend_set is not None else []
    return [
        (Endpoint.of_ip(e.ip), e.port)
        for e in found
        if e.port is not None and not e.missing_pod and IPRange.of_ip(e.ip) is not None
    ]


def _external_name(ctx: EdgeContext) -> LayerResult:
    """A name outside the cluster: only the source's egress isolation can be judged."""
    state, dest = ctx.state, Endpoint()
    isolated = [
        pod.name
        for pod in ctx.source.pods
        if direction_of(state, Endpoint.of_pod(pod), dest, EGRESS, dest).tier.isolated
    ]
    if not isolated:
        return _with_cni(
            state,
            LayerResult(
                LAYER,
                Status.PASS,
                "source pods are not isolated for egress: external traffic is not restricted",
                commands=[kubectl("get", "networkpolicy", "-n", ctx.source.namespace)],
            ),
        )
    return LayerResult(
        LAYER,
        Status.UNKNOWN,
        f"egress of {', '.join(isolated[:3])} is restricted and {ctx.target.host} "
        "has no address in the data to match against ipBlock rules",
        commands=[kubectl("get", "networkpolicy", "-n", ctx.source.namespace, "-o", "yaml")],
        hint=f"check the egress ipBlock rules against the addresses {ctx.target.host} resolves to",
    )


def _result(ctx: EdgeContext, verdicts: list[Verdict]) -> LayerResult:
    result = _judged(ctx, verdicts)
    _dangling(ctx, result)
    return result


def _dangling(ctx: EdgeContext, result: LayerResult) -> None:
    """Policies in the edge's namespaces that select no pod; one nearly selecting a pod of
    the edge was most likely written for it, and is the fix when the edge is denied."""
    pods = [*ctx.source.pods, *ctx.target_pods]
    for ns in sorted({p.namespace for p in pods}):
        for pol in dangling(ctx.state, ns)[:3]:
            result.evidence.append(
                Evidence(
                    f"networkpolicy {ns}/{pol.name}",
                    f"dangling: podSelector {pol.spec.pod_selector.describe()} selects no pod "
                    f"in namespace {ns}, so it applies to nothing",
                )
            )
    distinct = {(p.namespace, tuple(sorted(p.labels.items()))): p for p in pods}
    for pod in distinct.values():
        for pol, what in nearly_selecting(ctx.state, pod):
            ref = f"networkpolicy {pol.namespace}/{pol.name}"
            result.evidence.append(Evidence(ref, f"near miss: podSelector {what}"))
            if result.status is not Status.PASS and not (result.hint or "").startswith(FIX):
                result.hint = f"{FIX} of {ref}: podSelector {what} (it selects no pod)"
            return


def _judged(ctx: EdgeContext, verdicts: list[Verdict]) -> LayerResult:
    denied = [v for v in verdicts if not v.allowed]
    evidence = _evidence(denied or verdicts)
    commands = _commands(ctx.state, verdicts)
    if not denied:
        decided = sorted({d for v in verdicts for d in _deciders(v)})
        how = f" (by {', '.join(decided[:3])})" if decided else " (no policy isolates them)"
        summary = f"allowed: {len(verdicts)} pod pair(s) on {_what(verdicts)}{how}"
        result = LayerResult(LAYER, Status.PASS, summary, evidence=evidence, commands=commands)
        return _with_gaps(ctx.state, _with_cni(ctx.state, _with_caveats(verdicts, result)))
    first = denied[0]
    blocked = [d for d in (first.egress, first.ingress) if not d.allowed]
    side = blocked[0]
    summary = f"{side.direction} denied: {side.reason}"
    if len(denied) < len(verdicts):
        names = ", ".join(dict.fromkeys(f"{v.source} -> {v.target}" for v in denied[:3]))
        summary = f"{len(denied)} of {len(verdicts)} pod pairs denied ({names}); {summary}"
    # every source pod is a client, every backend judged here receives traffic (DESIGN §2)
    status = Status.FAIL
    result = LayerResult(
        LAYER, status, summary, evidence=evidence, commands=commands, hint=_hint(first, side)
    )
    return _with_gaps(ctx.state, _with_cni(ctx.state, result))


def _what(verdicts: list[Verdict]) -> str:
    ports = sorted({f"{v.protocol} {v.port}" for v in verdicts})
    return ", ".join(ports[:4])


def _deciders(v: Verdict) -> list[str]:
    return [d.decided_by for d in (v.egress, v.ingress) if d.decided_by]


def _evidence(verdicts: list[Verdict]) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    for v in verdicts:
        for side in _telling_sides(v):
            ref = side.decided_by or _policy_ref(side) or f"pod {_subject(v, side)}"
            detail = f"{v.source} -> {v.target} {v.protocol} {v.port}: {side.reason}"
            if (ref, side.reason) not in seen:
                seen.add((ref, side.reason))
                out.append(Evidence(ref, detail))
            out.extend(_note(n) for n in side.notes if ("note", n) not in seen)
            seen.update(("note", n) for n in side.notes)
    return out[:MAX_EVIDENCE]


_NOTE_REF = re.compile(
    r"^((?:admin|baselineadmin|cluster)?networkpolicy \S+(?: \S+\[\d+\])*): (.+)$"
)


def _note(note: str) -> Evidence:
    """A note about a rule, referenced by that rule (`networkpolicy data/x ingress[0] from[1]`)."""
    match = _NOTE_REF.match(note)
    return Evidence(match.group(1), match.group(2)) if match else Evidence("note", note)


def _telling_sides(v: Verdict) -> list[DirectionVerdict]:
    """The sides that decided: the denying ones, else those a rule allowed, else ingress."""
    sides = (v.egress, v.ingress)
    return [s for s in sides if not s.allowed] or [s for s in sides if s.decided_by] or [v.ingress]


def _policy_ref(side: DirectionVerdict) -> str:
    return f"networkpolicy {side.selecting[0]}" if side.selecting else ""


def _subject(v: Verdict, side: DirectionVerdict) -> str:
    return v.source if side.direction == EGRESS else v.target


def _commands(state: ClusterState, verdicts: list[Verdict]) -> list[str]:
    names = sorted({s for v in verdicts for d in (v.egress, v.ingress) for s in d.selecting})
    cmds = [kubectl("describe", "networkpolicy", "-n", *n.split("/", 1)) for n in names]
    spaces = sorted({v.source.split("/")[0] for v in verdicts} | {_ns(v.target) for v in verdicts})
    cmds.extend(kubectl("get", "networkpolicy", "-n", ns) for ns in spaces if ns)
    if state.cni_policies():
        cmds.append(
            kubectl("get", "ciliumnetworkpolicies,networkpolicies.crd.projectcalico.org", "-A")
        )
    return cmds[:8]


def _ns(label: str) -> str:
    return label.split("/")[0] if "/" in label and "[External]" not in label else ""


def _hint(v: Verdict, side: DirectionVerdict) -> str:
    """The minimal fix: a rule admitting this peer on this port."""
    if side.decided_by:
        return f"{side.decided_by} decides this; change that rule or its priority"
    near = next((n for n in side.notes if f"; {FIX} " in n), None)
    if near is not None:
        ref, _, rest = near.partition(": near miss, ")
        return f"{FIX} in {ref}: {rest.split(f'; {FIX}')[0]} (not a new rule)"
    fix = next((n for n in side.notes if "; add " in n), None)
    if fix is not None:
        return fix
    peer = v.source if side.direction != EGRESS else v.target
    where = v.target if side.direction != EGRESS else v.source
    ns = where.split("/")[0]
    verb = "ingress rule allowing from" if side.direction != EGRESS else "egress rule allowing to"
    return (
        f"add to a policy selecting {where} (namespace {ns}) an {verb} {peer} "
        f"(namespaceSelector kubernetes.io/metadata.name plus podSelector on its labels) "
        f"on {v.protocol} {v.port}"
    )


def _dns_egress_hint(side: DirectionVerdict, dns_backends: list[Backend]) -> str:
    """The rule to add, written out: to the DNS pods by their namespace and app label, on UDP
    and TCP at the DNS pods' ports (what the Service's port 53 is translated to)."""
    pod = dns_backends[0].pod
    labels = {k: v for k, v in pod.labels.items() if k == "k8s-app"} or {
        k: v for k, v in pod.labels.items() if k != "pod-template-hash"
    }
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    ports = " and ".join(
        sorted({f"{b.protocol.upper()} {b.port}" for b in dns_backends if b.port}, reverse=True)
    )
    policy = _policy_ref(side) or "a policy selecting the source"
    return (
        f"add to {policy} an egress rule allowing {ports} to the DNS pods: namespaceSelector "
        f"kubernetes.io/metadata.name={pod.namespace} and podSelector {selector} in one `to` "
        "element"
    )


def _with_caveats(verdicts: list[Verdict], result: LayerResult) -> LayerResult:
    """Pairs allowed only by an ipBlock holding a pod IP where Cilium is detected: a warn."""
    caveats = list(dict.fromkeys(c for v in verdicts for c in v.caveats))
    if not caveats:
        return result
    result.evidence[:0] = [_note(c) for c in caveats[:3]]
    result.status = Status.WARN
    result.summary = f"{result.summary}; but Cilium may not apply an ipBlock to pod IPs"
    result.hint = (
        "under Cilium, admit the pods with a podSelector/namespaceSelector instead of their IPs"
    )
    return result


def _with_cni(state: ClusterState, result: LayerResult) -> LayerResult:
    """CNI policy objects kexplore does not evaluate: never a plain pass."""
    cni = state.cni_policies()
    if not cni:
        return result
    names = ", ".join(f"{o.kind} {o.metadata.namespace or '-'}/{o.metadata.name}" for o in cni[:3])
    more = f" (+{len(cni) - 3} more)" if len(cni) > 3 else ""
    result.evidence.insert(0, Evidence("cni policies", f"not evaluated by kexplore: {names}{more}"))
    if result.status is Status.PASS:
        result.status = Status.WARN
        result.summary = f"{result.summary}; but {len(cni)} CNI policy object(s) were not evaluated"
        result.hint = result.hint or "review the Cilium/Calico policies by hand or probe the edge"
    return result


def _with_gaps(state: ClusterState, result: LayerResult) -> LayerResult:
    """Namespace labels unreadable: selectors on other labels than the automatic name label
    cannot match, so a pass is only a warning."""
    why = state.meta.unreadable.get("Namespace")
    if why is None:
        return result
    result.evidence.insert(
        0,
        Evidence(
            "kind Namespace",
            f"namespace labels could not be read ({why}); namespaceSelectors were matched "
            "on the automatic kubernetes.io/metadata.name label only",
        ),
    )
    if result.status is Status.PASS:
        result.status = Status.WARN
        result.summary = f"{result.summary}; namespace labels were not readable"
        result.hint = result.hint or "grant list on namespaces to judge namespaceSelectors"
    return result


def dns_egress_check(ctx: EdgeContext, dns_backends: list[Backend]) -> PartialCheck:
    """May every source pod query DNS: UDP and TCP to each DNS pod at the target port of the
    DNS Service's port 53 of that protocol (after DNAT)?"""
    targets = {
        (b.pod.namespace, b.pod.name, b.port, b.protocol.upper()): b.pod
        for b in dns_backends
        if b.port
    }
    found = dns_egress_verdicts(
        ctx.state, ctx.source.pods, [(pod, k[2], k[3]) for k, pod in sorted(targets.items())]
    )
    udp, tcp = found["UDP"], found["TCP"]
    lost = unreadable(
        ctx.state, *POLICY_KINDS, namespaces=(ctx.source.namespace, *{k[0] for k in targets})
    )
    if lost:
        return PartialCheck(
            Status.UNKNOWN,
            f"DNS egress not judged: {', '.join(lost)} not in the data",
            [Evidence(f"kind {k}", why) for k, why in lost.items()],
            hint=how_to_add(ctx.state, next(iter(lost))),
        )
    if not ctx.source.pods:
        src = ctx.source
        return PartialCheck(
            Status.UNKNOWN,
            f"DNS egress not judged: {src.kind} {src.namespace}/{src.name} has no pods",
            hint="check the pods layer: the source must run pods to send DNS queries",
        )
    if not (udp or tcp):
        return PartialCheck(
            Status.UNKNOWN,
            "DNS egress not judged: the cluster DNS service has no routable pods on port 53",
            hint="see the cluster DNS pods and endpoints in this layer's evidence",
        )
    for proto, verdicts in (("UDP", udp), ("TCP", tcp)):
        denied = [v for v in verdicts if not v.allowed]
        if not denied:
            continue
        first = denied[0]
        side = first.egress if not first.egress.allowed else first.ingress
        if proto == "UDP":
            status = Status.FAIL  # any source pod that cannot resolve is a broken client
            summary = (
                f"DNS queries blocked: {side.direction} UDP {first.port} denied for "
                f"{first.source}: {side.reason}"
            )
        else:
            status = Status.WARN
            summary = (
                f"DNS over TCP {first.port} denied (large answers fall back to TCP): {side.reason}"
            )
        evidence = _evidence(denied)
        hint = _hint(first, side)
        if side is first.egress and not side.decided_by:
            hint = _dns_egress_hint(side, dns_backends)
        return PartialCheck(status, summary, evidence, _commands(ctx.state, denied), hint)
    ports = ", ".join(sorted({f"{v.protocol} {v.port}" for v in udp + tcp}))
    status, summary = Status.PASS, f"DNS egress allowed ({ports} to the DNS pods)"
    if ctx.state.cni_policies():
        status, summary = Status.WARN, f"{summary}; CNI policy objects were not evaluated"
    return PartialCheck(status, summary, _evidence(udp + tcp), _commands(ctx.state, udp + tcp))
