"""Builders for the mesh tests: Istio objects, pods and services as model objects."""

from __future__ import annotations

from typing import Any

from kexplore.model.base import K8s
from kexplore.model.kinds import convert_object
from kexplore.model.state import ClusterState

SECURITY = "security.istio.io/v1"
NETWORKING = "networking.istio.io/v1"


def obj(raw: dict[str, Any]) -> K8s:
    """A raw API dict as its model Struct."""
    out = convert_object(raw)
    assert out is not None, raw
    return out


def meta(ns: str, name: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "namespace": ns}
    out.update(extra)
    return out


def peer_auth(
    ns: str,
    name: str,
    mode: str | None = None,
    selector: dict[str, str] | None = None,
    ports: dict[int, str | None] | None = None,
    created: str | None = None,
) -> K8s:
    """A PeerAuthentication; a port mapped to None is `{}` (UNSET)."""
    spec: dict[str, Any] = {}
    if mode is not None:
        spec["mtls"] = {"mode": mode}
    if selector is not None:
        spec["selector"] = {"matchLabels": selector}
    if ports is not None:
        spec["portLevelMtls"] = {p: ({"mode": m} if m else {}) for p, m in ports.items()}
    extra = {"creationTimestamp": created} if created else {}
    return obj(
        {
            "apiVersion": SECURITY,
            "kind": "PeerAuthentication",
            "metadata": meta(ns, name, **extra),
            "spec": spec,
        }
    )


def namespace(name: str, **labels: str) -> K8s:
    return obj(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    )


def pod(
    ns: str,
    name: str,
    labels: dict[str, str] | None = None,
    *,
    sidecar: bool = False,
    native_sidecar: bool = False,
    ip: str = "10.0.0.1",
    ports: tuple[int, ...] = (8080,),
    sa: str = "default",
    annotations: dict[str, str] | None = None,
) -> K8s:
    """A running pod with an `app` container, optionally with istio-proxy."""
    containers: list[dict[str, Any]] = [
        {"name": "app", "ports": [{"containerPort": p} for p in ports]}
    ]
    init: list[dict[str, Any]] = []
    if sidecar:
        containers.append({"name": "istio-proxy", "image": "istio/proxyv2:1.24"})
    if native_sidecar:
        init.append({"name": "istio-proxy", "restartPolicy": "Always"})
    return obj(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta(ns, name, labels=labels or {}, annotations=annotations or {}),
            "spec": {"containers": containers, "initContainers": init, "serviceAccountName": sa},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
        }
    )


def service(
    ns: str,
    name: str,
    selector: dict[str, str],
    ports: list[dict[str, Any]] | None = None,
    **annotations: str,
) -> K8s:
    """A ClusterIP service; ports default to one `http` port 80 -> 8080."""
    return obj(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(ns, name, annotations=annotations),
            "spec": {
                "selector": selector,
                "ports": ports or [{"name": "http", "port": 80, "targetPort": 8080}],
                "clusterIP": "10.96.0.10",
            },
        }
    )


def istio(kind: str, ns: str, name: str, spec: dict[str, Any], **metadata: Any) -> K8s:
    """Any Istio object by kind (group chosen from the kind)."""
    group = SECURITY if kind in ("PeerAuthentication", "AuthorizationPolicy") else NETWORKING
    return obj(
        {"apiVersion": group, "kind": kind, "metadata": meta(ns, name, **metadata), "spec": spec}
    )


def state_of(*objs: K8s) -> ClusterState:
    state = ClusterState()
    state.add_all(objs)
    return state
