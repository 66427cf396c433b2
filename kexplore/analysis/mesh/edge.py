"""The mesh engine for one edge: data planes, mTLS both ways, authorization, routes, findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kexplore.analysis.mesh.analyzers import port_conflicts, port_protocol, subset_pods
from kexplore.analysis.mesh.authz import (
    ALLOWED,
    CUSTOM,
    DENIED,
    Peer,
    applicable_policies,
    evaluate,
    principal_of,
)
from kexplore.analysis.mesh.common import (
    Fact,
    MeshSettings,
    mesh_settings,
    ref,
    service_fqdn,
    visible_service_entries,
)
from kexplore.analysis.mesh.dataplane import AMBIENT, NONE, SIDECAR, Dataplane, dataplane_of
from kexplore.analysis.mesh.egress import egress_scope
from kexplore.analysis.mesh.peerauth import DISABLE, STRICT, effective_mtls
from kexplore.analysis.mesh.routes import (
    ABORT,
    PORT_REQUIRED,
    RouteProblem,
    destinations,
    route_problems,
)
from kexplore.analysis.mesh.symptoms import (
    BLACKHOLE,
    FAIL,
    INFO,
    NO_HEALTHY,
    NO_ROUTE,
    RBAC_HTTP,
    RBAC_TCP,
    RESET,
    WARN,
    ClientSide,
    MeshIssue,
    ServerSide,
    tls_issue,
)
from kexplore.analysis.mesh.tls import (
    ISTIO_MUTUAL,
    RuleChoice,
    client_tls,
    rules_for_host,
)
from kexplore.model.istio import VirtualService
from kexplore.model.pods import Pod
from kexplore.model.services import Service, ServicePort
from kexplore.model.state import ClusterState
from kexplore.shell import kubectl

HTTP_PROTOCOLS = frozenset({"http", "http2", "grpc", "grpc-web", "http_proxy"})


@dataclass(frozen=True)
class MeshEdge:
    """One edge: the client pods, the server pods with the port traffic reaches on each, and
    the service dialed (None when a pod or IP was dialed directly)."""

    source_namespace: str
    source_pods: list[Pod]
    targets: list[tuple[Pod, int | None]]
    service: Service | None = None
    service_port: ServicePort | None = None
    external_host: str = ""


@dataclass
class MeshVerdict:
    """What the engine found: each pod's data plane, the issues, and notes explaining a pass."""

    settings: MeshSettings
    sources: list[Dataplane]
    targets: list[Dataplane]
    issues: list[MeshIssue] = field(default_factory=list)
    notes: list[Fact] = field(default_factory=list)
    server_modes: set[str] = field(default_factory=set)
    client_sends: set[str] = field(default_factory=set)

    @property
    def in_mesh(self) -> bool:
        return any(p.in_mesh for p in (*self.sources, *self.targets))

    def add(self, issue: MeshIssue | None) -> None:
        if issue is not None and all(i.title != issue.title for i in self.issues):
            self.issues.append(issue)

    def note(self, fact: Fact) -> None:
        if fact not in self.notes:
            self.notes.append(fact)


@dataclass(frozen=True)
class _ClientView:
    """What one client proxy uses toward the dialed host: rules, route and egress scope."""

    plane: Dataplane
    choice: RuleChoice
    subsets: tuple[str, ...]
    known: bool
    policy: str


