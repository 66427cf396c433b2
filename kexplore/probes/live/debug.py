"""Ephemeral debug containers for pods without tools (they cannot be removed once added)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from kexplore.shell import pasteable
from kexplore.sources.live.client import Connection, get_bytes, k8s

DEFAULT_IMAGE = "busybox:1.36"
DEBUG_PREFIX = "kexplore-debug-"
# The debug container sleeps, so probes can exec into it, then exits on its own.
DEBUG_COMMAND = ["sleep", "3600"]
_PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")


class DebugContainerError(Exception):
    """The debug container could not be added or did not start."""


def consent_message(namespace: str, pod: str, image: str, runs: list[str] | None = None) -> str:
    """What the user agrees to before a debug container is added (and what it will run)."""
    then = f" It will run: {pasteable(runs)}." if runs else ""
    return (
        f"Add an ephemeral debug container (image {image}, command "
        f"{pasteable(DEBUG_COMMAND)}) to pod {namespace}/{pod}? It shares the pod's network, "
        f"so probes from it see what the pod sees.{then} Ephemeral containers cannot be "
        "removed: it stays in the pod spec until the pod is deleted."
    )


def add_debug_container(
    conn: Connection, namespace: str, pod: str, image: str, *, wait: float
) -> str:
    """Add a debug container to the pod and wait until it runs; its name."""
    name = DEBUG_PREFIX + secrets.token_hex(3)
    spec = {
        "name": name,
        "image": image,
        "command": DEBUG_COMMAND,
        "stdin": False,
        "tty": False,
        "terminationMessagePolicy": "File",
    }
    core = k8s("client").CoreV1Api(conn.client())
    try:
        core.patch_namespaced_pod_ephemeralcontainers(
            pod,
            namespace,
            {"spec": {"ephemeralContainers": [spec]}},
            _content_type="application/strategic-merge-patch+json",
            _preload_content=False,
        )
    except Exception as e:
        reason = " ".join(str(getattr(e, "body", "") or getattr(e, "reason", "") or e).split())
        raise DebugContainerError(f"adding a debug container failed: {reason[:300]}") from e
    _wait_running(conn, namespace, pod, name, image, wait)
    return name


def _wait_running(
    conn: Connection, namespace: str, pod: str, name: str, image: str, wait: float
) -> None:
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}"
    until = time.monotonic() + wait
    api = conn.client()
    while True:
        state = _state_of(json.loads(get_bytes(conn, api, path)), name)
        if "running" in state:
            return
        waiting = state.get("waiting") or {}
        if waiting.get("reason") in _PULL_FAILURES:
            raise DebugContainerError(
                f"debug image {image} cannot be pulled ({waiting.get('reason')}: "
                f"{waiting.get('message', '')}); pass --debug-image with an image your "
                "nodes can pull (a mirror)"
            )
        if "terminated" in state or time.monotonic() > until:
            raise DebugContainerError(
                f"debug container {name} did not start within {wait:g} s ({state or 'no status'})"
            )
        time.sleep(0.5)


def _state_of(pod: dict[str, Any], name: str) -> dict[str, Any]:
    for status in (pod.get("status") or {}).get("ephemeralContainerStatuses") or []:
        if status.get("name") == name:
            return dict(status.get("state") or {})
    return {}
