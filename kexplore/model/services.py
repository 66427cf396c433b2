"""Services, EndpointSlices and legacy Endpoints."""

from __future__ import annotations

import msgspec

from kexplore.model.base import K8s, Object


class ServicePort(K8s, frozen=True):
    """spec.ports[]; target_port None means "same as port"."""

    port: int
    name: str = ""
    protocol: str = "TCP"
    target_port: int | str | None = None
    app_protocol: str | None = None
    node_port: int | None = None


class ServiceSpec(K8s, frozen=True):
    """spec of a Service."""

    type: str = "ClusterIP"
    selector: dict[str, str] | None = None
    ports: list[ServicePort] = []
    cluster_ip: str = msgspec.field(default="", name="clusterIP")
    cluster_ips: list[str] = msgspec.field(default_factory=list, name="clusterIPs")
    external_name: str = ""
    publish_not_ready_addresses: bool = False
    internal_traffic_policy: str = "Cluster"
    external_traffic_policy: str = ""
    session_affinity: str = "None"


class Service(Object, frozen=True):
    """A Service."""

    spec: ServiceSpec = ServiceSpec()
    api_version: str = "v1"
    kind: str = "Service"

    def is_headless(self) -> bool:
        """clusterIP: None."""
        return self.spec.cluster_ip == "None"

    def is_external_name(self) -> bool:
        return self.spec.type == "ExternalName"

    def find_port(self, port: int | str, protocol: str | None = None) -> ServicePort | None:
        """The service port with that number or name (and protocol, if given)."""
        for sp in self.spec.ports:
            if (sp.port == port or (sp.name and sp.name == port)) and (
                protocol is None or sp.protocol == protocol
            ):
                return sp
        return None


class EndpointConditions(K8s, frozen=True):
    """EndpointSlice endpoint conditions; ready unset means ready (API semantics)."""

    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class ObjectReference(K8s, frozen=True):
    """targetRef / involvedObject."""

    kind: str = ""
    name: str = ""
    namespace: str = ""
    uid: str = ""
    field_path: str = ""


class Endpoint(K8s, frozen=True):
    """EndpointSlice endpoints[]."""

    addresses: list[str] = []
    conditions: EndpointConditions = EndpointConditions()
    target_ref: ObjectReference | None = None
    node_name: str | None = None
    hostname: str | None = None


class EndpointPort(K8s, frozen=True):
    """EndpointSlice ports[] / Endpoints subsets[].ports[]."""

    port: int | None = None
    name: str | None = None
    protocol: str = "TCP"
    app_protocol: str | None = None


class EndpointSlice(Object, frozen=True):
    """discovery.k8s.io/v1 EndpointSlice."""

    address_type: str = "IPv4"
    # `endpoints: null` is how kubectl prints an empty slice.
    endpoints_: list[Endpoint] | None = msgspec.field(default=None, name="endpoints")
    ports: list[EndpointPort] | None = None
    api_version: str = "discovery.k8s.io/v1"
    kind: str = "EndpointSlice"

    @property
    def endpoints(self) -> list[Endpoint]:
        """The endpoints ([] for a null list)."""
        return self.endpoints_ or []

    @property
    def service_name(self) -> str:
        """The service this slice belongs to (kubernetes.io/service-name label)."""
        return self.metadata.labels.get("kubernetes.io/service-name", "")


class EndpointAddress(K8s, frozen=True):
    """Endpoints subsets[].addresses[]."""

    ip: str
    target_ref: ObjectReference | None = None
    node_name: str | None = None
    hostname: str | None = None


class EndpointSubset(K8s, frozen=True):
    """Endpoints subsets[]."""

    addresses: list[EndpointAddress] = []
    not_ready_addresses: list[EndpointAddress] = []
    ports: list[EndpointPort] = []


class Endpoints(Object, frozen=True):
    """Legacy v1 Endpoints."""

    subsets_: list[EndpointSubset] | None = msgspec.field(default=None, name="subsets")
    api_version: str = "v1"
    kind: str = "Endpoints"

    @property
    def subsets(self) -> list[EndpointSubset]:
        """The subsets ([] for a null list)."""
        return self.subsets_ or []
