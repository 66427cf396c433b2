"""The `dns` layer: the dialed name under cluster DNS, the DNS servers, and DNS egress."""

from __future__ import annotations

from kexplore.analysis import dns as resolver
from kexplore.analysis.services import Backend, resolve_backends
from kexplore.checks.common import (
    COREDNS_LOGS,
    how_to_add,
    slices_cmd,
    system_gap,
    unreadable,
    unreadable_key,
)
from kexplore.checks.context import EdgeContext, PartialCheck
from kexplore.checks.pods import worst
from kexplore.checks.probe_parts import dns_lookup, merge
from kexplore.checks.result import Evidence, LayerResult, Status
from kexplore.model.pods import Pod
from kexplore.model.services import Service
from kexplore.shell import kubectl

LAYER = "dns"
LOOKUP_HINT = (
    "the lookup fails from the source pod: compare its /etc/resolv.conf with the cluster DNS "
    "service, and check its egress to the DNS pods on UDP and TCP 53"
)
IN_CLUSTER = (resolver.SERVICE, resolver.HEADLESS_POD, resolver.POD, resolver.EXTERNAL_NAME)


def check(ctx: EdgeContext) -> LayerResult:
    """Judge the name, the cluster DNS servers and (via the seam) DNS egress of the source."""
    if ctx.target.kind == "IP":
        return LayerResult(LAYER, Status.SKIPPED, f"no lookup: {ctx.target.host} is dialed by IP")
    res = ctx.resolution
    if res.kind == resolver.IP:  # a name from /etc/hosts: no DNS query is sent
        summary = f"{res.query} resolves to {res.ip} from the pod's /etc/hosts, without DNS"
        evidence = [Evidence(f"dns {res.query}", note) for note in res.notes]
        return LayerResult(LAYER, Status.PASS, summary, evidence=evidence)
    name = name_part(ctx)
    parts = [name]
    if ctx.resolution.setup.cluster_dns and ctx.target.kind == "DNS":
        servers, backends = server_part(ctx)
        parts += [servers, egress_part(ctx, backends)]
    result = LayerResult(LAYER, worst([p.status for p in parts]), name.summary)
    for part in parts:
        result.evidence.extend(part.evidence)
        result.commands.extend(c for c in part.commands if c not in result.commands)
    first = next((p for p in parts if p.status is result.status), name)
    result.summary, result.hint = first.summary, first.hint
    if result.status is Status.UNKNOWN and not ctx.source.pods:
        result.explained_by = "pods"
    return _with_lookup(ctx, result)


def _with_lookup(ctx: EdgeContext, result: LayerResult) -> LayerResult:
    """The probe part: a lookup from the source pod (run or recorded), when there is one.
    An external name the static part cannot judge passes when the lookup resolved it."""
    lookups = dns_lookup(ctx)
    merged = merge(result, lookups, "DNS lookup from the source pod", LOOKUP_HINT)
    external = merged.status is Status.UNKNOWN and ctx.resolution.kind == resolver.EXTERNAL
    if external and lookups and all(p.ok for p in lookups):
        merged.status, merged.basis = Status.PASS, lookups[0].basis
        merged.summary = f"{ctx.resolution.query} resolved from the source pod (upstream DNS)"
        merged.hint = None
    return merged


