"""`python -m bench.live_replay W2 LATENCY_MS`: a local API server replaying a workload's lists.

Serves discovery, SelfSubjectAccessReviews (always allowed) and the generated workload's
lists in the real server's shape: a list with `resourceVersion=0` is answered from the
watch cache, which ignores `limit` (one unpaginated body, streamed in chunks), other lists
are paged (500 items, continue tokens). Pods carry managedFields, as a real server sends
them, so they weigh ~12 KB on the wire. A fixed latency precedes every answer. It prints
its URL on stdout and serves until stdin closes. Run as its own process so it does not
share the measured process's CPU time and GIL.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass

import msgspec
from aiohttp import web

from bench.common import workload_files

PAGE = 500
CHUNK = 1 << 16  # bytes per write of an unpaginated body
POD_BYTES = 12_000  # a real pod on the wire, managedFields included


@dataclass(frozen=True)
class Served:
    """One served collection."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def path(self) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{base}/{self.plural}"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


SERVED = (
    Served("", "v1", "namespaces", "Namespace", namespaced=False),
    Served("", "v1", "nodes", "Node", namespaced=False),
    Served("", "v1", "pods", "Pod"),
    Served("", "v1", "services", "Service"),
    Served("", "v1", "endpoints", "Endpoints"),
    Served("", "v1", "configmaps", "ConfigMap"),
    Served("", "v1", "secrets", "Secret"),
    Served("", "v1", "events", "Event"),
    Served("apps", "v1", "deployments", "Deployment"),
    Served("apps", "v1", "replicasets", "ReplicaSet"),
    Served("apps", "v1", "statefulsets", "StatefulSet"),
    Served("apps", "v1", "daemonsets", "DaemonSet"),
    Served("batch", "v1", "jobs", "Job"),
    Served("batch", "v1", "cronjobs", "CronJob"),
    Served("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    Served("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"),
    Served("security.istio.io", "v1", "peerauthentications", "PeerAuthentication"),
    Served("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy"),
    Served("networking.istio.io", "v1", "destinationrules", "DestinationRule"),
    Served("networking.istio.io", "v1", "virtualservices", "VirtualService"),
)
REVIEWS = Served(
    "authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False
)


class _RawList(msgspec.Struct):
    items: list[msgspec.Raw] = []


def managed_fields(size: int) -> bytes:
    """A `"managedFields":[...],` member of about `size` bytes, shaped like kubelet's and
    the controllers' entries (kexplore never reads it, but must get past it)."""
    fields = {
        f"f:container-{i}": {"f:image": {}, "f:ports": {'k:{"containerPort":80}': {}}}
        for i in range(max(1, size // 74))  # each entry is ~74 bytes of JSON
    }
    entry = {
        "manager": "kubelet",
        "operation": "Update",
        "apiVersion": "v1",
        "time": "2025-05-13T22:45:18Z",
        "fieldsType": "FieldsV1",
        "subresource": "status",
        "fieldsV1": {"f:status": fields},
    }
    return b'"managedFields":' + json.dumps([entry], separators=(",", ":")).encode() + b","


def _padded(items: list[msgspec.Raw], kind: str) -> list[bytes]:
    """Items as bytes; pods padded to POD_BYTES with managedFields inside their metadata."""
    raw = [bytes(r) for r in items]
    if kind != "Pod" or not raw:
        return raw
    mean = sum(map(len, raw)) // len(raw)
    pad = managed_fields(POD_BYTES - mean)
    start = b'{"metadata":{'
    return [start + pad + r[len(start) :] if r.startswith(start) else r for r in raw]


def _body(served: Served, items: list[bytes], meta: dict[str, str]) -> bytes:
    head = json.dumps(
        {"kind": f"{served.kind}List", "apiVersion": served.api_version, "metadata": meta}
    )[:-1].encode()
    return head + b',"items":[' + b",".join(items) + b"]}"


def build_pages(workload: str) -> tuple[dict[str, list[bytes]], dict[str, bytes]]:
    """Every served collection's list pages (continue token = next page) and its whole
    list as the watch cache sends it for `resourceVersion=0`."""
    data = {kind.kind: raw for kind, raw in workload_files(workload)}
    pages: dict[str, list[bytes]] = {}
    whole: dict[str, bytes] = {}
    for served in SERVED:
        raw = msgspec.json.decode(data.pop(served.kind, b"{}"), type=_RawList).items
        items = _padded(raw, served.kind)
        del raw
        chunks = [items[i : i + PAGE] for i in range(0, len(items), PAGE)] or [[]]
        out = []
        for index, chunk in enumerate(chunks):
            meta: dict[str, str] = {"resourceVersion": "900000"}
            if index + 1 < len(chunks):
                meta["continue"] = str(index + 1)
            out.append(_body(served, chunk, meta))
        pages[served.path] = out
        whole[served.path] = _body(served, items, {"resourceVersion": "900000"})
    return pages, whole


def discovery() -> dict[str, bytes]:
    """The discovery documents of SERVED (plus the access-review resource)."""
    docs: dict[str, object] = {
        "/version": {"major": "1", "minor": "31", "gitVersion": "v1.31.0-replay"},
        "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    }
    by_gv: dict[tuple[str, str], list[Served]] = {}
    for served in (*SERVED, REVIEWS):
        by_gv.setdefault((served.group, served.version), []).append(served)
    groups = []
    for (group, version), items in by_gv.items():
        gv = f"{group}/{version}" if group else version
        resources = [
            {
                "name": s.plural,
                "kind": s.kind,
                "namespaced": s.namespaced,
                "singularName": "",
                "verbs": ["get", "list", "watch", "create"],
            }
            for s in items
        ]
        path = f"/apis/{gv}" if group else f"/api/{gv}"
        docs[path] = {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": resources,
        }
        if group:
            entry = {"groupVersion": gv, "version": version}
            groups.append({"name": group, "versions": [entry], "preferredVersion": entry})
            docs[f"/apis/{group}"] = {"kind": "APIGroup", "apiVersion": "v1", **groups[-1]}
    docs["/apis"] = {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    return {path: json.dumps(doc).encode() for path, doc in docs.items()}


def make_app(workload: str, latency: float) -> tuple[web.Application, dict[str, int]]:
    """The replay app and the size of each collection's unpaginated body (by plural)."""
    pages, whole = build_pages(workload)
    sizes = {path.rsplit("/", 1)[1]: len(body) for path, body in whole.items()}
    docs = discovery()
    allowed = json.dumps({"kind": "SelfSubjectAccessReview", "status": {"allowed": True}})

    async def handle(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(latency)
        path = request.path.rstrip("/") or "/"
        if request.method == "POST" and path == REVIEWS.path:
            return web.Response(body=allowed.encode(), status=201, content_type="application/json")
        if path in docs:
            return web.Response(body=docs[path], content_type="application/json")
        if path in pages and request.query.get("watch") not in ("1", "true"):
            if request.query.get("resourceVersion") == "0" and not request.query.get("continue"):
                return await _stream(request, whole[path])
            index = int(request.query.get("continue") or 0)
            return web.Response(body=pages[path][index], content_type="application/json")
        return web.json_response({"kind": "Status", "code": 404, "reason": "NotFound"}, status=404)

    app = web.Application(client_max_size=1 << 20)
    app.router.add_route("*", "/{tail:.*}", handle)
    return app, sizes


async def _stream(request: web.Request, body: bytes) -> web.StreamResponse:
    """One unpaginated body, written in chunks as the API server's watch cache does."""
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.content_length = len(body)
    await resp.prepare(request)
    view = memoryview(body)
    for start in range(0, len(body), CHUNK):
        await resp.write(view[start : start + CHUNK])
    await resp.write_eof()
    return resp


async def serve(workload: str, latency: float) -> None:
    app, sizes = make_app(workload, latency)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"http://127.0.0.1:{port}", flush=True)
    print(json.dumps(sizes), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


def main() -> None:
    workload, latency_ms = sys.argv[1], float(sys.argv[2])
    asyncio.run(serve(workload, latency_ms / 1000))


if __name__ == "__main__":
    main()
