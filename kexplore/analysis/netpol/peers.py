"""Endpoints of a connection and the per-state policy index (policies by namespace and direction).

ipBlock semantics (DESIGN §3): an ipBlock matches every address in its CIDR minus its
excepts, pod IPs included - the NetworkPolicy API's semantics, asserted by the Kubernetes
e2e tests (egress to a pod by its /32, `except` carving a pod out). A hostNetwork pod is
matched by its (node) IP. Cilium's CIDR rules do not select cluster endpoints by default:
the networkpolicy layer says so where Cilium is detected (see `cilium_signs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from kexplore.analysis.netpol.ipblocks import IPRange, block_contains
from kexplore.analysis.netpol.ports import NONE, PortSet
from kexplore.model.base import LabelSelector
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort
from kexplore.model.state import ClusterState

INGRESS, EGRESS = "ingress", "egress"
Rule = tuple[list[NetworkPolicyPeer] | None, list[NetworkPolicyPort] | None]


def rules_of(policy: NetworkPolicy, direction: str) -> list[Rule]:
    """A policy's rules of one direction as (peers, ports); peers None or [] means all."""
    if direction == INGRESS:
        return [(r.from_, r.ports) for r in policy.spec.ingress or ()]
    return [(r.to, r.ports) for r in policy.spec.egress or ()]


@dataclass(frozen=True)
class Endpoint:
    """One side of a connection: a pod, or an address range outside the pod network."""

    pod: Pod | None = None
    ip: IPRange | None = None

    @classmethod
    def of_pod(cls, pod: Pod) -> Endpoint:
        return cls(pod=pod)

    @classmethod
    def of_ip(cls, ip: str) -> Endpoint:
        """An external address; raises ValueError when `ip` is not an IP address."""
        r = IPRange.of_ip(ip)
        if r is None:
            raise ValueError(f"not an IP address: {ip!r}")
        return cls(ip=r)

    def is_host_network(self) -> bool:
        return self.pod is not None and self.pod.spec.host_network

    def selectable(self) -> Pod | None:
        """The pod that pod/namespace selectors can match (not a hostNetwork pod)."""
        return None if self.pod is None or self.pod.spec.host_network else self.pod

    def block_addresses(self) -> list[IPRange]:
        """What ipBlocks are matched against: an external range, or the pod's IPs (both
        families on dual-stack; a hostNetwork pod's are its node's)."""
        if self.pod is None:
            return [self.ip] if self.ip is not None else []
        return [r for ip in self.pod.ips() if (r := IPRange.of_ip(ip)) is not None]

    def label(self) -> str:
        if self.pod is not None:
            return f"{self.pod.namespace}/{self.pod.name}"
        return f"{self.ip.describe() if self.ip else '?'}[External]"

    def same_pod(self, other: Endpoint) -> bool:
        a, b = self.pod, other.pod
        return a is not None and b is not None and (a.namespace, a.name) == (b.namespace, b.name)


def as_endpoint(value: Pod | Endpoint) -> Endpoint:
    return value if isinstance(value, Endpoint) else Endpoint.of_pod(value)


