"""The TUI's transcript hooks: what the user did and looked at, as session events."""

from __future__ import annotations

from kexplore.checks.result import EdgeReport
from kexplore.probes.base import ProbeResult
from kexplore.transcript import Transcript


class SessionLog:
    """Names each event the TUI records, so the app says what happened, not how it is stored."""

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.what_if = False  # checks of a hypothetical state are not the session's checks

    def hypothetical(self, effect: str | None) -> None:
        """A what-if starts (its effect) or ends (None)."""
        self.what_if = effect is not None
        self.transcript.record("what-if" if effect else "what-if-end", effect=effect or "")

    def navigated(self, focus: str | None, radius: int) -> None:
        self.transcript.record("navigate", focus=focus or "overview", radius=radius)

    def selected_node(self, node: str) -> None:
        self.transcript.record("select", node=node)

    def selected_edge(self, ident: tuple[str, ...]) -> None:
        self.transcript.record("select", edge=list(ident))

    def checked(self, report: EdgeReport) -> None:
        if self.what_if:
            self.transcript.record("what-if-check", report=report.to_json())
        else:
            self.transcript.record_check(report)

    def adhoc(self, source: str, target: str) -> None:
        self.transcript.record("adhoc-check", source=source, target=target)

    def probed(self, r: ProbeResult) -> None:
        self.transcript.record(
            "probe",
            probe=r.request.probe,
            namespace=r.request.namespace,
            pod=r.request.pod,
            container=r.request.container,
            target=r.request.target,
            command=r.command,
            output=r.output,
            result=r.result,
            exit_code=r.exit_code,
            duration_ms=r.duration_ms,
        )
