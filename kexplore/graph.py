"""The cluster as a networkx graph: objects, owns/selects/applies-to edges, inferred talks-to."""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from kexplore.model.cluster import ConfigMap
from kexplore.model.pods import Container, Pod, PodSpec
from kexplore.model.policies import NetworkPolicy
from kexplore.model.services import Service
from kexplore.model.state import ClusterState
from kexplore.model.workloads import Workload

if TYPE_CHECKING:  # networkx is imported where a graph is built: the TUI's first frame
    import networkx as nx  # needs names (node_id, SHORT_KIND), not the graph library

SHORT_KIND = {
    "Deployment": "deploy",
    "StatefulSet": "sts",
    "DaemonSet": "ds",
    "ReplicaSet": "rs",
    "Job": "job",
    "CronJob": "cronjob",
    "Pod": "pod",
    "Service": "svc",
}

# Default ports of URL schemes, for a URL that names no port.
SCHEME_PORTS = {
    "http": 80,
    "ws": 80,
    "https": 443,
    "wss": 443,
    "redis": 6379,
    "postgres": 5432,
    "postgresql": 5432,
    "mysql": 3306,
    "mongodb": 27017,
    "amqp": 5672,
    "nats": 4222,
}

# A key (env var or ConfigMap key) whose name says its value is an address.
_ADDRESS_KEY = re.compile(
    r"HOST|ADDR|URL|URI|ENDPOINT|SERVER|SERVICE|UPSTREAM|BACKEND|TARGET|DSN|BROKER", re.I
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST = re.compile(
    rf"(?:(?P<scheme>[a-z][a-z0-9+.-]*)://(?:[^@/\s]*@)?|(?<![\w./:@$-]))"
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})*)\.?(?::(?P<port>\d{{1,5}}))?(?![\w-]|\.\w)",
    re.I,
)
_SERVICE_ENV = re.compile(r"\$(?:\(|\{)?(?P<name>[A-Z0-9_]+?)_SERVICE_(?P<what>HOST|PORT\w*)\b")


Edge = tuple[str, str, str, dict[str, object]]  # (source, target, key, attributes)


def node_id(kind: str, namespace: str, name: str) -> str:
    """The graph node id of an object: `Service:shop/cart`, `Namespace:shop`."""
    return f"Namespace:{name}" if kind == "Namespace" else f"{kind}:{namespace}/{name}"


def namespace_of(node: str) -> str:
    """The namespace a node id is in (a Namespace node's own name): the inverse of `node_id`."""
    return node.split(":", 1)[1].split("/", 1)[0]


@dataclass(frozen=True)
class TalksTo:
    """An inferred connection: `shop/deploy/frontend` dials `cart.shop:8080`.

    `target_node` is the Service's node when the name resolves from the source's namespace,
    else a `Name` node for the dialed text (a DNS or typo finding waiting to be checked).
    """

    source: str
    target: str
    where: str
    source_node: str
    target_node: str
    namespace: str
    host: str
    port: int
    found_in: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Talker:
    """An object whose pod template is read for addresses."""

    kind: str
    namespace: str
    name: str
    spec: PodSpec

    @property
    def text(self) -> str:
        return f"{self.namespace}/{SHORT_KIND.get(self.kind, self.kind.lower())}/{self.name}"


def _talkers(state: ClusterState) -> Iterator[_Talker]:
    """Top-level workloads, and pods with no workload in the data (one per missing owner)."""
    for wl in state.workloads:
        template = wl.pod_template()
        if template is not None and state.owner(wl) is None:
            yield _Talker(wl.kind, wl.namespace, wl.name, template.spec)
    seen: set[tuple[str, str, str]] = set()
    for pod in state.pods:
        if state.owner(pod) is not None:
            continue
        ref = next((r for r in pod.metadata.owner_references if r.controller), None)
        if ref is not None:
            key = (pod.namespace, ref.kind, ref.name)
            if key in seen:
                continue
            seen.add(key)
        yield _Talker("Pod", pod.namespace, pod.name, pod.spec)


_HostWord = tuple[str, str, str | None]  # (host, scheme, explicit port), lower case


def _host_words(text: str) -> list[_HostWord]:
    """Every host[:port] word and URL of a text."""
    return [
        (m["host"].lower(), (m["scheme"] or "").lower(), m["port"]) for m in _HOST.finditer(text)
    ]


