"""Session transcripts: JSON Lines events (versioned, redacted) and their exports."""

from __future__ import annotations

import errno
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec

from kexplore.checks.result import EdgeReport
from kexplore.errors import InputError, UsageError
from kexplore.inputs import DEFAULT_MAX_MB, MIB, read_regular
from kexplore.redact import redact

SCHEMA_VERSION = 1


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


def state_dir() -> Path:
    """Where session files live: $XDG_STATE_HOME/kexplore, else ~/.local/state/kexplore."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "kexplore"


def new_session_path(folder: Path | None = None) -> Path:
    """A fresh, unguessable session file name in `folder` (default: the state directory),
    which is made 0700 if it does not exist."""
    folder = folder or state_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"session-{stamp}-{os.getpid()}-{secrets.token_hex(4)}.jsonl"


NEW, REPLACE, APPEND = os.O_CREAT | os.O_EXCL, os.O_CREAT | os.O_TRUNC, os.O_APPEND


def open_private(path: Path, how: int) -> IO[str]:
    """A file only its owner can read (0600), never opened through a symlink: NEW creates it
    (never an existing one), REPLACE creates or truncates it, APPEND adds to an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC | how, 0o600)
    try:
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "a" if how == APPEND else "w", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, text: str) -> None:
    """Write an export: 0600, refusing a symlink at the path (ELOOP names it)."""
    try:
        out = open_private(path, REPLACE)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OSError(e.errno, "a symbolic link: refusing to write through it") from e
        raise
    with out:
        out.write(text)


class Transcript:
    """Appends session events to a private JSON Lines file; safe to call from worker threads."""

    def __init__(
        self, path: str | Path | None, *, source: str, context: str = "", append: bool = False
    ) -> None:
        """A new session file at `path` (a fresh one in the state directory when None), or,
        with `append`, more events at the end of an existing one (`kexplore verify`)."""
        self.path = Path(path) if path is not None else new_session_path()
        try:
            self._file: IO[str] = open_private(self.path, APPEND if append else NEW)
        except OSError as e:
            what = "a session file to append to" if append else "a new file"
            raise UsageError(
                f"{'' if append else '--transcript '}{self.path}: {e.strerror or e}",
                fix=f"name {what}: a session is never written through a symlink",
            ) from e
        self._lock = threading.Lock()
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


class _EventHead(msgspec.Struct):
    """The fields every transcript event has (the rest depend on its type)."""

    type: str
    ts: str = ""
    v: int = SCHEMA_VERSION


def read_transcript(path: str | Path, limit: int = DEFAULT_MAX_MB * MIB) -> Session:
    """Read a JSON Lines transcript, each event checked against its schema; a bad line is an
    InputError naming file:line."""
    session = Session(Path(path))
    try:
        text = read_regular(session.path, limit).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text: {e.reason}", fix=_NOT_A_TRANSCRIPT) from e
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            session.events.append(_event(line, f"{path}:{number}"))
    return session


_NOT_A_TRANSCRIPT = "is this a kexplore transcript?"


def _event(line: str, where: str) -> dict[str, Any]:
    """One event of a transcript, its head and (for a check) its report validated."""
    try:
        event = msgspec.json.decode(line)
        if not isinstance(event, dict):
            raise msgspec.ValidationError("an event is a JSON object")
        msgspec.convert(event, _EventHead)
        if event["type"] == "check":
            report_from_json(event.get("report"))
    except RecursionError as e:
        raise InputError(f"{where}: nested too deeply", fix=_NOT_A_TRANSCRIPT) from e
    except msgspec.MsgspecError as e:
        raise InputError(f"{where}: {e}", fix=_NOT_A_TRANSCRIPT) from e
    return event


def report_from_json(data: Any) -> EdgeReport:
    """An EdgeReport from its JSON form (DESIGN §2), every field checked against its type
    (msgspec.ValidationError names the field that is not)."""
    report: EdgeReport = msgspec.convert(data, EdgeReport)
    return report
