"""Pod log replies for the fake API server: container defaulting, tail, previous, since, follow."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp.web
from aiohttp import web
from kmock._internal import rendering

from .responses import not_found, status
from .store import FakeCluster, LogStream


def _containers(pod: dict[str, Any]) -> list[str]:
    return [c.get("name", "") for c in pod.get("spec", {}).get("containers", [])]


def pick_container(pod: dict[str, Any], wanted: str) -> tuple[str | None, str]:
    """The container to read, or None and the API server's error message."""
    names = _containers(pod)
    name = pod["metadata"]["name"]
    if not wanted:
        if len(names) == 1:
            return names[0], ""
        return (
            None,
            f"a container name must be specified for pod {name}, "
            f"choose one of: [{' '.join(names)}]",
        )
    if wanted not in names:
        return None, f"container {wanted} is not valid for pod {name}"
    return wanted, ""


def _visible(lines: list[tuple[float, str]], params: dict[str, str], first: bool) -> list[str]:
    """The lines to send: newer than sinceSeconds; on the first batch only the last tailLines."""
    since = params.get("sinceSeconds")
    if since:
        cutoff = time.time() - float(since)
        lines = [line for line in lines if line[0] >= cutoff]
    texts = [text + "\n" for _, text in lines]
    tail = params.get("tailLines")
    if tail and first:
        return texts[max(0, len(texts) - int(tail)) :]
    return texts


async def serve_log(
    request: rendering.Request, cluster: FakeCluster, namespace: str, pod_name: str
) -> aiohttp.web.StreamResponse:
    params = dict(request.params)
    pod_type = cluster.find_type("", "v1", "pods")
    assert pod_type is not None
    pod = cluster.get(pod_type, namespace, pod_name)
    if pod is None:
        return not_found(f'pods "{pod_name}"')
    container, error = pick_container(pod, params.get("container", ""))
    if container is None:
        return status(400, "BadRequest", error)
    previous = params.get("previous") in ("true", "1")
    log = cluster.log(namespace, pod_name, container, previous)
    if previous and not log.lines:
        return status(
            400,
            "BadRequest",
            f'previous terminated container "{container}" in pod "{pod_name}" not found',
        )
    if params.get("follow") not in ("true", "1"):
        return web.Response(
            text="".join(_visible(log.lines, params, True)), content_type="text/plain"
        )
    return await _follow(request, cluster, log, params)


async def _follow(
    request: rendering.Request, cluster: FakeCluster, log: LogStream, params: dict[str, str]
) -> aiohttp.web.StreamResponse:
    assert request._raw_request is not None
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def listener() -> None:
        loop.call_soon_threadsafe(wake.set)

    resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await resp.prepare(request._raw_request)
    sent = 0
    cluster.subscribe(listener)
    try:
        while True:
            wake.clear()
            closed = log.closed  # read before the lines: what was written before closing is sent
            total = len(log.lines)
            for line in _visible(log.lines[sent:total], params, sent == 0):
                await resp.write(line.encode())
            sent = total
            if closed:
                break
            await wake.wait()
        await resp.write_eof()
    except ConnectionError:
        pass
    finally:
        cluster.unsubscribe(listener)
    return resp
