"""Deterministic plan of a generated cluster: namespaces, nodes, workloads, pods and their IPs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

APP_NAMES = (
    "frontend",
    "gateway",
    "api",
    "cart",
    "checkout",
    "payments",
    "orders",
    "catalog",
    "search",
    "auth",
    "users",
    "inventory",
    "shipping",
    "notifications",
    "recommendations",
    "reviews",
    "worker",
    "scheduler",
    "billing",
    "ledger",
    "ingest",
    "media",
    "reports",
    "redis",
    "postgres",
    "kafka",
    "rabbitmq",
    "elasticsearch",
    "memcached",
    "mongodb",
)
DATA_PORTS = {
    "redis": ("redis", 6379),
    "postgres": ("postgres", 5432),
    "kafka": ("kafka", 9092),
    "rabbitmq": ("amqp", 5672),
    "elasticsearch": ("http", 9200),
    "memcached": ("memcache", 11211),
    "mongodb": ("mongo", 27017),
}
FRONT_NAMES = ("frontend", "gateway", "api")
TEAMS = ("shop", "payments", "identity", "platform", "data", "search", "media", "growth")
ENVS = ("prod", "staging", "dev")
ZONES = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
POD_STATES = ("running", "crashloop", "notready", "pending", "terminating")
POD_STATE_WEIGHTS = (0.93, 0.025, 0.02, 0.015, 0.01)
HASH_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


@dataclass(frozen=True)
class WorkloadSpec:
    """Sizes of one benchmark workload (DESIGN §8)."""

    name: str
    pods: int
    services: int
    policies: int
    namespaces: int
    nodes: int
    events: int = 0
    peer_authentications: int = 0
    destination_rules: int = 0
    unique_pod_labels: bool = False
    select_all_policies: bool = False
    system: bool = True
    seed: int = 20240801


@dataclass(slots=True)
class NamespacePlan:
    """One namespace and its labels."""

    name: str
    uid: str
    labels: dict[str, str]


@dataclass(slots=True)
class NodePlan:
    """One node: its IP, pod CIDR prefix (first three octets) and readiness."""

    name: str
    uid: str
    ip: str
    cidr_prefix: str
    zone: str
    ready: bool
    next_slot: int = 2


@dataclass(slots=True)
class PodPlan:
    """One pod of a workload: name, node, IP (None when unscheduled) and state."""

    name: str
    uid: str
    node: NodePlan | None
    ip: str | None
    state: str
    unique_label: str | None


@dataclass(slots=True)
class AppPlan:
    """A workload (Deployment with ReplicaSets, or DaemonSet) and its optional Service."""

    kind: str
    namespace: str
    name: str
    labels: dict[str, str]
    ports: list[tuple[str, int, str]]
    uid: str
    rs_uid: str
    template_hash: str
    old_hash: str | None
    host_network: bool
    sidecar: bool
    talks_to: list[str]
    service_uid: str | None = None
    cluster_ip: str | None = None
    service_type: str = "ClusterIP"
    named_target: bool = True
    pods: list[PodPlan] = field(default_factory=list)


@dataclass(slots=True)
class ClusterPlan:
    """Everything the object builders need, fixed by the workload's seed."""

    spec: WorkloadSpec
    namespaces: list[NamespacePlan]
    nodes: list[NodePlan]
    apps: list[AppPlan]


