"""Signs that Cilium enforces the policies: its CIDR rules do not select cluster endpoints."""

from __future__ import annotations

from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState

CAVEAT = (
    "Cilium is detected ({signs}): its CIDR rules do not select cluster endpoints by default "
    "(pods never, node IPs only with policy-cidr-match-mode=nodes), so under Cilium this "
    "ipBlock may not match"
)


def _is_agent(pod: Pod) -> bool:
    owners = {r.name for r in pod.metadata.owner_references if r.kind == "DaemonSet"}
    return "cilium" in owners or pod.labels.get("k8s-app") == "cilium"


def cilium_signs(state: ClusterState) -> str:
    """What shows Cilium in the data (agent pods, Cilium policy objects), or "" (cached)."""

    def build() -> str:
        signs: list[str] = []
        agent = next((p for p in state.pods if _is_agent(p)), None)
        if agent is not None:
            signs.append(f"agent pod {agent.namespace}/{agent.name}")
        kinds = sorted({o.kind for o in state.cni_policies() if o.kind.startswith("Cilium")})
        signs.extend(f"{kind} objects" for kind in kinds)
        return ", ".join(signs)

    return state._cached("cilium_signs", build)  # type: ignore[no-any-return]