def judge(state: ClusterState, edge: MeshEdge) -> MeshVerdict:
    """Judge the mesh part of an edge (pure; reads only `state`)."""
    settings = mesh_settings(state)
    sources = [dataplane_of(state, p) for p in edge.source_pods]
    planes = [(dataplane_of(state, p, edge.service), port) for p, port in edge.targets]
    verdict = MeshVerdict(settings, sources, [p for p, _ in planes])
    for plane in _distinct((*sources, *verdict.targets)):
        if plane.missing_proxy:
            verdict.add(_missing_proxy(plane))
    _unenforced(state, verdict)
    if not verdict.in_mesh:
        return verdict
    _port_naming(verdict, edge)
    _shared_pods(state, verdict)
    if edge.external_host:
        _external(state, verdict, edge.external_host)
    problems: list[RouteProblem] = []
    vs: VirtualService | None = None
    if edge.service is not None and any(s.mode == SIDECAR for s in sources):
        vs, problems = route_problems(
            state, service_fqdn(edge.service), _service_port(edge), edge.source_namespace
        )
        _route_issues(state, verdict, edge, vs, problems)
    for client in _distinct(sources):
        view = _client_view(state, settings, client, edge, vs)
        for server, port in _distinct_targets(planes):
            _judge_pair(state, verdict, view, server, port, edge)
    return verdict


def _unenforced(state: ClusterState, verdict: MeshVerdict) -> None:
    """Policies that select a server pod without any proxy: nothing enforces them."""
    root = verdict.settings.root_namespace
    for plane in _distinct(p for p in verdict.targets if p.mode == NONE):
        composed = effective_mtls(state, plane.pod, root)
        facts = composed.deciding(None) if composed.mode == STRICT else []
        for port, mode in composed.per_port.items():
            facts += composed.deciding(port) if mode == STRICT else []
        for policy in applicable_policies(state, plane.pod, root):
            if policy.metadata.namespace == plane.pod.namespace:
                facts.append(
                    Fact(ref("AuthorizationPolicy", policy), f"action {policy.spec.action}")
                )
        if facts:
            title = (
                f"{plane.label()} has no proxy, so the mesh policies selecting it are not enforced"
            )
            verdict.add(MeshIssue(INFO, title, "plaintext is accepted and no RBAC applies", facts))


def _shared_pods(state: ClusterState, verdict: MeshVerdict) -> None:
    """Services exposing the same server pods inconsistently (Istio keeps only one view)."""
    for plane in _distinct(p for p in verdict.targets if p.mode == SIDECAR):
        for finding in port_conflicts(state, plane.pod.namespace, plane.pod.labels):
            title = (
                f"services selecting {plane.label()} disagree ({finding.code}): {finding.message}"
            )
            symptom = "Istio builds one inbound listener per port; one service's protocol loses"
            hint = "give every service the same port number and protocol name for a target port"
            verdict.add(MeshIssue(WARN, title, symptom, [Fact(plane.ref(), finding.message)], hint))


def _external(state: ClusterState, verdict: MeshVerdict, host: str) -> None:
    """Traffic to a host outside the cluster's pods: a ServiceEntry, passthrough or BlackHole."""
    settings = verdict.settings
    for client in _distinct(verdict.sources):
        if client.mode != SIDECAR:
            continue
        ns = client.pod.namespace
        scope = egress_scope(
            state, client.pod, host, "", settings.root_namespace, settings.outbound_policy
        )
        entries = visible_service_entries(state, host, ns)
        if entries:
            verdict.note(Fact(ref("ServiceEntry", entries[0]), f"registers {host} for {ns}"))
        elif scope.outbound_policy == "REGISTRY_ONLY":
            title = f"no ServiceEntry registers {host} and outbound traffic is REGISTRY_ONLY"
            facts = [Fact(client.ref(), f"outboundTrafficPolicy {scope.outbound_policy}")]
            verdict.add(MeshIssue(FAIL, title, BLACKHOLE, facts, f"add a ServiceEntry for {host}"))
        else:
            detail = f"{host} is not in the mesh registry: PassthroughCluster (ALLOW_ANY)"
            verdict.note(Fact(client.ref(), detail))


def _service_port(edge: MeshEdge) -> int | None:
    return edge.service_port.port if edge.service_port is not None else None


def _distinct(planes: Iterable[Dataplane]) -> list[Dataplane]:
    seen: dict[tuple[str, str, frozenset[tuple[str, str]]], Dataplane] = {}
    for plane in planes:
        key = (plane.mode, plane.pod.spec.service_account_name, frozenset(plane.pod.labels.items()))
        seen.setdefault(key, plane)
    return list(seen.values())


