"""Small fixture builders: API-shaped dicts turned into model objects and a ClusterState."""

from __future__ import annotations

import threading
from itertools import count
from typing import Any

from kexplore.checks.context import EdgeContext, build_context
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.ladder import DNS_EGRESS
from kexplore.model.base import K8s
from kexplore.model.kinds import convert_object
from kexplore.model.state import ClusterState, SourceMeta
from kexplore.probes.base import ProbeRequest, ProbeResult

NOW = "2026-01-10T12:00:00Z"
Port = tuple[int, str] | tuple[int, str, str] | int
_CLUSTER_IPS = count(1)


def _meta(ns: str, name: str, labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(labels or {})}
    if ns:
        meta["namespace"] = ns
    meta.update(extra)
    return meta


def _convert(raw: dict[str, Any]) -> K8s:
    obj = convert_object(raw)
    assert obj is not None, raw
    return obj


def container_ports(ports: list[Port] | None) -> list[dict[str, Any]]:
    """`8080`, `(8080, "http")` or `(53, "dns", "UDP")` as containerPort dicts."""
    out: list[dict[str, Any]] = []
    for port in ports or []:
        if isinstance(port, int):
            out.append({"containerPort": port, "protocol": "TCP"})
        else:
            number, name, *proto = port
            out.append({"containerPort": number, "name": name, "protocol": (proto or ["TCP"])[0]})
    return out


def container(
    name: str = "app",
    ports: list[Port] | None = None,
    *,
    readiness: int | str | None = None,
    liveness: int | str | None = None,
    restart_policy: str | None = None,
) -> dict[str, Any]:
    """A container spec dict; probes are httpGet on the given port."""
    spec: dict[str, Any] = {
        "name": name,
        "image": f"example/{name}:1",
        "ports": container_ports(ports),
    }
    if readiness is not None:
        spec["readinessProbe"] = {"httpGet": {"port": readiness, "path": "/ready"}}
    if liveness is not None:
        spec["livenessProbe"] = {"httpGet": {"port": liveness, "path": "/live"}}
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    return spec


def container_status(
    name: str = "app",
    *,
    ready: bool = True,
    restarts: int = 0,
    waiting: str | None = None,
    last_terminated: str | None = None,
    last_finished: str = NOW,
) -> dict[str, Any]:
    """A containerStatuses entry: running and ready unless told otherwise."""
    state: dict[str, Any] = {"running": {"startedAt": "2026-01-10T10:00:00Z"}}
    if waiting:
        state = {"waiting": {"reason": waiting, "message": f"{waiting} for {name}"}}
    status: dict[str, Any] = {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": state,
    }
    if last_terminated:
        status["lastState"] = {
            "terminated": {"reason": last_terminated, "exitCode": 137, "finishedAt": last_finished}
        }
    return status


def pod(
    ns: str,
    name: str,
    *,
    labels: dict[str, str] | None = None,
    ip: str | None = "10.0.0.1",
    ports: list[Port] | None = None,
    ready: bool = True,
    phase: str = "Running",
    node: str = "node-1",
    containers: list[dict[str, Any]] | None = None,
    init_containers: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    host_network: bool = False,
    dns_policy: str | None = None,
    searches: list[str] | None = None,
    nameservers: list[str] | None = None,
    ndots: int | None = None,
    hostname: str = "",
    subdomain: str = "",
    synthesized: bool = False,
    deleting: bool = False,
    owner: tuple[str, str] | None = None,
) -> K8s:
    """A pod with one container `app` (or the given containers), running and ready by default."""
    conts = containers if containers is not None else [container("app", ports)]
    spec: dict[str, Any] = {"containers": conts, "nodeName": node, "hostNetwork": host_network}
    if init_containers:
        spec["initContainers"] = init_containers
    if dns_policy:
        spec["dnsPolicy"] = dns_policy
    if searches is not None or nameservers is not None or ndots is not None:
        spec["dnsConfig"] = {"searches": searches or [], "nameservers": nameservers or []}
        if ndots is not None:
            spec["dnsConfig"]["options"] = [{"name": "ndots", "value": str(ndots)}]
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    if statuses is None:
        statuses = [container_status(c["name"], ready=ready) for c in conts]
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [
            {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": NOW}
        ],
        "containerStatuses": statuses,
        "hostIP": "192.168.0.1",
        "startTime": "2026-01-10T10:00:00Z",
    }
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    extra: dict[str, Any] = {}
    if deleting:
        extra["deletionTimestamp"] = NOW
    if owner:
        extra["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    raw: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(ns, name, labels, **extra),
        "spec": spec,
        "status": {} if synthesized else status,
    }
    if synthesized:
        raw["synthesized"] = True
    return _convert(raw)


