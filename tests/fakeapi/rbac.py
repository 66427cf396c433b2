"""Fake users (one bearer token each) with RBAC-like grants, and the answers to access reviews."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .catalog import ResourceType

ALL = "*"


@dataclass(frozen=True)
class Rule:
    """Verbs on resources of API groups, cluster-wide (namespaces None) or in some namespaces."""

    verbs: frozenset[str] = frozenset({ALL})
    groups: frozenset[str] = frozenset({ALL})
    resources: frozenset[str] = frozenset({ALL})
    namespaces: frozenset[str] | None = None

    def allows(self, verb: str, group: str, resource: str, namespace: str | None) -> bool:
        if self.namespaces is not None and namespace not in self.namespaces:
            return False
        return (
            (ALL in self.verbs or verb in self.verbs)
            and (ALL in self.groups or group in self.groups)
            and (ALL in self.resources or resource in self.resources)
        )


@dataclass(frozen=True)
class User:
    """A user: its token is its name; `forbidden` (group, resource) pairs override the rules."""

    name: str
    rules: tuple[Rule, ...] = (Rule(),)
    forbidden: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def allows(self, verb: str, group: str, resource: str, namespace: str | None) -> bool:
        if (group, resource) in self.forbidden:
            return False
        if group == "authorization.k8s.io" and resource.startswith("selfsubject"):
            return True  # system:basic-user lets everyone ask what they may do
        return any(r.allows(verb, group, resource, namespace) for r in self.rules)

    def forbid(self, verb: str, rtype: ResourceType, namespace: str | None) -> str:
        """The API server's 403 message."""
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        return (
            f'{rtype.plural} is forbidden: User "{self.name}" cannot {verb} resource '
            f'"{rtype.plural}" in API group "{rtype.group}" {scope}'
        )


def admin(name: str = "admin") -> User:
    return User(name)


def without(name: str, *pairs: tuple[str, str]) -> User:
    """Cluster-admin except the given (group, resource) pairs."""
    return User(name, forbidden=frozenset(pairs))


def namespaced(
    name: str, namespaces: Iterable[str], verbs: Iterable[str] = ("get", "list", "watch")
) -> User:
    """A user who may only read inside the given namespaces (no cluster-wide list)."""
    return User(name, rules=(Rule(verbs=frozenset(verbs), namespaces=frozenset(namespaces)),))


def access_review(user: User, spec: dict[str, Any]) -> dict[str, Any]:
    """The stateless answer to a SelfSubjectAccessReview."""
    attrs = spec.get("resourceAttributes") or {}
    resource = attrs.get("resource", "")
    if attrs.get("subresource"):  # RBAC names subresources "pods/exec"
        resource = f"{resource}/{attrs['subresource']}"
    allowed = user.allows(
        attrs.get("verb", ""),
        attrs.get("group", ""),
        resource,
        attrs.get("namespace") or None,
    )
    status: dict[str, Any] = {"allowed": allowed}
    if not allowed:
        status["reason"] = f'no RBAC policy matched for user "{user.name}"'
    return {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {},
        "spec": spec,
        "status": status,
    }


def rules_review(user: User, types: Iterable[ResourceType], spec: dict[str, Any]) -> dict[str, Any]:
    """The stateless answer to a SelfSubjectRulesReview for spec.namespace."""
    namespace = spec.get("namespace") or None
    rules: list[dict[str, Any]] = []
    for rt in types:
        verbs = [v for v in rt.verbs if user.allows(v, rt.group, rt.plural, namespace)]
        if verbs:
            rules.append({"verbs": verbs, "apiGroups": [rt.group], "resources": [rt.plural]})
    return {
        "kind": "SelfSubjectRulesReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {},
        "spec": spec,
        "status": {
            "resourceRules": rules,
            "nonResourceRules": [
                {
                    "verbs": ["get"],
                    "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/version"],
                }
            ],
            "incomplete": False,
        },
    }
