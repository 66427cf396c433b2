"""What makes two pods equivalent for policy: the label keys, port names and CIDRs rules read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kexplore.analysis.netpol.admin import tiered_policies
from kexplore.analysis.netpol.ipblocks import IPRange, block_ranges, cidr_range
from kexplore.analysis.netpol.peers import EGRESS, INGRESS, rules_of
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState


@dataclass(frozen=True)
class Referenced:
    """What policies read of a pod besides its namespace."""

    keys: frozenset[str]  # label keys some pod selector reads
    port_names: frozenset[str]  # container port names some rule names
    by_ip: bool  # ipBlocks and admin `networks` peers match pod IPs
    by_node: bool  # admin `nodes` peers match hostNetwork pods by their node


def referenced(state: ClusterState) -> Referenced:
    """The label keys, port names and addressing that can tell two pods apart (cached)."""

    def build() -> Referenced:
        keys: set[str] = set()
        names: set[str] = set()
        blocks = False
        for pol in state.network_policies:
            keys |= pol.spec.pod_selector.keys()
            for direction in (INGRESS, EGRESS):
                for peers, ports in rules_of(pol, direction):
                    for peer in peers or ():
                        if peer.pod_selector is not None:
                            keys |= peer.pod_selector.keys()
                        blocks = blocks or peer.ip_block is not None
                    names.update(p.port for p in ports or () if isinstance(p.port, str))
        by_ip, by_node = _admin_refs(state, keys, names)
        return Referenced(frozenset(keys), frozenset(names), by_ip or blocks, by_node)

    return state._cached("netpol_referenced", build)  # type: ignore[no-any-return]


def _admin_refs(state: ClusterState, keys: set[str], names: set[str]) -> tuple[bool, bool]:
    admin, baseline = tiered_policies(state)
    by_ip = by_node = False
    for tp in admin + baseline:
        spec = tp.policy.spec
        if spec.subject.pods is not None:
            keys |= spec.subject.pods.pod_selector.keys()
        for rule in spec.ingress + spec.egress:
            for peer in rule.peers():
                if peer.pods is not None:
                    keys |= peer.pods.pod_selector.keys()
                by_ip = by_ip or bool(peer.networks)
                by_node = by_node or peer.nodes is not None
            names.update(p.named_port for p in rule.ports or () if p.named_port)
            names.update(p.destination_named_port for p in rule.protocols or ())
    names.discard("")
    return by_ip, by_node


def class_key(pod: Pod, refs: Referenced, place: Callable[[str], object]) -> tuple[object, ...]:
    """The class of a pod: namespace, projected labels, the named ports rules use, and
    where its IPs fall among the ipBlock ranges when some ipBlock or admin network can match
    them, plus its node for admin `nodes` peers."""
    labels = tuple(sorted((k, v) for k, v in pod.labels.items() if k in refs.keys))
    ports = tuple(
        sorted(
            (cp.name, cp.protocol or "TCP", cp.container_port)
            for c in pod.serving_containers()
            for cp in c.ports
            if cp.name in refs.port_names
        )
    )
    host = pod.spec.host_network
    places = tuple(place(ip) for ip in pod.ips()) if host or refs.by_ip else ()
    node = pod.spec.node_name if host and refs.by_node else ""
    return (pod.namespace, labels, ports, host, places, node)


def direction_ranges(state: ClusterState, direction: str) -> list[IPRange]:
    """The address sets of one direction's ipBlocks, plus admin egress networks."""
    out: list[IPRange] = []
    for pol in state.network_policies:
        for peers, _ in rules_of(pol, direction):
            for peer in peers or ():
                if peer.ip_block is not None:
                    out.extend(block_ranges(peer.ip_block))
    admin, baseline = tiered_policies(state)
    for tp in admin + baseline:
        rules = tp.policy.spec.egress if direction == EGRESS else tp.policy.spec.ingress
        for rule in rules:
            for admin_peer in rule.peers():
                out.extend(r for r in map(cidr_range, admin_peer.networks or ()) if r is not None)
    return out
