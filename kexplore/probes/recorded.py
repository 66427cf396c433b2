"""A Prober that replays probe results recorded in a snapshot or bundled with the demo (and
reads a proxy's access log from the recorded container logs when no probe saved it)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from kexplore.model.recorded import RecordedLog, RecordedProbe
from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.probes.commands import logs_command
from kexplore.probes.envoy import edge_log


def _norm(target: str) -> str:
    return target.strip().lower().rstrip(".")


class RecordedProber:
    """Looks up recorded results by probe kind, pod and target; never touches a cluster."""

    basis = "recorded"

    def __init__(self, probes: list[RecordedProbe], logs: Sequence[RecordedLog] = ()) -> None:
        self._by_key: dict[tuple[str, str, str, str], RecordedProbe] = {}
        for rec in probes:
            self._by_key[(rec.probe, rec.namespace, rec.pod, _norm(rec.target))] = rec
        self._logs = {
            (log.namespace, log.pod, log.container): log for log in logs if not log.previous
        }

    def __bool__(self) -> bool:
        return bool(self._by_key) or bool(self._logs)

    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        """The recorded result for exactly this probe, pod and target, if one was saved."""
        key = (request.probe, request.namespace, request.pod, _norm(request.target))
        rec = self._by_key.get(key)
        if rec is None:
            return self._proxy_log(request) if request.probe == "envoy-log" else None
        return ProbeResult(
            request=request,
            command=list(rec.command),
            output=rec.output,
            result=rec.result,
            exit_code=rec.exit_code,
            duration_ms=rec.duration_ms,
            basis="recorded",
            time=rec.time,
        )

    def _proxy_log(self, request: ProbeRequest) -> ProbeResult | None:
        """The edge's lines of a recorded proxy log, as the live reader keeps them."""
        log = self._logs.get((request.namespace, request.pod, request.container))
        if log is None:
            return None
        output = edge_log(log.text, request.l7.peers, request.l7.host, request.l7.inbound)
        return ProbeResult(request, logs_command(request), output, "read", basis="recorded")
