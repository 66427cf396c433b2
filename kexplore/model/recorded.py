"""Recorded probe results and logs, as saved in a snapshot or bundled with the demo."""

from __future__ import annotations

from kexplore.model.base import K8s


class RecordedProbe(K8s, frozen=True):
    """One probe run: what ran, where, its raw output and how it was classified.

    `probe` is one of dns, tcp, udp, listen, port-forward; `target` is what was dialed
    (a name, or IP:port); `result` is the classification (resolved, nxdomain, connected,
    refused, timeout, reset, no-route, listening, not-listening, loopback-only, error).
    """

    probe: str
    namespace: str
    pod: str
    target: str
    command: list[str]
    output: str
    result: str
    container: str = ""
    exit_code: int = 0
    duration_ms: float = 0.0
    time: str = ""


class RecordedLog(K8s, frozen=True):
    """The tail of one container's log."""

    namespace: str
    pod: str
    container: str
    text: str
    previous: bool = False


class SetAside(K8s, frozen=True):
    """An observation a what-if no longer trusts: recorded before an edit changed the objects
    it concerns. `kind` is the probe (tcp, dns, …), `access-log` or `events`; `said` is what
    it observed; `because` names the edit (`what-if changed service shop/search`)."""

    kind: str
    namespace: str
    pod: str
    target: str
    said: str
    because: str

    def ref(self) -> str:
        """`recorded tcp from pod shop/web-1 to 10.96.0.10:80`, as evidence references read."""
        pod = f"{self.namespace}/{self.pod}"
        if self.target:
            return f"recorded {self.kind} from pod {pod} to {self.target}"
        return f"recorded {self.kind} of pod {pod}"
