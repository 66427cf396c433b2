"""A Prober that replays probe results recorded in a snapshot or bundled with the demo."""

from __future__ import annotations

import threading

from kexplore.model.recorded import RecordedProbe
from kexplore.probes.base import ProbeRequest, ProbeResult


def _norm(target: str) -> str:
    return target.strip().lower().rstrip(".")


class RecordedProber:
    """Looks up recorded results by probe kind, pod and target; never touches a cluster."""

    basis = "recorded"

    def __init__(self, probes: list[RecordedProbe]) -> None:
        self._by_key: dict[tuple[str, str, str, str], RecordedProbe] = {}
        for rec in probes:
            self._by_key[(rec.probe, rec.namespace, rec.pod, _norm(rec.target))] = rec

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        """The recorded result for exactly this probe, pod and target, if one was saved."""
        key = (request.probe, request.namespace, request.pod, _norm(request.target))
        rec = self._by_key.get(key)
        if rec is None:
            return None
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
