"""NetworkPolicy engine: the connections allowed per ordered pair, tier by tier.

Semantics (DESIGN §3): a pod is isolated in a direction only when a policy with that
policyType (defaulted as the API server does) selects it; the rules of all selecting
policies are unioned; selectors in one peer element are ANDed, elements are ORed; a
podSelector alone means the policy's namespace; ports absent or empty mean all, a protocol
alone means all its ports, endPort is inclusive, named ports are resolved on the destination
pod's containers with the protocol; a pod is never blocked from itself; an ipBlock matches
pod IPs too; hostNetwork pods are node traffic (never selected, matched only by ipBlock
through the node IP). Cluster
tiers wrap this (see netpol_admin). Service traffic is judged by the caller at the backend
pod and targetPort.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kexplore.analysis.netpol.admin import AdminMatch, tier_matches
from kexplore.analysis.netpol.peers import (
    EGRESS,
    INGRESS,
    Endpoint,
    PolicyIndex,
    as_endpoint,
    named_port,
    policy_index,
)
from kexplore.analysis.netpol.ports import ALL, NONE, PortSet
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy, NetworkPolicyPort
from kexplore.model.state import ClusterState


def port_entry(entry: NetworkPolicyPort, dst: Endpoint) -> PortSet:
    """One ports[] element; a named port resolves on the destination pod (nothing elsewhere)."""
    proto = (entry.protocol or "TCP").upper()
    port = entry.port
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if port is None:
        return PortSet.protocol(proto)
    if isinstance(port, int):
        return PortSet.of(proto, port, entry.end_port if entry.end_port else port)
    return named_port(dst.selectable(), port, proto)


def rule_ports(ports: list[NetworkPolicyPort] | None, dst: Endpoint) -> PortSet:
    """A rule's ports: absent or `[]` means every port of every protocol."""
    if not ports:
        return ALL
    out = NONE
    for entry in ports:
        out = out | port_entry(entry, dst)
    return out


@dataclass(frozen=True)
class RuleMatch:
    """A rule of a selecting policy whose peers match the other side."""

    policy: NetworkPolicy
    direction: str
    index: int
    peer: int | None  # index in from/to; None when the rule has no from/to (all peers)
    ports: PortSet

    @property
    def ref(self) -> str:
        pol = self.policy
        base = f"networkpolicy {pol.namespace}/{pol.name} {self.direction}[{self.index}]"
        if self.peer is None:
            return base
        return f"{base} {'from' if self.direction == INGRESS else 'to'}[{self.peer}]"


@dataclass
class PolicyTier:
    """The NetworkPolicy tier of one direction: selecting policies and matching rules."""

    selecting: list[NetworkPolicy]
    matches: list[RuleMatch]
    complete: bool = True  # False: the scan stopped at the first rule admitting one port

    @property
    def isolated(self) -> bool:
        return bool(self.selecting)

    def allowed(self) -> PortSet:
        assert self.complete, "a tier scanned for one port has no complete allowed set"
        out = NONE
        for m in self.matches:
            out = out | m.ports
        return out


def policy_tier(
    index: PolicyIndex,
    subject: Pod,
    other: Endpoint,
    direction: str,
    dst: Endpoint,
    want: tuple[str, int] | None = None,
) -> PolicyTier:
    """Selecting policies of `subject` in `direction` and their rules admitting `other`;
    with `want` (protocol, port), the scan stops at the first rule admitting it."""
    selecting = index.selecting(subject, direction)
    matches: list[RuleMatch] = []
    for pol in selecting:
        for i, (peers, ports) in enumerate(index.rules(pol, direction)):
            hit: int | None = None
            if peers:
                hit = next(
                    (j for j, p in enumerate(peers) if index.peer_matches(p, pol.namespace, other)),
                    -1,
                )
                if hit < 0:
                    continue
            match = RuleMatch(pol, direction, i, hit, rule_ports(ports, dst))
            matches.append(match)
            if want is not None and match.ports.contains(*want):
                return PolicyTier(selecting, matches, complete=False)
    return PolicyTier(selecting, matches)


@dataclass
class Direction:
    """Everything that decides one direction (egress from the source, ingress to the target)."""

    direction: str
    subject: Endpoint
    peer: Endpoint
    applies: bool  # False: the subject is not a pod policies can select
    admin: list[AdminMatch] = field(default_factory=list)
    tier: PolicyTier = field(default_factory=lambda: PolicyTier([], []))
    baseline: list[AdminMatch] = field(default_factory=list)
    peer_ns_labels: dict[str, str] = field(default_factory=dict)  # for explanations

    def allowed(self) -> PortSet:
        """The tier chain as sets: admin (first match), NetworkPolicy, baseline, default allow."""
        if not self.applies:
            return ALL
        allowed, pending, passed = NONE, ALL, NONE
        for m in self.admin:
            hit = m.ports & pending
            if m.action == "Allow":
                allowed = allowed | hit
            elif m.action == "Pass":
                passed = passed | hit
            pending = pending - hit
        undecided = pending | passed
        if self.tier.isolated:
            return allowed | (self.tier.allowed() & undecided)
        for m in self.baseline:
            hit = m.ports & undecided
            if m.action != "Deny":
                allowed = allowed | hit
            undecided = undecided - hit
        return allowed | undecided


def direction_of(
    state: ClusterState,
    subject: Endpoint,
    peer: Endpoint,
    direction: str,
    dst: Endpoint,
    want: tuple[str, int] | None = None,
) -> Direction:
    """Collect the tiers deciding `direction` for `subject` talking with `peer` (all of
    them, or for one (protocol, port) `want`, enough to explain it)."""
    pod = subject.selectable()
    if pod is None:
        return Direction(direction, subject, peer, applies=False)
    index = policy_index(state)
    admin, baseline = tier_matches(index, pod, peer, direction, dst)
    tier = policy_tier(index, pod, peer, direction, dst, want)
    other = peer.selectable()
    labels = index.ns_labels(other.namespace) if other is not None else {}
    return Direction(direction, subject, peer, True, admin, tier, baseline, labels)


def allowed_connections(state: ClusterState, src: Pod | Endpoint, dst: Pod | Endpoint) -> PortSet:
    """The connections allowed from `src` to `dst` (egress of src AND ingress of dst)."""
    s, d = as_endpoint(src), as_endpoint(dst)
    if s.same_pod(d):
        return ALL
    egress = direction_of(state, s, d, EGRESS, d).allowed()
    if egress.is_empty():
        return NONE
    return egress & direction_of(state, d, s, INGRESS, d).allowed()
