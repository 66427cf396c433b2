"""The snapshot Collector: adds decoded objects to a ClusterState and keeps skip warnings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec

from kexplore.model.base import K8s
from kexplore.model.compact import Interner
from kexplore.model.kinds import (
    REGISTRY,
    DecodeProblem,
    convert_object,
    iter_list_items,
    kind_info,
)
from kexplore.model.state import ClusterState, meta_of, store_key
from kexplore.model.workloads import Workload

T = TypeVar("T", bound=K8s)
DEFAULT_NAMESPACE = "default"
_CLUSTER_SCOPED = frozenset(info.key for info in REGISTRY.values() if not info.namespaced)
_SHOWN_IGNORED_KINDS = 8
# Kinds that route, intercept or filter traffic and that kexplore does not evaluate: when a
# snapshot holds them, a verdict may be wrong, so they are the one ignored-kind warning.
VERDICT_KINDS = frozenset(
    {
        "EnvoyFilter",
        "WorkloadEntry",
        "WorkloadGroup",
        "RequestAuthentication",
        "ProxyConfig",
        "HTTPRoute",
        "GRPCRoute",
        "TCPRoute",
        "TLSRoute",
        "UDPRoute",
        "Ingress",
        "IngressRoute",
        "CiliumEgressGatewayPolicy",
        "CiliumLocalRedirectPolicy",
        "CiliumCIDRGroup",
        "GlobalNetworkSet",
        "NetworkSet",
        "HostEndpoint",
        "Tier",
        "ClusterGroup",
        "ServiceImport",
        "EgressGateway",
        "EgressIP",
        "EgressFirewall",
    }
)


class Collector:
    """Gathers the objects of one snapshot, the ones skipped and the kinds ignored."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self.loaded = 0
        self.ignored: Counter[str] = Counter()
        # (List bytes, the ReplicaSets added from it) decoded without their pod templates
        self.without_templates: list[tuple[bytes, list[Workload]]] = []
        self.interner = Interner()  # the strings this snapshot's objects share
        self.kexplore = False  # a kexplore snapshot: its manifest says what it covers

    def add_all(self, objs: Iterable[K8s]) -> None:
        """Add decoded objects; namespaced ones without a namespace go to `default`."""
        batch = [obj if meta_of(obj).namespace else default_namespace(obj) for obj in objs]
        self.state.add_all(batch)
        self.loaded += len(batch)

    def add_of_kind(self, key: str, namespaced: bool, objs: list[K8s]) -> None:
        """Add objects all of one kind (store key) straight into the state's store.

        Only while loading: no index of the state has been built yet.
        """
        store = self.state.objects[key]
        for obj in objs:
            meta = obj.metadata  # type: ignore[attr-defined]
            if namespaced and not meta.namespace:
                obj = default_namespace(obj)
                meta = meta_of(obj)
            store[(meta.namespace, meta.name)] = obj
        self.loaded += len(objs)

    def add_parsed(self, value: Any, where: str, line: int, item_lines: list[int]) -> None:
        """Add a parsed document: an object, a `*List` (items at `item_lines`) or an array."""
        if isinstance(value, list):
            for item in value:
                self.add_parsed(item, where, line, [])
        elif isinstance(value, dict):
            if str(value.get("kind") or "").endswith("List") and isinstance(
                value.get("items"), list
            ):
                for index, item in iter_list_items(value):
                    item_line = item_lines[index] if index < len(item_lines) else line
                    self.add_raw(item, where, item_line)
            else:
                self.add_raw(value, where, line)

    def add_raw(self, raw: Any, where: str, line: int) -> None:
        """Convert one parsed object and add it; skip it with a warning if it is broken."""
        if not isinstance(raw, dict):
            self.skip(where, line, ident_of(raw), "not an object")
            return
        try:
            obj = convert_object(raw)
        except DecodeProblem as e:
            self.skip(where, line, ident_of(raw), reason_of(e))
            return
        if obj is None:
            self.ignore(str(raw.get("kind") or ""))
        else:
            self.add_all((obj,))

    def skip(self, where: str, line: int, ident: str, reason: str) -> None:
        """Record a malformed object that was left out."""
        self.state.warnings.append(f"{where}:{line}: {ident} skipped: {reason}")

    def ignore(self, kind: str, count: int = 1) -> None:
        """Count objects of a kind kexplore does not use (documents without a kind are not)."""
        if kind:
            self.ignored[kind] += count

    def ignored_summary(self) -> str:
        """One line naming the kinds that were ignored, or "" when none were."""
        if not self.ignored:
            return ""
        total = sum(self.ignored.values())
        shown = ", ".join(f"{k} ({n})" for k, n in self.ignored.most_common(_SHOWN_IGNORED_KINDS))
        more = len(self.ignored) - _SHOWN_IGNORED_KINDS
        tail = f" and {more} more kinds" if more > 0 else ""
        noun = "object" if total == 1 else "objects"
        return f"ignored {total} {noun} of kinds kexplore does not use: {shown}{tail}"


def unevaluated_warning(ignored: Counter[str]) -> str:
    """One line naming the ignored objects that could change a verdict (kinds that route,
    intercept or filter traffic kexplore does not evaluate), or "" when none were; other
    ignored kinds (ServiceAccounts, Roles, …) are no warning."""
    found = Counter({k: n for k, n in ignored.items() if k in VERDICT_KINDS})
    if not found:
        return ""
    shown = ", ".join(f"{k} ({n})" for k, n in sorted(found.items()))
    return f"not evaluated, could change a verdict: {shown}"


def default_namespace(obj: T) -> T:
    """The object in namespace `default` when its kind is namespaced, else unchanged."""
    if store_key(obj) in _CLUSTER_SCOPED:
        return obj
    meta = msgspec.structs.replace(meta_of(obj), namespace=DEFAULT_NAMESPACE)
    return msgspec.structs.replace(obj, metadata=meta)


def controller_in(state: ClusterState, obj: Workload) -> bool:
    """Whether the object's controller (ownerReference with controller: true) is in the data."""
    namespace = obj.namespace or DEFAULT_NAMESPACE
    return any(
        ref.controller and isinstance(state.get(ref.kind, namespace, ref.name), Workload)
        for ref in obj.metadata.owner_references
    )


def reason_of(error: DecodeProblem) -> str:
    """Why an object could not be decoded, without the kind/name prefix kinds.py adds."""
    cause = error.__cause__
    return str(cause) if cause is not None else str(error)


def ident_of(raw: Any, api_version: str = "", kind: str = "") -> str:
    """`Kind ns/name` of a parsed object for messages (namespaced objects default to `default`)."""
    if not isinstance(raw, dict):
        return kind or "item"
    kind = str(raw.get("kind") or kind or "object")
    api_version = str(raw.get("apiVersion") or api_version)
    meta = raw.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = str(meta.get("name") or "?")
    info = kind_info(api_version, kind)
    if info is not None and not info.namespaced:
        return f"{kind} {name}"
    return f"{kind} {meta.get('namespace') or DEFAULT_NAMESPACE}/{name}"
