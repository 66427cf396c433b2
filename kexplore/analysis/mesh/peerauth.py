"""Effective PeerAuthentication mode of a workload port (mesh > namespace > workload, per port)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kexplore.analysis.mesh.common import Fact, oldest_first, ref, typed
from kexplore.model.istio import MutualTLS, PeerAuthentication
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState

STRICT, PERMISSIVE, DISABLE, UNSET = "STRICT", "PERMISSIVE", "DISABLE", "UNSET"


@dataclass(frozen=True)
class ComposedMtls:
    """The merged result: a workload mode, per-port overrides, and the policy of each level."""

    mode: str
    per_port: dict[int, str] = field(default_factory=dict)
    mesh: PeerAuthentication | None = None
    namespace: PeerAuthentication | None = None
    workload: PeerAuthentication | None = None
    ignored: tuple[Fact, ...] = ()

    def mode_for(self, port: int | None) -> str:
        """The mode on one workload port (the port-level override, else the workload mode)."""
        if port is not None and port in self.per_port:
            return self.per_port[port]
        return self.mode

    def deciding(self, port: int | None) -> list[Fact]:
        """The objects that decided the mode on `port`, most specific first."""
        mode = self.mode_for(port)
        if port is not None and port in self.per_port and self.workload is not None:
            level = self.workload.spec.port_level_mtls[port]
            detail = f"mode {level.mode}" + (
                f" inherits {mode} from the workload mode" if _unset(level) else ""
            )
            where = ref("PeerAuthentication", self.workload, f"portLevelMtls[{port}]")
            return [Fact(where, detail)]
        for label, policy in (
            ("workload", self.workload),
            ("namespace", self.namespace),
            ("mesh-wide", self.mesh),
        ):
            if policy is not None and not _unset(policy.spec.mtls):
                return [Fact(ref("PeerAuthentication", policy, f"mtls.mode={mode}"), label)]
        return [Fact("peerauthentication (none applies)", f"Istio default {PERMISSIVE}")]


def _unset(mtls: MutualTLS | None) -> bool:
    return mtls is None or mtls.mode in ("", UNSET)


def _level(policy: PeerAuthentication, root_namespace: str) -> str:
    selector = policy.spec.selector
    if selector is None or not selector.match_labels:
        return "mesh" if policy.metadata.namespace == root_namespace else "namespace"
    return "ignored" if policy.metadata.namespace == root_namespace else "workload"


def compose(policies: Iterable[PeerAuthentication], root_namespace: str) -> ComposedMtls:
    """Istio's ComposePeerAuthentication over policies that already apply to one workload.

    Per level the oldest policy wins; UNSET inherits from the level above; portLevelMtls
    only counts on a workload-selector policy, an UNSET port inheriting the workload mode;
    a selector policy in the root namespace is ignored.
    """
    chosen: dict[str, PeerAuthentication] = {}
    ignored: list[Fact] = []
    for policy in oldest_first(policies):
        level = _level(policy, root_namespace)
        if level == "ignored":
            ignored.append(Fact(ref("PeerAuthentication", policy), _IGNORED_ROOT_SELECTOR))
        elif level in chosen:
            ignored.append(Fact(ref("PeerAuthentication", policy), f"newer {level} policy"))
        else:
            chosen[level] = policy
    mode = PERMISSIVE
    for level in ("mesh", "namespace", "workload"):
        mtls = chosen[level].spec.mtls if level in chosen else None
        if mtls is not None and not _unset(mtls):
            mode = mtls.mode
    per_port: dict[int, str] = {}
    workload = chosen.get("workload")
    if workload is not None:
        for port, mtls in workload.spec.port_level_mtls.items():
            per_port[port] = mode if _unset(mtls) else mtls.mode
    for level in ("mesh", "namespace"):
        if level in chosen and chosen[level].spec.port_level_mtls:
            where = ref("PeerAuthentication", chosen[level], "portLevelMtls")
            ignored.append(Fact(where, _IGNORED_PORTS))
    return ComposedMtls(
        mode, per_port, chosen.get("mesh"), chosen.get("namespace"), workload, tuple(ignored)
    )


_IGNORED_ROOT_SELECTOR = "ignored: a selector policy in the root namespace applies to nothing"
_IGNORED_PORTS = "ignored: portLevelMtls needs a workload selector"


def applicable(state: ClusterState, pod: Pod, root_namespace: str) -> list[PeerAuthentication]:
    """PeerAuthentications that apply to the pod: root namespace, its namespace, its selector."""
    out = []
    for policy in typed(state, "PeerAuthentication", PeerAuthentication):
        ns = policy.metadata.namespace
        if ns not in (root_namespace, pod.namespace):
            continue
        selector = policy.spec.selector
        if selector is None or selector.matches(pod.labels):
            out.append(policy)
    return out


def effective_mtls(state: ClusterState, pod: Pod, root_namespace: str) -> ComposedMtls:
    """The composed PeerAuthentication of the pod's workload."""
    return compose(applicable(state, pod, root_namespace), root_namespace)
