"""Resource types the fake API server can serve, and the discovery documents built from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RW_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    """One served resource: where it lives in the API and how it is named."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    verbs: tuple[str, ...] = RW_VERBS
    subresources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def _core(plural: str, kind: str, namespaced: bool = True, **kw: Any) -> ResourceType:
    return ResourceType("", "v1", plural, kind, namespaced, **kw)


BUILTIN: tuple[ResourceType, ...] = (
    _core("namespaces", "Namespace", namespaced=False),
    _core("nodes", "Node", namespaced=False),
    _core("pods", "Pod", subresources=("log", "exec", "portforward", "ephemeralcontainers")),
    _core("services", "Service"),
    _core("endpoints", "Endpoints"),
    _core("configmaps", "ConfigMap"),
    _core("secrets", "Secret"),
    _core("events", "Event"),
    _core("serviceaccounts", "ServiceAccount"),
    ResourceType("apps", "v1", "deployments", "Deployment"),
    ResourceType("apps", "v1", "replicasets", "ReplicaSet"),
    ResourceType("apps", "v1", "statefulsets", "StatefulSet"),
    ResourceType("apps", "v1", "daemonsets", "DaemonSet"),
    ResourceType("batch", "v1", "jobs", "Job"),
    ResourceType("batch", "v1", "cronjobs", "CronJob"),
    ResourceType("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    ResourceType("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"),
    ResourceType("networking.k8s.io", "v1", "ingresses", "Ingress"),
    ResourceType("events.k8s.io", "v1", "events", "Event"),
    ResourceType(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        namespaced=False,
        verbs=("create",),
    ),
    ResourceType(
        "authorization.k8s.io",
        "v1",
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        namespaced=False,
        verbs=("create",),
    ),
)

ISTIO: tuple[ResourceType, ...] = (
    ResourceType("networking.istio.io", "v1", "virtualservices", "VirtualService"),
    ResourceType("networking.istio.io", "v1", "destinationrules", "DestinationRule"),
    ResourceType("networking.istio.io", "v1", "gateways", "Gateway"),
    ResourceType("networking.istio.io", "v1", "serviceentries", "ServiceEntry"),
    ResourceType("networking.istio.io", "v1", "sidecars", "Sidecar"),
    ResourceType("security.istio.io", "v1", "peerauthentications", "PeerAuthentication"),
    ResourceType("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy"),
)

ADMIN_NETWORK_POLICY: tuple[ResourceType, ...] = (
    ResourceType(
        "policy.networking.k8s.io",
        "v1alpha1",
        "adminnetworkpolicies",
        "AdminNetworkPolicy",
        namespaced=False,
    ),
    ResourceType(
        "policy.networking.k8s.io",
        "v1alpha1",
        "baselineadminnetworkpolicies",
        "BaselineAdminNetworkPolicy",
        namespaced=False,
    ),
)

CILIUM: tuple[ResourceType, ...] = (
    ResourceType("cilium.io", "v2", "ciliumnetworkpolicies", "CiliumNetworkPolicy"),
    ResourceType(
        "cilium.io",
        "v2",
        "ciliumclusterwidenetworkpolicies",
        "CiliumClusterwideNetworkPolicy",
        namespaced=False,
    ),
)

CALICO: tuple[ResourceType, ...] = (
    ResourceType("crd.projectcalico.org", "v1", "networkpolicies", "NetworkPolicy"),
    ResourceType(
        "crd.projectcalico.org",
        "v1",
        "globalnetworkpolicies",
        "GlobalNetworkPolicy",
        namespaced=False,
    ),
)


def api_versions() -> dict[str, Any]:
    """The `/api` document (with the field the client's strict models require)."""
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}


def _group_versions(types: list[ResourceType]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for rt in types:
        if rt.group and rt.version not in groups.setdefault(rt.group, []):
            groups[rt.group].append(rt.version)
    return groups


def _group_doc(name: str, versions: list[str]) -> dict[str, Any]:
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


def api_group_list(types: list[ResourceType]) -> dict[str, Any]:
    """The `/apis` document: every served group with its versions."""
    groups = [_group_doc(g, vs) for g, vs in _group_versions(types).items()]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(types: list[ResourceType], group: str) -> dict[str, Any] | None:
    """The `/apis/GROUP` document, or None when the group is not served."""
    versions = _group_versions(types).get(group)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, versions)}


def api_resource_list(types: list[ResourceType], group: str, version: str) -> dict[str, Any] | None:
    """The `/api/v1` or `/apis/GROUP/VERSION` document, or None when not served."""
    chosen = [rt for rt in types if rt.group == group and rt.version == version]
    if not chosen:
        return None
    resources: list[dict[str, Any]] = []
    for rt in chosen:
        base = {"kind": rt.kind, "namespaced": rt.namespaced, "singularName": ""}
        resources.append({"name": rt.plural, "verbs": list(rt.verbs), **base})
        for sub in rt.subresources:
            resources.append({"name": f"{rt.plural}/{sub}", "verbs": ["get", "create"], **base})
    gv = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }
