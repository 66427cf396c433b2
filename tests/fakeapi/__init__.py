"""A fake Kubernetes API server on loopback (kmock-based) for testing kexplore's live source."""

from .catalog import ADMIN_NETWORK_POLICY, BUILTIN, CALICO, CILIUM, ISTIO, ResourceType
from .handler import FakeApiHandler
from .rbac import Rule, User, admin, namespaced, without
from .server import FakeApiServer
from .store import FakeCluster

__all__ = [
    "ADMIN_NETWORK_POLICY",
    "BUILTIN",
    "CALICO",
    "CILIUM",
    "ISTIO",
    "FakeApiHandler",
    "FakeApiServer",
    "FakeCluster",
    "ResourceType",
    "Rule",
    "User",
    "admin",
    "namespaced",
    "without",
]
