"""The connectivity matrix over label-set classes of pods (plus external address ranges).

Pods are grouped by namespace and by the values of only the label keys some selector reads
(plus the named ports rules use, and node IPs for hostNetwork pods), so policy work is per
class, not per pod pair. Without cluster-scoped tiers the matrix is sparse: a class that no
policy isolates allows everything, and an isolated one lists only the peers its rules match.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from kexplore.analysis.matrix_keys import class_key, direction_ranges, referenced
from kexplore.analysis.netpol import allowed_connections, rule_ports
from kexplore.analysis.netpol_admin import tiered_policies
from kexplore.analysis.netpol_ipblocks import IPRange, atoms
from kexplore.analysis.netpol_peers import EGRESS, INGRESS, Endpoint, policy_index, rules_of
from kexplore.analysis.netpol_ports import ALL, NONE, PortSet
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy, NetworkPolicyPeer
from kexplore.model.state import ClusterState

SideMap = dict[int, PortSet] | None  # None: not isolated (everything allowed)


@dataclass
class Peer:
    """A row/column of the matrix: a class of pods, or an external address range."""

    index: int
    namespace: str
    labels: tuple[tuple[str, str], ...]
    pods: list[Pod] = field(default_factory=list)
    ip: IPRange | None = None
    direction: str = ""  # for external ranges: the direction whose ipBlocks cut them

    @property
    def external(self) -> bool:
        return self.ip is not None

    def endpoint(self) -> Endpoint:
        return Endpoint(ip=self.ip) if self.ip is not None else Endpoint.of_pod(self.pods[0])

    def label(self) -> str:
        if self.ip is not None:
            return f"{self.ip.describe()}[External]"
        text = ",".join(f"{k}={v}" for k, v in self.labels) or "<no selected labels>"
        return f"{self.namespace}/{text}"


def pod_classes(
    state: ClusterState, namespaces: list[str] | None = None
) -> tuple[list[Peer], dict[tuple[str, str], int]]:
    """Label-set classes of the pods (of `namespaces`, or all), and each pod's class."""
    keys, port_names, by_ip = referenced(state)
    wanted = set(namespaces) if namespaces else None
    peers: list[Peer] = []
    found: dict[tuple[object, ...], int] = {}
    of_pod: dict[tuple[str, str], int] = {}
    for pod in sorted(state.pods, key=lambda p: (p.namespace, p.name)):
        if wanted is not None and pod.namespace not in wanted:
            continue
        key = class_key(pod, keys, port_names, by_ip)
        idx = found.get(key)
        if idx is None:
            idx = found[key] = len(peers)
            labels = tuple(sorted((k, v) for k, v in pod.labels.items() if k in keys))
            peers.append(Peer(idx, pod.namespace, labels))
        peers[idx].pods.append(pod)
        of_pod[(pod.namespace, pod.name)] = idx
    return peers, of_pod


class Matrix:
    """Allowed connections between every ordered pair of peers (distinct pods of classes)."""

    def __init__(self, state: ClusterState, namespaces: list[str] | None = None) -> None:
        self.state = state
        self.peers, self.class_of = pod_classes(state, namespaces)
        self.sources_external: list[int] = self._externals(INGRESS)
        self.targets_external: list[int] = self._externals(EGRESS)
        admin, baseline = tiered_policies(state)
        self._sparse = None if admin or baseline else SparseSides(state, self.peers)
        self._cache: dict[tuple[int, int], PortSet] = {}

    def _externals(self, direction: str) -> list[int]:
        """Ranges cut by the ipBlocks of one direction: sources of ingress, targets of egress."""
        out = []
        for r in atoms(direction_ranges(self.state, direction)):
            out.append(len(self.peers))
            self.peers.append(Peer(len(self.peers), "", (), ip=r, direction=direction))
        return out

    def allowed(self, src: int, dst: int) -> PortSet:
        """Connections from `src` to `dst` (for one class to itself: between distinct pods)."""
        if self._sparse is not None:
            return self._sparse.allowed(src, dst)
        key = (src, dst)
        got = self._cache.get(key)
        if got is None:
            a, b = self.peers[src].endpoint(), self.peers[dst].endpoint()
            got = self._cache[key] = allowed_connections(self.state, a, b)
        return got

    def pairs(self) -> Iterator[tuple[int, int, PortSet]]:
        """Every ordered pair with some allowed traffic (no external-to-external pairs)."""
        classes = [p.index for p in self.peers if not p.external]
        for s in classes + self.sources_external:
            targets = classes + (self.targets_external if s in classes else [])
            for d in targets:
                conn = self.allowed(s, d)
                if not conn.is_empty():
                    yield s, d, conn