def service(
    ns: str,
    name: str,
    *,
    selector: dict[str, str] | None = None,
    ports: list[dict[str, Any]] | None = None,
    cluster_ip: str | None = None,
    type: str = "ClusterIP",
    external_name: str = "",
    publish_not_ready: bool = False,
    internal_traffic_policy: str | None = None,
) -> K8s:
    """A Service; ports as dicts (`{"port": 80, "targetPort": "http", "name": "http"}`)."""
    spec: dict[str, Any] = {
        "type": type,
        "ports": [{"protocol": "TCP", **p} for p in (ports or [])],
        "publishNotReadyAddresses": publish_not_ready,
    }
    if selector is not None:
        spec["selector"] = selector
    if type != "ExternalName":
        spec["clusterIP"] = cluster_ip or f"10.96.1.{next(_CLUSTER_IPS) % 250 + 1}"
    if external_name:
        spec["externalName"] = external_name
    if internal_traffic_policy:
        spec["internalTrafficPolicy"] = internal_traffic_policy
    return _convert(
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta(ns, name), "spec": spec}
    )


def endpoint(
    ip: str,
    *,
    pod: str | None = None,
    ns: str = "",
    ready: bool | None = True,
    serving: bool | None = None,
    terminating: bool | None = None,
    node: str | None = "node-1",
    hostname: str | None = None,
) -> dict[str, Any]:
    """An EndpointSlice endpoints[] entry; None conditions are left out (API semantics)."""
    conditions = {
        k: v
        for k, v in (("ready", ready), ("serving", serving), ("terminating", terminating))
        if v is not None
    }
    out: dict[str, Any] = {"addresses": [ip], "conditions": conditions}
    if pod:
        out["targetRef"] = {"kind": "Pod", "name": pod, "namespace": ns}
    if node:
        out["nodeName"] = node
    if hostname:
        out["hostname"] = hostname
    return out


def endpoint_slice(
    ns: str,
    name: str,
    service_name: str,
    endpoints: list[dict[str, Any]],
    ports: list[dict[str, Any]] | None = None,
) -> K8s:
    """An EndpointSlice of a service; ports as dicts (`{"name": "http", "port": 8080}`)."""
    return _convert(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": _meta(ns, name, {"kubernetes.io/service-name": service_name}),
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": [{"protocol": "TCP", **p} for p in (ports or [])],
        }
    )


def endpoints(
    ns: str,
    name: str,
    ready: list[str],
    not_ready: list[str] | None = None,
    ports: list[dict[str, Any]] | None = None,
) -> K8s:
    """Legacy v1 Endpoints with one subset."""
    subset = {
        "addresses": [{"ip": ip} for ip in ready],
        "notReadyAddresses": [{"ip": ip} for ip in not_ready or []],
        "ports": [{"protocol": "TCP", **p} for p in (ports or [])],
    }
    return _convert(
        {"apiVersion": "v1", "kind": "Endpoints", "metadata": _meta(ns, name), "subsets": [subset]}
    )


def node(name: str, *, ready: bool = True, network_unavailable: bool = False) -> K8s:
    """A Node with Ready and NetworkUnavailable conditions."""
    conditions = [
        {"type": "Ready", "status": "True" if ready else "False", "reason": "KubeletReady"},
        {
            "type": "NetworkUnavailable",
            "status": "True" if network_unavailable else "False",
            "reason": "NoRouteCreated" if network_unavailable else "RouteCreated",
        },
    ]
    return _convert(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": _meta("", name),
            "status": {"conditions": conditions},
        }
    )


def event(
    ns: str,
    kind: str,
    name: str,
    reason: str,
    message: str = "",
    *,
    type: str = "Warning",
    when: str = NOW,
    field_path: str = "",
    count: int = 1,
) -> K8s:
    """A core/v1 Event about an object."""
    return _convert(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": _meta(ns, f"{name}.{reason.lower()}.{when[-9:-1].replace(':', '')}"),
            "involvedObject": {
                "kind": kind,
                "name": name,
                "namespace": ns,
                "fieldPath": field_path,
            },
            "reason": reason,
            "message": message or reason,
            "type": type,
            "count": count,
            "lastTimestamp": when,
        }
    )