def _distinct_targets(
    planes: list[tuple[Dataplane, int | None]],
) -> list[tuple[Dataplane, int | None]]:
    seen: dict[
        tuple[str, frozenset[tuple[str, str]], int | None], tuple[Dataplane, int | None]
    ] = {}
    for plane, port in planes:
        seen.setdefault((plane.mode, frozenset(plane.pod.labels.items()), port), (plane, port))
    return list(seen.values())


def _missing_proxy(plane: Dataplane) -> MeshIssue:
    title = f"{plane.label()} runs without istio-proxy although injection applies"
    pod = plane.pod
    restart = kubectl("delete", "pod", "-n", pod.namespace, pod.name)
    kind, _, name = plane.workload.partition(" ")
    if kind in ("deployment", "statefulset", "daemonset"):
        workload = f"{kind}/{name.split('/', 1)[1]}"
        restart = kubectl("rollout", "restart", "-n", pod.namespace, workload)
    hint = f"restart it to inject istio-proxy: {restart}"
    return MeshIssue(
        WARN,
        title,
        "the pod talks plaintext outside the mesh",
        [Fact(plane.ref(), plane.reason)],
        hint,
    )


def _port_naming(verdict: MeshVerdict, edge: MeshEdge) -> None:
    port = edge.service_port
    if edge.service is None or port is None or port_protocol(port):
        return
    where = f"service {edge.service.namespace}/{edge.service.name} port {port.port}"
    title = f"{where} has no protocol name or appProtocol; Istio sniffs or treats it as TCP"
    hint = "name the port `http-…`, `grpc-…`, `tcp-…` or set appProtocol"
    verdict.add(
        MeshIssue(
            WARN,
            title,
            "HTTP routing and policies may not apply",
            [Fact(where, f"name {port.name!r}")],
            hint,
        )
    )


def _client_view(
    state: ClusterState,
    settings: MeshSettings,
    client: Dataplane,
    edge: MeshEdge,
    vs: VirtualService | None,
) -> _ClientView:
    if edge.service is None or client.mode != SIDECAR:
        return _ClientView(client, RuleChoice(), ("",), True, settings.outbound_policy)
    host, ns = service_fqdn(edge.service), edge.service.namespace
    choice = rules_for_host(state, host, client.pod.namespace, client.pod.labels, ns)
    routed = destinations(vs, _service_port(edge)) if vs is not None else iter(())
    subsets = tuple(sorted({d.destination.subset for d in routed if d.fqdn() == host}))
    scope = egress_scope(
        state, client.pod, host, ns, settings.root_namespace, settings.outbound_policy
    )
    return _ClientView(client, choice, subsets or ("",), scope.known, scope.outbound_policy)


def _judge_pair(
    state: ClusterState,
    verdict: MeshVerdict,
    view: _ClientView,
    server: Dataplane,
    port: int | None,
    edge: MeshEdge,
) -> None:
    mode: str | None = None
    facts: tuple[Fact, ...] = ()
    if server.in_mesh:
        composed = effective_mtls(state, server.pod, verdict.settings.root_namespace)
        mode = composed.mode_for(port)
        on = f"{mode} on {server.label()} port {port}"
        decided = [Fact(f.ref, f"{f.detail}: {on}") for f in composed.deciding(port)]
        facts = (*decided, *composed.ignored)
        verdict.server_modes.add(mode)
        for fact in decided:
            verdict.note(fact)
    if view.plane.mode == SIDECAR and (edge.service is None or not view.known):
        _passthrough(verdict, view, server, mode, port, edge)
        if server.in_mesh and port is not None and mode != "STRICT":
            _authorize(state, verdict, view.plane, server, port, False, edge)
        return
    subsets = [s for s in view.subsets if _in_subset(view.choice, s, server.pod)]
    if not subsets:
        verdict.note(Fact(server.ref(), "in no subset the route uses: gets no traffic from it"))
        return
    tls_modes = []
    for subset in subsets:
        tls = None
        if view.plane.mode == SIDECAR:
            tls = client_tls(
                view.choice,
                _service_port(edge),
                subset,
                mode if server.in_mesh else None,
                verdict.settings.auto_mtls,
            )
            for fact in tls.facts[:1]:
                verdict.note(
                    Fact(fact.ref, fact.detail + (f" (subset {subset})" if subset else ""))
                )
        side = ClientSide(view.plane, tls)
        verdict.add(tls_issue(side, ServerSide(server, mode, tuple(facts)), port))
        tls_modes.append(side.sends(server.in_mesh))
        verdict.client_sends.add(side.sends(server.in_mesh))
    if server.in_mesh and port is not None:
        mtls = ISTIO_MUTUAL in tls_modes and mode != DISABLE
        _authorize(state, verdict, view.plane, server, port, mtls, edge)


