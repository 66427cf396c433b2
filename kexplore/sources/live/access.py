"""Permission checks for the live source: SelfSubjectAccessReview and SelfSubjectRulesReview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from kexplore.sources.live.client import Connection, HttpFailure, post_json
from kexplore.sources.live.discovery import ServedResource

AUTHZ = "/apis/authorization.k8s.io/v1"


class _AccessStatus(msgspec.Struct, frozen=True):
    allowed: bool = False


class _AccessReview(msgspec.Struct):
    status: _AccessStatus = _AccessStatus()


class _ResourceRule(msgspec.Struct, frozen=True, rename="camel"):
    verbs: list[str] = []
    api_groups: list[str] = []
    resources: list[str] = []
    resource_names: list[str] = []


class _RulesStatus(msgspec.Struct, frozen=True, rename="camel"):
    resource_rules: list[_ResourceRule] = []
    incomplete: bool = False


class _RulesReview(msgspec.Struct):
    status: _RulesStatus = _RulesStatus()


def can(
    conn: Connection, api: Any, verb: str, res: ServedResource, namespace: str | None
) -> bool | None:
    """Whether the user may `verb` the resource (in a namespace, or cluster-wide).

    None when the review itself failed (authorization API off or forbidden): then the
    caller just tries, and reads a 403 as the answer.
    """
    attrs: dict[str, str] = {"verb": verb, "group": res.group, "resource": res.plural}
    if namespace:
        attrs["namespace"] = namespace
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attrs},
    }
    try:
        data = post_json(conn, api, f"{AUTHZ}/selfsubjectaccessreviews", body)
    except HttpFailure:
        return None
    return msgspec.json.decode(data, type=_AccessReview).status.allowed


@dataclass(frozen=True)
class Rules:
    """The resource rules a user has in one namespace (cluster-wide rules included)."""

    rules: tuple[_ResourceRule, ...]

    def allows(self, verb: str, res: ServedResource) -> bool:
        for rule in self.rules:
            if rule.resource_names:
                continue  # rules for named objects do not allow listing
            if not ({"*", verb} & set(rule.verbs)):
                continue
            if not ({"*", res.group} & set(rule.api_groups)):
                continue
            if {"*", res.plural} & set(rule.resources):
                return True
        return False


def rules_in(conn: Connection, api: Any, namespace: str) -> Rules | None:
    """The user's rules in a namespace, or None when the review failed or is incomplete."""
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace},
    }
    try:
        data = post_json(conn, api, f"{AUTHZ}/selfsubjectrulesreviews", body)
    except HttpFailure:
        return None
    status = msgspec.json.decode(data, type=_RulesReview).status
    return None if status.incomplete else Rules(tuple(status.resource_rules))
