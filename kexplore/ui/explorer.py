"""The session's model behind the TUI: graph, edges to check, reports, lookups (no textual)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kexplore.checks.result import EdgeReport, Status
from kexplore.graph import SHORT_KIND, TalksTo, node_id, object_graph
from kexplore.model.base import K8s
from kexplore.model.pods import Pod
from kexplore.model.services import Service
from kexplore.model.state import ClusterState
from kexplore.model.workloads import Workload
from kexplore.ui.graph.scene import EdgeKey

if TYPE_CHECKING:
    import networkx as nx

FAILS_FIRST = {Status.FAIL: 0, Status.UNKNOWN: 1, Status.WARN: 2, Status.PASS: 4}  # unchecked: 3
SOURCE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


@dataclass
class Explorer:
    """Everything the UI derives from one ClusterState, plus the checks run so far."""

    state: ClusterState
    graph: nx.MultiDiGraph | None = None  # None: empty (the start's, made before networkx loads)
    reports: dict[EdgeKey, EdgeReport] = field(default_factory=dict)
    stale: set[EdgeKey] = field(default_factory=set)  # reports of older data, to check again
    _talks: list[EdgeKey] | None = field(default=None, repr=False, compare=False)

    def current(self, key: EdgeKey) -> EdgeReport | None:
        """The edge's report, unless it was made on older data (then it is to check again)."""
        return None if key in self.stale else self.reports.get(key)

    @property
    def view(self) -> nx.MultiDiGraph:
        """The graph the user navigates (an empty one until it is built)."""
        if self.graph is None:
            import networkx as nx

            self.graph = nx.MultiDiGraph()
        return self.graph

    @classmethod
    def build(cls, state: ClusterState) -> Explorer:
        """The explorer with its graph and edge list built (slow on big clusters: run it off
        the UI thread)."""
        explorer = cls(state, object_graph(state))
        explorer.talks()
        return explorer

    # -- edges ------------------------------------------------------------------------
    def talks(self) -> list[EdgeKey]:
        """Every checkable edge (inferred or ad hoc), sorted by source and target (computed
        once: the graph changes only by add_adhoc)."""
        if self._talks is None:
            keys = [
                (u, v, k)
                for u, v, k, d in self.view.edges(keys=True, data=True)
                if d["type"] in ("talks-to", "adhoc")
            ]
            self._talks = sorted(keys, key=lambda e: (e[0], e[2]))
        return list(self._talks)

    def edge_texts(self, edge: EdgeKey) -> tuple[str, str] | None:
        """(SOURCE, TARGET) arguments of a checkable edge, as `kexplore check` takes them."""
        data = self.view.get_edge_data(*edge)
        if data is None or data["type"] not in ("talks-to", "adhoc"):
            return None
        talks: TalksTo | None = data.get("talks")
        if talks is not None:
            return talks.source, talks.target
        return str(data["source_text"]), str(data["target_text"])

    def verdicts(self) -> dict[EdgeKey, Status]:
        return {k: r.verdict for k, r in self.reports.items()}

    def failing_layers(self) -> dict[EdgeKey, str]:
        return {k: r.failing_layer for k, r in self.reports.items() if r.failing_layer}

    def tally(self) -> dict[Status, int]:
        """How many checked edges have each verdict."""
        counts = dict.fromkeys(Status, 0)
        for report in self.reports.values():
            counts[report.verdict] += 1
        return counts

    def failing(self) -> list[EdgeKey]:
        """Checked edges whose verdict is fail, in edge order."""
        return [k for k in self.talks() if k in self.reports and self.reports[k].failing_layer]

    def worst(self, keys: list[EdgeKey]) -> EdgeKey:
        """The edge to look at first: failing, then unknown, warn, not checked, passing."""
        return min(
            keys,
            key=lambda k: FAILS_FIRST.get(self.reports[k].verdict, 3) if k in self.reports else 3,
        )

    def add_adhoc(self, source: str, target: str, report: EdgeReport) -> EdgeKey:
        """Record an ad-hoc check as an edge of the view (so it can be navigated and coloured)."""
        src = report.source
        u = node_id(src.kind, src.namespace, src.name)
        tgt = report.target
        v = node_id(tgt.kind, tgt.namespace, tgt.name)
        if v not in self.view:
            v = node_id("Name", src.namespace, tgt.dialed)
            self.view.add_node(v, kind="Name", namespace=src.namespace, name=tgt.dialed)
        if u not in self.view:
            self.view.add_node(u, kind=src.kind, namespace=src.namespace, name=src.name)
        key = f"adhoc {target}"
        self.view.add_edge(u, v, key=key, type="adhoc", source_text=source, target_text=target)
        self._talks = None
        self.reports[(u, v, key)] = report
        return (u, v, key)

    # -- objects ----------------------------------------------------------------------
    def obj(self, node: str) -> K8s | None:
        """The model object behind a node id."""
        kind, _, rest = node.partition(":")
        if kind == "Namespace":
            return self.state.get("Namespace", "", rest)
        ns, _, name = rest.partition("/")
        return self.state.get(kind, ns, name)

    def source_text(self, node: str) -> str | None:
        """SOURCE text for a node that stands for pods: `shop/deploy/frontend`."""
        data = self.view.nodes.get(node)
        if data is None or data["kind"] not in (*SOURCE_KINDS, "Service"):
            return None
        short = SHORT_KIND.get(data["kind"], data["kind"].lower())
        return f"{data['namespace']}/{short}/{data['name']}"

    def target_text(self, node: str) -> str | None:
        """TARGET text for a node: a service's first port, a pod's first declared port."""
        obj = self.obj(node)
        if isinstance(obj, Service) and obj.spec.ports:
            return f"{obj.namespace}/svc/{obj.name}:{obj.spec.ports[0].port}"
        pods = [obj] if isinstance(obj, Pod) else self.pods_of(node)
        for svc_node in self.view.predecessors(node):
            svc = self.obj(svc_node)
            if isinstance(svc, Service) and svc.spec.ports:
                return f"{svc.namespace}/svc/{svc.name}:{svc.spec.ports[0].port}"
        for pod in pods:
            for c in pod.serving_containers():
                if c.ports:
                    return f"{pod.namespace}/{pod.name}:{c.ports[0].container_port}"
        data = self.view.nodes.get(node, {})
        if data.get("kind") == "Name":
            for _, _, d in self.view.in_edges(node, data=True):
                if d.get("talks") is not None:
                    return str(d["talks"].target)
        return None

    def pods_of(self, node: str) -> list[Pod]:
        """The pods a node stands for (a workload's, a service's selected pods, itself)."""
        obj = self.obj(node)
        if isinstance(obj, Pod):
            return [obj]
        if isinstance(obj, Service):
            sel = obj.spec.selector
            return self.state.pods_matching(obj.namespace, sel) if sel else []
        if isinstance(obj, Workload):
            return self.state.pods_of_workload(obj)
        return []

    def find(self, name: str, kinds: tuple[str, ...] = (), namespace: str = "") -> str | None:
        """A view node by name (or `ns/name`), preferring the given namespace."""
        if "/" in name:
            namespace, name = name.split("/", 1)
        matches = [
            n
            for n, d in self.view.nodes(data=True)
            if d["name"] == name and (not kinds or d["kind"] in kinds)
        ]
        matches.sort(key=lambda n: (self.view.nodes[n]["namespace"] != namespace, n))
        return matches[0] if matches else None
