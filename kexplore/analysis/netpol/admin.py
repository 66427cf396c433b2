"""Cluster-scoped tiers: which AdminNetworkPolicy / Baseline / ClusterNetworkPolicy rules match.

Documented order (network-policy-api): the admin tier (AdminNetworkPolicy and
ClusterNetworkPolicy tier Admin) by ascending priority, rules in written order, first match
wins (Allow/Accept and Deny are final, Pass hands over to the NetworkPolicy tier); then
NetworkPolicy (final for pods it isolates); then the baseline tier
(BaselineAdminNetworkPolicy and ClusterNetworkPolicy tier Baseline); then default allow.
Equal priorities are ordered by name (the API leaves that case to the implementation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kexplore.analysis.netpol.ipblocks import IPRange, cidr_range
from kexplore.analysis.netpol.peers import INGRESS, Endpoint, PolicyIndex, named_port
from kexplore.analysis.netpol.ports import ALL, NONE, PortSet
from kexplore.model.admin_policies import (
    AdminKind,
    AdminNetworkPolicy,
    AdminPeer,
    AdminPort,
    AdminRule,
    AdminSubject,
    BaselineAdminNetworkPolicy,
    ClusterNetworkPolicy,
    ProtocolMatch,
)
from kexplore.model.cluster import Node
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState

ACTIONS = {"Allow": "Allow", "Accept": "Allow", "Deny": "Deny", "Pass": "Pass"}


@dataclass(frozen=True)
class AdminMatch:
    """A rule of a cluster-scoped policy whose subject and peer match this connection."""

    ref: str
    action: str  # Allow, Deny or Pass (Accept is reported as Allow)
    ports: PortSet


@dataclass(frozen=True)
class TieredPolicy:
    """A cluster-scoped policy placed in its tier, with its reference prefix."""

    tier: str  # Admin or Baseline
    priority: int
    ref: str
    policy: AdminKind


def tiered_policies(state: ClusterState) -> tuple[list[TieredPolicy], list[TieredPolicy]]:
    """Admin-tier and baseline-tier policies in precedence order (cached per state)."""

    def build() -> tuple[list[TieredPolicy], list[TieredPolicy]]:
        admin: list[TieredPolicy] = []
        base: list[TieredPolicy] = []
        for p in state.of_kind("AdminNetworkPolicy", AdminNetworkPolicy):
            ref = f"adminnetworkpolicy {p.metadata.name}"
            admin.append(TieredPolicy("Admin", p.spec.priority, ref, p))
        for b in state.of_kind("BaselineAdminNetworkPolicy", BaselineAdminNetworkPolicy):
            ref = f"baselineadminnetworkpolicy {b.metadata.name}"
            base.append(TieredPolicy("Baseline", 0, ref, b))
        for c in state.of_kind("ClusterNetworkPolicy", ClusterNetworkPolicy):
            tier = "Baseline" if c.spec.tier == "Baseline" else "Admin"
            ref = f"clusternetworkpolicy {c.metadata.name} ({tier} tier)"
            (base if tier == "Baseline" else admin).append(
                TieredPolicy(tier, c.spec.priority, ref, c)
            )
        admin.sort(key=lambda t: (t.priority, t.ref))
        base.sort(key=lambda t: (t.priority, t.ref))
        return admin, base

    return state._cached("netpol_tiers", build)  # type: ignore[no-any-return]


def subject_selects(index: PolicyIndex, subject: AdminSubject, pod: Pod) -> bool:
    """Whether a policy's subject selects the pod (hostNetwork pods are never subjects)."""
    if pod.spec.host_network:
        return False
    labels = index.ns_labels(pod.namespace)
    if subject.namespaces is not None:
        return subject.namespaces.matches(labels)
    if subject.pods is not None:
        pods = subject.pods
        return pods.namespace_selector.matches(labels) and pods.pod_selector.matches(pod.labels)
    return False