def namespace(name: str, labels: dict[str, str] | None = None) -> K8s:
    """A Namespace."""
    return _convert({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta("", name, labels)})


def config_map(ns: str, name: str, data: dict[str, str]) -> K8s:
    """A ConfigMap."""
    return _convert(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(ns, name), "data": data}
    )


def state(*objs: K8s, time: str = NOW, unreadable: dict[str, str] | None = None) -> ClusterState:
    """A ClusterState holding the objects; `time` is the data's own time ("now")."""
    st = ClusterState(SourceMeta(source="test", time=time, unreadable=dict(unreadable or {})))
    st.add_all(objs)
    return st


def agent(name: str, node_name: str, ready: bool = True, ds: str = "calico-node") -> K8s:
    """A DaemonSet's hostNetwork pod in kube-system (a CNI agent, kube-proxy)."""
    return pod(
        "kube-system",
        name,
        labels={"k8s-app": ds},
        ip=None,
        host_network=True,
        node=node_name,
        ready=ready,
        owner=("DaemonSet", ds),
    )


def node_agents(*nodes: str) -> list[K8s]:
    """A Ready calico-node and kube-proxy on each node (what `cluster` looks for)."""
    return [
        agent(f"{ds}-{suffix}{i:04d}", name, ds=ds)
        for i, name in enumerate(nodes)
        for ds, suffix in (("calico-node", "a"), ("kube-proxy", "p"))
    ]


def healthy_dns(node_name: str = "node-1") -> list[K8s]:
    """A working kube-dns: CoreDNS pod, kube-dns service and its EndpointSlice."""
    return [
        pod(
            "kube-system",
            "coredns-abc",
            labels={"k8s-app": "kube-dns"},
            ip="10.0.9.10",
            ports=[(53, "dns", "UDP"), (53, "dns-tcp")],
            node=node_name,
        ),
        service(
            "kube-system",
            "kube-dns",
            selector={"k8s-app": "kube-dns"},
            cluster_ip="10.96.0.10",
            ports=[
                {"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "targetPort": 53},
            ],
        ),
        endpoint_slice(
            "kube-system",
            "kube-dns-x1",
            "kube-dns",
            [endpoint("10.0.9.10", pod="coredns-abc", ns="kube-system", node=node_name)],
            [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53}],
        ),
    ]


def edge(st: ClusterState, source: str, target: str, protocol: str = "TCP") -> EdgeContext:
    """The EdgeContext of one edge, as the ladder builds it (to call a layer's check)."""
    return build_context(
        st, resolve_source(st, source), parse_target(target, protocol), dns_egress=DNS_EGRESS
    )


class FakeProber:
    """A Prober answering from a table: (probe kind, target) -> result classification, or
    (result, output) when the output matters (an HTTP answer, a proxy's log)."""

    basis = "probe"

    def __init__(self, answers: dict[tuple[str, str], str | tuple[str, str]]) -> None:
        self.answers = answers
        self.asked: list[ProbeRequest] = []

    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        self.asked.append(request)
        answer = self.answers.get((request.probe, request.target))
        if answer is None:
            return None
        result, output = answer if isinstance(answer, tuple) else (answer, "")
        command = ["probe", request.probe, request.target]
        return ProbeResult(request, command, output or f"{request.target}: {result}", result)


def web_and_cart(cart_selector: dict[str, str] | None = None) -> list[K8s]:
    """DNS, a `web-1` client and a `cart` service (port 80 → named port http 8080) over
    `cart-1`; a `cart_selector` other than app=cart selects nothing (and no slice exists)."""
    selector = cart_selector or {"app": "cart"}
    objs = [
        *healthy_dns(),
        pod("shop", "web-1", labels={"app": "web"}, ip="10.0.0.2"),
        pod("shop", "cart-1", labels={"app": "cart"}, ip="10.0.0.3", ports=[(8080, "http")]),
        service(
            "shop",
            "cart",
            selector=selector,
            cluster_ip="10.96.5.5",
            ports=[{"port": 80, "targetPort": "http"}],
        ),
    ]
    if selector == {"app": "cart"}:
        slice_ = endpoint_slice(
            "shop",
            "cart-x",
            "cart",
            [endpoint("10.0.0.3", pod="cart-1", ns="shop")],
            [{"port": 8080}],
        )
        objs.append(slice_)
    return objs