def _in_subset(choice: RuleChoice, subset: str, pod: Pod) -> bool:
    """Whether the pod belongs to a routed subset (unknown subsets are judged elsewhere)."""
    found = choice.subset(subset) if subset else None
    return found is None or found[1].labels.items() <= pod.labels.items()


def _passthrough(
    verdict: MeshVerdict,
    view: _ClientView,
    server: Dataplane,
    mode: str | None,
    port: int | None,
    edge: MeshEdge,
) -> None:
    """The client proxy does not know the host: PassthroughCluster (plaintext) or BlackHole."""
    client = view.plane
    if edge.service is not None and view.policy == "REGISTRY_ONLY":
        title = f"{client.label()}'s Sidecar resource omits the host and outbound is REGISTRY_ONLY"
        verdict.add(
            MeshIssue(
                FAIL,
                title,
                BLACKHOLE,
                [Fact(client.ref(), client.reason)],
                "add the host to the Sidecar's egress hosts",
            )
        )
        return
    why = (
        "a pod IP outside the client proxy's registry"
        if edge.service is None
        else "a host missing from the client's Sidecar egress"
    )
    verdict.note(
        Fact(client.ref(), f"{why}: PassthroughCluster, plaintext, no DestinationRule or route")
    )
    if mode == "STRICT":
        target = server.label()
        title = f"the client's sidecar sends plaintext (passthrough) to {target}, which is STRICT"
        hint = (
            "dial the service name instead of the pod IP (or list the host in the Sidecar egress)"
        )
        verdict.add(
            MeshIssue(
                WARN,
                title,
                f"likely {RESET}",
                [Fact(client.ref(), why), Fact(server.ref(), "STRICT")],
                hint,
            )
        )


def _denied_hint(facts: list[Fact], who: str, port: int) -> str:
    """The minimal fix: a DENY rule wins over every ALLOW rule, so it must change itself."""
    deny = next((f for f in facts if f.detail.startswith("DENY rule matches")), None)
    if deny is not None:
        return (
            f"remove {who} from the DENY rule {deny.ref} (DENY is evaluated before ALLOW: no "
            "ALLOW rule can override it), or delete that policy if the deny is stale"
        )
    refs = ", ".join(f.ref for f in facts) or "the ALLOW policies"
    return f"add a rule admitting {who} on port {port} to an ALLOW policy ({refs})"


