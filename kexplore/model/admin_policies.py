"""Cluster-scoped policy tiers: Admin and Baseline AdminNetworkPolicy, ClusterNetworkPolicy."""

from __future__ import annotations

import msgspec

from kexplore.model.base import K8s, LabelSelector, ObjectMeta


class NamespacedPod(K8s, frozen=True):
    """`pods:` subject or peer: a namespace selector AND a pod selector (empty = all)."""

    namespace_selector: LabelSelector = LabelSelector()
    pod_selector: LabelSelector = LabelSelector()


class AdminSubject(K8s, frozen=True):
    """spec.subject: exactly one of namespaces or pods (hostNetwork pods never included)."""

    namespaces: LabelSelector | None = None
    pods: NamespacedPod | None = None


class AdminPeer(K8s, frozen=True):
    """from[]/to[] element: namespaces, pods, nodes (egress) or networks (egress CIDRs)."""

    namespaces: LabelSelector | None = None
    pods: NamespacedPod | None = None
    nodes: LabelSelector | None = None
    networks: list[str] | None = None


class PortNumber(K8s, frozen=True):
    """v1alpha1 ports[].portNumber."""

    port: int
    protocol: str = "TCP"


class PortRangeV1(K8s, frozen=True):
    """v1alpha1 ports[].portRange (inclusive)."""

    start: int
    end: int
    protocol: str = "TCP"


class AdminPort(K8s, frozen=True):
    """v1alpha1 ports[]: exactly one of portNumber, namedPort, portRange."""

    port_number: PortNumber | None = None
    named_port: str | None = None
    port_range: PortRangeV1 | None = None


class PortRangeV2(K8s, frozen=True):
    """v1alpha2 destinationPort.range (inclusive)."""

    start: int
    end: int


class DestinationPort(K8s, frozen=True):
    """v1alpha2 destinationPort: a number or a range."""

    number: int | None = None
    range: PortRangeV2 | None = None


class ProtocolPorts(K8s, frozen=True):
    """v1alpha2 tcp/udp/sctp match; no destinationPort means every port of the protocol."""

    destination_port: DestinationPort | None = None


class ProtocolMatch(K8s, frozen=True):
    """v1alpha2 protocols[]: exactly one of tcp, udp, sctp, destinationNamedPort."""

    tcp: ProtocolPorts | None = None
    udp: ProtocolPorts | None = None
    sctp: ProtocolPorts | None = None
    destination_named_port: str = ""


class AdminRule(K8s, frozen=True):
    """An ingress (`from`) or egress (`to`) rule with its action (Allow/Accept, Deny, Pass)."""

    action: str
    name: str = ""
    from_: list[AdminPeer] | None = msgspec.field(default=None, name="from")
    to: list[AdminPeer] | None = None
    ports: list[AdminPort] | None = None
    protocols: list[ProtocolMatch] | None = None

    def peers(self) -> list[AdminPeer]:
        """The rule's peers, whichever direction it is."""
        return list(self.from_ or self.to or [])


class AdminPolicySpec(K8s, frozen=True):
    """spec of all three kinds; `tier` is set only by ClusterNetworkPolicy."""

    subject: AdminSubject = AdminSubject()
    priority: int = 0
    tier: str = ""
    ingress: list[AdminRule] = []
    egress: list[AdminRule] = []


class AdminNetworkPolicy(K8s, frozen=True):
    """policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy (the admin tier, by priority)."""

    metadata: ObjectMeta
    spec: AdminPolicySpec = AdminPolicySpec()
    api_version: str = "policy.networking.k8s.io/v1alpha1"
    kind: str = "AdminNetworkPolicy"


class BaselineAdminNetworkPolicy(K8s, frozen=True):
    """policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy (the baseline tier)."""

    metadata: ObjectMeta
    spec: AdminPolicySpec = AdminPolicySpec()
    api_version: str = "policy.networking.k8s.io/v1alpha1"
    kind: str = "BaselineAdminNetworkPolicy"


class ClusterNetworkPolicy(K8s, frozen=True):
    """policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy (tier Admin or Baseline)."""

    metadata: ObjectMeta
    spec: AdminPolicySpec = AdminPolicySpec()
    api_version: str = "policy.networking.k8s.io/v1alpha2"
    kind: str = "ClusterNetworkPolicy"


AdminKind = AdminNetworkPolicy | BaselineAdminNetworkPolicy | ClusterNetworkPolicy
