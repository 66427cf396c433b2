"""Container log blocks of `kubectl cluster-info dump` (stdout and `<ns>/<pod>/logs.txt`)."""

from __future__ import annotations

import re

from kexplore.model.recorded import RecordedLog

LOG_START = b"==== START logs for container "
_START_LINE = re.compile(
    rb"==== START logs for container (\S+) of pod ([^/\s]+)/(\S+) ====[^\n]*\n?"
)
_END_LINE = b"==== END logs for container %s of pod %s/%s ===="
LOG_TAIL_CHARS = 64 * 1024  # the tail of each container log that is kept


def read_log_block(data: bytes, start: int) -> tuple[RecordedLog | None, int]:
    """The log block starting at `start` and the offset just after it.

    A START line that does not parse yields None and the offset of the next line.
    """
    match = _START_LINE.match(data, start)
    if match is None:
        newline = data.find(b"\n", start)
        return None, len(data) if newline < 0 else newline + 1
    container, namespace, pod = match.groups()
    end = data.find(_END_LINE % (container, namespace, pod), match.end())
    if end < 0:
        body, after = data[match.end() :], len(data)
    else:
        body = data[match.end() : end]
        newline = data.find(b"\n", end)
        after = len(data) if newline < 0 else newline + 1
    log = RecordedLog(
        namespace=_text(namespace),
        pod=_text(pod),
        container=_text(container),
        text=_tail(_text(body)),
    )
    return log, after


def read_log_file(data: bytes) -> list[RecordedLog]:
    """Every log block of a dump's `logs.txt` (or of a whole stdout dump)."""
    logs: list[RecordedLog] = []
    position = data.find(LOG_START)
    while position >= 0:
        log, after = read_log_block(data, position)
        if log is not None:
            logs.append(log)
        position = data.find(LOG_START, after)
    return logs


def split_log_blocks(data: bytes) -> tuple[list[RecordedLog], bytes]:
    """The log blocks of a YAML dump, and the dump with each block blanked to newlines.

    Blanking keeps every line number of the YAML that remains.
    """
    logs: list[RecordedLog] = []
    parts: list[bytes] = []
    done = 0
    position = data.find(LOG_START)
    while position >= 0:
        log, after = read_log_block(data, position)
        if log is not None:
            logs.append(log)
        parts += [data[done:position], b"\n" * data.count(b"\n", position, after)]
        done = after
        position = data.find(LOG_START, after)
    parts.append(data[done:])
    return logs, b"".join(parts)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _tail(text: str) -> str:
    """The last LOG_TAIL_CHARS characters of a log, cut at a line start."""
    if len(text) <= LOG_TAIL_CHARS:
        return text
    tail = text[-LOG_TAIL_CHARS:]
    newline = tail.find("\n")
    return tail[newline + 1 :] if newline >= 0 else tail