def _authorize(
    state: ClusterState,
    verdict: MeshVerdict,
    client: Dataplane,
    server: Dataplane,
    port: int,
    mtls: bool,
    edge: MeshEdge,
) -> None:
    settings = verdict.settings
    principal = principal_of(client.pod, settings.trust_domain) if mtls else None
    peer = Peer(client.pod.namespace, principal, tuple(client.pod.ips()))
    http = edge.service_port is not None and port_protocol(edge.service_port) in HTTP_PROTOCOLS
    http = http and not (server.mode == AMBIENT and not server.waypoint)
    service = edge.service.name if edge.service is not None else ""
    policies = applicable_policies(
        state, server.pod, settings.root_namespace, service, server.waypoint
    )
    decision = evaluate(policies, peer, port, http)
    who = principal or f"an unauthenticated peer from {client.pod.namespace} (no mTLS)"
    if decision.outcome == DENIED:
        title = f"AuthorizationPolicy denies {who} on {server.label()} port {port}"
        hint = _denied_hint(decision.facts, who, port)
        verdict.add(MeshIssue(FAIL, title, RBAC_HTTP if http else RBAC_TCP, decision.facts, hint))
    elif decision.outcome == CUSTOM:
        verdict.add(
            MeshIssue(
                WARN,
                f"an external authorizer decides requests to {server.label()}",
                "depends on the ext-authz service",
                decision.facts,
            )
        )
    elif decision.outcome != ALLOWED:
        verdict.add(
            MeshIssue(
                WARN,
                f"AuthorizationPolicy on {server.label()} allows only some requests from {who}",
                RBAC_HTTP + " for the rest",
                decision.facts,
            )
        )
    elif policies:
        for fact in decision.facts:
            verdict.note(fact)


def _route_issues(
    state: ClusterState,
    verdict: MeshVerdict,
    edge: MeshEdge,
    vs: VirtualService | None,
    problems: list[RouteProblem],
) -> None:
    for problem in problems:
        if problem.kind == PORT_REQUIRED:
            continue
        dest = problem.dest
        taken = not dest.conditional and (dest.weight > 0 or problem.kind == ABORT)
        symptom = problem.detail if problem.kind == ABORT else NO_ROUTE
        if problem.kind == ABORT and "100%" not in problem.detail:
            taken = False
        title = f"{ref('VirtualService', dest.vs)} {dest.path}: {problem.detail}"
        verdict.add(
            MeshIssue(
                FAIL if taken else WARN,
                title,
                symptom,
                [problem.fact()],
                "fix the route or define what it points to",
            )
        )
    if edge.service is not None:
        _empty_subsets(state, verdict, edge, vs)
    if vs is not None:
        verdict.note(Fact(ref("VirtualService", vs), "routes this host"))


def _empty_subsets(
    state: ClusterState, verdict: MeshVerdict, edge: MeshEdge, vs: VirtualService | None
) -> None:
    """Subsets selecting no pods: a route sending all its traffic there = 503 UH (fail), a
    conditional or weighted one = some requests (warn); a subset no route names is unused
    and only noted (Bookinfo's DestinationRules define subsets for versions not deployed)."""
    assert edge.service is not None
    host = service_fqdn(edge.service)
    choice = rules_for_host(state, host, edge.source_namespace, {}, edge.service.namespace)
    routed = list(destinations(vs, _service_port(edge))) if vs is not None else []
    for rule in choice.rules:
        for subset in rule.spec.subsets:
            if subset_pods(state, rule, subset.labels) != []:
                continue
            via = [d for d in routed if d.destination.subset == subset.name and d.fqdn() == host]
            share = sum(d.weight for d in via if not d.conditional)
            taken = share >= 100  # every request; a weighted share or a match: some
            facts = [
                Fact(
                    ref("DestinationRule", rule, f"subsets[{subset.name}]"),
                    f"labels {subset.labels}",
                )
            ]
            if not via:
                verdict.note(Fact(facts[0].ref, "selects no pods; unused: no route sends to it"))
                continue
            facts += [Fact(ref("VirtualService", d.vs, d.path), "routes to it") for d in via]
            title = f"subset {subset.name} of {ref('DestinationRule', rule)} selects no pods"
            if not taken:
                some = f"{share}% of requests" if share else "requests matching a route condition"
                title = f"{title}; {some} are routed there"
            severity = FAIL if taken else WARN
            verdict.add(MeshIssue(severity, title, NO_HEALTHY, facts, "fix the subset labels"))
