"""VirtualService routes for a host: which apply to a client, and destinations that do not exist."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kexplore.analysis.mesh.common import (
    Fact,
    exported_to,
    host_matches,
    oldest_first,
    ref,
    resolve_host,
    typed,
    visible_service_entries,
    visible_services,
)
from kexplore.analysis.mesh.tls import rules_for_host
from kexplore.model.istio import Destination, Route, VirtualService
from kexplore.model.state import ClusterState

HOST, SUBSET, PORT, PORT_REQUIRED, ABORT = "host", "subset", "port", "port-required", "abort"


@dataclass(frozen=True)
class RouteDest:
    """One destination of a VirtualService route, with where it sits and whether it is taken."""

    vs: VirtualService
    path: str
    destination: Destination
    protocol: str
    conditional: bool
    weight: int

    def fqdn(self) -> str:
        return resolve_host(self.destination.host, self.vs.metadata.namespace)


@dataclass(frozen=True)
class RouteProblem:
    """A destination that cannot work: missing host, subset or port, or an injected abort."""

    kind: str
    dest: RouteDest
    detail: str

    def fact(self) -> Fact:
        return Fact(ref("VirtualService", self.dest.vs, self.dest.path), self.detail)


def applies_to_mesh(vs: VirtualService) -> bool:
    """Sidecars use a VirtualService with no gateways or with the reserved `mesh` gateway."""
    return not vs.spec.gateways or "mesh" in vs.spec.gateways


def services_for_host(state: ClusterState, host: str, client_ns: str) -> list[VirtualService]:
    """Mesh VirtualServices for `host` visible from `client_ns`, oldest first (it wins)."""
    out = []
    for vs in typed(state, "VirtualService", VirtualService):
        ns = vs.metadata.namespace
        if not applies_to_mesh(vs) or not exported_to(vs.spec.export_to, ns, client_ns):
            continue
        if any(host_matches(resolve_host(h, ns), host) for h in vs.spec.hosts):
            out.append(vs)
    return oldest_first(out)


def _route_applies(route: Route, port: int | None) -> tuple[bool, bool]:
    """(applies to the dialed port, has conditions beyond the port)."""
    if not route.match:
        return True, False
    ports = {m.port for m in route.match}
    applies = port is None or 0 in ports or port in ports
    conditional = any(
        m.uri or m.headers or m.method or m.source_labels or m.source_namespace or m.gateways
        for m in route.match
    )
    return applies, conditional


def destinations(vs: VirtualService, port: int | None = None) -> Iterator[RouteDest]:
    """Every route and mirror destination of a VirtualService that applies to `port`."""
    for proto, routes in (("http", vs.spec.http), ("tcp", vs.spec.tcp), ("tls", vs.spec.tls)):
        for i, route in enumerate(routes):
            applies, conditional = _route_applies(route, port)
            if not applies:
                continue
            weights = [rd.weight for rd in route.route]
            for j, rd in enumerate(route.route):
                if rd.destination is not None:
                    weight = rd.weight if any(weights) else 100 // len(weights)
                    path = f"{proto}[{i}].route[{j}].destination"
                    yield RouteDest(vs, path, rd.destination, proto, conditional, weight)
            mirrors: list[tuple[str, Destination | None]] = [(f"{proto}[{i}].mirror", route.mirror)]
            mirrors += [
                (f"{proto}[{i}].mirrors[{k}]", m.destination) for k, m in enumerate(route.mirrors)
            ]
            for path, mirror in mirrors:
                if mirror is not None:
                    yield RouteDest(vs, path, mirror, proto, True, 0)


def check_destination(
    state: ClusterState, dest: RouteDest, viewer_ns: str, subsets: bool = True
) -> list[RouteProblem]:
    """Host, port and (unless told not to) subset of one destination, seen from `viewer_ns`."""
    host = dest.fqdn()
    services = visible_services(state, host, viewer_ns)
    entries = visible_service_entries(state, host, viewer_ns)
    if not services and not entries:
        return [RouteProblem(HOST, dest, f"host {dest.destination.host} ({host}) does not exist")]
    problems = []
    port = dest.destination.port.number if dest.destination.port else 0
    known_ports = {p.port for s in services for p in s.spec.ports}
    known_ports |= {p.number for e in entries for p in e.spec.ports}
    if port and known_ports and port not in known_ports:
        problems.append(RouteProblem(PORT, dest, f"{host} has no port {port}"))
    if not port and len(services) == 1 and len(services[0].spec.ports) > 1:
        detail = f"{host} has several ports; the destination names none"
        problems.append(RouteProblem(PORT_REQUIRED, dest, detail))
    if subsets and dest.destination.subset:
        problems.extend(
            _check_subset(
                state, dest, host, viewer_ns, services[0].namespace if services else viewer_ns
            )
        )
    return problems


def _check_subset(
    state: ClusterState, dest: RouteDest, host: str, viewer_ns: str, svc_ns: str
) -> list[RouteProblem]:
    choice = rules_for_host(state, host, viewer_ns, {}, svc_ns)
    name = dest.destination.subset
    if choice.rule is None:
        return [RouteProblem(SUBSET, dest, f"subset {name}: no DestinationRule for {host}")]
    if choice.subset(name) is None:
        where = ref("DestinationRule", choice.rule)
        return [RouteProblem(SUBSET, dest, f"subset {name} is not defined in {where}")]
    return []


def route_problems(
    state: ClusterState, host: str, port: int | None, client_ns: str
) -> tuple[VirtualService | None, list[RouteProblem]]:
    """The VirtualService a client in `client_ns` uses for `host`, and its broken destinations."""
    found = services_for_host(state, host, client_ns)
    if not found:
        return None, []
    vs = found[0]
    problems = []
    for dest in destinations(vs, port):
        problems.extend(check_destination(state, dest, client_ns))
    for i, route in enumerate(vs.spec.http):
        abort = route.fault.abort if route.fault else None
        applies, conditional = _route_applies(route, port)
        if abort is not None and abort.http_status and applies:
            percent = (abort.percentage or {}).get("value", 100)
            detail = f"fault injection aborts {percent}% of requests with HTTP {abort.http_status}"
            where = RouteDest(vs, f"http[{i}].fault.abort", Destination(), "http", conditional, 0)
            problems.append(RouteProblem(ABORT, where, detail))
    return vs, problems