def name_part(ctx: EdgeContext) -> PartialCheck:
    """What the name means from the source's namespace and search path."""
    res, src = ctx.resolution, ctx.source_pod
    query = res.query
    evidence = [Evidence(f"dns {query}", _setup_text(ctx))]
    commands = _lookup_commands(ctx, src, query)
    if res.nxdomain:
        return _nxdomain(ctx, evidence, commands)
    if res.unreadable:
        evidence.extend(Evidence(f"dns {query}", note) for note in res.notes)
        return PartialCheck(
            Status.UNKNOWN,
            f"{query}: whether it exists cannot be judged ({res.notes[0]})",
            evidence,
            commands,
            how_to_add(ctx.state, unreadable_key(res.notes[0], res.namespace)),
        )
    if ctx.target.kind != "DNS":
        dns_name = f"; its cluster DNS name is {res.fqdn}" if res.fqdn else ""
        summary = f"{ctx.target.dialed} names the {ctx.target.kind} directly{dns_name}"
        return PartialCheck(Status.PASS, summary, evidence, commands)
    if not res.setup.cluster_dns and res.kind in IN_CLUSTER:
        where = f"pod {src.namespace}/{src.name}" if src else "the source"
        fix = (
            "ClusterFirstWithHostNet"
            if src is not None and src.spec.host_network
            else "ClusterFirst"
        )
        return PartialCheck(
            Status.FAIL,
            f"{where} does not use cluster DNS: {res.setup.finding}",
            evidence,
            commands,
            f"set spec.dnsPolicy: {fix} in the pod template (or dial an IP)",
        )
    evidence.append(Evidence(f"dns {query}", "tried " + ", ".join(res.tried)))
    return _answer(ctx, evidence, commands)


def _setup_text(ctx: EdgeContext) -> str:
    setup = ctx.resolution.setup
    search = " ".join(setup.search) or "<node's>"
    return (
        f"from namespace {ctx.source.namespace}: dnsPolicy {setup.policy}, "
        f"search {search}, ndots {setup.ndots}"
    )


def _lookup_commands(ctx: EdgeContext, src: Pod | None, query: str) -> list[str]:
    if src is None or src.synthesized:
        return []
    return [
        kubectl("exec", "-n", src.namespace, src.name, "--", "cat", "/etc/resolv.conf"),
        kubectl("exec", "-n", src.namespace, src.name, "--", "nslookup", query),
    ]


def _nxdomain(ctx: EdgeContext, evidence: list[Evidence], commands: list[str]) -> PartialCheck:
    res = ctx.resolution
    lost = unreadable(ctx.state, "Service", "Pod")
    tried = ", ".join(res.tried) or res.query
    evidence.append(Evidence(f"dns {res.query}", f"tried {tried}: no record"))
    evidence.extend(Evidence(f"dns {res.query}", note) for note in res.notes)
    evidence.extend(Evidence(f"dns {res.query}", f"near miss: {m}") for m in res.near_misses)
    if lost:
        kinds = ", ".join(sorted(lost))
        return PartialCheck(
            Status.UNKNOWN,
            f"{res.query}: no record in the data, but {kinds} could not be read",
            evidence,
            commands,
            f"grant list on {kinds} or include them in the snapshot",
        )
    hint = res.near_misses[0] if res.near_misses else "create the Service, or fix the name"
    short = res.query.split(".")[0].split("/")[-1]
    return PartialCheck(
        Status.FAIL,
        f"{res.query} does not resolve from namespace {ctx.source.namespace} (NXDOMAIN)",
        evidence,
        [*commands, kubectl("get", "services", "-A", "--field-selector", f"metadata.name={short}")],
        hint,
    )


def _answer(ctx: EdgeContext, evidence: list[Evidence], commands: list[str]) -> PartialCheck:
    res = ctx.resolution
    if res.kind == resolver.EXTERNAL:
        return PartialCheck(
            Status.UNKNOWN,
            f"{res.query} is not a cluster name: upstream DNS answers it (not judged statically)",
            evidence,
            commands,
            "run with --probe to look it up from the source pod",
        )
    if res.kind == resolver.EXTERNAL_NAME:
        summary = (
            f"{res.query} → {res.fqdn} is a CNAME to {res.external_name} (upstream not judged)"
        )
        return PartialCheck(Status.PASS, summary, evidence, commands)
    for note in res.notes:
        evidence.append(Evidence(f"dns {res.fqdn}", note))
    answer = res.ip or ("pod IPs (headless)" if res.service and res.service.is_headless() else "")
    summary = f"{res.query} resolves to {res.fqdn}" + (f" ({answer})" if answer else "")
    if res.kind == resolver.POD and not res.pods:
        return PartialCheck(Status.WARN, summary + ": no pod holds that IP", evidence, commands)
    return PartialCheck(Status.PASS, summary, evidence, commands)


