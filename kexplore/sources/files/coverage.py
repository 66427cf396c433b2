"""Which kinds file input covers (DESIGN §5): a cluster-info dump's known set, raw manifests'."""

from __future__ import annotations

from pathlib import PurePosixPath

from kexplore.model.kinds import CNI_POLICY_KEYS, REGISTRY, resource_of
from kexplore.model.state import DUMP, ClusterState

# What `kubectl cluster-info dump` writes, per namespace (plus nodes.json).
DUMP_KINDS = frozenset(
    {"Node", "Event", "ReplicationController", "Service", "DaemonSet", "Deployment"}
    | {"ReplicaSet", "Pod"}
)
# A file only the dump writes (its directory layout), and the List kind only it streams.
DUMP_MARKERS = ("replication-controllers.json",)
DUMP_STREAM_MARKER = b"ReplicationControllerList"
# Kinds a dump lacks that most clusters do not serve at all (optional CRDs): assumed absent,
# said in the evidence, rather than making every verdict unknown.
DUMP_ASSUMED = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy")
# Kinds whose absence from raw manifests changes a verdict: said, never judged unknown.
ASSUMED_ABSENT = (
    "NetworkPolicy",
    "AdminNetworkPolicy",
    "PeerAuthentication",
    "AuthorizationPolicy",
    "DestinationRule",
)
_KEYS = sorted({info.key for info in REGISTRY.values()})


def is_dump_file(where: str, data: bytes) -> bool:
    """A file of `kubectl cluster-info dump` (its directory layout, or its stdout stream)."""
    name = PurePosixPath(where.rsplit("!", 1)[-1]).name
    return name in DUMP_MARKERS or DUMP_STREAM_MARKER in data


def kinds_named_by(where: str) -> set[str]:
    """Kinds a file claims by its name (`networkpolicies.yaml`), even when it lists none: the
    way to add a kind a dump lacks."""
    stem = PurePosixPath(where.rsplit("!", 1)[-1]).name.split(".", 1)[0].lower()
    return {key for key in _KEYS if resource_of(key) == stem}


def mark_coverage(state: ClusterState, dump: bool, named: set[str], kexplore: bool) -> None:
    """Record in state.meta what the input does not cover: a dump lacks every kind outside
    DUMP_KINDS (unless added); raw manifests assume the policy kinds they hold none of."""
    present = {key for key, objs in state.objects.items() if objs} | named
    if dump:
        state.meta.origin = DUMP
        assumed = (*DUMP_ASSUMED, *CNI_POLICY_KEYS)
        state.meta.assumed_absent = [k for k in assumed if k not in present]
        for key in _KEYS:
            if key not in DUMP_KINDS and key not in present and key not in assumed:
                state.meta.unreadable[key] = (
                    f"not in a kubectl cluster-info dump (it holds no {resource_of(key)})"
                )
    elif not kexplore:
        state.meta.assumed_absent = [k for k in ASSUMED_ABSENT if k not in present]
