"""The matrix folded to workloads: np-guard's connlist (`ns/name[Kind] => ns/name[Kind] : conn`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
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


class Flows:
    """The allowed class pairs, and the workloads (or external ranges) of each class: the
    pairs of workloads are produced from them one source at a time, never all held at once."""

    def __init__(self, state: ClusterState, matrix: Matrix) -> None:
        names: dict[int, set[str]] = defaultdict(set)
        for peer in matrix.peers:
            if peer.external:
                names[peer.index].add(peer.label())
            for pod in peer.pods:
                names[peer.index].add(workload_of(state, pod))
        self.names = {index: sorted(found) for index, found in names.items()}
        self.classes_of: dict[str, list[int]] = defaultdict(list)
        for index, found in self.names.items():
            for name in found:
                self.classes_of[name].append(index)
        self.rows: dict[int, dict[int, PortSet]] = defaultdict(dict)
        for s, d, conn in matrix.pairs():
            self.rows[s][d] = conn

    def estimate(self) -> int:
        """How many workload pairs the output would list at most (cheap: class sizes only)."""
        size = {index: len(found) for index, found in self.names.items()}
        return sum(size.get(s, 0) * size.get(d, 0) for s, row in self.rows.items() for d in row)

    def connections(self) -> Iterator[Connection]:
        """Every ordered pair of workloads with some allowed traffic, sorted, one source's
        row at a time: the union over their pods' classes; pairs within one workload are
        not listed."""
        for src in sorted(self.classes_of):
            merged: dict[str, PortSet] = {}
            for s in self.classes_of[src]:
                for d, conn in self.rows.get(s, {}).items():
                    for dst in self.names.get(d, ()):
                        known = merged.get(dst)
                        merged[dst] = conn if known is None else known | conn
            merged.pop(src, None)
            for dst in sorted(merged):
                yield Connection(src, dst, merged[dst])


def connlist(
    state: ClusterState, namespaces: list[str] | None = None, *, matrix: Matrix | None = None
) -> list[Connection]:
    """Every ordered pair of workloads (and external ranges) with some allowed traffic (see
    Flows.connections; a small matrix's list, for the TUI's grid and tests)."""
    return list(Flows(state, matrix or Matrix(state, namespaces)).connections())
