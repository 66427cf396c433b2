"""FakeApiHandler: a kmock handler whose scripted reactions win over a faithful default API."""

from __future__ import annotations

import asyncio
import json
import re
import traceback
from typing import Any

import aiohttp.web
import attrs
import kmock
from aiohttp import web
from kmock._internal import rendering

from . import catalog, exec_ws, rbac
from .catalog import ResourceType
from .logs import serve_log
from .responses import (
    ResourcePath,
    decode_continue,
    encode_continue,
    field_selector_matches,
    gone_event,
    not_found,
    ok,
    parse_resource_path,
    status,
)
from .store import FakeCluster

NAMESPACE_LIST = re.compile(r"/api/v1/namespaces/?")
REVIEWS = ("selfsubjectaccessreviews", "selfsubjectrulesreviews")


@attrs.define(kw_only=True)
class FakeApiHandler(kmock.RawHandler):
    """Requests go first to reactions scripted with kmock's DSL
    (`handler['get /api/v1/pods'] << 500`); a reaction that raises NotImplementedError, or
    none matching, falls through to the default Kubernetes behaviour over `cluster`:
    discovery, paginated lists, watches, logs, access reviews and RBAC."""

    cluster: FakeCluster = attrs.field(factory=FakeCluster)
    users: dict[str, rbac.User] = attrs.field(factory=lambda: {"admin": rbac.admin()})
    bookmark_interval: float = 0.2
    _watch_generation: int = 0
    _closing: bool = False  # the server stops: watches end, new ones too (clients reconnect)

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if exec_ws.STREAM_PATH.fullmatch(raw_request.path):  # exec/port-forward websockets
            return await exec_ws.serve(self, raw_request)
        if NAMESPACE_LIST.fullmatch(raw_request.path):
            # kmock 0.8's path parser fails on /api/v1/namespaces: record and route it here
            request = rendering.Request(
                id=len(self._requests),
                raw_request=raw_request,
                url=raw_request.url,
                method=raw_request.method,
                params=dict(raw_request.query),
                headers=dict(raw_request.headers),
            )
            self._requests.append(request)
            return await self._handle(request)
        return await super().__call__(raw_request)

    async def _handle(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        path = request.url.path
        if len(path) > 1 and path.endswith("/"):
            request = attrs.evolve(request, url=request.url.with_path(path.rstrip("/")))
        if self._payloads:
            try:
                return await super()._handle(request)
            except NotImplementedError:
                pass
        return await self._default(request)

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        return status(500, "InternalError", f"{exc!r}: {traceback.format_exc(limit=3)}")

    def end_watches(self) -> None:
        """Close every open watch stream (as an API server restart or timeout would)."""
        self._watch_generation += 1
        self.cluster.notify()

    def close(self) -> None:
        """The server is stopping: end every watch, and any a client opens meanwhile."""
        self._closing = True
        self.end_watches()

    # --- routing --------------------------------------------------------------------------
    def _user(self, request: rendering.Request) -> rbac.User | None:
        auth = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        return self.users.get(token)

    async def _default(self, request: rendering.Request) -> aiohttp.web.StreamResponse:
        user = self._user(request)
        if user is None:
            return status(401, "Unauthorized", "Unauthorized")
        discovery = self._discovery(request.url.path)
        if discovery is not None:
            return discovery
        rpath = parse_resource_path(request.url.path)
        rtype = rpath and self.cluster.find_type(rpath.group, rpath.version, rpath.plural)
        if rpath is None or rtype is None:
            return not_found(
                f"the server could not find the requested resource ({request.url.path})"
            )
        if request.method.value == "POST" and rtype.plural in REVIEWS:
            return self._review(user, rtype, request.data or {})
        if request.method.value != "GET":
            return status(405, "MethodNotAllowed", f"{request.method.value} is not supported here")
        return await self._read(request, user, rtype, rpath)

    def _discovery(self, path: str) -> web.Response | None:
        types = self.cluster.types
        if path == "/version":
            major, minor = self.cluster.server_version.lstrip("v").split(".")[:2]
            return ok({"major": major, "minor": minor, "gitVersion": self.cluster.server_version})
        if path == "/api":
            return ok(catalog.api_versions())
        if path == "/apis":
            return ok(catalog.api_group_list(types))
        parts = [p for p in path.split("/") if p]
        doc: dict[str, Any] | None
        if len(parts) == 2 and parts[0] == "api":
            doc = catalog.api_resource_list(types, "", parts[1])
        elif len(parts) == 2 and parts[0] == "apis":
            doc = catalog.api_group(types, parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            doc = catalog.api_resource_list(types, parts[1], parts[2])
        else:
            return None
        return ok(doc) if doc is not None else not_found(f"the server could not find {path}")

    def _review(self, user: rbac.User, rtype: ResourceType, body: dict[str, Any]) -> web.Response:
        spec = body.get("spec") or {}
        if rtype.plural == "selfsubjectaccessreviews":
            return ok(rbac.access_review(user, spec), 201)
        return ok(rbac.rules_review(user, self.cluster.types, spec), 201)

    async def _read(
        self, request: rendering.Request, user: rbac.User, rtype: ResourceType, rpath: ResourcePath
    ) -> aiohttp.web.StreamResponse:
        watching = request.params.get("watch") in ("true", "1")
        if rpath.subresource == "log":
            verb = "get"
        else:
            verb = "watch" if watching else ("get" if rpath.name else "list")
        resource = f"{rtype.plural}/log" if rpath.subresource == "log" else rtype.plural
        if not user.allows(verb, rtype.group, resource, rpath.namespace):
            return status(403, "Forbidden", user.forbid(verb, rtype, rpath.namespace))
        if rpath.subresource == "log":
            assert rpath.namespace is not None and rpath.name is not None
            return await serve_log(request, self.cluster, rpath.namespace, rpath.name)
        if rpath.subresource:
            return not_found(f"subresource {rpath.subresource}")
        if watching:
            return await self._watch(request, rtype, rpath.namespace)
        if rpath.name:
            obj = self.cluster.get(rtype, rpath.namespace or "", rpath.name)
            return ok(obj) if obj else not_found(f'{rtype.plural} "{rpath.name}"')
        return self._list(request, rtype, rpath.namespace)

    # --- lists ----------------------------------------------------------------------------
    def _list(
        self, request: rendering.Request, rtype: ResourceType, namespace: str | None
    ) -> web.Response:
        params = request.params
        if params.get("labelSelector"):
            return status(400, "BadRequest", "the fake API server does not evaluate labelSelector")
        list_rv = self.cluster.resource_version
        after: tuple[str, str] | None = None
        if params.get("continue"):
            token_rv, after = decode_continue(params["continue"])
            if token_rv < self.cluster.compacted_rv:
                return status(
                    410,
                    "Expired",
                    "The provided continue parameter is too old to display a "
                    "consistent list result. You can start a new list without the continue "
                    "parameter.",
                )
            list_rv = token_rv
        items = self.cluster.items(rtype, namespace)
        selector = params.get("fieldSelector", "")
        items = [o for o in items if field_selector_matches(o, selector)]
        if after is not None:
            items = [o for o in items if _key(o) > after]
        limit = int(params.get("limit") or 0)
        page, rest = (items[:limit], items[limit:]) if limit > 0 else (items, [])
        meta: dict[str, Any] = {"resourceVersion": str(list_rv)}
        if rest:
            meta["continue"] = encode_continue(list_rv, _key(page[-1]))
            meta["remainingItemCount"] = len(rest)
        for obj in page:  # list items carry no kind/apiVersion, like the real server's
            obj.pop("kind", None)
            obj.pop("apiVersion", None)
        body = {
            "kind": f"{rtype.kind}List",
            "apiVersion": rtype.api_version,
            "metadata": meta,
            "items": page,
        }
        return ok(body)

    # --- watches --------------------------------------------------------------------------
    async def _watch(
        self, request: rendering.Request, rtype: ResourceType, namespace: str | None
    ) -> aiohttp.web.StreamResponse:
        params = request.params
        rv_param = params.get("resourceVersion") or "0"
        timeout = float(params.get("timeoutSeconds") or 0)
        bookmarks = params.get("allowWatchBookmarks") in ("true", "1")
        assert request._raw_request is not None
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request._raw_request)
        if rv_param != "0" and int(rv_param) < self.cluster.compacted_rv:
            await resp.write(
                gone_event(f"too old resource version: {rv_param} ({self.cluster.compacted_rv})")
            )
            await resp.write_eof()
            return resp
        if rv_param == "0":
            last = self.cluster.resource_version
            for obj in self.cluster.items(rtype, namespace):
                await resp.write(_event_line("ADDED", obj))
        else:
            last = int(rv_param)
        try:
            await self._stream_events(resp, rtype, namespace, last, timeout, bookmarks)
        except ConnectionError:
            return resp
        await resp.write_eof()
        return resp

    async def _stream_events(
        self,
        resp: web.StreamResponse,
        rtype: ResourceType,
        namespace: str | None,
        last: int,
        timeout: float,
        bookmarks: bool,
    ) -> None:
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def listener() -> None:
            loop.call_soon_threadsafe(wake.set)

        generation = self._watch_generation
        deadline = loop.time() + timeout if timeout else None
        self.cluster.subscribe(listener)
        try:
            while generation == self._watch_generation and not self._closing:
                wake.clear()
                seen = self.cluster.resource_version
                for event in self.cluster.events_since(rtype, namespace, last):
                    if event.rv <= seen:
                        await resp.write(_event_line(event.type, event.obj))
                        last = event.rv
                remaining = deadline - loop.time() if deadline is not None else None
                if remaining is not None and remaining <= 0:
                    return
                wait = (
                    min(self.bookmark_interval, remaining)
                    if remaining is not None
                    else self.bookmark_interval
                )
                try:
                    await asyncio.wait_for(wake.wait(), wait)
                except TimeoutError:
                    if bookmarks:
                        await resp.write(_bookmark_line(rtype, seen))
        finally:
            self.cluster.unsubscribe(listener)


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata", {})
    return (meta.get("namespace", ""), meta.get("name", ""))


def _event_line(type_: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": type_, "object": obj}).encode() + b"\n"


def _bookmark_line(rtype: ResourceType, rv: int) -> bytes:
    obj = {
        "kind": rtype.kind,
        "apiVersion": rtype.api_version,
        "metadata": {"resourceVersion": str(rv)},
    }
    return json.dumps({"type": "BOOKMARK", "object": obj}).encode() + b"\n"
