"""Cluster-level objects: Namespace, Node, Event, ConfigMap and Secret names."""

from __future__ import annotations

import msgspec

from kexplore.model.base import K8s, Object
from kexplore.model.services import ObjectReference


class Namespace(Object, frozen=True):
    """A namespace."""

    api_version: str = "v1"
    kind: str = "Namespace"


class NodeCondition(K8s, frozen=True):
    """status.conditions[] of a node."""

    type: str
    status: str
    reason: str = ""
    message: str = ""


class NodeAddress(K8s, frozen=True):
    """status.addresses[] of a node."""

    type: str
    address: str


class NodeSpec(K8s, frozen=True):
    """spec of a node."""

    pod_cidr: str = msgspec.field(default="", name="podCIDR")
    unschedulable: bool = False


class NodeStatus(K8s, frozen=True):
    """status of a node."""

    conditions: tuple[NodeCondition, ...] = ()
    addresses: tuple[NodeAddress, ...] = ()


class Node(Object, frozen=True):
    """A node."""

    spec: NodeSpec = NodeSpec()
    status: NodeStatus = NodeStatus()
    api_version: str = "v1"
    kind: str = "Node"

    def condition(self, kind: str) -> NodeCondition | None:
        """The condition of the given type, if reported."""
        for cond in self.status.conditions:
            if cond.type == kind:
                return cond
        return None


class EventSeries(K8s, frozen=True):
    """series of an events.k8s.io Event."""

    count: int = 0
    last_observed_time: str | None = None


class Event(Object, frozen=True):
    """A core/v1 Event (events.k8s.io/v1 is converted to this shape on decode)."""

    involved_object: ObjectReference = ObjectReference()
    reason: str = ""
    message: str = ""
    type: str = "Normal"
    count: int = 1
    first_timestamp: str | None = None
    last_timestamp: str | None = None
    event_time: str | None = None
    api_version: str = "v1"
    kind: str = "Event"

    def when(self) -> str:
        """The newest timestamp the event carries ("" if none)."""
        return (
            self.last_timestamp
            or self.event_time
            or self.first_timestamp
            or (self.metadata.creation_timestamp or "")
        )


class ConfigMap(Object, frozen=True):
    """A ConfigMap (data only; read for talks-to inference)."""

    data: dict[str, str] = {}
    api_version: str = "v1"
    kind: str = "ConfigMap"
