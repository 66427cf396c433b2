"""Builders of raw API objects (as the API server stores them) for fake clusters."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def _meta(name: str, namespace: str | None = None, labels: dict[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name, "labels": dict(labels or {})}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def namespace(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(name, None, labels)}


def node(name: str, ready: bool = True) -> Obj:
    cond = {"type": "Ready", "status": "True" if ready else "False"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(name),
        "status": {"conditions": [cond]},
    }


def pod(
    ns: str,
    name: str,
    labels: dict[str, str] | None = None,
    containers: tuple[str, ...] = ("app",),
    ip: str = "10.0.0.10",
    ports: tuple[int, ...] = (8080,),
) -> Obj:
    specs = [
        {
            "name": c,
            "image": "registry.example/app:1",
            "ports": [{"containerPort": p, "protocol": "TCP"} for p in ports],
        }
        for c in containers
    ]
    statuses = [
        {"name": c, "ready": True, "restartCount": 0, "state": {"running": {}}} for c in containers
    ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, ns, labels),
        "spec": {"containers": specs, "nodeName": "node-1"},
        "status": {
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "containerStatuses": statuses,
        },
    }


def service(
    ns: str, name: str, selector: dict[str, str], port: int = 80, target: int = 8080
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, ns),
        "spec": {
            "selector": selector,
            "clusterIP": "10.96.0.10",
            "ports": [{"port": port, "targetPort": target, "protocol": "TCP"}],
        },
    }


def network_policy(ns: str, name: str, selector: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(name, ns),
        "spec": {"podSelector": {"matchLabels": dict(selector or {})}, "policyTypes": ["Ingress"]},
    }


def secret(ns: str, name: str, value: str = "c2VjcmV0") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(name, ns),
        "type": "Opaque",
        "data": {"password": value},
    }


def event(
    ns: str,
    name: str,
    kind: str,
    about: str,
    reason: str,
    message: str,
    when: str = "2026-01-01T00:00:00Z",
    type_: str = "Warning",
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": _meta(name, ns),
        "involvedObject": {"kind": kind, "name": about, "namespace": ns},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": 1,
        "firstTimestamp": when,
        "lastTimestamp": when,
    }


def with_managed_fields(obj: Obj) -> Obj:
    """The object with the managedFields the API server adds (kexplore must drop them)."""
    meta = dict(obj["metadata"])
    meta["managedFields"] = [
        {"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}
    ]
    return {**obj, "metadata": meta}
