"""The NetworkPolicy engine: exact Kubernetes semantics with the deciding rule (`verdict`),
admin tiers, ipBlocks, port sets, and the connectivity matrix over label-set classes."""

from kexplore.analysis.netpol.engine import allowed_connections
from kexplore.analysis.netpol.explain import Verdict, verdict
from kexplore.analysis.netpol.matrix import Matrix
from kexplore.analysis.netpol.ports import PortSet

__all__ = ["Matrix", "PortSet", "Verdict", "allowed_connections", "verdict"]
