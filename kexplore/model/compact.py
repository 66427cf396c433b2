"""Sharing what a big cluster repeats: decoded objects get one copy of each string
(namespaces, label keys and values, node names, images, condition types), of each equal
label or annotation map, and of each equal part (a ReplicaSet's pods have the same
containers, probes, ports, env and container statuses).

msgspec makes new objects for every occurrence, so 20,000 pods hold 20,000 copies of the
same containers; sharing them in place cuts a pod's memory by more than half. Model
Structs are frozen, so a shared part is never changed through one of its holders.

The walk is kept cheap, as it runs on every object of a load: fields whose values are
unique to their object (names, uids, IPs, timestamps) are not visited, and a hashable
part (a frozen Struct or tuple without a dict or list inside) is looked up whole, in C,
so only the first of equal parts is walked. Where whole parts keep turning out new (pod
conditions carry their own times), the lookups stop and the part is walked instead. Only
the objects of one load share an `Interner` (dropped after it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from msgspec.structs import force_setattr

from kexplore.model.base import ObjectMeta, OwnerReference
from kexplore.model.pods import Pod, PodStatus
from kexplore.model.services import EndpointSlice

# Fields whose values are (nearly) unique to their object, by Struct type: not visited.
UNIQUE_FIELDS: dict[str, frozenset[str]] = {
    "ObjectMeta": frozenset(
        {"name", "uid", "resource_version", "creation_timestamp", "deletion_timestamp"}
    ),
    "PodStatus": frozenset({"pod_ip", "pod_ips", "start_time"}),
    "ServiceSpec": frozenset({"cluster_ip", "cluster_ips"}),
    "Endpoint": frozenset({"addresses"}),
    "EndpointAddress": frozenset({"ip"}),
    "Event": frozenset({"first_timestamp", "last_timestamp", "event_time"}),
}
_NONE: frozenset[str] = frozenset()
TRIAL = 200  # lookups of a kind of part before judging whether they find shared copies
MIN_HITS = 8  # … and 1 in MIN_HITS must have, or its parts are walked from then on


class _Site:
    """Where parts are found (a Struct type's field, or the items of a type): whether
    looking them up whole pays."""

    __slots__ = ("hits", "tries", "whole")

    def __init__(self) -> None:
        self.tries = self.hits = 0
        self.whole = True

    def record(self, hit: bool) -> None:
        self.tries += 1
        self.hits += hit
        if self.tries == TRIAL and self.hits * MIN_HITS < self.tries:
            self.whole = False


Plan = tuple[tuple[str, _Site], ...]


class Interner:
    """One copy of each string, map and hashable part seen, for the objects of one load."""

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}
        self._parts: dict[Any, Any] = {}  # hashable Structs and tuples, by value
        self._maps: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        # One walker per kind of object loaded: a Deployment's containers are new where
        # its pods' are not, so each judges its own lookups.
        self._walkers: dict[type[Any], _Walker] = {}

    def string(self, value: str) -> str:
        return self._strings.setdefault(value, value)

    def compact(self, obj: msgspec.Struct) -> None:
        """Replace the strings, maps and parts in `obj` by their shared copies, in place;
        values and equality are unchanged."""
        walker = self._walker(type(obj))
        direct = DIRECT.get(type(obj))
        if direct is not None:
            direct(walker, obj)
        else:
            walker.fields(obj)

    def _walker(self, kind: type[Any]) -> _Walker:
        """The walker of one kind of object (tests compare its generic walk)."""
        walker = self._walkers.get(kind)
        if walker is None:
            walker = self._walkers[kind] = _Walker(self._strings, self._parts, self._maps)
        return walker


class _Walker:
    """Shares the strings, maps and parts of one kind of object, in the tables it is given."""

    def __init__(
        self,
        strings: dict[str, str],
        parts: dict[Any, Any],
        maps: dict[tuple[tuple[str, str], ...], dict[str, str]],
    ) -> None:
        self._strings, self._parts, self._maps = strings, parts, maps
        self._plans: dict[type[Any], Plan] = {}  # per Struct type: the fields worth visiting
        self._items: dict[type[Any], _Site] = {}  # per type of tuple or list item

    def fields(self, obj: msgspec.Struct) -> None:
        """Share the visited fields of `obj`, in place."""
        for name, site in self._plan(type(obj)):
            value = getattr(obj, name)
            if value:
                self._share(obj, name, value, site)

    def pod(self, pod: Pod) -> None:
        """A pod's hot fields, directly (the generic walk would visit some sixty fields):
        what its ReplicaSet's other pods, or the pods on its node, repeat."""
        self._meta(pod.metadata)
        spec, strings, whole = pod.spec, self._strings, self._whole
        for name in ("containers", "init_containers", "volumes"):
            part = getattr(spec, name)
            if part:
                force_setattr(spec, name, whole(part))
        for name in ("node_name", "service_account_name", "dns_policy"):
            text = getattr(spec, name)
            if text:
                force_setattr(spec, name, strings.setdefault(text, text))
        self._pod_status(pod.status)

    def endpoint_slice(self, eps: EndpointSlice) -> None:
        """A slice's fields, directly (the generic walk makes some thirty calls per
        endpoint): its endpoints' conditions, nodes and pod references, and its ports."""
        self._meta(eps.metadata)
        strings, parts, whole = self._strings, self._parts, self._whole
        for name in ("address_type", "api_version", "kind"):
            text = getattr(eps, name)
            force_setattr(eps, name, strings.setdefault(text, text))
        for ep in eps.endpoints_ or ():  # addresses are the endpoint's own: not visited
            force_setattr(ep, "conditions", whole(ep.conditions))
            if ep.node_name:
                force_setattr(ep, "node_name", strings.setdefault(ep.node_name, ep.node_name))
            if ep.hostname:
                force_setattr(ep, "hostname", strings.setdefault(ep.hostname, ep.hostname))
            ref = ep.target_ref
            if ref is not None:
                shared = parts.setdefault(ref, ref)  # a pod behind several services
                if shared is ref:
                    for field in ("kind", "name", "namespace", "uid", "field_path"):
                        text = getattr(ref, field)
                        force_setattr(ref, field, strings.setdefault(text, text))
                else:
                    force_setattr(ep, "target_ref", shared)
        if eps.ports:
            eps.ports[:] = [whole(port) for port in eps.ports]

    def _meta(self, meta: ObjectMeta) -> None:
        if meta.namespace:
            force_setattr(
                meta, "namespace", self._strings.setdefault(meta.namespace, meta.namespace)
            )
        if meta.labels:
            force_setattr(meta, "labels", self._strings_map(meta.labels))
        if meta.annotations:
            force_setattr(meta, "annotations", self._strings_map(meta.annotations))
        if meta.owner_references:
            force_setattr(meta, "owner_references", self._owners(meta.owner_references))

    def _owners(self, refs: tuple[OwnerReference, ...]) -> tuple[OwnerReference, ...]:
        """The shared copy of owner references; a new one's references shared one by one,
        directly (each slice's Service is new: the generic walk cost it dozens of calls)."""
        parts = self._parts
        shared: tuple[OwnerReference, ...] | None = parts.get(refs)
        if shared is None:
            shared = parts[refs] = tuple([self._owner(ref) for ref in refs])
        return shared

    def _owner(self, ref: OwnerReference) -> OwnerReference:
        shared: OwnerReference = self._parts.setdefault(ref, ref)
        if shared is ref:
            strings = self._strings
            for name in ("api_version", "kind", "name", "uid"):
                text = getattr(ref, name)
                force_setattr(ref, name, strings.setdefault(text, text))
        return shared

    def _pod_status(self, status: PodStatus) -> None:
        strings, whole = self._strings, self._whole
        for name in ("phase", "host_ip"):
            text = getattr(status, name)
            if text:
                force_setattr(status, name, strings.setdefault(text, text))
        for name in ("container_statuses", "init_container_statuses"):
            part = getattr(status, name)
            if part:
                force_setattr(status, name, whole(part))
        for cond in status.conditions:  # own times: walked, never looked up whole
            force_setattr(cond, "type", strings.setdefault(cond.type, cond.type))
            force_setattr(cond, "status", strings.setdefault(cond.status, cond.status))
            if cond.reason:
                force_setattr(cond, "reason", strings.setdefault(cond.reason, cond.reason))
            if cond.last_transition_time:
                time = cond.last_transition_time
                force_setattr(cond, "last_transition_time", strings.setdefault(time, time))

    def _whole(self, value: Any) -> Any:
        """The shared copy of a part known to be hashable (walked when new)."""
        shared = self._parts.get(value)
        if shared is None:
            shared = self._parts[value] = self._walk(value)
        return shared

    def _share(self, obj: msgspec.Struct, name: str, value: Any, site: _Site) -> None:
        kind = type(value)
        new: Any
        if kind is str:
            new = self._strings.setdefault(value, value)
        elif kind is dict:
            new = self._map(value)
        elif kind is list:
            new = [self._item(v) for v in value]
        else:
            new = self._part(value, site)
        if new is not value:
            force_setattr(obj, name, new)

    def _plan(self, struct: type[Any]) -> Plan:
        plan = self._plans.get(struct)
        if plan is None:
            unique = UNIQUE_FIELDS.get(struct.__name__, _NONE)
            names = [n for n in struct.__struct_fields__ if n not in unique]
            plan = self._plans[struct] = tuple((n, _Site()) for n in names)
        return plan

    def _part(self, value: Any, site: _Site) -> Any:
        """The shared copy of a tuple or Struct (walked when new); other values as they are."""
        if type(value) is not tuple and not isinstance(value, msgspec.Struct):
            return value
        if not site.whole:
            return self._walk(value)
        try:
            shared = self._parts.get(value)
        except TypeError:  # a dict or list inside: never shareable whole
            site.whole = False
            return self._walk(value)
        site.record(shared is not None)
        if shared is None:
            shared = self._parts[value] = self._walk(value)
        return shared

    def _walk(self, value: Any) -> Any:
        if type(value) is tuple:
            return tuple([self._item(v) for v in value])
        self.fields(value)
        return value

    def _item(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self._strings.setdefault(value, value)
        if kind is dict:
            return self._map(value)
        site = self._items.get(kind)
        if site is None:
            site = self._items[kind] = _Site()
        return self._part(value, site)

    def _map(self, value: dict[Any, Any]) -> dict[Any, Any]:
        """A map of strings shared whole (labels of a ReplicaSet's pods); any other map
        (an opaque object's spec) with its strings shared."""
        if not all(type(v) is str for v in value.values()):
            return {self._item(k): self._item(v) for k, v in value.items()}
        return self._strings_map(value)

    def _strings_map(self, value: dict[str, str]) -> dict[str, str]:
        """A map of strings (a decoded `dict[str, str]` field), shared whole."""
        key = tuple(value.items())
        shared = self._maps.setdefault(key, value)
        if shared is value:  # the first of its kind: its values shared, in place
            seen = self._strings
            for k, v in key:
                value[k] = seen.setdefault(v, v)
        return shared


# Kinds with a direct walk of their hot fields (the same sharing as the generic walk).
DIRECT: dict[type[Any], Callable[[_Walker, Any], None]] = {
    Pod: _Walker.pod,
    EndpointSlice: _Walker.endpoint_slice,
}
