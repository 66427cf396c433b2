"""The parse floor: minimal msgspec Structs holding what issue 2 asks the model to keep.

Written independently of kexplore's model: one typed decode pass of a List's bytes into
plain Structs with the connectivity fields (identity, labels, owners, ports, probes, env,
IPs, readiness, selectors, rules) and nothing else. kexplore's decode is measured against it.
"""

from __future__ import annotations

from typing import Any

import msgspec


class S(msgspec.Struct, frozen=True, rename="camel", gc=False):
    """Base of the floor Structs."""


class Owner(S, frozen=True):
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool = False


class Meta(S, frozen=True):
    name: str = ""
    namespace: str = ""
    uid: str = ""
    labels: dict[str, str] = {}
    owner_references: list[Owner] = []
    deletion_timestamp: str | None = None


class Port(S, frozen=True):
    container_port: int
    name: str = ""
    protocol: str = "TCP"


class Handler(S, frozen=True):
    port: int | str = 0
    path: str = ""


class Probe(S, frozen=True):
    http_get: Handler | None = None
    tcp_socket: Handler | None = None
    grpc: Handler | None = None


class Env(S, frozen=True):
    name: str
    value: str | None = None


class Container(S, frozen=True):
    name: str
    ports: list[Port] = []
    env: list[Env] = []
    command: list[str] = []
    args: list[str] = []
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    restart_policy: str | None = None


class PodSpec(S, frozen=True):
    containers: list[Container] = []
    init_containers: list[Container] = []
    host_network: bool = False
    dns_policy: str = ""
    node_name: str = ""


class Detail(S, frozen=True):
    reason: str = ""


class State(S, frozen=True):
    waiting: Detail | None = None
    terminated: Detail | None = None


class CStatus(S, frozen=True):
    name: str
    ready: bool = False
    restart_count: int = 0
    state: State | None = None


class Condition(S, frozen=True):
    type: str
    status: str


class PodStatus(S, frozen=True):
    phase: str = ""
    pod_ip: str = msgspec.field(default="", name="podIP")
    host_ip: str = msgspec.field(default="", name="hostIP")
    conditions: list[Condition] = []
    container_statuses: list[CStatus] = []
    init_container_statuses: list[CStatus] = []


class Pod(S, frozen=True):
    metadata: Meta
    spec: PodSpec
    status: PodStatus = PodStatus()


class SvcPort(S, frozen=True):
    port: int
    name: str = ""
    protocol: str = "TCP"
    target_port: int | str | None = None


class ServiceSpec(S, frozen=True):
    selector: dict[str, str] = {}
    ports: list[SvcPort] = []
    cluster_ip: str = msgspec.field(default="", name="clusterIP")
    type: str = "ClusterIP"
    external_name: str = ""


class Service(S, frozen=True):
    metadata: Meta
    spec: ServiceSpec


class EpConditions(S, frozen=True):
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class Ref(S, frozen=True):
    name: str = ""
    namespace: str = ""


class Endpoint(S, frozen=True):
    addresses: list[str]
    conditions: EpConditions = EpConditions()
    target_ref: Ref | None = None
    node_name: str = ""


class EpPort(S, frozen=True):
    name: str = ""
    port: int | None = None
    protocol: str = "TCP"


class EndpointSlice(S, frozen=True):
    metadata: Meta
    endpoints: list[Endpoint] | None = None
    ports: list[EpPort] | None = None


class Requirement(S, frozen=True):
    key: str
    operator: str
    values: list[str] = []


class Selector(S, frozen=True):
    match_labels: dict[str, str] = {}
    match_expressions: list[Requirement] = []


class IPBlock(S, frozen=True):
    cidr: str
    except_: list[str] = msgspec.field(default_factory=list, name="except")


class Peer(S, frozen=True):
    pod_selector: Selector | None = None
    namespace_selector: Selector | None = None
    ip_block: IPBlock | None = None


class PolicyPort(S, frozen=True):
    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None


class Ingress(S, frozen=True):
    from_: list[Peer] = msgspec.field(default_factory=list, name="from")
    ports: list[PolicyPort] = []


class Egress(S, frozen=True):
    to: list[Peer] = []
    ports: list[PolicyPort] = []


class PolicySpec(S, frozen=True):
    pod_selector: Selector
    ingress: list[Ingress] = []
    egress: list[Egress] = []
    policy_types: list[str] = []


class NetworkPolicy(S, frozen=True):
    metadata: Meta
    spec: PolicySpec


class Namespace(S, frozen=True):
    metadata: Meta


class Address(S, frozen=True):
    type: str
    address: str


class NodeStatus(S, frozen=True):
    addresses: list[Address] = []
    conditions: list[Condition] = []


class Node(S, frozen=True):
    metadata: Meta
    status: NodeStatus = NodeStatus()


class WorkloadSpec(S, frozen=True):
    replicas: int | None = None
    selector: Selector | None = None


class Workload(S, frozen=True):
    metadata: Meta
    spec: WorkloadSpec = WorkloadSpec()


class Event(S, frozen=True):
    metadata: Meta
    involved_object: Ref = Ref()
    reason: str = ""
    message: str = ""
    type: str = ""
    count: int = 0


class Mtls(S, frozen=True):
    mode: str = "UNSET"


class PeerAuthSpec(S, frozen=True):
    selector: Selector | None = None
    mtls: Mtls | None = None
    port_level_mtls: dict[str, Mtls] = {}


class PeerAuthentication(S, frozen=True):
    metadata: Meta
    spec: PeerAuthSpec = PeerAuthSpec()


class Tls(S, frozen=True):
    mode: str = ""


class TrafficPolicy(S, frozen=True):
    tls: Tls | None = None


class Subset(S, frozen=True):
    name: str
    labels: dict[str, str] = {}
    traffic_policy: TrafficPolicy | None = None


class DestinationRuleSpec(S, frozen=True):
    host: str = ""
    traffic_policy: TrafficPolicy | None = None
    subsets: list[Subset] = []


class DestinationRule(S, frozen=True):
    metadata: Meta
    spec: DestinationRuleSpec = DestinationRuleSpec()


FLOOR_TYPES: dict[str, Any] = {
    "PeerAuthentication": PeerAuthentication,
    "DestinationRule": DestinationRule,
    "Pod": Pod,
    "Service": Service,
    "EndpointSlice": EndpointSlice,
    "NetworkPolicy": NetworkPolicy,
    "Namespace": Namespace,
    "Node": Node,
    "Deployment": Workload,
    "ReplicaSet": Workload,
    "DaemonSet": Workload,
    "Event": Event,
}


def list_decoder(kind: str) -> msgspec.json.Decoder[Any]:
    """A decoder of a `<kind>List` document's items into the floor Structs, in one pass."""
    item = FLOOR_TYPES[kind]
    list_type = msgspec.defstruct(f"{kind}List", [("items", list[item])], bases=(S,))  # type: ignore[valid-type]
    return msgspec.json.Decoder(list_type)
