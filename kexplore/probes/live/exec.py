"""Exec and port-forward over the API's websocket, bounded in time and output size."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from kexplore.probes.parse import classify_connect
from kexplore.sources.live.client import Connection, k8s

STDOUT, STDERR, STATUS = 1, 2, 3
# API and kubelet messages that mean the container (or pod) is not running.
_NOT_RUNNING = re.compile(
    r"container not found|is not running|not running|is waiting to start|completed pod|"
    r"does not have a host assigned|ContainerCreating|PodInitializing|CrashLoopBackOff",
    re.IGNORECASE,
)
_HANDSHAKE = re.compile(r"Handshake status (\d{3})")


@dataclass
class ExecOutcome:
    """What one exec returned; `failure` names a mechanism failure (nothing was learned)."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = -1
    failure: str = ""
    message: str = ""
    truncated: bool = False
    timed_out: bool = False
    duration_ms: float = 0.0

    @property
    def output(self) -> str:
        """stdout then stderr, as a terminal would show them, with what was cut or stopped."""
        text = self.stdout + self.stderr
        if self.message and self.message not in text:
            text += self.message + "\n"
        if self.truncated:
            text += "[output truncated by kexplore]\n"
        if self.timed_out:
            text += "[stopped by kexplore: no exit status before the deadline]\n"
        return text


def api_failure(exc: Exception) -> tuple[str, str]:
    """(failure class, message) for a websocket that could not open: forbidden, not-running
    or error, with the API server's own message when it sent one."""
    reason = str(getattr(exc, "reason", "") or exc)
    status = _HANDSHAKE.search(reason)
    code = int(status.group(1)) if status else int(getattr(exc, "status", 0) or 0)
    message = _status_message(reason) or " ".join(reason.split())[:300]
    if code == 403:
        return "forbidden", message
    if _NOT_RUNNING.search(message):
        return "not-running", message
    if code == 404:
        return "error", f"not found: {message}"
    return "error", message


def _status_message(reason: str) -> str:
    """The Status message in a failed handshake's text: `Handshake status 403 Forbidden
    -+-+- {headers} -+-+- {body}` (the body sometimes as a bytes repr)."""
    body = reason.rpartition("-+-+-")[2].strip()
    if body.startswith(("b'", 'b"')):
        body = body[2:-1].encode().decode("unicode_escape")
    try:
        doc = json.loads(body)
    except ValueError:
        return ""
    return str(doc.get("message", "")) if isinstance(doc, dict) else ""


def exit_status(text: str) -> tuple[int, str]:
    """The exit code from the status channel's JSON, or -1 and the failure message."""
    if not text.strip():
        return -1, "the exec ended without an exit status"
    try:
        doc = json.loads(text)
    except ValueError:
        return -1, text.strip()
    if doc.get("status") == "Success":
        return 0, ""
    causes = (doc.get("details") or {}).get("causes") or []
    for cause in causes:
        if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
            return int(cause["message"]), ""
    return -1, str(doc.get("message") or text.strip())


def run_exec(
    conn: Connection,
    namespace: str,
    pod: str,
    container: str,
    argv: list[str],
    *,
    deadline: float,
    max_bytes: int,
    cancel: threading.Event | None = None,
) -> ExecOutcome:
    """Run argv in a container (no stdin, no tty); stop after `deadline` s or `max_bytes`."""
    core = k8s("client").CoreV1Api(conn.client())  # one ApiClient per call: stream patches it
    started = time.monotonic()
    try:
        ws = k8s("stream").stream(
            core.connect_get_namespaced_pod_exec,
            pod,
            namespace,
            command=argv,
            container=container or None,
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
            _preload_content=False,
        )
    except Exception as e:
        failure, message = api_failure(e)
        return ExecOutcome(failure=failure, message=message, duration_ms=_ms(started))
    outcome = ExecOutcome()
    try:
        _pump(ws, outcome, started + deadline, max_bytes, cancel)
        status = ws.read_channel(STATUS)
    finally:
        ws.close()
    outcome.duration_ms = _ms(started)
    if outcome.truncated or outcome.timed_out or outcome.failure:
        return outcome
    outcome.exit_code, message = exit_status(status)
    if message:
        outcome.message = message
        if _NOT_RUNNING.search(message):
            outcome.failure = "not-running"
    return outcome


def _pump(
    ws: Any,
    outcome: ExecOutcome,
    until: float,
    max_bytes: int,
    cancel: threading.Event | None,
) -> None:
    size = 0
    while True:
        if cancel is not None and cancel.is_set():
            outcome.failure, outcome.message = "error", "cancelled"
            return
        left = until - time.monotonic()
        if left <= 0:
            outcome.timed_out = True
            return
        open_ = ws.is_open()
        if open_:
            ws.update(timeout=min(left, 0.25))
        out, err = ws.read_channel(STDOUT), ws.read_channel(STDERR)
        outcome.stdout += out
        outcome.stderr += err
        size += len(out) + len(err)
        if size > max_bytes:
            outcome.truncated = True
            outcome.stdout = outcome.stdout[:max_bytes]
            outcome.stderr = outcome.stderr[: max(0, max_bytes - len(outcome.stdout))]
            return
        if not open_:
            return


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


@dataclass
class ForwardOutcome:
    """A port-forward: whether the pod's port took the connection, and what was seen."""

    result: str
    output: str
    duration_ms: float


def run_port_forward(
    conn: Connection,
    namespace: str,
    pod: str,
    port: int,
    *,
    settle: float,
) -> ForwardOutcome:
    """Forward one pod port and connect through it: an error on the port's error channel means
    the kubelet's dial inside the pod failed; data, a close, or `settle` seconds of quiet
    without an error mean the pod's port accepted the connection."""
    core = k8s("client").CoreV1Api(conn.client())
    started = time.monotonic()
    lines = [f"GET /api/v1/namespaces/{namespace}/pods/{pod}/portforward?ports={port}"]
    try:
        pf = k8s("stream").portforward(
            core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port)
        )
    except Exception as e:
        failure, message = api_failure(e)
        return ForwardOutcome(failure, "\n".join([*lines, message]) + "\n", _ms(started))
    sock = pf.socket(port)
    sock.settimeout(settle)
    try:
        data: bytes | None = sock.recv(1024)
    except TimeoutError:
        data = None
    except OSError as e:
        pf.close()
        return ForwardOutcome("error", "\n".join([*lines, f"local end failed: {e}"]) + "\n", 0.0)
    error = pf.error(port)
    pf.close()
    if not error:  # the kubelet reports a failed dial on the error channel, and only then
        seen = {None: "no error from the pod's port", b"": "closed by the pod without data"}
        detail = seen.get(data, f"{len(data or b'')} bytes from the pod")
        lines.append(f"Handling connection for {port}: {detail}")
        return ForwardOutcome("forwarded", "\n".join(lines) + "\n", _ms(started))
    lines.append(error.strip())
    result = classify_connect("port-forward", 1, error)
    return ForwardOutcome(result, "\n".join(lines) + "\n", _ms(started))
