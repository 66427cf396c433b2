"""The matrix folded to workloads: np-guard's connlist (`ns/name[Kind] => ns/name[Kind] : conn`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kexplore.analysis.matrix import Matrix
from kexplore.analysis.netpol_ports import NONE, PortSet
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState


@dataclass(frozen=True)
class Connection:
    """Allowed traffic from one workload (or external range) to another."""

    source: str
    target: str
    conn: PortSet

    def line(self) -> str:
        return f"{self.source} => {self.target} : {self.conn.describe()}"


def workload_of(state: ClusterState, pod: Pod) -> str:
    """`ns/name[Kind]` of the pod's top controller; a bare pod is `ns/pod[Pod]`.

    When the owner is not in the data (pods exported alone) the controlling
    ownerReference names it (a ReplicaSet then, as np-guard reports); a reference without
    a kind (invalid, but seen in hand-written manifests) still groups pods under its name.
    """
    top = state.top_owner(pod)
    if top is not None:
        return f"{pod.namespace}/{top.name}[{top.kind}]"
    refs = pod.metadata.owner_references
    ref = next((r for r in refs if r.controller), refs[0] if len(refs) == 1 else None)
    if ref is not None and ref.name and ref.kind != "Node":
        return f"{pod.namespace}/{ref.name}[{ref.kind or 'Pod'}]"
    return f"{pod.namespace}/{pod.name}[Pod]"


def workload_groups(state: ClusterState, matrix: Matrix) -> dict[str, set[int]]:
    """Each workload's label-set classes (its pods may differ in labels)."""
    groups: dict[str, set[int]] = defaultdict(set)
    for peer in matrix.peers:
        for pod in peer.pods:
            groups[workload_of(state, pod)].add(peer.index)
    return dict(groups)


def connlist(
    state: ClusterState, namespaces: list[str] | None = None, *, matrix: Matrix | None = None
) -> list[Connection]:
    """Every ordered pair of workloads (and external ranges) with some allowed traffic.

    Traffic between workloads is the union over their pods' classes; pairs within one
    workload, and a pod to itself, are not listed.
    """
    matrix = matrix or Matrix(state, namespaces)
    groups = workload_groups(state, matrix)
    names = sorted(groups)
    out: list[Connection] = []
    for src in names:
        for dst in names:
            if src != dst:
                _add(out, src, dst, _union(matrix, groups[src], groups[dst]))
    for ext in matrix.sources_external:
        label = matrix.peers[ext].label()
        for dst in names:
            _add(out, label, dst, _union(matrix, {ext}, groups[dst]))
    for ext in matrix.targets_external:
        label = matrix.peers[ext].label()
        for src in names:
            _add(out, src, label, _union(matrix, groups[src], {ext}))
    out.sort(key=lambda c: (c.source, c.target))
    return out


def _add(out: list[Connection], src: str, dst: str, conn: PortSet) -> None:
    if not conn.is_empty():
        out.append(Connection(src, dst, conn))


def _union(matrix: Matrix, sources: set[int], targets: set[int]) -> PortSet:
    conn = NONE
    for s in sources:
        for d in targets:
            conn = conn | matrix.allowed(s, d)
            if conn.is_all():
                return conn
    return conn
