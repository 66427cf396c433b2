"""A small fake cluster for probe tests: shop/web-1 → Service cart → shop/cart-1, with DNS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakeapi import FakeApiServer, FakeCluster
from fakeapi import objects as o

from kexplore.model.state import ClusterState
from kexplore.probes.live.prober import LiveProber, ProbeSettings
from kexplore.sources.live.client import connect
from kexplore.sources.live.source import load_live

WEB_IP, CART_IP, CART_SVC_IP, DNS_IP, COREDNS_IP = (
    "10.0.0.2",
    "10.0.0.3",
    "10.96.0.20",
    "10.96.0.10",
    "10.0.0.53",
)
NODE_IP = "192.168.0.11"


def _slice(
    ns: str, name: str, service: str, ip: str, pod: str, ports: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": {"kubernetes.io/service-name": service},
        },
        "addressType": "IPv4",
        "endpoints": [
            {
                "addresses": [ip],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "targetRef": {"kind": "Pod", "name": pod, "namespace": ns},
            }
        ],
        "ports": ports,
    }


def shop(*, cart_running: bool = True) -> FakeCluster:
    """web-1 (container web) dials cart:80, served by cart-1 port 8080; CoreDNS healthy."""
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.namespace("kube-system"), o.node("node-1"))
    web = o.pod("shop", "web-1", {"app": "web"}, containers=("web",), ip=WEB_IP, ports=())
    cart = o.pod("shop", "cart-1", {"app": "cart"}, containers=("app",), ip=CART_IP)
    for pod in (web, cart):
        pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    if not cart_running:
        cart["status"]["containerStatuses"][0]["state"] = {
            "waiting": {"reason": "CrashLoopBackOff"}
        }
        cart["status"]["containerStatuses"][0]["ready"] = False
    dns_pod = o.pod(
        "kube-system", "coredns-1", {"k8s-app": "kube-dns"}, ("coredns",), COREDNS_IP, (53,)
    )
    dns_pod["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    dns_svc = o.service("kube-system", "kube-dns", {"k8s-app": "kube-dns"}, 53, 53)
    dns_svc["spec"]["clusterIP"] = DNS_IP
    dns_svc["spec"]["ports"] = [
        {"name": "dns", "port": 53, "targetPort": 53, "protocol": "UDP"},
        {"name": "dns-tcp", "port": 53, "targetPort": 53, "protocol": "TCP"},
    ]
    cart_svc = o.service("shop", "cart", {"app": "cart"}, 80, 8080)
    cart_svc["spec"]["clusterIP"] = CART_SVC_IP
    cluster.add(web, cart, dns_pod, dns_svc, cart_svc, *_node_agents())
    cluster.add(
        _slice("shop", "cart-x", "cart", CART_IP, "cart-1", [{"port": 8080, "protocol": "TCP"}]),
        _slice(
            "kube-system",
            "kube-dns-x",
            "kube-dns",
            COREDNS_IP,
            "coredns-1",
            [
                {"name": "dns", "port": 53, "protocol": "UDP"},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
            ],
        ),
    )
    return cluster


def _node_agents() -> list[dict[str, Any]]:
    """calico-node and kube-proxy on node-1 (hostNetwork DaemonSet pods), so `cluster` looks."""
    agents = []
    for ds in ("calico-node", "kube-proxy"):
        agent = o.pod("kube-system", f"{ds}-abcde", {"k8s-app": ds}, (ds,), NODE_IP, ())
        agent["spec"]["hostNetwork"] = True
        agent["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
        agent["metadata"]["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds, "controller": True}
        ]
        agents.append(agent)
    return agents


def kubeconfig(api: FakeApiServer, tmp_path: Path, user: str = "admin") -> str:
    return str(api.write_kubeconfig(tmp_path / f"kubeconfig-{user}", user=user))


def prober(
    api: FakeApiServer, tmp_path: Path, user: str = "admin", **settings: Any
) -> tuple[LiveProber, ClusterState]:
    """A live prober on the fake server as `user`, with the state loaded from it."""
    path = kubeconfig(api, tmp_path, user)
    state = load_live(kubeconfig=path)
    bounds = ProbeSettings(**{"timeout": 1.0, "settle": 0.5, **settings})
    return LiveProber(connect(kubeconfig=path), state, bounds), state
