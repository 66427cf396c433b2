"""kexplore's own snapshot files: the manifest, recorded probe results and recorded logs."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from kexplore.model.base import K8s
from kexplore.model.recorded import RecordedLog, RecordedProbe
from kexplore.sources.files.collect import Collector
from kexplore.sources.files.json_docs import syntax_error

MANIFEST = "kexplore-manifest.json"
RECORDED_PROBES = "recorded-probes.json"
RECORDED_LOGS = "logs.json"
KEXPLORE_FILES = frozenset({MANIFEST, RECORDED_PROBES, RECORDED_LOGS})

R = TypeVar("R", bound=K8s)


def read_kexplore_file(basename: str, data: bytes, where: str, collector: Collector) -> None:
    """Read one of KEXPLORE_FILES into the collector's state."""
    if basename == MANIFEST:
        read_manifest(data, where, collector)
    elif basename == RECORDED_PROBES:
        collector.state.recorded_probes.extend(_records(data, where, RecordedProbe, collector))
    else:
        collector.state.logs.extend(_records(data, where, RecordedLog, collector))


def read_manifest(data: bytes, where: str, collector: Collector) -> None:
    """kexplore-manifest.json: context, server version, time and unreadable kinds."""
    raw = _decode(data, where)
    meta = collector.state.meta
    collector.kexplore = True
    if not isinstance(raw, dict):
        collector.state.warnings.append(f"{where}:1: manifest skipped: not a JSON object")
        return
    meta.context = _str(raw.get("context"))
    meta.server_version = _str(raw.get("server_version", raw.get("serverVersion")))
    meta.time = _str(raw.get("time"))
    unreadable = raw.get("unreadable")
    if isinstance(unreadable, dict):
        meta.unreadable.update({str(k): _str(v) for k, v in unreadable.items()})
    read_in, forbidden = raw.get("read_in"), raw.get("forbidden_in")
    if isinstance(read_in, dict):
        meta.read_in.update({str(k): [_str(n) for n in v] for k, v in read_in.items() if _list(v)})
    if isinstance(forbidden, dict):
        for kind, per_ns in forbidden.items():
            if isinstance(per_ns, dict):
                meta.forbidden_in[str(kind)] = {str(n): _str(r) for n, r in per_ns.items()}


def _records(data: bytes, where: str, struct: type[R], collector: Collector) -> list[R]:
    """A JSON array of records; a broken record is skipped with a warning."""
    raw = _decode(data, where)
    if not isinstance(raw, list):
        collector.state.warnings.append(f"{where}:1: skipped: expected a JSON array")
        return []
    out: list[R] = []
    for index, item in enumerate(raw):
        try:
            out.append(msgspec.convert(item, struct))
        except msgspec.ValidationError as e:
            collector.state.warnings.append(f"{where}: {struct.__name__} #{index + 1} skipped: {e}")
    return out


def _decode(data: bytes, where: str) -> Any:
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        raise syntax_error(where, data, 1, e) from e


def _list(value: Any) -> bool:
    return isinstance(value, list)


def _str(value: Any) -> str:
    return "" if value is None else str(value)