@dataclass
class _Scanner:
    """Finds service addresses in the text of one talker's containers and ConfigMaps."""

    state: ClusterState
    services: dict[str, set[str]]
    namespaces: set[str]
    talker: _Talker
    found: dict[str, TalksTo] = field(default_factory=dict)
    # text -> its host words, shared by the scanners of one talks_to (values repeat a lot)
    words: dict[str, list[_HostWord]] = field(default_factory=dict)

    def scan_container(self, container: Container) -> None:
        env_values = {e.name: e.value for e in container.env if e.value is not None}
        for env in container.env:
            where = f"env {env.name} of container {container.name}"
            if env.value is not None:
                self.scan(env.value, where, env.name, env_values)
            ref = env.value_from.config_map_key_ref if env.value_from else None
            if ref is not None:
                self.scan_config_map(ref.name, [ref.key], f"env {env.name}", container.name)
        for source in container.env_from:
            if source.config_map_ref is not None:
                self.scan_config_map(source.config_map_ref.name, None, "envFrom", container.name)
        for part, words in (("command", container.command), ("args", container.args)):
            for word in words:
                self.scan(word, f"{part} of container {container.name}", "", env_values)
        volumes = {v.name: v.config_map.name for v in self.talker.spec.volumes if v.config_map}
        for mount in container.volume_mounts:
            if mount.name in volumes:
                how = f"mounted at {mount.mount_path}"
                self.scan_config_map(volumes[mount.name], None, how, container.name)

    def scan_config_map(self, name: str, keys: list[str] | None, how: str, container: str) -> None:
        cm = self.state.get("ConfigMap", self.talker.namespace, name)
        if not isinstance(cm, ConfigMap):
            return
        for key in keys if keys is not None else sorted(cm.data):
            if key in cm.data:
                where = (
                    f"configmap {self.talker.namespace}/{name} key {key} "
                    f"({how} of container {container})"
                )
                self.scan(cm.data[key], where, key, dict(cm.data))

    def scan(self, text: str, where: str, key: str, siblings: Mapping[str, str | None]) -> None:
        """Every address in one value: service env references, URLs, host[:port] words."""
        if "_SERVICE_" in text:
            self._scan_service_env(text, where)
        words = self.words.get(text)
        if words is None:
            words = self.words[text] = _host_words(text)
        hinted = bool(key and _ADDRESS_KEY.search(key))
        for host, scheme, explicit in words:
            service = self._service_for(host, bool(explicit or scheme or hinted))
            if service is None:
                continue
            port = int(explicit) if explicit else self._default_port(scheme, key, siblings)
            if port is None and service[2] is not None:
                port = _first_port(service[2])
            if port is not None and 0 < port < 65536:
                self._add(host, port, service, where)

    def _scan_service_env(self, text: str, where: str) -> None:
        """`$(CART_SERVICE_HOST)`: the kubelet-injected address of a same-namespace service."""
        names = {m["name"] for m in _SERVICE_ENV.finditer(text) if m["what"] == "HOST"}
        for env_name in sorted(names):
            name = env_name.lower().replace("_", "-")
            svc = self.state.get("Service", self.talker.namespace, name)
            if isinstance(svc, Service) and (port := _first_port(svc)) is not None:
                self._add(f"{self.talker.namespace}/svc/{name}", port, None, where, svc)

    def _service_for(self, host: str, addressy: bool) -> tuple[str, str, Service | None] | None:
        """(namespace, name, Service if it exists) that a host names, or None if it names none."""
        labels = host.split(".")
        name = labels[0]
        if name not in self.services:
            return None
        if len(labels) == 1:
            if not addressy:
                return None
            ns = self.talker.namespace
        elif len(labels) == 2:
            if labels[1] not in self.namespaces and not addressy:
                return None
            ns = labels[1]
        elif labels[2] == "svc":
            ns = labels[1]
        else:
            return None
        svc = self.state.get("Service", ns, name)
        return ns, name, svc if isinstance(svc, Service) else None

    def _default_port(
        self, scheme: str, key: str, siblings: Mapping[str, str | None]
    ) -> int | None:
        if scheme in SCHEME_PORTS:
            return SCHEME_PORTS[scheme]
        prefix = _ADDRESS_KEY.split(key)[0] if key else ""
        if prefix:
            for suffix in ("PORT", "port", "_PORT", "_port"):
                value = siblings.get(prefix.rstrip("_") + suffix) or ""
                if value.isdigit():
                    return int(value)
        return None

    def _add(
        self,
        host: str,
        port: int,
        service: tuple[str, str, Service | None] | None,
        where: str,
        env_service: Service | None = None,
    ) -> None:
        target = f"{host}:{port}"
        old = self.found.get(target)
        if old is not None:
            if where not in old.found_in:
                self.found[target] = replace(old, found_in=(*old.found_in, where))
            return
        if env_service is not None:
            node = node_id("Service", env_service.namespace, env_service.name)
        elif service is not None and service[2] is not None:
            node = node_id("Service", service[0], service[1])
        else:
            node = node_id("Name", self.talker.namespace, host)
        t = self.talker
        self.found[target] = TalksTo(
            source=t.text,
            target=target,
            where=where,
            source_node=node_id(t.kind, t.namespace, t.name),
            target_node=node,
            namespace=t.namespace,
            host=host,
            port=port,
            found_in=(where,),
        )


