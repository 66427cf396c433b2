"""The kind registry and the decoders from raw API JSON (bytes or parsed) to model Structs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from kexplore.model.admin_policies import (
    AdminNetworkPolicy,
    BaselineAdminNetworkPolicy,
    ClusterNetworkPolicy,
)
from kexplore.model.base import K8s, ObjectMeta, OpaqueObject, TypeMeta
from kexplore.model.cluster import ConfigMap, Event, EventSeries, Namespace, Node
from kexplore.model.istio import (
    AuthorizationPolicy,
    DestinationRule,
    Gateway,
    PeerAuthentication,
    ServiceEntry,
    Sidecar,
    VirtualService,
)
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy
from kexplore.model.services import Endpoints, EndpointSlice, ObjectReference, Service
from kexplore.model.workloads import (
    CronJob,
    DaemonSet,
    Deployment,
    Job,
    ReplicaSet,
    StatefulSet,
)


class EventsV1(K8s, frozen=True):
    """events.k8s.io/v1 Event, converted to the core Event shape."""

    metadata: ObjectMeta
    regarding: ObjectReference = ObjectReference()
    reason: str = ""
    note: str = ""
    type: str = "Normal"
    deprecated_count: int = 0
    deprecated_last_timestamp: str | None = None
    deprecated_first_timestamp: str | None = None
    event_time: str | None = None
    series: EventSeries | None = None

    def to_event(self) -> Event:
        """The same event in core/v1 shape."""
        count = self.series.count if self.series else (self.deprecated_count or 1)
        last = self.series.last_observed_time if self.series else self.deprecated_last_timestamp
        return Event(
            metadata=self.metadata,
            involved_object=self.regarding,
            reason=self.reason,
            message=self.note,
            type=self.type,
            count=count,
            first_timestamp=self.deprecated_first_timestamp,
            last_timestamp=last,
            event_time=self.event_time,
        )


class SecretMeta(K8s, frozen=True):
    """A Secret, reduced to its metadata: values are never kept."""

    metadata: ObjectMeta
    type: str = ""
    api_version: str = "v1"
    kind: str = "Secret"


@dataclass(frozen=True)
class KindInfo:
    """How one (group, kind) is decoded and under which key ClusterState stores it."""

    struct: type[K8s]
    key: str
    namespaced: bool = True


# (API group, kind) -> KindInfo. The core group is "". Later layers add their kinds here.
REGISTRY: dict[tuple[str, str], KindInfo] = {
    ("", "Namespace"): KindInfo(Namespace, "Namespace", namespaced=False),
    ("", "Node"): KindInfo(Node, "Node", namespaced=False),
    ("", "Pod"): KindInfo(Pod, "Pod"),
    ("", "Service"): KindInfo(Service, "Service"),
    ("", "Endpoints"): KindInfo(Endpoints, "Endpoints"),
    ("", "Event"): KindInfo(Event, "Event"),
    ("events.k8s.io", "Event"): KindInfo(EventsV1, "Event"),
    ("", "ConfigMap"): KindInfo(ConfigMap, "ConfigMap"),
    ("", "Secret"): KindInfo(SecretMeta, "Secret"),
    ("discovery.k8s.io", "EndpointSlice"): KindInfo(EndpointSlice, "EndpointSlice"),
    ("networking.k8s.io", "NetworkPolicy"): KindInfo(NetworkPolicy, "NetworkPolicy"),
    ("apps", "Deployment"): KindInfo(Deployment, "Deployment"),
    ("apps", "ReplicaSet"): KindInfo(ReplicaSet, "ReplicaSet"),
    ("apps", "StatefulSet"): KindInfo(StatefulSet, "StatefulSet"),
    ("apps", "DaemonSet"): KindInfo(DaemonSet, "DaemonSet"),
    ("batch", "Job"): KindInfo(Job, "Job"),
    ("batch", "CronJob"): KindInfo(CronJob, "CronJob"),
    # Cluster-scoped policy tiers (network-policy-api), evaluated by analysis/netpol_admin.py.
    ("policy.networking.k8s.io", "AdminNetworkPolicy"): KindInfo(
        AdminNetworkPolicy, "AdminNetworkPolicy", namespaced=False
    ),
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"): KindInfo(
        BaselineAdminNetworkPolicy, "BaselineAdminNetworkPolicy", namespaced=False
    ),
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"): KindInfo(
        ClusterNetworkPolicy, "ClusterNetworkPolicy", namespaced=False
    ),
    # CNI policy kinds: recognised, not interpreted (they lower networkpolicy confidence).
    ("cilium.io", "CiliumNetworkPolicy"): KindInfo(OpaqueObject, "CiliumNetworkPolicy"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): KindInfo(
        OpaqueObject, "CiliumClusterwideNetworkPolicy", namespaced=False
    ),
    ("projectcalico.org", "NetworkPolicy"): KindInfo(OpaqueObject, "CalicoNetworkPolicy"),
    ("crd.projectcalico.org", "NetworkPolicy"): KindInfo(OpaqueObject, "CalicoNetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkPolicy"): KindInfo(
        OpaqueObject, "CalicoGlobalNetworkPolicy", namespaced=False
    ),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"): KindInfo(
        OpaqueObject, "CalicoGlobalNetworkPolicy", namespaced=False
    ),
    # Istio (any version): the mesh layer.
    ("security.istio.io", "PeerAuthentication"): KindInfo(PeerAuthentication, "PeerAuthentication"),
    ("security.istio.io", "AuthorizationPolicy"): KindInfo(
        AuthorizationPolicy, "AuthorizationPolicy"
    ),
    ("networking.istio.io", "DestinationRule"): KindInfo(DestinationRule, "DestinationRule"),
    ("networking.istio.io", "VirtualService"): KindInfo(VirtualService, "VirtualService"),
    ("networking.istio.io", "Gateway"): KindInfo(Gateway, "IstioGateway"),
    ("networking.istio.io", "Sidecar"): KindInfo(Sidecar, "Sidecar"),
    ("networking.istio.io", "ServiceEntry"): KindInfo(ServiceEntry, "ServiceEntry"),
}

CNI_POLICY_KEYS = (
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "CalicoNetworkPolicy",
    "CalicoGlobalNetworkPolicy",
)


class DecodeProblem(Exception):
    """One object could not be decoded; the message says why (no location)."""


def group_of(api_version: str) -> str:
    """The API group of an apiVersion ("" for the core group)."""
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def kind_info(api_version: str, kind: str) -> KindInfo | None:
    """The registry entry for an object, or None when kexplore does not use that kind."""
    return REGISTRY.get((group_of(api_version), kind))


def _finish(obj: K8s, info: KindInfo, api_version: str, kind: str) -> K8s:
    """Normalise a decoded object: events to core shape, opaque objects keep their kind."""
    if isinstance(obj, EventsV1):
        return obj.to_event()
    if isinstance(obj, OpaqueObject) and not obj.kind:
        return msgspec.structs.replace(obj, kind=kind, api_version=api_version)
    return obj


_JSON_DECODERS: dict[type[K8s], msgspec.json.Decoder[Any]] = {}


def _json_decoder(struct: type[K8s]) -> msgspec.json.Decoder[Any]:
    decoder = _JSON_DECODERS.get(struct)
    if decoder is None:
        decoder = _JSON_DECODERS[struct] = msgspec.json.Decoder(struct)
    return decoder


def convert_object(raw: dict[str, Any]) -> K8s | None:
    """A parsed object (from YAML or JSON) as its Struct; None for kinds kexplore ignores."""
    if not isinstance(raw, dict):
        raise DecodeProblem(f"expected an object, got {type(raw).__name__}")
    api_version, kind = str(raw.get("apiVersion", "")), str(raw.get("kind", ""))
    info = kind_info(api_version, kind)
    if info is None:
        return None
    try:
        obj = msgspec.convert(raw, info.struct, strict=False)
    except msgspec.ValidationError as e:
        raise DecodeProblem(f"{kind} {_name_of(raw)}: {e}") from e
    return _finish(obj, info, api_version, kind)


def decode_object(data: bytes, api_version: str = "", kind: str = "") -> K8s | None:
    """One object's JSON bytes as its Struct; given a kind, the object's own is not read."""
    if not kind:
        try:
            head = msgspec.json.decode(data, type=TypeMeta)
        except (msgspec.DecodeError, msgspec.ValidationError) as e:
            raise DecodeProblem(str(e)) from e
        api_version, kind = head.api_version or api_version, head.kind
    info = kind_info(api_version, kind)
    if info is None:
        return None
    try:
        obj = _json_decoder(info.struct).decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise DecodeProblem(f"{kind}: {e}") from e
    return _finish(obj, info, api_version, kind)


class _RawList(msgspec.Struct, rename="camel"):
    api_version: str = ""
    kind: str = ""
    items: list[msgspec.Raw] = []
    metadata: dict[str, Any] = {}


@dataclass
class ListPage:
    """A decoded List: its objects, per-item problems, and the list's metadata."""

    objects: list[K8s]
    problems: list[tuple[int, str]]
    resource_version: str = ""
    continue_token: str = ""


