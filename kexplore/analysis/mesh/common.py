"""Istio building blocks: mesh settings, host names (short, FQDN, wildcard), exportTo, refs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import yaml

from kexplore.model.base import K8s
from kexplore.model.cluster import ConfigMap
from kexplore.model.istio import ServiceEntry
from kexplore.model.services import Service
from kexplore.model.state import ClusterState, meta_of

CLUSTER_DOMAIN = "cluster.local"
EXPORT_TO_ANNOTATION = "networking.istio.io/exportTo"
SYSTEM_NAMESPACES = frozenset(
    {"kube-system", "kube-public", "kube-node-lease", "local-path-storage"}
)

T = TypeVar("T", bound=K8s)


@dataclass(frozen=True)
class Fact:
    """One piece of evidence: the object and field that decided, and what it says."""

    ref: str
    detail: str = ""


@dataclass(frozen=True)
class MeshSettings:
    """What MeshConfig says (ConfigMap istio in istio-system, key `mesh`), with Istio defaults."""

    root_namespace: str = "istio-system"
    auto_mtls: bool = True
    trust_domain: str = CLUSTER_DOMAIN
    outbound_policy: str = "ALLOW_ANY"
    source: str = "Istio defaults (no istio-system/istio ConfigMap)"


def mesh_settings(state: ClusterState) -> MeshSettings:
    """MeshConfig from the `istio` ConfigMap in istio-system (or `istio-<rev>`), else defaults."""
    names = sorted(n for ns, n in state.objects.get("ConfigMap", {}) if ns == "istio-system")
    for name in ["istio", *(n for n in names if n.startswith("istio-"))]:
        cm = state.get("ConfigMap", "istio-system", name)
        if isinstance(cm, ConfigMap) and "mesh" in cm.data:
            try:
                raw = yaml.safe_load(cm.data["mesh"]) or {}
            except yaml.YAMLError:
                continue
            if isinstance(raw, dict):
                return _settings_from(raw, f"configmap istio-system/{name} key mesh")
    return MeshSettings()


def _settings_from(raw: dict[str, Any], source: str) -> MeshSettings:
    outbound = raw.get("outboundTrafficPolicy") or {}
    return MeshSettings(
        root_namespace=str(raw.get("rootNamespace") or "istio-system"),
        auto_mtls=raw.get("enableAutoMtls", True) is not False,
        trust_domain=str(raw.get("trustDomain") or CLUSTER_DOMAIN),
        outbound_policy=str(outbound.get("mode") or "ALLOW_ANY")
        if isinstance(outbound, dict)
        else "ALLOW_ANY",
        source=source,
    )


def resolve_host(host: str, namespace: str) -> str:
    """Istio's ResolveShortnameToFQDN: only names without a dot get `.<ns>.svc.cluster.local`.

    `reviews.shop` stays as written (Istio does not expand it), so it matches no service.
    """
    if not host or host == "*" or "." in host or _is_ip(host):
        return host.lower()
    return f"{host}.{namespace}.svc.{CLUSTER_DOMAIN}".lower()


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def service_fqdn(service: Service) -> str:
    """The service's FQDN as Istio names it."""
    return f"{service.name}.{service.namespace}.svc.{CLUSTER_DOMAIN}"


def host_matches(pattern: str, host: str) -> bool:
    """Whether `pattern` (FQDN or `*.suffix` or `*`) covers `host` (which may be a wildcard)."""
    if pattern == host or pattern == "*":
        return True
    if pattern.startswith("*"):
        suffix = pattern[1:]
        if host.startswith("*"):
            return host[1:].endswith(suffix)
        return host.endswith(suffix)
    return False


def hosts_overlap(a: str, b: str) -> bool:
    """Either host covers the other."""
    return host_matches(a, b) or host_matches(b, a)


def specificity(pattern: str) -> tuple[int, int]:
    """Sort key: exact names first, then longer wildcards (Istio's most specific match)."""
    return (0 if not pattern.startswith("*") else 1, -len(pattern))


def exported_to(export_to: Iterable[str], owner_namespace: str, viewer_namespace: str) -> bool:
    """Istio exportTo: absent or `*` = everywhere, `.` = own namespace, `~` = nowhere."""
    targets = [t.strip() for t in export_to if t.strip()]
    if not targets:
        return True
    for target in targets:
        if target == "*" or target == viewer_namespace:
            return True
        if target == "." and viewer_namespace == owner_namespace:
            return True
    return False


def service_export_to(service: Service) -> list[str]:
    """A Service's exportTo annotation (comma separated) as a list."""
    text = service.metadata.annotations.get(EXPORT_TO_ANNOTATION, "")
    return [part for part in text.split(",") if part.strip()]


def visible_services(state: ClusterState, host: str, viewer_namespace: str) -> list[Service]:
    """Services whose FQDN `host` covers, visible from `viewer_namespace`."""
    out = []
    for svc in state.services:
        if host_matches(host, service_fqdn(svc)) and exported_to(
            service_export_to(svc), svc.namespace, viewer_namespace
        ):
            out.append(svc)
    return out


def visible_service_entries(
    state: ClusterState, host: str, viewer_namespace: str
) -> list[ServiceEntry]:
    """ServiceEntries with a host overlapping `host`, visible from `viewer_namespace`."""
    out = []
    for entry in typed(state, "ServiceEntry", ServiceEntry):
        if not exported_to(entry.spec.export_to, entry.metadata.namespace, viewer_namespace):
            continue
        for pattern in entry.spec.hosts:
            if hosts_overlap(resolve_host(pattern, entry.metadata.namespace), host):
                out.append(entry)
                break
    return out


def typed(state: ClusterState, key: str, cls: type[T]) -> list[T]:
    """All objects stored under an Istio kind key, in namespace/name order."""
    objs = state.objects.get(key, {})
    return [cast(T, objs[k]) for k in sorted(objs)]


def oldest_first(objs: Iterable[T]) -> list[T]:
    """Istio's conflict order: oldest creationTimestamp first, then namespace and name."""

    def key(obj: T) -> tuple[str, str, str]:
        meta = meta_of(obj)
        return (meta.creation_timestamp or "", meta.namespace, meta.name)

    return sorted(objs, key=key)


def ref(kind: str, obj: K8s, path: str = "") -> str:
    """An evidence reference: `destinationrule shop/cart-dr trafficPolicy.tls`."""
    meta = meta_of(obj)
    name = f"{meta.namespace}/{meta.name}" if meta.namespace else meta.name
    return f"{kind.lower()} {name}" + (f" {path}" if path else "")