def server_part(ctx: EdgeContext) -> tuple[PartialCheck, list[Backend]]:
    """The cluster DNS service and its pods (CoreDNS/kube-dns) are up and have endpoints."""
    services = resolver.dns_services(ctx.state)
    commands = [
        kubectl("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", "wide"),
        kubectl("get", "service", "-n", "kube-system", "kube-dns"),
    ]
    if not services:
        lost = unreadable(ctx.state, "Service", namespaces=("kube-system",))
        gap = system_gap(ctx.state)
        why = next(iter(lost.values()), "") or "no kube-system/kube-dns Service in the data"
        why += f"; {gap}" if gap and not lost else ""
        return PartialCheck(
            Status.UNKNOWN,
            f"cluster DNS servers not judged: {why}",
            [Evidence("service kube-system/kube-dns", why)],
            commands,
            "include kube-system in the snapshot "
            f"({kubectl('get', 'svc,pods,endpointslices', '-n', 'kube-system', '-o', 'yaml')})",
        ), []
    svc = services[0]
    commands.append(slices_cmd(svc.namespace, svc.name))
    pods = dns_pods(ctx, svc)
    ready = [p for p in pods if p.is_ready()]
    evidence = [
        Evidence(f"pod {p.namespace}/{p.name}", "Ready" if p.is_ready() else "not Ready")
        for p in pods
    ]
    backends = dns_backends(ctx, svc)
    missing = system_gap(ctx.state)
    if not pods and missing:
        return PartialCheck(
            Status.UNKNOWN,
            f"cluster DNS pods not judged: {missing}",
            [Evidence(f"service {svc.namespace}/{svc.name}", missing)],
            commands,
            "include kube-system's pods (kubectl get pods -n kube-system -o yaml)",
        ), backends
    text = (
        f"{len(ready)}/{len(pods)} DNS pods Ready, {len(backends)} ready endpoint(s) of {svc.name}"
    )
    if not ready or not backends:
        return PartialCheck(
            Status.FAIL,
            f"cluster DNS outage: {text}",
            evidence,
            commands,
            f"fix the CoreDNS pods ({COREDNS_LOGS})",
        ), backends
    status = Status.WARN if len(ready) < len(pods) else Status.PASS
    return PartialCheck(status, f"cluster DNS: {text}", evidence, commands), backends


def dns_pods(ctx: EdgeContext, svc: Service) -> list[Pod]:
    """The pods behind the cluster DNS service (its selector, else k8s-app=kube-dns)."""
    selector = svc.spec.selector or {"k8s-app": "kube-dns"}
    return [p for p in ctx.state.pods_matching(svc.namespace, selector) if not p.synthesized]


def dns_backends(ctx: EdgeContext, svc: Service) -> list[Backend]:
    """The routable endpoints of the DNS service on UDP and TCP 53 (after DNAT)."""
    out: list[Backend] = []
    for port in svc.spec.ports:
        if port.port == 53:
            out.extend(resolve_backends(ctx.state, svc, port).routable())
    return out


def egress_part(ctx: EdgeContext, backends: list[Backend]) -> PartialCheck:
    """DNS egress of the source under NetworkPolicy, judged by the networkpolicy owner's
    function (ladder.DNS_EGRESS); until it is wired, this part says it was not evaluated."""
    if ctx.dns_egress is not None:
        return ctx.dns_egress(ctx, backends)
    return PartialCheck(
        Status.UNKNOWN,
        "DNS egress under NetworkPolicy not evaluated here",
        [
            Evidence(
                "networkpolicy",
                "DNS egress (UDP/TCP 53 to the DNS pods) is not evaluated by this build",
            )
        ],
    )
