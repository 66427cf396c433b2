"""The connectivity matrix over label-set classes of pods (plus external address ranges).

Pods are grouped by namespace and by the values of only the label keys some selector reads
(plus the named ports rules use, and where pod IPs fall among the ipBlock ranges), so policy
work is per class, not per pod pair. Without cluster-scoped tiers the matrix is sparse: a
class that no policy isolates allows everything, and an isolated one lists only the peers
its rules match.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import msgspec

from kexplore.analysis.netpol.admin import tiered_policies
from kexplore.analysis.netpol.engine import allowed_connections, rule_ports
from kexplore.analysis.netpol.ipblocks import IPRange, atoms, cidr_range
from kexplore.analysis.netpol.matrix_keys import class_key, direction_ranges, referenced
from kexplore.analysis.netpol.peers import EGRESS, INGRESS, Endpoint, policy_index, rules_of
from kexplore.analysis.netpol.ports import ALL, NONE, PortSet
from kexplore.model.pods import Pod
from kexplore.model.policies import IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort
from kexplore.model.state import ClusterState

SideMap = dict[int, PortSet] | None  # None: not isolated (everything allowed)
_ENCODE = msgspec.json.Encoder().encode
_TOP = 1 << 129  # above every address: bisects to the range starting at or before an IP


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
    state: ClusterState, namespaces: list[str] | None, place: Callable[[str], object]
) -> tuple[list[Peer], dict[tuple[str, str], int]]:
    """Label-set classes of the pods (of `namespaces`, or all), and each pod's class;
    `place` says which ipBlock ranges an IP falls in."""
    refs = referenced(state)
    wanted = set(namespaces) if namespaces else None
    peers: list[Peer] = []
    found: dict[tuple[object, ...], int] = {}
    of_pod: dict[tuple[str, str], int] = {}
    for pod in sorted(state.pods, key=lambda p: (p.namespace, p.name)):
        if wanted is not None and pod.namespace not in wanted:
            continue
        key = class_key(pod, refs, place)
        idx = found.get(key)
        if idx is None:
            idx = found[key] = len(peers)
            labels = tuple(sorted((k, v) for k, v in pod.labels.items() if k in refs.keys))
            peers.append(Peer(idx, pod.namespace, labels))
        peers[idx].pods.append(pod)
        of_pod[(pod.namespace, pod.name)] = idx
    return peers, of_pod


class Matrix:
    """Allowed connections between every ordered pair of peers (distinct pods of classes)."""

    def __init__(self, state: ClusterState, namespaces: list[str] | None = None) -> None:
        self.state = state
        self._atoms = {d: atoms(direction_ranges(state, d)) for d in (INGRESS, EGRESS)}
        self.peers, self.class_of = pod_classes(state, namespaces, self._place)
        self._classes = [p.index for p in self.peers]
        self.sources_external: list[int] = self._externals(INGRESS)
        self.targets_external: list[int] = self._externals(EGRESS)
        admin, baseline = tiered_policies(state)
        self._sparse = None if admin or baseline else SparseSides(state, self.peers)
        self._cache: dict[tuple[int, int], PortSet] = {}

    def _place(self, ip: str) -> tuple[int, int]:
        """The indices of the ingress and egress ranges holding an IP (-1: not an IP)."""
        addr = IPRange.of_ip(ip)
        if addr is None:
            return (-1, -1)
        found = []
        for d in (INGRESS, EGRESS):
            ranges = self._atoms[d]
            i = bisect.bisect_right(ranges, IPRange(addr.version, addr.lo, _TOP)) - 1
            found.append(i)
        return (found[0], found[1])

    def _externals(self, direction: str) -> list[int]:
        """Ranges cut by the ipBlocks of one direction: sources of ingress, targets of egress."""
        out = []
        for r in self._atoms[direction]:
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
            if src == dst and b.pod is not None:
                b = Endpoint.of_pod(_twin(b.pod))  # another pod of the class, not itself
            got = self._cache[key] = allowed_connections(self.state, a, b)
        return got

    def classes(self) -> list[int]:
        return list(self._classes)

    def targets_of(self, src: int) -> list[int]:
        """Class sources reach classes and egress ranges; external sources reach classes."""
        if src < 0:
            return []
        if self.peers[src].external:
            return self._classes
        return self._classes + self.targets_external

    def pairs(self) -> Iterator[tuple[int, int, PortSet]]:
        """Every ordered pair with some allowed traffic (no external-to-external pairs), in
        no particular order; without admin tiers the work follows the allowed pairs."""
        sources = self._classes + self.sources_external
        if self._sparse is not None:
            yield from self._sparse.pairs(sources)
            return
        for s in sources:
            for d in self.targets_of(s):
                conn = self.allowed(s, d)
                if not conn.is_empty():
                    yield s, d, conn

    def count_allowed(self) -> int:
        """How many ordered pairs allow some traffic, without expanding the rows."""
        if self._sparse is not None:
            return self._sparse.count(self._classes + self.sources_external)
        return sum(1 for _ in self.pairs())


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
        self._classes = [p.index for p in peers if not p.external]
        self._externals = {
            d: [p.index for p in peers if p.external and p.direction == d]
            for d in (INGRESS, EGRESS)
        }
        self._isolated: set[int] | None = None
        self._endpoints = [p.endpoint() for p in peers]
        self._elements: dict[tuple[str, str, bytes], list[int]] = {}
        self._fixed: dict[tuple[int, int], PortSet] = {}
        self._by_address: dict[str, tuple[list[tuple[int, int]], list[tuple[IPRange, int]]]] = {}

    def isolated(self) -> set[int]:
        """Classes isolated for ingress."""
        if self._isolated is None:
            self._isolated = {k for k in self._classes if self.side(INGRESS, k) is not None}
        return self._isolated

    def pairs(self, sources: list[int]) -> Iterator[tuple[int, int, PortSet]]:
        """Open sources to open targets, egress maps to open targets, then isolated targets
        column by column (side maps hold no empty port sets, see _merge)."""
        isolated = self.isolated()
        egress = {s: self.side(EGRESS, s) for s in sources}
        open_classes = [k for k in self._classes if k not in isolated]
        with_ranges = open_classes + self._externals[EGRESS]
        for s, out in egress.items():
            if out is None:
                for d in open_classes if self.peers[s].external else with_ranges:
                    yield s, d, ALL
            else:
                yield from ((s, d, conn) for d, conn in out.items() if d not in isolated)
        for d in isolated:
            ingress = self.side(INGRESS, d)
            assert ingress is not None
            for s, conn in ingress.items():
                out = egress[s]
                if out is None:
                    yield s, d, conn
                elif d in out and not (both := out[d] & conn).is_empty():
                    yield s, d, both

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
        groups: dict[PortSet, set[int]] = defaultdict(set)
        singles: list[tuple[int, PortSet]] = []
        for pol in selecting:
            for i, (peers, ports) in enumerate(rules_of(pol, direction)):
                targets = self._rule_peers(pol, direction, i, peers)
                # ports resolve on the destination: the subject for ingress, each peer for egress
                if direction == EGRESS and any(isinstance(p.port, str) for p in ports or ()):
                    singles.extend((k, rule_ports(ports, self._endpoints[k])) for k in targets)
                else:
                    groups[self._ports(pol, direction, i, ports, subject)].update(targets)
        return _merge(groups, singles)

    def _ports(
        self,
        pol: NetworkPolicy,
        direction: str,
        i: int,
        ports: list[NetworkPolicyPort] | None,
        subject: int,
    ) -> PortSet:
        """A rule's ports on the subject (cached per rule unless it names ports)."""
        if any(isinstance(p.port, str) for p in ports or ()):
            return rule_ports(ports, self._endpoints[subject])
        key = (id(pol), i if direction == INGRESS else -1 - i)
        got = self._fixed.get(key)
        if got is None:
            got = self._fixed[key] = rule_ports(ports, self._endpoints[subject])
        return got

    def count(self, sources: list[int]) -> int:
        """Ordered pairs with some allowed traffic, column by column for isolated targets."""
        isolated = self.isolated()
        open_classes = len(self._classes) - len(isolated)
        egress = {s: self.side(EGRESS, s) for s in sources}
        open_sources = {s for s, out in egress.items() if out is None}
        closed_sources = set(egress) - open_sources
        total = 0
        for s, out in egress.items():  # side maps hold no empty port sets (see _merge)
            if out is None:
                external = self.peers[s].external
                total += open_classes + (0 if external else len(self._externals[EGRESS]))
            else:
                total += len(out.keys() - isolated)
        for d in isolated:
            ingress = self.side(INGRESS, d)
            assert ingress is not None
            total += len(ingress.keys() & open_sources)
            for s in ingress.keys() & closed_sources:
                out = egress[s]
                assert out is not None
                if d in out:
                    total += not (out[d] & ingress[s]).is_empty()
        return total

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
        externals = self._externals[direction]
        if not peers:
            return self._classes + externals
        found: set[int] = set()
        for element in peers:
            found.update(self._element(element, pol.namespace, direction))
        return sorted(found)

    def _element(self, element: NetworkPolicyPeer, policy_ns: str, direction: str) -> list[int]:
        """The peers one from/to element matches, shared by identical elements (cached)."""
        scope = policy_ns if element.namespace_selector is None else ""
        key = (direction, scope, _ENCODE(element))
        got = self._elements.get(key)
        if got is None:
            if element.ip_block is not None:
                got = self._in_block(element.ip_block, direction)
            else:
                candidates = self._candidates(element, policy_ns)
                endpoints = self._endpoints
                match = self.index.peer_matches
                got = [k for k in candidates if match(element, policy_ns, endpoints[k])]
            self._elements[key] = got
        return got

    def _in_block(self, block: IPBlock, direction: str) -> list[int]:
        """The peers an ipBlock matches (a range or a pod address wholly inside the CIDR and
        outside its excepts), found by bisection over the sorted addresses: the work follows
        the addresses inside the CIDR, not every peer for every ipBlock."""
        keys, entries = self._addresses(direction)
        outer = cidr_range(block.cidr)
        if outer is None:
            return []
        excepts = [r for text in block.except_ if (r := cidr_range(text)) is not None]
        start = bisect.bisect_left(keys, (outer.version, outer.lo))
        end = bisect.bisect_right(keys, (outer.version, outer.hi))
        found = {
            owner
            for addr, owner in entries[start:end]
            if addr.within(outer) and not any(r.overlaps(addr) for r in excepts)
        }
        return sorted(found)

    def _addresses(self, direction: str) -> tuple[list[tuple[int, int]], list[tuple[IPRange, int]]]:
        """Every address ipBlocks are matched against (external ranges of the direction, the
        classes' pod IPs) with its peer, sorted by where it starts."""
        got = self._by_address.get(direction)
        if got is None:
            peers = self._externals[direction] + self._classes
            entries = sorted(
                ((addr, k) for k in peers for addr in self._endpoints[k].block_addresses()),
                key=lambda item: (item[0].version, item[0].lo),
            )
            keys = [(addr.version, addr.lo) for addr, _ in entries]
            got = self._by_address[direction] = (keys, entries)
        return got

    def _candidates(self, element: NetworkPolicyPeer, policy_ns: str) -> list[int]:
        """The classes a selector element can match (ipBlocks go through _in_block)."""
        if element.namespace_selector is None:
            return self.by_ns.get(policy_ns, [])
        sel = element.namespace_selector
        return [
            k for ns, ks in self.by_ns.items() if sel.matches(self.index.ns_labels(ns)) for k in ks
        ]


def _merge(
    groups: dict[PortSet, set[int]], singles: list[tuple[int, PortSet]]
) -> dict[int, PortSet]:
    """One side map from peers grouped by port set (the largest group is copied in C).
    Empty port sets (a named port missing on the destination) are left out: absent and
    empty mean the same, and counting relies on it."""
    ordered = sorted(
        ((conn, members) for conn, members in groups.items() if not conn.is_empty()),
        key=lambda kv: -len(kv[1]),
    )
    out: dict[int, PortSet] = dict.fromkeys(ordered[0][1], ordered[0][0]) if ordered else {}
    rest = [(k, conn) for conn, members in ordered[1:] for k in members]
    for k, conn in rest + [(k, c) for k, c in singles if not c.is_empty()]:
        known = out.get(k)
        out[k] = conn if known is None else known | conn
    return out


def _twin(pod: Pod) -> Pod:
    """A stand-in for another pod of the same class (same labels, namespace and ports)."""
    meta = msgspec.structs.replace(pod.metadata, name=f"{pod.metadata.name}~twin")
    return msgspec.structs.replace(pod, metadata=meta)
