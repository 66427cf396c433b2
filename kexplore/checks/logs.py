"""Recorded log tails as evidence: the lines of a container's log that say why it fails."""

from __future__ import annotations

import re

from kexplore.checks.result import Evidence
from kexplore.model.pods import Pod
from kexplore.model.recorded import RecordedLog
from kexplore.model.state import ClusterState

MAX_LINES = 3
_TELLING = re.compile(
    r"(?i)\b(fatal|panic|error|exception|fail(?:ed|ure)?|denied|refused|too many|"
    r"no such file|timed? ?out|slow|oom|killed)\b"
)


def log_evidence(state: ClusterState, pod: Pod, container: str = "") -> list[Evidence]:
    """The telling lines of the pod's recorded log (the previous run's first, as it explains a
    restart), else its last lines; nothing when the data holds no log for it."""
    logs = [
        log
        for log in state.logs
        if log.namespace == pod.namespace
        and log.pod == pod.name
        and (not container or log.container == container)
    ]
    if not logs:
        return []
    log = min(logs, key=lambda entry: not entry.previous)
    lines = [line.strip() for line in log.text.splitlines() if line.strip()]
    telling = [line for line in lines if _TELLING.search(line)]
    what = "key lines" if telling else "last lines"
    shown = "".join(f"\n  | {line}" for line in (telling or lines)[-MAX_LINES:])
    return [Evidence(_ref(log), f"{what} ({len(lines)} lines recorded){shown}")]


def _ref(log: RecordedLog) -> str:
    ref = f"log {log.namespace}/{log.pod} container {log.container}"
    return f"{ref} previous" if log.previous else ref
