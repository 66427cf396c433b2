"""Exec and port-forward websockets (channel.k8s.io v4/v5) for the fake API, scripted per test."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, CLOSE = 0, 1, 2, 3, 255
STDIN_IDLE = 0.5  # v4 has no end-of-stdin signal: stop reading after this long without data


@dataclass(frozen=True)
class ExecRequest:
    """One exec: where, what, and the stdin the client sent (when it asked for stdin)."""

    namespace: str
    pod: str
    container: str
    command: list[str]
    stdin: bytes = b""


@dataclass(frozen=True)
class ExecResult:
    """What the command printed and how it ended."""

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0


@dataclass(frozen=True)
class ForwardRequest:
    """Bytes a port-forward client sent to one pod port."""

    namespace: str
    pod: str
    port: int
    data: bytes


ExecHandler = Callable[[ExecRequest], "ExecResult | Awaitable[ExecResult | None] | None"]
ForwardHandler = Callable[[ForwardRequest], "bytes | Awaitable[bytes | None] | None"]


def not_found_in_path(request: ExecRequest) -> ExecResult:
    """The default when no handler answers: the command is not in the container image."""
    exe = request.command[0] if request.command else ""
    message = (
        f'OCI runtime exec failed: exec failed: unable to start container process: exec: "{exe}":'
        " executable file not found in $PATH: unknown"
    )
    return ExecResult(stderr=message.encode(), exit_code=126)


def echo(request: ForwardRequest) -> bytes:
    """A port-forward handler that sends every byte back."""
    return request.data


async def _answer(handler: Callable[[Any], Any], request: Any) -> Any:
    result = handler(request)
    return await result if inspect.isawaitable(result) else result


def _status(result: ExecResult) -> dict[str, Any]:
    if result.exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "reason": "NonZeroExitCode",
        "message": f"command terminated with non-zero exit code: exit code {result.exit_code}",
        "details": {"causes": [{"reason": "ExitCode", "message": str(result.exit_code)}]},
    }


async def _read_stdin(ws: web.WebSocketResponse) -> bytes:
    data = b""
    while True:
        try:
            msg = await ws.receive(timeout=STDIN_IDLE)
        except TimeoutError:
            return data
        if msg.type not in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
            return data
        raw = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
        if raw[:1] == bytes([CLOSE]) or not raw:
            return data
        if raw[0] == STDIN:
            data += raw[1:]


async def serve_exec(
    raw: web.BaseRequest,
    namespace: str,
    pod: str,
    container: str,
    handlers: list[ExecHandler],
) -> web.WebSocketResponse:
    """Run the first handler that answers (returns a result, not None) and stream its output."""
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    await ws.prepare(raw)
    stdin = await _read_stdin(ws) if raw.query.get("stdin") in ("true", "1") else b""
    request = ExecRequest(namespace, pod, container, raw.query.getall("command", []), stdin)
    result: ExecResult | None = None
    for handler in handlers:
        result = await _answer(handler, request)
        if result is not None:
            break
    result = result or not_found_in_path(request)
    if result.stdout:
        await ws.send_bytes(bytes([STDOUT]) + result.stdout)
    if result.stderr:
        await ws.send_bytes(bytes([STDERR]) + result.stderr)
    await ws.send_bytes(bytes([ERROR]) + json.dumps(_status(result)).encode())
    await ws.close()
    return ws


def _ports(raw: web.BaseRequest) -> list[int]:
    return [int(p) for value in raw.query.getall("ports", []) for p in value.split(",") if p]


async def serve_port_forward(
    raw: web.BaseRequest,
    namespace: str,
    pod: str,
    handlers: list[ForwardHandler],
) -> web.WebSocketResponse:
    """Each port gets a data and an error channel, both opened with a 2-byte port frame."""
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    await ws.prepare(raw)
    ports = _ports(raw)
    for index, port in enumerate(ports):
        header = port.to_bytes(2, "little")
        await ws.send_bytes(bytes([2 * index]) + header)
        await ws.send_bytes(bytes([2 * index + 1]) + header)
    async for msg in ws:
        if msg.type != aiohttp.WSMsgType.BINARY or len(msg.data) < 2 or msg.data[0] % 2:
            continue
        index = msg.data[0] // 2
        await _forward(
            ws, ForwardRequest(namespace, pod, ports[index], msg.data[1:]), index, handlers
        )
    return ws


async def _forward(
    ws: web.WebSocketResponse, request: ForwardRequest, index: int, handlers: list[ForwardHandler]
) -> None:
    for handler in handlers:
        reply = await _answer(handler, request)
        if reply is not None:
            await ws.send_bytes(bytes([2 * index]) + reply)
            return
    message = (
        f"error forwarding port {request.port} to pod {request.pod}: failed to connect to "
        f"localhost:{request.port} inside namespace: dial tcp4 127.0.0.1:{request.port}: "
        "connect: connection refused"
    )
    await ws.send_bytes(bytes([2 * index + 1]) + message.encode())
