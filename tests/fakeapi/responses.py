"""Kubernetes-shaped replies for the fake API server: Status errors, JSON, paths, selectors."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web


def status(
    code: int, reason: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A `kind: Status` failure reply, as the API server sends it."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return web.json_response(body, status=code, headers=headers)


def ok(body: Any, code: int = 200) -> web.Response:
    return web.json_response(body, status=code)


def not_found(what: str) -> web.Response:
    return status(404, "NotFound", f"{what} not found")


def gone_event(message: str) -> bytes:
    """The ERROR event a watch stream sends when its resourceVersion is too old."""
    obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Expired",
        "code": 410,
    }
    return json.dumps({"type": "ERROR", "object": obj}).encode() + b"\n"


@dataclass(frozen=True)
class ResourcePath:
    """A parsed resource URL: /api/v1/namespaces/NS/PLURAL/NAME/SUB or its cluster-scoped forms."""

    group: str
    version: str
    plural: str
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_resource_path(path: str) -> ResourcePath | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    name = rest[1] if len(rest) > 1 else None
    sub = "/".join(rest[2:]) or None
    return ResourcePath(group, version, rest[0], namespace, name, sub)


def encode_continue(rv: int, last_key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps([rv, *last_key]).encode()).decode()


def decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    rv, namespace, name = json.loads(base64.urlsafe_b64decode(token.encode()))
    return int(rv), (namespace, name)


def _field(obj: dict[str, Any], dotted: str) -> str:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return "" if value is None else str(value)


def field_selector_matches(obj: dict[str, Any], selector: str) -> bool:
    """Equality field selectors (`a.b=c`, `a.b==c`, `a.b!=c`), comma-separated, all must hold."""
    for term in filter(None, selector.split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if _field(obj, key) == value:
                return False
        else:
            key, value = term.replace("==", "=").split("=", 1)
            if _field(obj, key) != value:
                return False
    return True
