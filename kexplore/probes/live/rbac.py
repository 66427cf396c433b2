"""RBAC for probes, asked first: a SelfSubjectAccessReview per verb, subresource and namespace."""

from __future__ import annotations

import threading

import msgspec

from kexplore.sources.live.access import AUTHZ
from kexplore.sources.live.client import Connection, HttpFailure, post_json

# The permission each probe mechanism needs (verb, resource/subresource).
EXEC = ("create", "pods/exec")
PORT_FORWARD = ("create", "pods/portforward")
EPHEMERAL = ("patch", "pods/ephemeralcontainers")
LOGS = ("get", "pods/log")


class _Status(msgspec.Struct, frozen=True):
    allowed: bool = False
    reason: str = ""


class _Review(msgspec.Struct):
    status: _Status = _Status()


class Permissions:
    """Answers "may I create pods/exec in namespace X?" once per question and caches it."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._answers: dict[tuple[str, str, str], bool | None] = {}
        self._lock = threading.Lock()

    def allowed(self, permission: tuple[str, str], namespace: str) -> bool | None:
        """True or False from the review; None when the review itself failed (then just try,
        and read a 403 as the answer)."""
        key = (*permission, namespace)
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        answer = self._review(permission, namespace)
        with self._lock:
            self._answers[key] = answer
        return answer

    def _review(self, permission: tuple[str, str], namespace: str) -> bool | None:
        verb, resource = permission
        plural, _, sub = resource.partition("/")
        attrs = {"namespace": namespace, "verb": verb, "group": "", "resource": plural}
        if sub:
            attrs["subresource"] = sub
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs},
        }
        try:
            data = post_json(
                self._conn, self._conn.client(), f"{AUTHZ}/selfsubjectaccessreviews", body
            )
        except HttpFailure:
            return None
        return msgspec.json.decode(data, type=_Review).status.allowed


def denied_message(permission: tuple[str, str], namespace: str) -> str:
    """The one line a forbidden probe shows, naming the missing verb."""
    verb, resource = permission
    return (
        f"forbidden: you may not {verb} {resource} in namespace {namespace} "
        "(SelfSubjectAccessReview)"
    )