@dataclass
class PolicyIndex:
    """Policies of a state by namespace and direction, plus namespace labels; built once."""

    state: ClusterState
    _ns_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    _by_ns: dict[str, tuple[list[NetworkPolicy], list[NetworkPolicy]]] = field(default_factory=dict)
    # (namespace, direction, values of the selector keys) -> selecting policies
    _selecting: dict[tuple[str, str, tuple[tuple[str, str | None], ...]], list[NetworkPolicy]] = (
        field(default_factory=dict)
    )
    _keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _rules: dict[tuple[int, str], list[Rule]] = field(default_factory=dict)
    _selectors: dict[
        tuple[str, str], tuple[list[LabelSelector], list[tuple[NetworkPolicy, int]]]
    ] = field(default_factory=dict)

    def ns_labels(self, namespace: str) -> dict[str, str]:
        labels = self._ns_labels.get(namespace)
        if labels is None:
            labels = self._ns_labels[namespace] = self.state.namespace_labels(namespace)
        return labels

    def typed(self, namespace: str, direction: str) -> list[NetworkPolicy]:
        """Policies of a namespace whose (defaulted) policyTypes include the direction."""
        pair = self._by_ns.get(namespace)
        if pair is None:
            pols = sorted(self.state.policies_in(namespace), key=lambda p: p.name)
            ing = [p for p in pols if "Ingress" in p.effective_types()]
            egr = [p for p in pols if "Egress" in p.effective_types()]
            pair = self._by_ns[namespace] = (ing, egr)
        return pair[0] if direction == INGRESS else pair[1]

    def rules(self, policy: NetworkPolicy, direction: str) -> list[Rule]:
        """`rules_of`, cached (the state keeps its policies alive, so ids are stable)."""
        key = (id(policy), direction)
        got = self._rules.get(key)
        if got is None:
            got = self._rules[key] = rules_of(policy, direction)
        return got

    def selector_keys(self, namespace: str) -> tuple[str, ...]:
        """The label keys the podSelectors of a namespace's policies read."""
        keys = self._keys.get(namespace)
        if keys is None:
            found: set[str] = set()
            for p in self.state.policies_in(namespace):
                found |= p.spec.pod_selector.keys()
            keys = self._keys[namespace] = tuple(sorted(found))
        return keys

    def selecting(self, pod: Pod, direction: str) -> list[NetworkPolicy]:
        """Policies that isolate `pod` in `direction` (none for hostNetwork pods)."""
        if pod.spec.host_network:
            return []
        labels = pod.labels
        keys = self.selector_keys(pod.namespace)
        key = (pod.namespace, direction, tuple((k, labels.get(k)) for k in keys))
        found = self._selecting.get(key)
        if found is None:
            selectors, entries = self._distinct(pod.namespace, direction)
            hits = [sel.matches(labels) for sel in selectors]
            found = [p for p, i in entries if hits[i]]
            self._selecting[key] = found
        return found

    def _distinct(
        self, namespace: str, direction: str
    ) -> tuple[list[LabelSelector], list[tuple[NetworkPolicy, int]]]:
        """A namespace's distinct podSelectors, and each policy with its selector's index
        (thousands of policies often share a handful of selectors)."""
        key = (namespace, direction)
        got = self._selectors.get(key)
        if got is None:
            index: dict[bytes, int] = {}
            selectors: list[LabelSelector] = []
            entries: list[tuple[NetworkPolicy, int]] = []
            for p in self.typed(namespace, direction):
                code = msgspec.json.encode(p.spec.pod_selector)
                if code not in index:
                    index[code] = len(selectors)
                    selectors.append(p.spec.pod_selector)
                entries.append((p, index[code]))
            got = self._selectors[key] = (selectors, entries)
        return got

    def peer_matches(self, peer: NetworkPolicyPeer, policy_ns: str, other: Endpoint) -> bool:
        """One from/to element against the other side (selectors in one element are ANDed)."""
        if peer.ip_block is not None:
            block = peer.ip_block
            return any(block_contains(block, addr) for addr in other.block_addresses())
        pod = other.selectable()
        if pod is None:
            return False
        if peer.namespace_selector is None:
            if pod.namespace != policy_ns:
                return False
        elif not peer.namespace_selector.matches(self.ns_labels(pod.namespace)):
            return False
        return peer.pod_selector is None or peer.pod_selector.matches(pod.labels)


def policy_index(state: ClusterState) -> PolicyIndex:
    """The index of a state, rebuilt whenever the state changes (kept in the state's cache)."""
    return state._cached("netpol_index", lambda: PolicyIndex(state))  # type: ignore[no-any-return]


def named_port(pod: Pod | None, name: str, protocol: str | None) -> PortSet:
    """A named port resolved on the destination pod's containers (and native sidecars).

    With `protocol`, only container ports of that protocol count; without (the admin
    tiers' namedPort), each match keeps its container port's protocol.
    """
    if pod is None:
        return NONE
    found = NONE
    for container in pod.serving_containers():
        for cp in container.ports:
            proto = (cp.protocol or "TCP").upper()
            if cp.name == name and (protocol is None or proto == protocol):
                found = found | PortSet.of(proto, cp.container_port)
    return found
