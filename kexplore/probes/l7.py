"""Application-protocol probes: HTTP through curl, wget or python and gRPC health through
grpc_health_probe or grpcurl, and what their output says (app answered, mesh answered with
Envoy's response flag, reset, TLS/protocol mismatch, timeout)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kexplore.probes.parse import REFUSED, RESET, TIMEOUT, TIMEOUT_EXIT

APP_ANSWERED, MESH_ANSWERED, TLS_MISMATCH = "app-answered", "mesh-answered", "tls-mismatch"
SERVING, NOT_SERVING, UNIMPLEMENTED = "serving", "not-serving", "unimplemented"
TRANSPORT_ERROR = "transport-error"
L7_OK = frozenset({APP_ANSWERED, SERVING, UNIMPLEMENTED})

MAX_BODY = 512  # bytes of a body kept as evidence
_STATUS_LINE = re.compile(r"^\s*(HTTP/\d(?:\.\d)?) (\d{3})(?: ([^\r\n]*))?\r?$", re.M)
_WGET_NOISE = re.compile(r"^(?:Connecting to |wget: |saving to |\S+\s+100% \|)")
_HEADER = re.compile(r"^\s*([A-Za-z0-9-]+):\s?(.*?)\r?$")

# Envoy's local replies, by the words of their body (newest wording first), and the
# response flag its access log writes for them.
_LOCAL_REPLIES = (
    ("retried and the latest reset reason", "URX"),
    ("transport failure reason: tls error", "UF"),
    ("reset reason: connection failure", "UF"),
    ("reset reason: local connection failure", "UF"),
    ("reset reason: connection termination", "UC"),
    ("reset reason: remote connection failure", "UF"),
    ("reset reason: overflow", "UO"),
    ("upstream connect error or disconnect/reset before headers", "UC"),
    ("no healthy upstream", "UH"),
    ("upstream request timeout", "UT"),
    ("rbac: access denied", "RBAC"),
    ("fault filter abort", "FI"),
    ("local_rate_limited", "RL"),
)
_TLS_TEXT = re.compile(
    r"wrong version number|packet length too long|unknown protocol|ssl routines|"
    r"first record does not look like a tls handshake|plain http request was sent to https|"
    r"http request to an https server|tls: |ssl error|handshake failure|"
    r"received http/0\.9|weird server reply|frame too large|bad status line",
    re.I,
)


@dataclass
class HttpAnswer:
    """An HTTP response as a probe printed it: status, headers (lower-cased names), body."""

    version: str
    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def server(self) -> str:
        return self.headers.get("server", "")

    def local_reply_flag(self) -> str:
        """The response flag of an answer Envoy made itself ("" when the app answered, or
        when Envoy's words name no flag: see `mesh_answered`)."""
        text = self.body.lower()
        for words, flag in _LOCAL_REPLIES:
            if words in text:
                return flag
        if self._envoy_local() and self.status == 404 and not self.body.strip():
            return "NR"
        return ""

    @property
    def mesh_answered(self) -> bool:
        """The proxy answered instead of the app: its own words, or `server: envoy` on a 5xx
        that never reached an upstream (no x-envoy-upstream-service-time)."""
        if self.local_reply_flag():
            return True
        return self._envoy_local() and self.status in (502, 503, 504)

    def _envoy_local(self) -> bool:
        from_envoy = "envoy" in self.server.lower()
        return from_envoy and "x-envoy-upstream-service-time" not in self.headers

    def envoy_headers(self) -> dict[str, str]:
        """`server` and the x-envoy-*/grpc-* headers: what tells the mesh's part."""
        keep = ("server", "x-envoy-", "grpc-")
        return {k: v for k, v in self.headers.items() if k.startswith(keep) or k == "server"}


def parse_http(output: str) -> HttpAnswer | None:
    """The last response in a probe's output (curl -i, wget -S, the python script)."""
    matches = list(_STATUS_LINE.finditer(output))
    if not matches:
        return None
    last = matches[-1]
    answer = HttpAnswer(last.group(1), int(last.group(2)), (last.group(3) or "").strip())
    rest = output[last.end() :].lstrip("\r").removeprefix("\n").split("\n")
    body_at = len(rest)
    for i, line in enumerate(rest):
        header = _HEADER.match(line)
        if not line.strip("\r ") or header is None:
            body_at = i + (0 if header is None and line.strip("\r ") else 1)
            break
        answer.headers.setdefault(header.group(1).lower(), header.group(2))
    # wget prints the body on stdout, before its own messages and the headers (stderr)
    before = [ln for ln in output[: matches[0].start()].splitlines() if not _WGET_NOISE.match(ln)]
    after = [ln for ln in rest[body_at:] if not _WGET_NOISE.match(ln)]
    answer.body = ("\n".join(after).strip() or "\n".join(before).strip())[:MAX_BODY]
    return answer


def classify_http(tool: str, exit_code: int, output: str) -> str:
    """app-answered / mesh-answered / tls-mismatch / reset / refused / timeout / error."""
    answer = parse_http(output)
    text = output.lower()
    if answer is not None:
        if answer.mesh_answered:
            return MESH_ANSWERED
        if _TLS_TEXT.search(answer.body):
            return TLS_MISMATCH
        return APP_ANSWERED
    return _no_answer(tool, exit_code, text)


def _no_answer(tool: str, exit_code: int, text: str) -> str:
    if "refused" in text:
        return REFUSED
    if "reset by peer" in text or "connection reset" in text or "empty reply" in text:
        return RESET
    if tool == "curl" and exit_code in (52, 56):
        return RESET
    if _TLS_TEXT.search(text) or (tool == "curl" and exit_code in (1, 8, 35)):
        return TLS_MISMATCH
    if exit_code == TIMEOUT_EXIT or "timed out" in text or "timeout" in text:
        return TIMEOUT
    if tool == "curl" and exit_code == 28:
        return TIMEOUT
    return "error"


# --- gRPC health -----------------------------------------------------------------------------
_GRPC_STATUS = re.compile(r'"?status"?:\s*"?([A-Z_]+)"?')
_GRPC_CODE = re.compile(r"code\s*[=:]\s*(\w+)", re.I)


def classify_grpc(tool: str, exit_code: int, output: str) -> str:
    """serving / not-serving / unimplemented / mesh-answered / tls-mismatch / reset / refused /
    timeout / transport-error, for grpc_health_probe and grpcurl."""
    text = output.lower()
    if any(words in text for words, _ in _LOCAL_REPLIES):
        return MESH_ANSWERED
    status = _GRPC_STATUS.search(output)
    if exit_code == 0 and status is not None:
        return SERVING if status.group(1) == "SERVING" else NOT_SERVING
    if "service unhealthy" in text or "not_serving" in text:
        return NOT_SERVING
    code = _GRPC_CODE.search(output)
    if code is not None and code.group(1).lower() == "unimplemented":
        return UNIMPLEMENTED
    if "does not implement the grpc health" in text or "reflection api" in text:
        return UNIMPLEMENTED
    if _TLS_TEXT.search(text):
        return TLS_MISMATCH
    result = _no_answer(tool, exit_code, text)
    if result == "error" and ("rpc error" in text or "failed to" in text or code is not None):
        return TRANSPORT_ERROR
    return result


def grpc_status(output: str) -> str:
    """The health status or gRPC code the probe printed (SERVING, Unimplemented…), or ""."""
    status = _GRPC_STATUS.search(output)
    if status is not None:
        return status.group(1)
    code = _GRPC_CODE.search(output)
    return code.group(1) if code is not None else ""


def mesh_flag(output: str) -> str:
    """Envoy's response flag for a mesh answer in an HTTP or gRPC probe's output."""
    answer = parse_http(output)
    if answer is not None:
        return answer.local_reply_flag()
    text = output.lower()
    return next((flag for words, flag in _LOCAL_REPLIES if words in text), "")
