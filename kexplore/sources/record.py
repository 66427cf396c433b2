"""`kexplore snapshot`: save a ClusterState as a directory that `--snapshot` reads back."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import msgspec

from kexplore import __version__
from kexplore.errors import UsageError
from kexplore.model.base import K8s
from kexplore.model.kinds import REGISTRY
from kexplore.model.state import ClusterState, meta_of
from kexplore.sources.files.recorded import MANIFEST, RECORDED_LOGS, RECORDED_PROBES

# Annotations never saved: kubectl's copy of the applied object can hold a Secret's data.
DROPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
_TYPE_OF_KEY = {info.key: (group, kind) for (group, kind), info in reversed(REGISTRY.items())}
_HEAD = b'{"apiVersion": "v1", "kind": "List", "items": [\n'
_TAIL = b"\n]}\n"


def _clean(value: Any) -> Any:
    """Builtins without nulls (the model's unset optional fields)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def object_json(key: str, obj: K8s) -> dict[str, Any]:
    """One object as the API would show it (only the fields kexplore keeps).

    Secrets keep their name, namespace and type only; managedFields are never in the model.
    """
    raw: dict[str, Any] = _clean(msgspec.to_builtins(obj))
    group, kind = _TYPE_OF_KEY.get(key, ("", key))
    raw.setdefault("kind", kind)
    raw.setdefault("apiVersion", f"{group}/v1" if group else "v1")
    meta = raw.get("metadata") or {}
    if key == "Secret":
        names = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": names,
            "type": raw.get("type", ""),
        }
    annotations = meta.get("annotations") or {}
    if DROPPED_ANNOTATIONS & set(annotations):
        meta["annotations"] = {k: v for k, v in annotations.items() if k not in DROPPED_ANNOTATIONS}
    return raw


def _file_name(key: str) -> str:
    return f"{key.lower()}.json"


def _json(doc: Any) -> bytes:
    return msgspec.json.format(msgspec.json.encode(doc), indent=1) + b"\n"


def is_archive(out: str | Path) -> bool:
    """Whether OUT names one .tar.gz (or .tgz) rather than a directory."""
    return str(out).lower().endswith(ARCHIVE_SUFFIXES)


def check_out_dir(out_dir: str | Path) -> Path:
    """Refuse an output that exists and is not an empty directory (checked before any
    download: a refusal after loading a big cluster wastes the user's minutes)."""
    out = Path(out_dir)
    if is_archive(out) and out.exists():
        raise UsageError(f"{out} exists", "pass a new .tar.gz name (it is never overwritten)")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory", "pass a new directory")
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty", "pass a new or empty directory")
    return out


def manifest(state: ClusterState, files: dict[str, int]) -> dict[str, Any]:
    """kexplore-manifest.json: where and when the data was read, and what could not be."""
    meta = state.meta
    return {
        "kexplore": __version__,
        "source": meta.source,
        "context": meta.context,
        "server_version": meta.server_version,
        "time": meta.time,
        "unreadable": dict(sorted(meta.unreadable.items())),
        "read_in": {k: sorted(v) for k, v in sorted(meta.read_in.items())},
        "forbidden_in": {k: dict(sorted(v.items())) for k, v in sorted(meta.forbidden_in.items())},
        "objects": files,
        "warnings": list(state.warnings),
    }


class KindFile:
    """One kind's JSON List, written object by object as they are read (never all of a
    kind in memory); the file is made at the first object, so an empty kind has none."""

    def __init__(self, key: str, opener: Callable[[], IO[bytes]]) -> None:
        self.key, self.count = key, 0
        self.handle: IO[bytes] | None = None
        self._opener = opener
        self._counts: dict[int, int] = {}  # count of objects at each mark

    def add(self, obj: K8s) -> None:
        """Write one object (as `object_json` shows it)."""
        if self.handle is None:
            self.handle = self._opener()
            self.handle.write(_HEAD)
        data = msgspec.json.encode(object_json(self.key, obj))
        self.handle.write(b",\n" + data if self.count else data)
        self.count += 1

    def mark(self) -> int:
        """Where the file is now (for `rewind`)."""
        position = self.handle.tell() if self.handle is not None else len(_HEAD)
        self._counts[position] = self.count
        return position

    def rewind(self, mark: int) -> None:
        """Drop what was written after `mark` (a page that is read again)."""
        if self.handle is not None:
            self.handle.seek(mark)
            self.handle.truncate()
            self.count = self._counts.get(mark, 0)

    def finish(self) -> int:
        """Close the List; returns its size in bytes (0: no object, no file)."""
        if self.handle is None:
            return 0
        self.handle.write(_TAIL)
        return self.handle.tell()


