"""What makes two pods equivalent for policy: the label keys, port names and CIDRs rules read."""

from __future__ import annotations

from kexplore.analysis.netpol_admin import tiered_policies
from kexplore.analysis.netpol_ipblocks import IPRange, block_ranges, cidr_range
from kexplore.analysis.netpol_peers import EGRESS, INGRESS, rules_of
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState


def referenced(state: ClusterState) -> tuple[frozenset[str], frozenset[str], bool]:
    """Pod label keys any selector reads, port names any rule names, and whether pod IPs
    matter (admin `networks` peers match pod IPs)."""

    def build() -> tuple[frozenset[str], frozenset[str], bool]:
        keys: set[str] = set()
        names: set[str] = set()
        for pol in state.network_policies:
            keys |= pol.spec.pod_selector.keys()
            for direction in (INGRESS, EGRESS):
                for peers, ports in rules_of(pol, direction):
                    for peer in peers or ():
                        if peer.pod_selector is not None:
                            keys |= peer.pod_selector.keys()
                    names.update(p.port for p in ports or () if isinstance(p.port, str))
        by_ip = _admin_refs(state, keys, names)
        return frozenset(keys), frozenset(names), by_ip

    return state._cached("netpol_referenced", build)  # type: ignore[no-any-return]


def _admin_refs(state: ClusterState, keys: set[str], names: set[str]) -> bool:
    admin, baseline = tiered_policies(state)
    by_ip = False
    for tp in admin + baseline:
        spec = tp.policy.spec
        if spec.subject.pods is not None:
            keys |= spec.subject.pods.pod_selector.keys()
        for rule in spec.ingress + spec.egress:
            for peer in rule.peers():
                if peer.pods is not None:
                    keys |= peer.pods.pod_selector.keys()
                by_ip = by_ip or bool(peer.networks)
            names.update(p.named_port for p in rule.ports or () if p.named_port)
            names.update(p.destination_named_port for p in rule.protocols or ())
    names.discard("")
    return by_ip


def class_key(
    pod: Pod, keys: frozenset[str], port_names: frozenset[str], by_ip: bool
) -> tuple[object, ...]:
    """The class of a pod: namespace, projected labels, the named ports rules use, and the
    IP when it can matter (hostNetwork node IPs, admin networks)."""
    labels = tuple(sorted((k, v) for k, v in pod.labels.items() if k in keys))
    ports = tuple(
        sorted(
            (cp.name, cp.protocol or "TCP", cp.container_port)
            for c in pod.serving_containers()
            for cp in c.ports
            if cp.name in port_names
        )
    )
    host = pod.spec.host_network
    ips = tuple(pod.ips()) if host or by_ip else ()
    return (pod.namespace, labels, ports, host, ips)


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
