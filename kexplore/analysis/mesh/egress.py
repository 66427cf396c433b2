"""Sidecar resources: whether a client's proxy knows the destination host at all."""

from __future__ import annotations

from dataclasses import dataclass

from kexplore.analysis.mesh.common import Fact, host_matches, oldest_first, ref, typed
from kexplore.model.istio import Sidecar
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState


@dataclass(frozen=True)
class EgressScope:
    """The Sidecar resource scoping a client proxy, and whether `host` is in its egress hosts."""

    sidecar: Sidecar | None
    known: bool
    outbound_policy: str
    fact: Fact | None = None


def sidecar_for(state: ClusterState, pod: Pod, root_namespace: str) -> Sidecar | None:
    """Istio's choice: a selector Sidecar in the pod's namespace, else the namespace default,
    else the root namespace default (oldest first at each step)."""
    own = oldest_first(
        s for s in typed(state, "Sidecar", Sidecar) if s.metadata.namespace == pod.namespace
    )
    for sidecar in own:
        selector = sidecar.spec.workload_selector
        if selector is not None and selector.match_labels and selector.matches(pod.labels):
            return sidecar
    for sidecar in own:
        selector = sidecar.spec.workload_selector
        if selector is None or not selector.match_labels:
            return sidecar
    for sidecar in oldest_first(typed(state, "Sidecar", Sidecar)):
        selector = sidecar.spec.workload_selector
        if sidecar.metadata.namespace == root_namespace and (
            selector is None or not selector.match_labels
        ):
            return sidecar
    return None


def _egress_covers(entry: str, sidecar_ns: str, host: str, host_ns: str) -> bool:
    ns, _, name = entry.partition("/")
    if not name:
        ns, name = "*", entry
    if ns == "~":
        return False
    if ns not in ("*", host_ns) and not (ns == "." and host_ns == sidecar_ns):
        return False
    return host_matches(name.lower(), host)


def egress_scope(
    state: ClusterState, pod: Pod, host: str, host_ns: str, root_namespace: str, mesh_policy: str
) -> EgressScope:
    """Whether the client's proxy has `host` (in namespace `host_ns`) in its egress config."""
    sidecar = sidecar_for(state, pod, root_namespace)
    if sidecar is None or not sidecar.spec.egress:
        return EgressScope(sidecar, True, mesh_policy)
    policy = (
        sidecar.spec.outbound_traffic_policy.mode
        if sidecar.spec.outbound_traffic_policy
        else mesh_policy
    )
    for i, listener in enumerate(sidecar.spec.egress):
        for entry in listener.hosts:
            if _egress_covers(entry, sidecar.metadata.namespace, host, host_ns):
                return EgressScope(
                    sidecar, True, policy, Fact(ref("Sidecar", sidecar, f"egress[{i}]"), entry)
                )
    hosts = ", ".join(h for listener in sidecar.spec.egress for h in listener.hosts)
    detail = (
        f"egress hosts [{hosts}] do not include {host_ns}/{host}; outboundTrafficPolicy {policy}"
    )
    return EgressScope(sidecar, False, policy, Fact(ref("Sidecar", sidecar, "egress"), detail))
