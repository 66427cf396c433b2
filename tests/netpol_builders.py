"""Builders of raw pods, namespaces and policies for the NetworkPolicy tests."""

from __future__ import annotations

from typing import Any

from kexplore.model.kinds import convert_object
from kexplore.model.state import ClusterState

Obj = dict[str, Any]


def pod(
    ns: str,
    name: str,
    labels: dict[str, str] | None = None,
    ip: str = "",
    ports: list[tuple[str, int, str]] | None = None,
    host_network: bool = False,
    owner: tuple[str, str] | None = None,
    ready: bool = True,
) -> Obj:
    """A running pod; ports are (name, number, protocol) on one container."""
    container = {
        "name": "app",
        "ports": [{"name": n, "containerPort": p, "protocol": pr} for n, p, pr in ports or []],
    }
    meta: Obj = {"name": name, "namespace": ns, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [container], "hostNetwork": host_network},
        "status": {
            "phase": "Running",
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def namespace(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels or {}},
    }


def netpol(ns: str, name: str, spec: Obj) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def admin(kind: str, name: str, spec: Obj) -> Obj:
    version = "v1alpha2" if kind == "ClusterNetworkPolicy" else "v1alpha1"
    return {
        "apiVersion": f"policy.networking.k8s.io/{version}",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }


def state_of(*objects: Obj) -> ClusterState:
    """A ClusterState holding the given raw objects."""
    state = ClusterState()
    for raw in objects:
        obj = convert_object(raw)
        assert obj is not None, raw
        state.add(obj)
    return state