def item_kind_of_list(list_kind: str) -> str:
    """PodList -> Pod; a generic `List` has no item kind ("")."""
    return list_kind[:-4] if list_kind.endswith("List") and list_kind != "List" else ""


def decode_list(data: bytes, api_version: str = "", kind: str = "") -> ListPage:
    """A List's JSON bytes (typed `PodList` or generic `List`) as Structs.

    Items of a typed list carry no kind; `api_version`/`kind` name the item type when
    the list itself does not (as in a raw API page). A broken item is reported in
    `problems` with its index and the rest still decode.
    """
    try:
        raw = msgspec.json.decode(data, type=_RawList)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise DecodeProblem(str(e)) from e
    item_api = raw.api_version or api_version
    item_kind = item_kind_of_list(raw.kind) or kind
    page = ListPage([], [], str(raw.metadata.get("resourceVersion", "")))
    page.continue_token = str(raw.metadata.get("continue", "") or "")
    for index, item in enumerate(raw.items):
        try:
            obj = decode_object(item, item_api, item_kind)
        except DecodeProblem as e:
            page.problems.append((index, str(e)))
            continue
        if obj is not None:
            page.objects.append(obj)
    return page


def iter_list_items(raw: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Items of a parsed List with apiVersion/kind filled in from the list when missing."""
    item_kind = item_kind_of_list(str(raw.get("kind", "")))
    for index, item in enumerate(raw.get("items") or []):
        if isinstance(item, dict) and item_kind and not item.get("kind"):
            item = {**item, "kind": item_kind, "apiVersion": raw.get("apiVersion", "")}
        yield index, item


def _name_of(raw: dict[str, Any]) -> str:
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    ns, name = meta.get("namespace"), meta.get("name", "?")
    return f"{ns}/{name}" if ns else str(name)


def resource_of(kind: str) -> str:
    """The API resource name of a kind: NetworkPolicy -> networkpolicies, Endpoints -> endpoints."""
    lower = kind.lower()
    if lower.endswith("s"):
        return lower
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    return lower + "s"