class Ids:
    """Deterministic uids, hashes and names drawn from one random.Random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.issued: set[tuple[str, str]] = set()

    def uid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def token(self, n: int) -> str:
        return "".join(self.rng.choices(HASH_ALPHABET, k=n))

    def unique(self, namespace: str, prefix: str) -> str:
        """`prefix` plus a 5-character suffix not yet issued in `namespace`."""
        while True:
            name = f"{prefix}{self.token(5)}"
            if (namespace, name) not in self.issued:
                self.issued.add((namespace, name))
                return name


def build_plan(spec: WorkloadSpec) -> ClusterPlan:
    """Lay out namespaces, nodes, workloads and pods for `spec`, deterministically."""
    rng = random.Random(spec.seed)
    ids = Ids(rng)
    namespaces = _namespaces(spec, ids)
    nodes = _nodes(spec, ids)
    apps = _system_apps(spec, ids, nodes) if spec.system else []
    app_namespaces = [ns for ns in namespaces if ns.name not in ("kube-system", "istio-system")]
    apps += _user_apps(
        spec, ids, app_namespaces, spec.services - sum(1 for a in apps if a.service_uid)
    )
    pod_budget = spec.pods - sum(len(a.pods) for a in apps)
    _place_pods(
        spec, ids, [a for a in apps if a.kind == "Deployment" and not a.pods], nodes, pod_budget
    )
    return ClusterPlan(spec, namespaces, nodes, apps)


def _namespaces(spec: WorkloadSpec, ids: Ids) -> list[NamespacePlan]:
    system = ["kube-system"] if spec.system else []
    if spec.system and (spec.peer_authentications or spec.destination_rules):
        system.append("istio-system")
    out = [NamespacePlan(n, ids.uid(), {"kubernetes.io/metadata.name": n}) for n in system]
    for i in range(max(1, spec.namespaces - len(system))):
        team, env = TEAMS[i % len(TEAMS)], ENVS[(i // len(TEAMS)) % len(ENVS)]
        name = f"{team}-{env}-{i:04d}" if spec.namespaces > 1 else "default"
        labels = {"kubernetes.io/metadata.name": name, "team": team, "env": env}
        if ids.rng.random() < 0.3:
            labels["istio-injection"] = "enabled"
        out.append(NamespacePlan(name, ids.uid(), labels))
    return out


def _nodes(spec: WorkloadSpec, ids: Ids) -> list[NodePlan]:
    out = []
    for i in range(spec.nodes):
        ip = f"172.20.{i // 250}.{i % 250 + 1}"
        zone = ZONES[i % len(ZONES)]
        ready = ids.rng.random() >= 0.01
        out.append(
            NodePlan(
                f"ip-172-20-{i // 250}-{i % 250 + 1}.eu-west-1.compute.internal",
                ids.uid(),
                ip,
                f"10.{64 + i // 256}.{i % 256}",
                zone,
                ready,
            )
        )
    return out


def _cluster_ip(j: int) -> str:
    return f"10.{96 + j // 65536}.{(j // 256) % 256}.{j % 256}"


def _system_apps(spec: WorkloadSpec, ids: Ids, nodes: list[NodePlan]) -> list[AppPlan]:
    dns_ports = [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    coredns = AppPlan(
        "Deployment",
        "kube-system",
        "coredns",
        {"k8s-app": "kube-dns"},
        dns_ports,
        ids.uid(),
        ids.uid(),
        ids.token(10),
        None,
        False,
        False,
        [],
        service_uid=ids.uid(),
        cluster_ip="10.96.0.10",
        named_target=True,
    )
    apps = [coredns]
    _schedule(ids, coredns, nodes, 2, None)
    if spec.nodes * 5 <= spec.pods:
        cni = AppPlan(
            "DaemonSet",
            "kube-system",
            "calico-node",
            {"k8s-app": "calico-node"},
            [],
            ids.uid(),
            ids.uid(),
            ids.token(10),
            None,
            True,
            False,
            [],
        )
        for node in nodes:
            cni.pods.append(
                PodPlan(
                    ids.unique("kube-system", "calico-node-"),
                    ids.uid(),
                    node,
                    node.ip,
                    "running" if node.ready else "notready",
                    None,
                )
            )
        apps.append(cni)
    return apps


def _user_apps(spec: WorkloadSpec, ids: Ids, nss: list[NamespacePlan], count: int) -> list[AppPlan]:
    rng, per_ns = ids.rng, dict.fromkeys((ns.name for ns in nss), 0)
    apps: list[AppPlan] = []
    for i in range(count):
        ns = nss[i % len(nss)] if i < len(nss) else rng.choice(nss)
        k = per_ns[ns.name]
        per_ns[ns.name] = k + 1
        base = APP_NAMES[k % len(APP_NAMES)]
        name = base if k < len(APP_NAMES) else f"{base}-{k // len(APP_NAMES)}"
        tier = "frontend" if base in FRONT_NAMES else "data" if base in DATA_PORTS else "backend"
        labels = {"app": name, "tier": tier, "version": rng.choice(("v1", "v1", "v2"))}
        app = AppPlan(
            "Deployment",
            ns.name,
            name,
            labels,
            _ports(rng, base),
            ids.uid(),
            ids.uid(),
            ids.token(10),
            ids.token(10) if rng.random() < 0.3 else None,
            False,
            "istio-injection" in ns.labels,
            _talks_to(rng, apps, ns.name),
            service_uid=ids.uid(),
            cluster_ip=_cluster_ip(11 + i),
            named_target=rng.random() < 0.6,
        )
        app.service_type = rng.choices(
            ("ClusterIP", "None", "NodePort", "LoadBalancer"), (0.90, 0.04, 0.04, 0.02)
        )[0]
        apps.append(app)
    return apps


def _ports(rng: random.Random, base: str) -> list[tuple[str, int, str]]:
    if base in DATA_PORTS:
        name, port = DATA_PORTS[base]
        return [(name, port, "TCP")]
    ports = [("http", 8080, "TCP")]
    if rng.random() < 0.4:
        ports.append(("metrics", 9090, "TCP"))
    if rng.random() < 0.1:
        ports.append(("grpc", 9000, "TCP"))
    return ports


def _talks_to(rng: random.Random, apps: list[AppPlan], namespace: str) -> list[str]:
    out = []
    for _ in range(min(len(apps), rng.choice((0, 1, 1, 2, 3)))):
        peer = apps[rng.randrange(max(0, len(apps) - 50), len(apps))]
        port = peer.ports[0][1] if peer.ports else 80
        if peer.namespace == namespace and rng.random() < 0.5:
            out.append(f"{peer.name}:{port}")
        elif rng.random() < 0.5:
            out.append(f"{peer.name}.{peer.namespace}:{port}")
        else:
            out.append(f"{peer.name}.{peer.namespace}.svc.cluster.local:{port}")
    return out


def _place_pods(
    spec: WorkloadSpec, ids: Ids, apps: list[AppPlan], nodes: list[NodePlan], budget: int
) -> None:
    if budget < len(apps):
        raise ValueError(f"{spec.name}: {budget} pods cannot cover {len(apps)} workloads")
    weights = [ids.rng.random() ** 2 + 0.05 for _ in apps]
    counts = [1] * len(apps)
    for i in ids.rng.choices(range(len(apps)), weights, k=budget - len(apps)):
        counts[i] += 1
    for serial, (app, n) in enumerate(zip(apps, counts, strict=True)):
        _schedule(ids, app, nodes, n, serial if spec.unique_pod_labels else None)


def _schedule(ids: Ids, app: AppPlan, nodes: list[NodePlan], n: int, serial: int | None) -> None:
    rng = ids.rng
    for i in range(n):
        state = rng.choices(POD_STATES, POD_STATE_WEIGHTS)[0]
        node, ip = None, None
        if state != "pending":
            node = nodes[rng.randrange(len(nodes))]
            while node.next_slot > 254:
                node = nodes[(nodes.index(node) + 1) % len(nodes)]
            ip = f"{node.cidr_prefix}.{node.next_slot}"
            node.next_slot += 1
        name = ids.unique(app.namespace, f"{app.name}-{app.template_hash}-")
        unique = None if serial is None else f"{serial}-{i}"
        app.pods.append(PodPlan(name, ids.uid(), node, ip, state, unique))