def peer_matches(index: PolicyIndex, peer: AdminPeer, other: Endpoint) -> bool:
    """One admin peer against the other side of the connection."""
    pod = other.selectable()
    if peer.namespaces is not None:
        return pod is not None and peer.namespaces.matches(index.ns_labels(pod.namespace))
    if peer.pods is not None:
        sel = peer.pods
        return (
            pod is not None
            and sel.namespace_selector.matches(index.ns_labels(pod.namespace))
            and sel.pod_selector.matches(pod.labels)
        )
    if peer.networks:
        return any(_in_network(cidr, other) for cidr in peer.networks)
    if peer.nodes is not None and other.is_host_network():
        assert other.pod is not None
        node = index.state.get("Node", "", other.pod.spec.node_name)
        return isinstance(node, Node) and peer.nodes.matches(node.metadata.labels)
    return False


def _in_network(cidr: str, other: Endpoint) -> bool:
    """networks peers match any address, pod IPs included (unlike NetworkPolicy ipBlock)."""
    net = cidr_range(cidr)
    if net is None:
        return False
    if other.pod is not None:
        return any((r := IPRange.of_ip(ip)) is not None and r.within(net) for ip in other.pod.ips())
    return other.ip is not None and other.ip.within(net)


def rule_ports(rule: AdminRule, dst: Endpoint) -> PortSet:
    """The connections a rule covers: v1alpha1 `ports` or v1alpha2 `protocols`; none = all."""
    if rule.ports:
        return _union(_v1_port(p, dst) for p in rule.ports)
    if rule.protocols:
        return _union(_v2_protocol(p, dst) for p in rule.protocols)
    return ALL


def _union(sets: Iterable[PortSet]) -> PortSet:
    out = NONE
    for s in sets:
        out = out | s
    return out


def _v1_port(port: AdminPort, dst: Endpoint) -> PortSet:
    if port.port_number is not None:
        return PortSet.of(port.port_number.protocol, port.port_number.port)
    if port.port_range is not None:
        r = port.port_range
        return PortSet.of(r.protocol, r.start, r.end)
    if port.named_port:
        return named_port(dst.selectable(), port.named_port, None)
    return NONE


def _v2_protocol(match: ProtocolMatch, dst: Endpoint) -> PortSet:
    if match.destination_named_port:
        return named_port(dst.selectable(), match.destination_named_port, None)
    for proto, spec in (("TCP", match.tcp), ("UDP", match.udp), ("SCTP", match.sctp)):
        if spec is None:
            continue
        dest = spec.destination_port
        if dest is None:
            return PortSet.protocol(proto)
        if dest.range is not None:
            return PortSet.of(proto, dest.range.start, dest.range.end)
        if dest.number is not None:
            return PortSet.of(proto, dest.number)
    return NONE


def tier_matches(
    index: PolicyIndex, subject: Pod, peer: Endpoint, direction: str, dst: Endpoint
) -> tuple[list[AdminMatch], list[AdminMatch]]:
    """Matching rules of the admin and the baseline tier, each in precedence order."""
    admin, base = tiered_policies(index.state)
    return (
        _matches(index, admin, subject, peer, direction, dst),
        _matches(index, base, subject, peer, direction, dst),
    )


def _matches(
    index: PolicyIndex,
    policies: list[TieredPolicy],
    subject: Pod,
    peer: Endpoint,
    direction: str,
    dst: Endpoint,
) -> list[AdminMatch]:
    out: list[AdminMatch] = []
    for tp in policies:
        spec = tp.policy.spec
        if not subject_selects(index, spec.subject, subject):
            continue
        rules = spec.ingress if direction == INGRESS else spec.egress
        for i, rule in enumerate(rules):
            action = ACTIONS.get(rule.action)
            if action is None or not any(peer_matches(index, p, peer) for p in rule.peers()):
                continue
            name = f" {rule.name!r}" if rule.name else ""
            out.append(
                AdminMatch(f"{tp.ref} {direction}[{i}]{name}", action, rule_ports(rule, dst))
            )
    return out
