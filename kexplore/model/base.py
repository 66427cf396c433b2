"""Shared building blocks of the model: the Struct base, ObjectMeta and label selectors."""

from __future__ import annotations

from typing import Any

import msgspec


class K8s(msgspec.Struct, frozen=True, rename="camel", kw_only=True, gc=False):
    """Base of every model Struct: frozen, camelCase field names, no GC tracking."""


class OwnerReference(K8s, frozen=True):
    """metadata.ownerReferences[]: who controls an object."""

    api_version: str = ""
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool = False


class ObjectMeta(K8s, frozen=True):
    """metadata: only the fields kexplore uses."""

    name: str = ""
    namespace: str = ""
    uid: str = ""
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    owner_references: tuple[OwnerReference, ...] = ()
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    resource_version: str = ""


class Object(K8s, frozen=True):
    """A top-level API object: anything with metadata."""

    metadata: ObjectMeta

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.labels


class LabelSelectorRequirement(K8s, frozen=True):
    """One matchExpressions entry."""

    key: str
    operator: str
    values: tuple[str, ...] = ()


class LabelSelector(K8s, frozen=True):
    """A label selector with exact Kubernetes semantics (matchLabels AND matchExpressions)."""

    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None

    def is_empty(self) -> bool:
        """True when the selector has no terms (selects everything)."""
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether `labels` satisfy every term; an empty selector matches everything."""
        if self.match_labels:
            for key, value in self.match_labels.items():
                if labels.get(key) != value:
                    return False
        if self.match_expressions:
            for req in self.match_expressions:
                if not requirement_matches(req, labels):
                    return False
        return True

    def keys(self) -> set[str]:
        """The label keys this selector reads."""
        keys = set(self.match_labels or ())
        keys.update(req.key for req in self.match_expressions or ())
        return keys

    def describe(self) -> str:
        """kubectl-style text form: `app=web,tier in (a,b)`; `<all>` when empty."""
        parts = [f"{k}={v}" for k, v in sorted((self.match_labels or {}).items())]
        for req in self.match_expressions or ():
            op = req.operator
            if op == "Exists":
                parts.append(req.key)
            elif op == "DoesNotExist":
                parts.append(f"!{req.key}")
            else:
                parts.append(f"{req.key} {op.lower()} ({','.join(req.values)})")
        return ",".join(parts) if parts else "<all>"


def requirement_matches(req: LabelSelectorRequirement, labels: dict[str, str]) -> bool:
    """One matchExpressions term; an unknown operator matches nothing (the API rejects it)."""
    op = req.operator
    if op == "In":
        return req.key in labels and labels[req.key] in req.values
    if op == "NotIn":
        return req.key not in labels or labels[req.key] not in req.values
    if op == "Exists":
        return req.key in labels
    if op == "DoesNotExist":
        return req.key not in labels
    return False


def selector_from_map(selector: dict[str, str] | None) -> LabelSelector:
    """A Service-style map selector as a LabelSelector."""
    return LabelSelector(match_labels=dict(selector or {}))


class TypeMeta(K8s, frozen=True):
    """apiVersion and kind only, to dispatch a raw object to its Struct."""

    api_version: str = ""
    kind: str = ""


class OpaqueObject(K8s, frozen=True):
    """An object kexplore recognises by kind but does not interpret (Cilium, Calico policies)."""

    api_version: str = ""
    kind: str = ""
    metadata: ObjectMeta = ObjectMeta()
    spec: dict[str, Any] = {}