def _first_port(svc: Service) -> int | None:
    return svc.spec.ports[0].port if svc.spec.ports else None


def talks_to(state: ClusterState) -> list[TalksTo]:
    """Connections named in env vars, command args and referenced or mounted ConfigMaps."""
    services: dict[str, set[str]] = defaultdict(set)
    for svc in state.services:
        services[svc.name].add(svc.namespace)
    namespaces = set(state.namespace_names())
    out: list[TalksTo] = []
    words: dict[str, list[_HostWord]] = {}
    for talker in _talkers(state):
        scanner = _Scanner(state, services, namespaces, talker, words=words)
        for container in (*talker.spec.init_containers, *talker.spec.containers):
            scanner.scan_container(container)
        out.extend(scanner.found[k] for k in sorted(scanner.found))
    return out


def units(state: ClusterState) -> dict[str, str]:
    """Pod node → the node it is shown as: its top workload when in the data, else itself."""
    memo: dict[tuple[str, str, str], str] = {}
    out: dict[str, str] = {}
    for pod in state.pods:
        own = node_id("Pod", pod.namespace, pod.name)
        owner = state.owner(pod)
        if owner is None:
            out[own] = own
            continue
        key = (owner.kind, owner.namespace, owner.name)
        if key not in memo:
            top = state.top_owner(owner) or owner
            memo[key] = node_id(top.kind, top.namespace, top.name)
        out[own] = memo[key]
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic GC paused: a graph is tens of thousands of acyclic dicts, GC passes only cost."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_graph(state: ClusterState) -> nx.MultiDiGraph:
    """Nodes for namespaces and objects (with kind, namespace, name); edges keyed by type:
    owns, selects, applies-to, talks-to. Pods are nodes, but no edge ever joins two pods."""
    with _gc_paused():
        return _build_graph(state)


def _build_graph(state: ClusterState) -> nx.MultiDiGraph:
    import networkx as nx

    graph = nx.MultiDiGraph()
    for ns in state.namespace_names():
        graph.add_node(node_id("Namespace", "", ns), kind="Namespace", namespace=ns, name=ns)
    objects: list[Service | NetworkPolicy | Pod | Workload] = [
        *state.services,
        *state.network_policies,
        *state.pods,
        *state.workloads,
    ]
    _add_nodes(graph, (_node(o) for o in objects))
    _add_edges(graph, _ownership(state))
    _add_edges(graph, ((src, pod, kind, {"type": kind}) for src, pod, kind in _selections(state)))
    _add_talks(graph, state)
    return graph


def _add_nodes(graph: nx.MultiDiGraph, nodes: Iterable[tuple[str, dict[str, str]]]) -> None:
    """graph.add_nodes_from(nodes) without its per-node overhead: a node already in the
    graph gets the attributes added, as there."""
    import networkx as nx

    succ, pred, attributes = graph._succ, graph._pred, graph._node
    for node, attrs in nodes:
        if node in succ:
            attributes[node].update(attrs)
        else:
            succ[node], pred[node], attributes[node] = {}, {}, attrs
    nx._clear_cache(graph)


