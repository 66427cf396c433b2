"""Session transcripts: JSON Lines events (versioned, redacted) and their exports."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from kexplore.checks.result import (
    Disagreement,
    EdgeReport,
    Evidence,
    Fix,
    LayerResult,
    SourceRef,
    Status,
    TargetRef,
)
from kexplore.errors import InputError

SCHEMA_VERSION = 1

_SECRET_PATTERNS = [
    re.compile(r"(?i)bearer\s+(?P<secret>[A-Za-z0-9._~+/=-]{8,})"),
    re.compile(
        r"(?i)(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)\s*[=:]\s*"
        r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
    ),
    re.compile(r"://[^:/@\s]+:(?P<secret>[^@/\s]+)@"),
    re.compile(r"(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"),
    re.compile(r"(?P<secret>AKIA[0-9A-Z]{16})"),
]


def _mask(match: re.Match[str]) -> str:
    whole, base = match.group(0), match.start(0)
    start, end = match.span("secret")
    return whole[: start - base] + "***" + whole[end - base :]


def redact(text: str) -> str:
    """Replace secret-looking values (tokens, passwords, URL credentials, JWTs) by ***."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(_mask, text)
    return text


def _redact_tree(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_tree(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_tree(v) for k, v in value.items()}
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Transcript:
    """Appends session events to a JSON Lines file; safe to call from worker threads."""

    def __init__(self, path: str | Path, *, source: str, context: str = "") -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._file: IO[str] = self.path.open("a", encoding="utf-8")
        self.record("session-start", source=source, context=context)

    def record(self, event_type: str, **fields: Any) -> None:
        """Write one event: `{"v": 1, "ts": ..., "type": ..., ...fields}` (redacted)."""
        event = {"v": SCHEMA_VERSION, "ts": _now(), "type": event_type}
        event.update(_redact_tree(fields))
        with self._lock:
            self._file.write(json.dumps(event, ensure_ascii=False) + "\n")
            self._file.flush()

    def record_check(self, report: EdgeReport) -> None:
        """A ladder run."""
        self.record("check", report=report.to_json())

    def close(self) -> None:
        """End the session."""
        self.record("session-end")
        with self._lock:
            self._file.close()


@dataclass
class Session:
    """A transcript read back: its events in order."""

    path: Path
    events: list[dict[str, Any]] = field(default_factory=list)

    def reports(self) -> list[EdgeReport]:
        """The ladders checked during the session, in order."""
        return [report_from_json(e["report"]) for e in self.events if e.get("type") == "check"]


def read_transcript(path: str | Path) -> Session:
    """Read a JSON Lines transcript; a bad line is an InputError naming file:line."""
    session = Session(Path(path))
    try:
        lines = session.path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(f"{path}: {e.strerror or e}", fix="check the path") from e
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
            if not isinstance(event, dict) or "type" not in event:
                raise ValueError("not a transcript event")
            if event.get("type") == "check":
                report_from_json(event["report"])
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}:{number}: {e}", fix="is this a kexplore transcript?") from e
        session.events.append(event)
    return session


def report_from_json(data: dict[str, Any]) -> EdgeReport:
    """An EdgeReport from its JSON form (DESIGN §2)."""
    src, tgt = data["source"], data["target"]
    layers = [
        LayerResult(
            id=r["id"],
            status=Status(r["status"]),
            summary=r["summary"],
            basis=r.get("basis", "static"),
            evidence=[
                Evidence(e["ref"], e.get("detail", ""), e.get("kind", ""))
                for e in r.get("evidence", [])
            ],
            commands=list(r.get("commands", [])),
            hint=r.get("hint"),
            explained_by=r.get("explained_by"),
            fix=[Fix(**f) for f in r.get("fix", [])],
        )
        for r in data["layers"]
    ]
    return EdgeReport(
        source=SourceRef(src["namespace"], src["kind"], src["name"], list(src.get("pods", []))),
        target=TargetRef(
            tgt["namespace"],
            tgt["kind"],
            tgt["name"],
            tgt.get("port"),
            tgt.get("protocol", "TCP"),
            tgt["dialed"],
        ),
        layers=layers,
        verdict=Status(data["verdict"]),
        failing_layer=data.get("failing_layer"),
        disagreements=[
            Disagreement(
                d["layer"],
                d["predicted"],
                d["observed"],
                tuple(d.get("explanations", ())),
                d.get("evidence", ""),
            )
            for d in data.get("disagreements", [])
        ],
    )
