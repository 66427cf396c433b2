"""Exec, attach and port-forward websockets and ephemeral containers for the fake API server.

Scripted per test: `script = exec_script(cluster)`, then `script.on(argv, stdout, exit_code=1)`.

Frames as the API server sends them: a channel byte then data (1 stdout, 2 stderr, 3 status
JSON); subprotocols v5.channel.k8s.io and v4.channel.k8s.io; a port-forward sends a 2-byte
little-endian port frame on each of its two channels (data, error) first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from .responses import not_found, ok, status
from .store import FakeCluster

if TYPE_CHECKING:
    from .handler import FakeApiHandler

STREAM_PATH = re.compile(
    r"/api/v1/namespaces/(?P<ns>[^/]+)/pods/(?P<pod>[^/]+)/"
    r"(?P<sub>exec|attach|portforward|ephemeralcontainers)"
)
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
REFUSED = (
    "error forwarding port {port} to pod {uid}, uid : failed to execute portforward in network "
    "namespace: failed to connect to localhost:{port} inside namespace, IPv4: dial tcp4 "
    "127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6 [::1]:{port}: connect: "
    "connection refused "
)


@dataclass(frozen=True)
class Reply:
    """What a scripted command prints and how it exits."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    delay: float = 0.0  # seconds between the output and the exit status (a hanging command)


@dataclass(frozen=True)
class ExecCall:
    """One exec the fake received: where, and the argv exactly as sent."""

    namespace: str
    pod: str
    container: str
    argv: list[str]


Matcher = Callable[[list[str]], bool]


