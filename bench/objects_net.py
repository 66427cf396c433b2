"""Builders of Services, EndpointSlices and Istio objects for a ClusterPlan."""

from __future__ import annotations

import random
from collections.abc import Iterator

from bench.objects import Obj, Versions, meta, owner, ts, uid
from bench.plan import AppPlan, ClusterPlan, PodPlan

SLICE_MAX = 100


def services(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """Services selecting each Deployment's pods (ClusterIP, headless, NodePort, LoadBalancer)."""
    for app in plan.apps:
        if app.service_uid is not None:
            yield _service(app, rv, rng)


def _service_ports(app: AppPlan) -> list[tuple[str, int, str, int | str]]:
    out: list[tuple[str, int, str, int | str]] = []
    for name, port, proto in app.ports:
        front = 80 if name == "http" else port
        out.append((name, front, proto, name if app.named_target else port))
    return out


def _service(app: AppPlan, rv: Versions, rng: random.Random) -> Obj:
    selector = {k: v for k, v in app.labels.items() if k in ("app", "k8s-app")}
    ports: list[Obj] = []
    for name, port, proto, target in _service_ports(app):
        p: Obj = {"name": name, "port": port, "protocol": proto, "targetPort": target}
        if app.service_type in ("NodePort", "LoadBalancer"):
            p["nodePort"] = 30000 + rng.randrange(2767)
        ports.append(p)
    ip = "None" if app.service_type == "None" else app.cluster_ip
    spec: Obj = {
        "clusterIP": ip,
        "clusterIPs": [ip],
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": ports,
        "selector": selector,
        "sessionAffinity": "None",
        "type": "ClusterIP" if app.service_type == "None" else app.service_type,
    }
    status: Obj = {"loadBalancer": {}}
    if app.service_type in ("NodePort", "LoadBalancer"):
        spec["externalTrafficPolicy"] = "Cluster"
    if app.service_type == "LoadBalancer":
        host = f"a{app.service_uid or ''}".replace("-", "")[:32] + ".elb.eu-west-1.amazonaws.com"
        status = {"loadBalancer": {"ingress": [{"hostname": host}]}}
    assert app.service_uid is not None
    labels = dict(selector) | {"app.kubernetes.io/managed-by": "Helm"}
    return {
        "metadata": meta(app.name, app.service_uid, rv, rng, app.namespace, labels=labels),
        "spec": spec,
        "status": status,
    }


def endpointslices(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """EndpointSlices of every Service, split at 100 endpoints as the controller does."""
    for app in plan.apps:
        if app.service_uid is None:
            continue
        scheduled = [p for p in app.pods if p.ip is not None]
        names: set[str] = set()
        for start in range(0, max(1, len(scheduled)), SLICE_MAX):
            name = f"{app.name}-{''.join(rng.choices('bcdfghjklmnpqrstvwxz2456789', k=5))}"
            if name in names:
                name += "x"
            names.add(name)
            yield _slice(app, name, scheduled[start : start + SLICE_MAX], rv, rng)


def _slice(app: AppPlan, name: str, pods: list[PodPlan], rv: Versions, rng: random.Random) -> Obj:
    assert app.service_uid is not None
    labels = {
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        "kubernetes.io/service-name": app.name,
    }
    m = meta(
        name,
        uid(rng),
        rv,
        rng,
        app.namespace,
        generateName=f"{app.name}-",
        labels=labels,
        annotations={"endpoints.kubernetes.io/last-change-trigger-time": ts(86400 * 90)},
        ownerReferences=owner("v1", "Service", app.name, app.service_uid),
    )
    endpoints = []
    for p in pods:
        assert p.node is not None
        ready = p.state == "running"
        endpoints.append(
            {
                "addresses": [p.ip],
                "conditions": {
                    "ready": ready,
                    "serving": p.state != "crashloop" and p.state != "notready",
                    "terminating": p.state == "terminating",
                },
                "nodeName": p.node.name,
                "targetRef": {
                    "kind": "Pod",
                    "name": p.name,
                    "namespace": app.namespace,
                    "uid": p.uid,
                },
                "zone": p.node.zone,
            }
        )
    ports = [{"name": name, "port": port, "protocol": proto} for name, port, proto in app.ports]
    return {"addressType": "IPv4", "endpoints": endpoints or None, "metadata": m, "ports": ports}


def peer_authentications(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """Istio PeerAuthentications: one mesh-wide, then namespace-wide and per-workload ones."""
    apps = [a for a in plan.apps if a.service_uid is not None and a.namespace != "kube-system"]
    for i in range(plan.spec.peer_authentications):
        if i == 0:
            yield {
                "metadata": meta("default", uid(rng), rv, rng, "istio-system", generation=1),
                "spec": {"mtls": {"mode": "STRICT"}},
            }
            continue
        app = apps[rng.randrange(len(apps))]
        mode = rng.choice(("STRICT", "PERMISSIVE", "DISABLE"))
        spec: Obj = {"mtls": {"mode": mode}}
        name = f"{app.name}-mtls-{i}"
        if rng.random() < 0.6:
            spec["selector"] = {"matchLabels": {"app": app.name}}
            if rng.random() < 0.3 and app.ports:
                spec["portLevelMtls"] = {str(app.ports[0][1]): {"mode": "PERMISSIVE"}}
        yield {"metadata": meta(name, uid(rng), rv, rng, app.namespace, generation=1), "spec": spec}


def destination_rules(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """Istio DestinationRules with TLS modes and version subsets."""
    apps = [a for a in plan.apps if a.service_uid is not None and a.namespace != "kube-system"]
    for i in range(plan.spec.destination_rules):
        app = apps[rng.randrange(len(apps))]
        host = f"{app.name}.{app.namespace}.svc.cluster.local"
        tls = rng.choices(("ISTIO_MUTUAL", "DISABLE", "SIMPLE"), (0.7, 0.2, 0.1))[0]
        spec = {
            "host": host,
            "subsets": [
                {"labels": {"version": "v1"}, "name": "v1"},
                {"labels": {"version": "v2"}, "name": "v2"},
            ],
            "trafficPolicy": {
                "connectionPool": {"tcp": {"maxConnections": 100}},
                "tls": {"mode": tls},
            },
        }
        yield {
            "metadata": meta(f"{app.name}-{i}", uid(rng), rv, rng, app.namespace, generation=1),
            "spec": spec,
        }
