"""ClusterState: the objects of one cluster, with indexes by namespace, labels, IP and owner."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from kexplore.model.base import K8s, ObjectMeta, OpaqueObject
from kexplore.model.cluster import ConfigMap, Event, Namespace, Node
from kexplore.model.kinds import CNI_POLICY_KEYS, REGISTRY
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy
from kexplore.model.recorded import RecordedLog, RecordedProbe, SetAside
from kexplore.model.services import Endpoints, EndpointSlice, Service
from kexplore.model.workloads import WORKLOAD_KINDS, Workload

T = TypeVar("T", bound=K8s)
ObjKey = tuple[str, str]
_NONE: dict[ObjKey, K8s] = {}  # the store of a kind without objects (never written)

_KEY_OF_STRUCT: dict[type[Any], str] = {}
for _info in REGISTRY.values():
    _KEY_OF_STRUCT.setdefault(_info.struct, _info.key)


# SourceMeta.origin values: how data the source lacks would be added
LIVE, DUMP, FILES = "live", "dump", "files"


@dataclass
class SourceMeta:
    """Where the data came from, and which kinds it covers where (DESIGN §5, §9)."""

    source: str = ""
    context: str = ""
    server_version: str = ""
    time: str = ""
    # store key (kind) -> why none of it is in the data, e.g. "forbidden: list networkpolicies"
    unreadable: dict[str, str] = field(default_factory=dict)
    # store key -> the only namespaces it was read in (a kind absent here was read everywhere)
    read_in: dict[str, list[str]] = field(default_factory=dict)
    # store key -> namespace -> why it could not be read there
    forbidden_in: dict[str, dict[str, str]] = field(default_factory=dict)
    origin: str = FILES
    namespace: str = ""  # the context's namespace (live), the default of SOURCE
    # kinds raw manifests hold none of: the verdict assumes none exist (said, not judged unknown)
    assumed_absent: list[str] = field(default_factory=list)

    def gap(self, kind: str, namespace: str | None = None) -> str:
        """Why objects of `kind` (in `namespace`; None: anywhere) may be missing from the
        data; "" when the data covers them, so an absent object really does not exist."""
        if kind in self.unreadable:
            return self.unreadable[kind]
        read = self.read_in.get(kind)
        if read is None or (namespace is not None and namespace in read):
            return ""
        if namespace is not None and namespace in self.forbidden_in.get(kind, {}):
            return self.forbidden_in[kind][namespace]
        where = f"namespace {namespace}" if namespace is not None else "other namespaces"
        only = ", ".join(read) or "none"
        return f"not read in {where} (read only in: {only})"

    def partly_read(self) -> list[str]:
        """The namespaces some kind could not be read in (forbidden there), sorted."""
        return sorted({ns for per_ns in self.forbidden_in.values() for ns in per_ns})

    def unreadable_namespaces(self) -> dict[str, str]:
        """Namespace -> why (pods first) for the namespaces something could not be read in."""
        out: dict[str, str] = {}
        for kind in sorted(self.forbidden_in, key=lambda k: (k != "Pod", k)):
            for ns, reason in self.forbidden_in[kind].items():
                out.setdefault(ns, reason)
        return out

    def scope_note(self) -> str:
        """One line for a header when lists were not cluster-wide: what was read."""
        read = self.read_in.get("Pod")
        if read is None:
            return ""
        lost = self.unreadable_namespaces()
        text = f"cluster-wide lists forbidden: read {', '.join(read) or 'no namespace'}"
        return text + (f"; unreadable: {', '.join(sorted(lost))}" if lost else "")


def mark_forbidden(meta: SourceMeta, key: str, namespace: str | None, reason: str) -> None:
    """Record that a collection (one namespace, or all) may no longer be read."""
    if namespace is None:
        meta.unreadable[key] = reason
        return
    read = meta.read_in.get(key)
    if read is None:
        meta.read_in[key] = []  # was read cluster-wide: now per namespace, this one lost
    elif namespace in read:
        read.remove(namespace)
    meta.forbidden_in.setdefault(key, {})[namespace] = reason


def mark_readable(meta: SourceMeta, key: str, namespace: str | None) -> None:
    """Undo mark_forbidden once the collection was listed again."""
    if namespace is None:
        meta.unreadable.pop(key, None)
        return
    lost = meta.forbidden_in.get(key, {})
    if lost.pop(namespace, None) is not None:
        meta.read_in.setdefault(key, [])
        if namespace not in meta.read_in[key]:
            meta.read_in[key].append(namespace)
        if not lost:
            meta.forbidden_in.pop(key, None)


def store_key(obj: K8s) -> str:
    """The ClusterState key under which an object is stored (its kind, disambiguated)."""
    if isinstance(obj, OpaqueObject | Workload):
        kind = obj.kind
        if isinstance(obj, OpaqueObject) and "projectcalico" in obj.api_version:
            return "Calico" + kind
        return kind
    return _KEY_OF_STRUCT[type(obj)]


def meta_of(obj: K8s) -> ObjectMeta:
    """The metadata of any model object."""
    return cast(ObjectMeta, obj.metadata)  # type: ignore[attr-defined]


class ClusterState:
    """All objects by kind key and (namespace, name), plus lazily built indexes."""

    def __init__(self, meta: SourceMeta | None = None) -> None:
        self.objects: dict[str, dict[ObjKey, K8s]] = defaultdict(dict)
        self.meta = meta or SourceMeta()
        self.warnings: list[str] = []
        self.recorded_probes: list[RecordedProbe] = []
        self.logs: list[RecordedLog] = []
        self.set_aside: list[SetAside] = []  # observations a what-if no longer trusts
        self._index: dict[str, Any] = {}

    def copy(self) -> ClusterState:
        """A copy sharing the (immutable) objects; the per-kind stores, the lists and the
        meta's maps are new, so changing either leaves the other as it was."""
        meta = self.meta
        out = ClusterState(
            replace(
                meta,
                unreadable=dict(meta.unreadable),
                read_in={k: list(v) for k, v in meta.read_in.items()},
                forbidden_in={k: dict(v) for k, v in meta.forbidden_in.items()},
            )
        )
        for kind, objs in self.objects.items():
            out.objects[kind] = dict(objs)
        out.warnings = list(self.warnings)
        out.recorded_probes = list(self.recorded_probes)
        out.logs = list(self.logs)
        out.set_aside = list(self.set_aside)
        return out

    # -- mutation ---------------------------------------------------------------------
    def add(self, obj: K8s) -> None:
        """Add or replace an object."""
        meta = meta_of(obj)
        self.objects[store_key(obj)][(meta.namespace, meta.name)] = obj
        self._index.clear()

    def add_all(self, objs: Iterable[K8s]) -> None:
        """Add many objects."""
        for obj in objs:
            meta = meta_of(obj)
            self.objects[store_key(obj)][(meta.namespace, meta.name)] = obj
        self._index.clear()

    def remove(self, kind: str, namespace: str, name: str) -> None:
        """Remove an object if present."""
        self.objects.get(kind, {}).pop((namespace, name), None)
        self._index.clear()

    # -- typed access -----------------------------------------------------------------
    def of_kind(self, kind: str, cls: type[T]) -> list[T]:
        """All objects stored under a kind key, typed."""
        return cast(list[T], list(self.objects.get(kind, {}).values()))

    def get(self, kind: str, namespace: str, name: str) -> K8s | None:
        """One object by kind key, namespace and name."""
        return self.objects.get(kind, {}).get((namespace, name))

    @property
    def pods(self) -> list[Pod]:
        return self.of_kind("Pod", Pod)

    @property
    def services(self) -> list[Service]:
        return self.of_kind("Service", Service)

    @property
    def endpoint_slices(self) -> list[EndpointSlice]:
        return self.of_kind("EndpointSlice", EndpointSlice)

    @property
    def endpoints(self) -> list[Endpoints]:
        return self.of_kind("Endpoints", Endpoints)

    @property
    def network_policies(self) -> list[NetworkPolicy]:
        return self.of_kind("NetworkPolicy", NetworkPolicy)

    @property
    def namespaces(self) -> list[Namespace]:
        return self.of_kind("Namespace", Namespace)

    @property
    def nodes(self) -> list[Node]:
        return self.of_kind("Node", Node)

    @property
    def events(self) -> list[Event]:
        return self.of_kind("Event", Event)

    @property
    def config_maps(self) -> list[ConfigMap]:
        return self.of_kind("ConfigMap", ConfigMap)

    @property
    def workloads(self) -> list[Workload]:
        out: list[Workload] = []
        for kind in WORKLOAD_KINDS:
            out.extend(self.of_kind(kind, Workload))
        return out

    def cni_policies(self) -> list[OpaqueObject]:
        """Cilium/Calico policy objects present (not evaluated by kexplore)."""
        out: list[OpaqueObject] = []
        for key in CNI_POLICY_KEYS:
            out.extend(self.of_kind(key, OpaqueObject))
        return out

    def namespace_names(self) -> list[str]:
        """Every namespace named by a Namespace object or by any namespaced object."""

        def build() -> list[str]:
            names = {ns.name for ns in self.namespaces}
            for objs in self.objects.values():
                names.update(ns for ns, _ in objs if ns)
            return sorted(names)

        return list(self._cached("namespace_names", build))

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        """Labels of a namespace; with no Namespace object, the automatic name label only."""
        ns = self.get("Namespace", "", namespace)
        labels = dict(meta_of(ns).labels) if ns is not None else {}
        labels.setdefault("kubernetes.io/metadata.name", namespace)
        return labels

    # -- indexes ----------------------------------------------------------------------
    def _cached(self, name: str, build: Any) -> Any:
        if name not in self._index:
            self._index[name] = build()
        return self._index[name]

    def pods_in(self, namespace: str) -> list[Pod]:
        """Pods of one namespace."""
        index = self._cached("pods_by_ns", lambda: _group(self.pods, lambda p: p.namespace))
        return cast(list[Pod], index.get(namespace, []))

    def services_in(self, namespace: str) -> list[Service]:
        """Services of one namespace."""
        index = self._cached("svc_by_ns", lambda: _group(self.services, lambda s: s.namespace))
        return cast(list[Service], index.get(namespace, []))

    def policies_in(self, namespace: str) -> list[NetworkPolicy]:
        """NetworkPolicies of one namespace."""
        index = self._cached(
            "np_by_ns", lambda: _group(self.network_policies, lambda p: p.namespace)
        )
        return cast(list[NetworkPolicy], index.get(namespace, []))

    def pods_by_ip(self, ip: str) -> list[Pod]:
        """Pods holding an IP (several means a duplicate IP, or hostNetwork pods)."""

        def build() -> dict[str, list[Pod]]:
            out: dict[str, list[Pod]] = defaultdict(list)
            for pod in self.pods:
                for addr in pod.ips():
                    out[addr].append(pod)
            return out

        return cast(list[Pod], self._cached("pods_by_ip", build).get(ip, []))

    def pods_matching(self, namespace: str, selector: dict[str, str]) -> list[Pod]:
        """Pods of a namespace whose labels include every pair of a map selector."""
        items = selector.items()
        return [p for p in self.pods_in(namespace) if items <= p.labels.items()]

    def slices_for(self, namespace: str, service: str) -> list[EndpointSlice]:
        """EndpointSlices of a service."""
        index = self._cached(
            "slices", lambda: _group(self.endpoint_slices, lambda s: (s.namespace, s.service_name))
        )
        return cast(list[EndpointSlice], index.get((namespace, service), []))

    def events_for(self, kind: str, namespace: str, name: str) -> list[Event]:
        """Events about one object, oldest first."""

        def build() -> dict[tuple[str, str, str], list[Event]]:
            out = _group(
                self.events,
                lambda e: (
                    e.involved_object.kind,
                    e.involved_object.namespace or e.metadata.namespace,
                    e.involved_object.name,
                ),
            )
            for evs in out.values():
                evs.sort(key=lambda e: e.when())
            return out

        return cast(list[Event], self._cached("events", build).get((kind, namespace, name), []))

    def owner(self, obj: K8s) -> Workload | None:
        """The controlling workload of an object, if it is in the data."""
        meta = meta_of(obj)
        refs = meta.owner_references
        for ref in refs:
            if ref.controller or len(refs) == 1:
                found = self.objects.get(ref.kind, _NONE).get((meta.namespace, ref.name))
                return found if isinstance(found, Workload) else None
        return None

    def top_owner(self, obj: K8s) -> Workload | None:
        """The outermost controller (pod → ReplicaSet → Deployment gives the Deployment)."""
        top, seen = None, 0
        current = self.owner(obj)
        while current is not None and seen < 8:
            top, seen = current, seen + 1
            current = self.owner(current)
        return top

    def pods_of_workload(self, workload: Workload) -> list[Pod]:
        """Pods whose owner chain reaches the workload."""
        index = self._cached("pods_by_top_owner", self._build_owner_index)
        key = (workload.kind, workload.namespace, workload.name)
        return cast(list[Pod], index.get(key, []))

    def pods_owned_by(self, namespace: str, kind: str, name: str) -> list[Pod]:
        """Pods whose ownerReferences reach a workload, in the data or not; a CronJob's pods
        through Jobs named `<cronjob>-<scheduled minute>` when its Jobs are not in the data."""
        index = self._cached("pods_by_top_owner", self._build_owner_index)
        found = list(index.get((kind, namespace, name), []))
        if kind == "CronJob" and not found:
            job = re.compile(re.escape(name) + r"-\d+")
            for (k, ns, owner), pods in index.items():
                if k == "Job" and ns == namespace and job.fullmatch(owner):
                    found += pods
        return cast(list[Pod], found)

    def _build_owner_index(self) -> dict[tuple[str, str, str], list[Pod]]:
        """(kind, namespace, name) of every controller up a pod's chain -> its pods; a
        controller missing from the data is indexed by its reference and ends the chain."""
        out: dict[tuple[str, str, str], list[Pod]] = defaultdict(list)
        for pod in self.pods:
            current: K8s | None = pod
            depth = 0
            while current is not None and depth < 8:
                refs = meta_of(current).owner_references
                ref = next((r for r in refs if r.controller or len(refs) == 1), None)
                if ref is None:
                    break
                out[(ref.kind, pod.namespace, ref.name)].append(pod)
                current, depth = self.owner(current), depth + 1
        return out

    def newest_time(self) -> str:
        """The newest timestamp in the data (RFC 3339), the reference for "recent"."""
        if self.meta.time:
            return self.meta.time

        def build() -> str:
            stamps = [e.when() for e in self.events]
            for pod in self.pods:
                stamps.extend(c.last_transition_time or "" for c in pod.status.conditions)
                stamps.append(pod.status.start_time or "")
            return max((s for s in stamps if s), default="")

        return cast(str, self._cached("newest", build))


def _group(items: Iterable[Any], key: Any) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for item in items:
        out[key(item)].append(item)
    return out