class SparseSides:
    """Per-class egress and ingress maps from NetworkPolicy rules alone (no admin tiers)."""

    def __init__(self, state: ClusterState, peers: list[Peer]) -> None:
        self.index = policy_index(state)
        self.peers = peers
        self.by_ns: dict[str, list[int]] = defaultdict(list)
        for p in peers:
            if not p.external:
                self.by_ns[p.namespace].append(p.index)
        self._targets: dict[tuple[int, int], list[int]] = {}
        self._sides: dict[tuple[str, int], SideMap] = {}

    def allowed(self, src: int, dst: int) -> PortSet:
        egress = self.side(EGRESS, src)
        out = ALL if egress is None else egress.get(dst, NONE)
        if out.is_empty():
            return out
        ingress = self.side(INGRESS, dst)
        return out if ingress is None else out & ingress.get(src, NONE)

    def side(self, direction: str, subject: int) -> SideMap:
        key = (direction, subject)
        if key not in self._sides:
            self._sides[key] = self._build(direction, subject)
        return self._sides[key]

    def _build(self, direction: str, subject: int) -> SideMap:
        peer = self.peers[subject]
        if peer.external:
            return None
        pod = peer.pods[0]
        selecting = self.index.selecting(pod, direction)
        if not selecting:
            return None
        out: dict[int, PortSet] = {}
        for pol in selecting:
            for i, (peers, ports) in enumerate(rules_of(pol, direction)):
                # ports resolve on the destination: the subject for ingress, each peer for egress
                per_peer = direction == EGRESS and any(isinstance(p.port, str) for p in ports or ())
                fixed = NONE if per_peer else rule_ports(ports, peer.endpoint())
                for other in self._rule_peers(pol, direction, i, peers):
                    conn = rule_ports(ports, self.peers[other].endpoint()) if per_peer else fixed
                    out[other] = out.get(other, NONE) | conn
        return out

    def _rule_peers(
        self, pol: NetworkPolicy, direction: str, i: int, peers: list[NetworkPolicyPeer] | None
    ) -> list[int]:
        key = (id(pol), i if direction == INGRESS else -1 - i)
        got = self._targets.get(key)
        if got is None:
            got = self._targets[key] = self._match(pol, direction, peers)
        return got

    def _match(
        self, pol: NetworkPolicy, direction: str, peers: list[NetworkPolicyPeer] | None
    ) -> list[int]:
        """Peers (classes and external ranges of this direction) that a rule's from/to matches."""
        externals = [p.index for p in self.peers if p.external and p.direction == direction]
        if not peers:
            return [p.index for p in self.peers if not p.external] + externals
        found: set[int] = set()
        for element in peers:
            for k in self._candidates(element, pol.namespace, externals):
                if self.index.peer_matches(element, pol.namespace, self.peers[k].endpoint()):
                    found.add(k)
        return sorted(found)

    def _candidates(
        self, element: NetworkPolicyPeer, policy_ns: str, externals: list[int]
    ) -> list[int]:
        if element.ip_block is not None:
            hosts = [p.index for p in self.peers if not p.external and p.pods[0].spec.host_network]
            return externals + hosts
        if element.namespace_selector is None:
            return self.by_ns.get(policy_ns, [])
        sel = element.namespace_selector
        return [
            k for ns, ks in self.by_ns.items() if sel.matches(self.index.ns_labels(ns)) for k in ks
        ]