class SnapshotWriter:
    """Writes a snapshot kind by kind as each is read (a directory, or one .tar.gz); the
    output is made at the first write, so a load that fails early leaves nothing. A kind
    is written object by object (`stream`, then `finish` or `discard`)."""

    def __init__(self, out: str | Path) -> None:
        self.out = check_out_dir(out)
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()  # kinds arrive from the loading threads
        self._tar: tarfile.TarFile | None = None
        self._made = False
        self._files: dict[str, KindFile] = {}

    def kind(self, key: str, objs: Iterable[K8s]) -> None:
        """One kind's objects as a JSON List (sorted by namespace and name)."""
        out = self.stream(key)
        for obj in sorted(objs, key=lambda o: (meta_of(o).namespace, meta_of(o).name)):
            out.add(obj)
        self.finish(key)

    def stream(self, key: str) -> KindFile:
        """The file one kind's objects are written to as they are read (an ObjectSink)."""
        with self._lock:
            if key not in self._files:
                self._files[key] = KindFile(key, lambda: self._open(_file_name(key)))
            return self._files[key]

    def finish(self, key: str) -> None:
        """A kind is read: its List is closed (and put in the archive)."""
        out = self._files.get(key)
        if out is None or out.handle is None or not out.count:  # nothing kept, or rewound
            self.discard(key)
            return
        del self._files[key]
        size = out.finish()
        self.counts[key] = out.count
        if self._tar is not None:
            out.handle.seek(0)
            with self._lock:
                self._tar.addfile(self._info(_file_name(key), size), out.handle)
        out.handle.close()

    def discard(self, key: str) -> None:
        """A kind could not be read after all: what was written of it is removed."""
        out = self._files.pop(key, None)
        if out is not None and out.handle is not None:
            out.handle.close()
            if self._tar is None:
                (self.out / _file_name(key)).unlink(missing_ok=True)

    def close(self, state: ClusterState) -> Path:
        """Recorded probes and logs of `state`, and the manifest; returns OUT."""
        if state.recorded_probes:
            self._put(
                RECORDED_PROBES, _json([msgspec.to_builtins(p) for p in state.recorded_probes])
            )
        if state.logs:
            self._put(RECORDED_LOGS, _json([msgspec.to_builtins(log) for log in state.logs]))
        text = json.dumps(manifest(state, dict(sorted(self.counts.items()))), indent=1) + "\n"
        self._put(MANIFEST, text.encode())
        if self._tar is not None:
            self._tar.close()
        return self.out

    def abandon(self) -> None:
        """The load failed: remove what was written (OUT was new or empty)."""
        for out in self._files.values():
            if out.handle is not None:
                out.handle.close()
        if self._tar is not None:
            self._tar.close()
        if self._made:
            if self.out.is_dir():
                shutil.rmtree(self.out)
            else:
                self.out.unlink(missing_ok=True)

    def _make(self) -> None:
        """OUT itself, at the first write (called with the lock held)."""
        if self._made:
            return
        self._made = True
        if is_archive(self.out):
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self._tar = tarfile.open(self.out, "w:gz")  # noqa: SIM115 (closed by close/abandon)
        else:
            self.out.mkdir(parents=True, exist_ok=True)

    def _open(self, name: str) -> IO[bytes]:
        """A kind's file: in OUT, or a temporary one until it joins the archive."""
        with self._lock:
            self._make()
            if self._tar is not None:
                return tempfile.TemporaryFile()
            return (self.out / name).open("wb")

    @staticmethod
    def _info(name: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mtime = size, int(time.time())
        return info

    def _put(self, name: str, data: bytes) -> None:
        with self._lock:
            self._make()
            if self._tar is None:
                (self.out / name).write_bytes(data)
                return
            self._tar.addfile(self._info(name, len(data)), io.BytesIO(data))


def write_snapshot(state: ClusterState, out_dir: str | Path) -> Path:
    """Save `state` in `out_dir` (new or empty; or a new .tar.gz): one JSON List per kind,
    recorded probes and logs, and the manifest. Returns OUT."""
    writer = SnapshotWriter(out_dir)
    for key in sorted(state.objects):
        writer.kind(key, state.objects[key].values())
    return writer.close(state)
