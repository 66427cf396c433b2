"""Istio resources (security.istio.io, networking.istio.io), only the fields kexplore reads."""

from __future__ import annotations

from typing import Any

import msgspec

from kexplore.model.base import K8s, ObjectMeta


class WorkloadSelector(K8s, frozen=True):
    """selector / workloadSelector: matchLabels only (Istio has no matchExpressions)."""

    match_labels: dict[str, str] = {}

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether every pair is among `labels`; an empty selector matches everything."""
        return self.match_labels.items() <= labels.items()


class WorkloadLabels(K8s, frozen=True):
    """workloadSelector of a Sidecar or ServiceEntry: `labels` (not matchLabels)."""

    labels: dict[str, str] = {}

    @property
    def match_labels(self) -> dict[str, str]:
        return self.labels

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether every pair is among `labels`; an empty selector matches everything."""
        return self.labels.items() <= labels.items()


class PolicyTargetRef(K8s, frozen=True):
    """targetRef / targetRefs[] of a policy (waypoints, gateways, services)."""

    kind: str = ""
    name: str = ""
    group: str = ""
    namespace: str = ""


class MutualTLS(K8s, frozen=True):
    """PeerAuthentication mtls: UNSET, DISABLE, PERMISSIVE or STRICT."""

    mode: str = "UNSET"


class PeerAuthenticationSpec(K8s, frozen=True):
    """spec of a PeerAuthentication; portLevelMtls is keyed on the workload port."""

    selector: WorkloadSelector | None = None
    mtls: MutualTLS | None = None
    port_level_mtls: dict[int, MutualTLS] = {}


class PeerAuthentication(K8s, frozen=True):
    """security.istio.io PeerAuthentication: the server side's mTLS mode."""

    metadata: ObjectMeta
    spec: PeerAuthenticationSpec = PeerAuthenticationSpec()
    api_version: str = "security.istio.io/v1"
    kind: str = "PeerAuthentication"


class PortSelector(K8s, frozen=True):
    """A port by number (0 when not given)."""

    number: int = 0


class ClientTLSSettings(K8s, frozen=True):
    """trafficPolicy.tls: how a client sidecar originates TLS."""

    mode: str = "DISABLE"
    credential_name: str = ""
    ca_certificates: str = ""
    sni: str = ""


class PortTrafficPolicy(K8s, frozen=True):
    """trafficPolicy.portLevelSettings[]: settings for one service port."""

    port: PortSelector = PortSelector()
    tls: ClientTLSSettings | None = None


class TrafficPolicy(K8s, frozen=True):
    """trafficPolicy of a DestinationRule or subset."""

    tls: ClientTLSSettings | None = None
    port_level_settings: list[PortTrafficPolicy] = []


class Subset(K8s, frozen=True):
    """A DestinationRule subset: a named label set of the host's endpoints."""

    name: str
    labels: dict[str, str] = {}
    traffic_policy: TrafficPolicy | None = None


class DestinationRuleSpec(K8s, frozen=True):
    """spec of a DestinationRule."""

    host: str = ""
    traffic_policy: TrafficPolicy | None = None
    subsets: list[Subset] = []
    export_to: list[str] = []
    workload_selector: WorkloadSelector | None = None


class DestinationRule(K8s, frozen=True):
    """networking.istio.io DestinationRule: client-side policy for a host."""

    metadata: ObjectMeta
    spec: DestinationRuleSpec = DestinationRuleSpec()
    api_version: str = "networking.istio.io/v1"
    kind: str = "DestinationRule"


class Destination(K8s, frozen=True):
    """A route destination: host, subset and port."""

    host: str = ""
    subset: str = ""
    port: PortSelector | None = None


class RouteDestination(K8s, frozen=True):
    """route[] entry of an HTTP/TCP/TLS route."""

    destination: Destination | None = None
    weight: int = 0


class RouteMatch(K8s, frozen=True):
    """match[] entry: kexplore only needs to know whether a route is conditional."""

    port: int = 0
    gateways: list[str] = []
    source_namespace: str = ""
    source_labels: dict[str, str] = {}
    uri: dict[str, Any] | None = None
    headers: dict[str, Any] | None = None
    method: dict[str, Any] | None = None


class FaultAbort(K8s, frozen=True):
    """fault.abort: an injected error."""

    http_status: int = 0
    percentage: dict[str, Any] | None = None


class Fault(K8s, frozen=True):
    """fault injection of an HTTP route."""

    abort: FaultAbort | None = None


class Mirror(K8s, frozen=True):
    """mirrors[] entry of an HTTP route."""

    destination: Destination | None = None


class Route(K8s, frozen=True):
    """An http[], tcp[] or tls[] route of a VirtualService."""

    name: str = ""
    match: list[RouteMatch] = []
    route: list[RouteDestination] = []
    mirror: Destination | None = None
    mirrors: list[Mirror] = []
    fault: Fault | None = None


class VirtualServiceSpec(K8s, frozen=True):
    """spec of a VirtualService."""

    hosts: list[str] = []
    gateways: list[str] = []
    export_to: list[str] = []
    http: list[Route] = []
    tcp: list[Route] = []
    tls: list[Route] = []