@dataclass
class ExecScript:
    """Replies per (pod, container, argv); unmatched commands do not exist in the container."""

    rules: list[tuple[str | None, str | None, Matcher, Reply]] = field(default_factory=list)
    calls: list[ExecCall] = field(default_factory=list)
    forwards: dict[tuple[str, str, int], str] = field(default_factory=dict)
    unpullable: set[str] = field(default_factory=set)

    def on(
        self,
        argv: list[str] | Matcher,
        stdout: str = "",
        stderr: str = "",
        exit_code: int = 0,
        *,
        pod: str | None = None,
        container: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer `argv` (an exact list, or a predicate) in a pod/container (None: any)."""
        match = argv if callable(argv) else (lambda got, want=list(argv): got == want)
        self.rules.insert(0, (pod, container, match, Reply(stdout, stderr, exit_code, delay)))

    def tools(self, *names: str, pod: str | None = None, container: str | None = None) -> None:
        """Answer kexplore's tool detection (a `sh -c 'command -v ...'`) with these tools."""

        def detect(argv: list[str]) -> bool:
            return argv[:2] == ["sh", "-c"] and "command -v" in argv[2]

        self.on(detect, "".join(f"{n}\n" for n in names), pod=pod, container=container)

    def forward(self, namespace: str, pod: str, port: int, mode: str = "echo") -> None:
        """A port-forward to this pod port: "echo" its data back, "close" it at once after
        accepting (no error), or "refuse" it (the kubelet's dial error)."""
        self.forwards[(namespace, pod, port)] = mode

    def reply(self, call: ExecCall) -> Reply:
        self.calls.append(call)
        for pod, container, match, reply in self.rules:
            if pod not in (None, call.pod) or container not in (None, call.container):
                continue
            if match(call.argv):
                return reply
        tool = call.argv[0] if call.argv else ""
        return Reply(
            stdout="OCI runtime exec failed: exec failed: unable to start container process: "
            f'exec: "{tool}": executable file not found in $PATH: unknown\r\n',
            exit_code=126,
        )


_SCRIPTS: weakref.WeakKeyDictionary[FakeCluster, ExecScript] = weakref.WeakKeyDictionary()


def exec_script(cluster: FakeCluster) -> ExecScript:
    """The exec script of a fake cluster (created empty on first use)."""
    return _SCRIPTS.setdefault(cluster, ExecScript())


# --- serving ------------------------------------------------------------------------------
async def serve(handler: FakeApiHandler, request: web.BaseRequest) -> web.StreamResponse:
    """Answer an exec/attach/portforward upgrade or an ephemeralcontainers PATCH."""
    match = STREAM_PATH.fullmatch(request.path)
    assert match is not None
    ns, name, sub = match["ns"], match["pod"], match["sub"]
    auth = request.headers.get("Authorization", "")
    user = handler.users.get(auth.removeprefix("Bearer ").strip()) if auth else None
    if user is None:
        return status(401, "Unauthorized", "Unauthorized")
    verb = "patch" if sub == "ephemeralcontainers" else "create"
    if not user.allows(verb, "", f"pods/{sub}", ns):
        return status(
            403,
            "Forbidden",
            f'pods "{name}" is forbidden: User "{user.name}" cannot {verb} resource '
            f'"pods/{sub}" in API group "" in the namespace "{ns}"',
        )
    rtype = handler.cluster.type_of("v1", "Pod")
    pod = handler.cluster.get(rtype, ns, name)
    if pod is None:
        return not_found(f'pods "{name}"')
    script = exec_script(handler.cluster)
    if sub == "ephemeralcontainers":
        return await _patch_ephemeral(handler.cluster, script, pod, request)
    if sub == "portforward":
        return await _port_forward(script, pod, request)
    container, problem = _container(pod, request.query.get("container", ""))
    if problem:
        return status(400, "BadRequest", problem)
    call = ExecCall(ns, name, container, request.query.getall("command", []))
    return await _exec(script.reply(call), request)


def _container(pod: dict[str, Any], wanted: str) -> tuple[str, str]:
    spec = pod.get("spec", {})
    names = [c["name"] for c in spec.get("containers", [])]
    names += [c["name"] for c in spec.get("ephemeralContainers", [])]
    name = pod["metadata"]["name"]
    if not wanted:
        if len(spec.get("containers", [])) != 1:
            return "", f"a container name must be specified for pod {name}"
        wanted = names[0]
    if wanted not in names:
        return "", f"container {wanted} is not valid for pod {name}"
    statuses = pod.get("status", {})
    for st in [
        *statuses.get("containerStatuses", []),
        *statuses.get("ephemeralContainerStatuses", []),
    ]:
        if st.get("name") == wanted and "running" not in (st.get("state") or {}):
            return "", f'unable to upgrade connection: container not found ("{wanted}")'
    return wanted, ""


async def _open(request: web.BaseRequest) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    await ws.prepare(request)  # type: ignore[arg-type]
    return ws


async def _exec(reply: Reply, request: web.BaseRequest) -> web.WebSocketResponse:
    ws = await _open(request)
    if reply.stdout:
        await ws.send_bytes(b"\x01" + reply.stdout.encode())
    if reply.stderr:
        await ws.send_bytes(b"\x02" + reply.stderr.encode())
    if reply.delay:
        await asyncio.sleep(reply.delay)
    with contextlib.suppress(ConnectionError):  # the client may have given up meanwhile
        await ws.send_bytes(b"\x03" + json.dumps(_exit_status(reply.exit_code)).encode())
        await ws.close()
    return ws


def _exit_status(code: int) -> dict[str, Any]:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: exit status {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


async def _port_forward(
    script: ExecScript, pod: dict[str, Any], request: web.BaseRequest
) -> web.StreamResponse:
    ports = [int(p) for p in request.query.get("ports", "").split(",") if p]
    if not ports:
        return status(400, "BadRequest", "query parameter ports is required")
    meta = pod["metadata"]
    ws = await _open(request)
    for i, port in enumerate(ports):
        frame = port.to_bytes(2, "little")
        await ws.send_bytes(bytes([2 * i]) + frame)
        await ws.send_bytes(bytes([2 * i + 1]) + frame)
    modes = [script.forwards.get((meta["namespace"], meta["name"], p), "refuse") for p in ports]
    for i, (port, mode) in enumerate(zip(ports, modes, strict=True)):
        if mode == "refuse":
            text = REFUSED.format(port=port, uid=meta.get("uid", ""))
            await ws.send_bytes(bytes([2 * i + 1]) + text.encode())
    if all(m in ("refuse", "close") for m in modes):  # "close": accepted, then closed
        await ws.close()
        return ws
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.BINARY and msg.data and msg.data[0] % 2 == 0:
            await ws.send_bytes(msg.data)  # echo on the same data channel
    return ws


async def _patch_ephemeral(
    cluster: FakeCluster, script: ExecScript, pod: dict[str, Any], request: web.BaseRequest
) -> web.Response:
    if request.method != "PATCH":
        return status(405, "MethodNotAllowed", f"{request.method} is not supported here")
    body = json.loads(await request.read())
    added = (body.get("spec") or {}).get("ephemeralContainers") or []
    spec = pod.setdefault("spec", {})
    current = {c["name"]: c for c in spec.get("ephemeralContainers", [])}
    statuses = pod.setdefault("status", {}).setdefault("ephemeralContainerStatuses", [])
    for container in added:
        if container["name"] in current:
            continue
        spec.setdefault("ephemeralContainers", []).append(container)
        state: dict[str, Any] = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
        if container.get("image") in script.unpullable:
            state = {"waiting": {"reason": "ImagePullBackOff", "message": "pull access denied"}}
        statuses.append(
            {"name": container["name"], "image": container.get("image"), "state": state}
        )
    cluster.add(pod)
    return ok(pod)