def _add_edges(graph: nx.MultiDiGraph, edges: Iterable[Edge]) -> None:
    """graph.add_edges_from(edges) without its per-edge overhead (tens of thousands of edges).

    Writes networkx's adjacency dicts as MultiDiGraph.add_edge does: missing nodes are
    added, a repeated (source, target, key) updates that edge's attributes. Each edge's
    attribute dict becomes the edge's own: every caller makes a new one per edge.
    """
    import networkx as nx

    succ, pred, nodes = graph._succ, graph._pred, graph._node
    for u, v, key, attrs in edges:
        if u not in succ:
            succ[u], pred[u], nodes[u] = {}, {}, {}
        if v not in succ:
            succ[v], pred[v], nodes[v] = {}, {}, {}
        keydict = succ[u].get(v)
        if keydict is None:
            keydict = succ[u][v] = pred[v][u] = {}
        data = keydict.get(key)
        if data is None:
            keydict[key] = attrs
        else:
            data.update(attrs)
    nx._clear_cache(graph)


def _node(obj: Service | NetworkPolicy | Pod | Workload) -> tuple[str, dict[str, str]]:
    kind, meta = obj.kind, obj.metadata
    attrs = {"kind": kind, "namespace": meta.namespace, "name": meta.name}
    return node_id(kind, meta.namespace, meta.name), attrs


def _add_talks(graph: nx.MultiDiGraph, state: ClusterState) -> None:
    edges: list[Edge] = []
    for edge in talks_to(state):
        if edge.target_node not in graph:
            graph.add_node(edge.target_node, kind="Name", namespace=edge.namespace, name=edge.host)
        if edge.source_node not in graph:
            kind, _, rest = edge.source_node.partition(":")
            name = rest.partition("/")[2]
            graph.add_node(edge.source_node, kind=kind, namespace=edge.namespace, name=name)
        edges.append(
            (
                edge.source_node,
                edge.target_node,
                f"talks-to {edge.target}",
                {"type": "talks-to", "talks": edge},
            )
        )
    _add_edges(graph, edges)


def _ownership(state: ClusterState) -> Iterator[Edge]:
    """owns: controller → object (Deployment → ReplicaSet → Pod)."""
    owned: list[Workload | Pod] = [*state.workloads, *state.pods]
    for obj in owned:
        owner = state.owner(obj)
        if owner is not None:
            parent = node_id(owner.kind, owner.metadata.namespace, owner.metadata.name)
            child = node_id(obj.kind, obj.metadata.namespace, obj.metadata.name)
            yield parent, child, "owns", {"type": "owns"}


def _selections(state: ClusterState) -> Iterator[tuple[str, str, str]]:
    """(source, pod node, type): Service → its pods (selects); NetworkPolicy → the pods it
    selects (applies-to). Pods are grouped by label set, so each selector is evaluated once
    per distinct set."""
    for ns in state.namespace_names():
        classes: dict[frozenset[tuple[str, str]], list[str]] = defaultdict(list)
        for pod in state.pods_in(ns):
            classes[frozenset(pod.labels.items())].append(node_id("Pod", ns, pod.name))
        if not classes:
            continue
        for svc in state.services_in(ns):
            if svc.spec.selector:
                wanted = set(svc.spec.selector.items())
                src = node_id("Service", ns, svc.name)
                for labels, pods in classes.items():
                    if wanted <= labels:
                        yield from ((src, pod, "selects") for pod in pods)
        for policy in state.policies_in(ns):
            src = node_id("NetworkPolicy", ns, policy.name)
            for labels, pods in classes.items():
                if policy.spec.pod_selector.matches(dict(labels)):
                    yield from ((src, pod, "applies-to") for pod in pods)


def object_graph(state: ClusterState) -> nx.MultiDiGraph:
    """The graph at the level a user navigates, built straight from the state: top-level
    workloads, bare pods (and pods whose owner is missing), services, policies and dialed
    names; talks-to edges, and selects/applies-to folded onto workloads with a `pods` count."""
    import networkx as nx

    unit = units(state)
    view = nx.MultiDiGraph()
    tops: list[Service | NetworkPolicy | Pod | Workload] = [
        *state.services,
        *state.network_policies,
        *(w for w in state.workloads if state.owner(w) is None),
        *(p for p in state.pods if unit[node_id("Pod", p.namespace, p.name)].startswith("Pod:")),
    ]
    _add_nodes(view, (_node(o) for o in tops))
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for src, pod, kind in _selections(state):
        counts[(src, unit[pod], kind)] += 1
    _add_edges(
        view,
        (
            (src, dst, kind, {"type": kind, "pods": pods})
            for (src, dst, kind), pods in counts.items()
        ),
    )
    _add_talks(view, state)
    return view