class VirtualService(K8s, frozen=True):
    """networking.istio.io VirtualService: routing for a host."""

    metadata: ObjectMeta
    spec: VirtualServiceSpec = VirtualServiceSpec()
    api_version: str = "networking.istio.io/v1"
    kind: str = "VirtualService"


class GatewayPort(K8s, frozen=True):
    """servers[].port of a Gateway."""

    number: int = 0
    name: str = ""
    protocol: str = ""


class GatewayServer(K8s, frozen=True):
    """servers[] of a Gateway."""

    port: GatewayPort = GatewayPort()
    hosts: list[str] = []


class GatewaySpec(K8s, frozen=True):
    """spec of an Istio Gateway."""

    selector: dict[str, str] = {}
    servers: list[GatewayServer] = []


class Gateway(K8s, frozen=True):
    """networking.istio.io Gateway (not the Gateway API kind)."""

    metadata: ObjectMeta
    spec: GatewaySpec = GatewaySpec()
    api_version: str = "networking.istio.io/v1"
    kind: str = "Gateway"


class Source(K8s, frozen=True):
    """rules[].from[].source of an AuthorizationPolicy."""

    principals: list[str] = []
    not_principals: list[str] = []
    request_principals: list[str] = []
    not_request_principals: list[str] = []
    namespaces: list[str] = []
    not_namespaces: list[str] = []
    ip_blocks: list[str] = []
    not_ip_blocks: list[str] = []
    remote_ip_blocks: list[str] = []
    not_remote_ip_blocks: list[str] = []


class RuleFrom(K8s, frozen=True):
    """rules[].from[]."""

    source: Source = Source()


class Operation(K8s, frozen=True):
    """rules[].to[].operation of an AuthorizationPolicy."""

    ports: list[str | int] = []
    not_ports: list[str | int] = []
    hosts: list[str] = []
    not_hosts: list[str] = []
    methods: list[str] = []
    not_methods: list[str] = []
    paths: list[str] = []
    not_paths: list[str] = []


class RuleTo(K8s, frozen=True):
    """rules[].to[]."""

    operation: Operation = Operation()


class Condition(K8s, frozen=True):
    """rules[].when[]."""

    key: str = ""
    values: list[str] = []
    not_values: list[str] = []


class AuthzRule(K8s, frozen=True):
    """rules[] of an AuthorizationPolicy: from AND to AND when."""

    from_: list[RuleFrom] = msgspec.field(default_factory=list, name="from")
    to: list[RuleTo] = []
    when: list[Condition] = []


class ExtensionProvider(K8s, frozen=True):
    """provider of a CUSTOM AuthorizationPolicy."""

    name: str = ""


class AuthorizationPolicySpec(K8s, frozen=True):
    """spec of an AuthorizationPolicy; action defaults to ALLOW."""

    selector: WorkloadSelector | None = None
    target_ref: PolicyTargetRef | None = None
    target_refs: list[PolicyTargetRef] = []
    action: str = "ALLOW"
    provider: ExtensionProvider | None = None
    rules: list[AuthzRule] = []


class AuthorizationPolicy(K8s, frozen=True):
    """security.istio.io AuthorizationPolicy."""

    metadata: ObjectMeta
    spec: AuthorizationPolicySpec = AuthorizationPolicySpec()
    api_version: str = "security.istio.io/v1"
    kind: str = "AuthorizationPolicy"


class EgressListener(K8s, frozen=True):
    """egress[] of a Sidecar: the hosts its proxy knows, as `namespace/host`."""

    hosts: list[str] = []
    port: GatewayPort | None = None


class OutboundTrafficPolicy(K8s, frozen=True):
    """outboundTrafficPolicy: ALLOW_ANY or REGISTRY_ONLY."""

    mode: str = "ALLOW_ANY"


class SidecarSpec(K8s, frozen=True):
    """spec of a Sidecar resource."""

    workload_selector: WorkloadLabels | None = None
    egress: list[EgressListener] = []
    outbound_traffic_policy: OutboundTrafficPolicy | None = None


class Sidecar(K8s, frozen=True):
    """networking.istio.io Sidecar: limits what a proxy can reach."""

    metadata: ObjectMeta
    spec: SidecarSpec = SidecarSpec()
    api_version: str = "networking.istio.io/v1"
    kind: str = "Sidecar"


class ServiceEntryPort(K8s, frozen=True):
    """ports[] of a ServiceEntry."""

    number: int = 0
    name: str = ""
    protocol: str = ""


class ServiceEntrySpec(K8s, frozen=True):
    """spec of a ServiceEntry."""

    hosts: list[str] = []
    export_to: list[str] = []
    ports: list[ServiceEntryPort] = []
    location: str = ""
    workload_selector: WorkloadLabels | None = None


class ServiceEntry(K8s, frozen=True):
    """networking.istio.io ServiceEntry: a host added to the mesh registry."""

    metadata: ObjectMeta
    spec: ServiceEntrySpec = ServiceEntrySpec()
    api_version: str = "networking.istio.io/v1"
    kind: str = "ServiceEntry"


ISTIO_KINDS: tuple[str, ...] = (
    "PeerAuthentication",
    "AuthorizationPolicy",
    "DestinationRule",
    "VirtualService",
    "IstioGateway",
    "Sidecar",
    "ServiceEntry",
)
