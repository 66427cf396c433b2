"""The matrix folded to workloads: np-guard's connlist (`ns/name[Kind] => ns/name[Kind] : conn`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kexplore.analysis.netpol.matrix import Matrix
from kexplore.analysis.netpol.ports import PortSet
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
    workload, and a pod to itself, are not listed. Work follows the allowed class pairs.
    """
    matrix = matrix or Matrix(state, namespaces)
    names: dict[int, set[str]] = defaultdict(set)
    for peer in matrix.peers:
        if peer.external:
            names[peer.index].add(peer.label())
        for pod in peer.pods:
            names[peer.index].add(workload_of(state, pod))
    found: dict[tuple[str, str], PortSet] = {}
    for s, d, conn in matrix.pairs():
        for src in names[s]:
            for dst in names[d]:
                if src != dst:
                    known = found.get((src, dst))
                    found[(src, dst)] = conn if known is None else known | conn
    return [Connection(src, dst, conn) for (src, dst), conn in sorted(found.items())]
