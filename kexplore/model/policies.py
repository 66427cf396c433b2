"""NetworkPolicy (networking.k8s.io/v1) and its rules."""

from __future__ import annotations

import msgspec

from kexplore.model.base import K8s, LabelSelector, Object


class IPBlock(K8s, frozen=True):
    """ipBlock peer: a CIDR minus exceptions."""

    cidr: str
    except_: list[str] = msgspec.field(default_factory=list, name="except")


class NetworkPolicyPeer(K8s, frozen=True):
    """from[] / to[] element: selectors in one element are ANDed."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


class NetworkPolicyPort(K8s, frozen=True):
    """ports[] element: absent port means all ports of the protocol."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None


class NetworkPolicyIngressRule(K8s, frozen=True):
    """ingress[]: `from_` None or empty means from everywhere."""

    from_: list[NetworkPolicyPeer] | None = msgspec.field(default=None, name="from")
    ports: list[NetworkPolicyPort] | None = None


class NetworkPolicyEgressRule(K8s, frozen=True):
    """egress[]: `to` None or empty means to everywhere."""

    to: list[NetworkPolicyPeer] | None = None
    ports: list[NetworkPolicyPort] | None = None


class NetworkPolicySpec(K8s, frozen=True):
    """spec of a NetworkPolicy; policy_types None means defaulted (see effective_types)."""

    pod_selector: LabelSelector = LabelSelector()
    policy_types: list[str] | None = None
    ingress: list[NetworkPolicyIngressRule] | None = None
    egress: list[NetworkPolicyEgressRule] | None = None


class NetworkPolicy(Object, frozen=True):
    """A namespaced NetworkPolicy."""

    spec: NetworkPolicySpec = NetworkPolicySpec()
    api_version: str = "networking.k8s.io/v1"
    kind: str = "NetworkPolicy"

    def effective_types(self) -> tuple[str, ...]:
        """policyTypes as the API server defaults them: Ingress always, Egress if rules exist."""
        if self.spec.policy_types:
            return tuple(self.spec.policy_types)
        return ("Ingress", "Egress") if self.spec.egress else ("Ingress",)
