"""FakeCluster: the fake API's thread-safe object store with resourceVersions and history."""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .catalog import BUILTIN, ResourceType

ObjectKey = tuple[ResourceType, str, str]


@dataclass(frozen=True)
class WatchEvent:
    """One change, as a watch stream reports it."""

    rv: int
    type: str
    rtype: ResourceType
    obj: dict[str, Any]

    @property
    def namespace(self) -> str:
        return str(self.obj.get("metadata", {}).get("namespace", ""))


@dataclass
class LogStream:
    """The (epoch seconds, text) lines of one container's log; `closed` ends a follow stream."""

    lines: list[tuple[float, str]]
    closed: bool = False


class FakeCluster:
    """Objects by resource type, namespace and name; every change bumps the resourceVersion."""

    def __init__(self, types: Iterable[ResourceType] = BUILTIN, server_version: str = "v1.31.2"):
        self.types: list[ResourceType] = list(types)
        self.server_version = server_version
        self._lock = threading.RLock()
        self._objects: dict[ObjectKey, dict[str, Any]] = {}
        self._history: list[WatchEvent] = []
        self._rv = 1000
        self.compacted_rv = 0
        self._listeners: list[Callable[[], None]] = []
        self._logs: dict[tuple[str, str, str, bool], LogStream] = {}

    # --- resource types -------------------------------------------------------------------
    def serve(self, *types: ResourceType) -> None:
        """Start serving more resource types (e.g. the Istio CRDs)."""
        with self._lock:
            self.types.extend(t for t in types if t not in self.types)

    def find_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        for rt in self.types:
            if (rt.group, rt.version, rt.plural) == (group, version, plural):
                return rt
        return None

    def type_of(self, api_version: str, kind: str) -> ResourceType:
        group, _, version = api_version.rpartition("/")
        for rt in self.types:
            if (rt.group, rt.version, rt.kind) == (group, version, kind):
                return rt
        raise KeyError(f"resource type {api_version} {kind} is not served")

    # --- changes --------------------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        return self._rv

    def subscribe(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def notify(self) -> None:
        """Wake every open watch and log stream."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def _record(self, type_: str, rtype: ResourceType, obj: dict[str, Any]) -> None:
        self._history.append(WatchEvent(self._rv, type_, rtype, copy.deepcopy(obj)))
        self.notify()

    def add(self, *objs: dict[str, Any]) -> None:
        """Create or replace objects (each needs apiVersion, kind and metadata.name)."""
        with self._lock:
            for raw in objs:
                obj = copy.deepcopy(raw)
                rtype = self.type_of(obj["apiVersion"], obj["kind"])
                meta = obj.setdefault("metadata", {})
                if rtype.namespaced:
                    meta.setdefault("namespace", "default")
                key = (rtype, meta.get("namespace", ""), meta["name"])
                self._rv += 1
                meta["resourceVersion"] = str(self._rv)
                meta.setdefault(
                    "uid", str(uuid.uuid5(uuid.NAMESPACE_URL, repr(key[1:]) + rtype.kind))
                )
                meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
                existed = key in self._objects
                self._objects[key] = obj
                self._record("MODIFIED" if existed else "ADDED", rtype, obj)

    def delete(self, api_version: str, kind: str, namespace: str, name: str) -> None:
        with self._lock:
            rtype = self.type_of(api_version, kind)
            obj = self._objects.pop((rtype, namespace if rtype.namespaced else "", name))
            self._rv += 1
            obj["metadata"]["resourceVersion"] = str(self._rv)
            self._record("DELETED", rtype, obj)

    def compact(self) -> None:
        """Forget the history: older watches and continue tokens now get 410 Gone."""
        with self._lock:
            self._rv += 1
            self.compacted_rv = self._rv
            self._history.clear()

    # --- reads ----------------------------------------------------------------------------
    def items(self, rtype: ResourceType, namespace: str | None) -> list[dict[str, Any]]:
        """Objects of one type (in one namespace, or all), sorted by namespace and name."""
        with self._lock:
            keys = sorted(k for k in self._objects if k[0] == rtype and namespace in (None, k[1]))
            return [copy.deepcopy(self._objects[k]) for k in keys]

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            obj = self._objects.get((rtype, namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def events_since(self, rtype: ResourceType, namespace: str | None, rv: int) -> list[WatchEvent]:
        with self._lock:
            return [
                e
                for e in self._history
                if e.rv > rv and e.rtype == rtype and namespace in (None, e.namespace)
            ]

    # --- logs -----------------------------------------------------------------------------
    def log(self, namespace: str, pod: str, container: str, previous: bool = False) -> LogStream:
        """The log of one container (created empty on first use)."""
        with self._lock:
            return self._logs.setdefault((namespace, pod, container, previous), LogStream([]))

    def append_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        *lines: str,
        previous: bool = False,
        at: float | None = None,
    ) -> None:
        """Append lines to a container's log, written at `at` (default: now)."""
        stamp = time.time() if at is None else at
        with self._lock:
            self.log(namespace, pod, container, previous).lines.extend(
                (stamp, line) for line in lines
            )
        self.notify()

    def close_log(self, namespace: str, pod: str, container: str) -> None:
        """End follow streams of this container (as when it terminates)."""
        with self._lock:
            self.log(namespace, pod, container).closed = True
        self.notify()
