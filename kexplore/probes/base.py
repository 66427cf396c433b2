"""The Prober protocol: probe requests, their results, and how results are classified."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from kexplore.shell import pasteable

PROBE_KINDS = (
    "dns",
    "tcp",
    "udp",
    "listen",
    "port-forward",
    "http",
    "grpc",
    "envoy-log",
    "envoy-clusters",
    "envoy-tls",
    "capture",
    "flows",
)

# Probes run with a tool found in the container (detected once), and readers of what the
# data plane recorded (a proxy's log or admin endpoint, an agent's flow log, a capture).
TOOL_PROBES = frozenset({"dns", "tcp", "udp", "listen", "http", "grpc"})

# Classifications a probe result can carry.
OK_RESULTS = frozenset(
    {
        "resolved",
        "connected",
        "listening",
        "forwarded",
        "app-answered",
        "serving",
        "unimplemented",
        "read",
        "established",
    }
)
MECHANISM_FAILURES = frozenset({"error", "forbidden", "no-tool", "not-running"})


@dataclass(frozen=True)
class L7Spec:
    """What an application probe sends: Host header (or :authority) as dialed, the path,
    TLS or not; for the readers (envoy-log, flows), `peers` are the IPs whose lines count:
    the destination's for a client proxy, the sources' for a server proxy (`inbound`)."""

    host: str = ""
    path: str = "/"
    tls: bool = False
    peers: tuple[str, ...] = ()
    inbound: bool = False


@dataclass(frozen=True)
class ProbeRequest:
    """One probe to run: `pod` is where it runs (the target pod for listen/port-forward)."""

    probe: str
    namespace: str
    pod: str
    target: str
    container: str = ""
    l7: L7Spec = L7Spec()


@dataclass
class ProbeResult:
    """What a probe did: the exact command, raw output, exit code, duration, classification.

    `result` is one of resolved, nxdomain, connected, refused, timeout, reset, no-route,
    listening, not-listening, loopback-only, forwarded, or a mechanism failure (error,
    forbidden, no-tool, not-running) which makes the layer `unknown`, never `fail`.
    """

    request: ProbeRequest
    command: list[str]
    output: str
    result: str
    exit_code: int = 0
    duration_ms: float = 0.0
    basis: str = "probe"
    time: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The probe observed what a working path shows."""
        return self.result in OK_RESULTS

    @property
    def mechanism_failed(self) -> bool:
        """The probe itself could not run: nothing was learned about the path."""
        return self.result in MECHANISM_FAILURES

    def describe(self) -> str:
        """`$ nc -zv -w 3 10.96.0.10 8080 → refused (exit 1, 12 ms)`."""
        cmd = pasteable(self.command)
        return f"$ {cmd} → {self.result} (exit {self.exit_code}, {self.duration_ms:.0f} ms)"


class Prober(Protocol):
    """Runs probes from pods: live (exec, debug container, port-forward) or recorded."""

    basis: str

    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        """The probe's result, or None when this prober has nothing for it (recorded)."""
        ...
