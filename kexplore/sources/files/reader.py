"""The snapshot reader: directories, YAML/JSON files, cluster-info dumps and .tar.gz, read-only."""

from __future__ import annotations

import gc
import io
import os
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from kexplore.errors import InputError
from kexplore.inputs import (
    DEFAULT_MAX_MB,
    LIMIT_FIX,
    MIB,
    TooLargeError,
    open_regular,
    read_limited,
    read_regular,
    size_text,
)
from kexplore.model.state import ClusterState, SourceMeta
from kexplore.sources.files.collect import Collector, unevaluated_warning
from kexplore.sources.files.coverage import is_dump_file, kinds_named_by, mark_coverage
from kexplore.sources.files.dump import LOG_START, read_log_file, split_log_blocks
from kexplore.sources.files.json_docs import read_json, restore_templates
from kexplore.sources.files.json_stream import stream_list_file
from kexplore.sources.files.recorded import KEXPLORE_FILES, read_kexplore_file
from kexplore.sources.files.synth import synthesize_pods
from kexplore.sources.progress import LoadProgress

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
DUMP_SUFFIXES = (".dump",)
TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")
LOG_FILE = "logs.txt"
_READ_FIX = "check that the path exists and is readable"
_TAR_FIX = "re-create it with `tar czf SNAPSHOT.tar.gz DIR`"
FREEZE_AT = 10_000  # objects loaded from which the GC is told to leave them alone

Reader = Callable[[], bytes]
# (display name, reader, named explicitly, the file on disk when it is one)
Input = tuple[str, Reader, bool, Path | None]


@dataclass
class ReadObserver:
    """Who watches a read: per-file `progress`, and `on_namespaces(state)` once, with the
    namespaces alone, as soon as they are read (namespace files are read first)."""

    progress: LoadProgress = field(default_factory=LoadProgress)
    on_namespaces: Callable[[ClusterState], None] | None = None

    def file_done(self, where: str, size: int, state: ClusterState, before: int) -> None:
        name = where.rsplit("/", 1)[-1]
        self.progress.update(name, 0, size, size)
        self.progress.done(name, sum(len(objs) for objs in state.objects.values()) - before)
        namespaces = state.objects.get("Namespace")
        if namespaces and self.on_namespaces is not None:
            first = ClusterState(state.meta)
            first.add_all(namespaces.values())
            self.on_namespaces(first)
            self.on_namespaces = None


def read_snapshot(
    path: str | Path,
    *more: str | Path,
    observer: ReadObserver | None = None,
    max_bytes: int = DEFAULT_MAX_MB * MIB,
) -> ClusterState:
    """Every Kubernetes object under `path` and `more` (directories, files, tar archives),
    merged into one state (a dump and the kinds it lacks, say).

    Raises InputError (naming file:line) for a missing or unreadable path, bad YAML/JSON
    syntax, data without any Kubernetes object, or a file (or a tar archive's members
    together) over `max_bytes`. Malformed objects, FIFOs and devices inside a directory are
    skipped and listed in `state.warnings`. Nothing is ever written to the input.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()  # decoding allocates millions of acyclic containers: GC passes only cost
    try:
        state, loaded = _read_all([path, *more], observer or ReadObserver(), max_bytes)
        if loaded >= FREEZE_AT:
            # They live as long as the session: a full collection would walk them all
            # (about a second at 20k pods), so move them out of the cyclic GC's sight.
            gc.freeze()
    finally:
        if gc_was_enabled:
            gc.enable()
    return state


def _read_all(
    paths: list[str | Path], observer: ReadObserver, limit: int
) -> tuple[ClusterState, int]:
    path = ", ".join(str(p) for p in paths)
    state = ClusterState(SourceMeta(source=f"snapshot {path}"))
    collector = Collector(state)
    dump, named = False, set()
    _announce(paths, observer.progress)
    for where, read, explicit, file in (
        item for p in paths for item in _iter_inputs(Path(p), limit)
    ):
        before = sum(len(objs) for objs in state.objects.values())
        named |= kinds_named_by(where)
        if file is not None and _streamed(file, where, collector, observer.progress, limit):
            dump = dump or is_dump_file(where, b"")
            observer.file_done(where, file.stat().st_size, state, before)
            continue
        try:
            data = read()
        except TooLargeError:
            raise
        except InputError as e:
            if explicit:
                raise
            state.warnings.append(f"{e.message}: skipped")  # a broken symlink, a FIFO
            continue
        dump = dump or is_dump_file(where, data)
        read_file(where, data, collector, explicit=explicit, limit=limit)
        observer.file_done(where, len(data), state, before)
    if collector.loaded == 0 and collector.ignored:
        raise InputError(
            f"no objects kexplore uses in {path}: {collector.ignored_summary()}",
            "add pods, services, workloads or policies (kubectl get -A -o yaml pods,svc,"
            "endpointslices,deploy,netpol)",
        )
    if collector.loaded == 0 and state.warnings:
        more = f" (and {len(state.warnings) - 1} more)" if len(state.warnings) > 1 else ""
        raise InputError(
            f"no usable Kubernetes objects in {path}: {state.warnings[0]}{more}",
            "fix the object at that line",
        )
    if collector.loaded == 0:
        raise InputError(
            f"no Kubernetes objects found in {path}",
            "point --snapshot at YAML/JSON manifests, `kubectl get -o yaml|json` output "
            "or a `kubectl cluster-info dump` directory",
        )
    restore_templates(collector)
    mark_coverage(state, dump, named, kexplore=collector.kexplore)
    collector.add_all(synthesize_pods(state))
    unevaluated = unevaluated_warning(collector.ignored)
    if unevaluated:
        state.warnings.append(unevaluated)
    return state, collector.loaded


def _streamed(
    file: Path, where: str, collector: Collector, progress: LoadProgress, limit: int
) -> bool:
    """A big JSON List file read item by item (its bytes never held whole); a FIFO or device
    is left to the whole-file path, which refuses it unread."""
    if not file.name.lower().endswith(JSON_SUFFIXES) or not file.is_file():
        return False
    name = where.rsplit("/", 1)[-1]
    total = file.stat().st_size
    if total > limit:
        size = f"{size_text(total)}, over the {size_text(limit)} limit for one input file"
        raise TooLargeError(f"{where}: {size}", LIMIT_FIX)

    def report(items: int, size: int) -> None:
        progress.update(name, items, size, total)

    return stream_list_file(file, collector, report)


def read_file(
    where: str,
    data: bytes,
    collector: Collector,
    *,
    explicit: bool = False,
    limit: int = DEFAULT_MAX_MB * MIB,
) -> None:
    """Read one file's bytes by its name (sniffing the content when the name says nothing)."""
    name = PurePosixPath(where.rsplit("!", 1)[-1]).name
    lower = name.lower()
    if lower.endswith(TAR_SUFFIXES):
        for inner, read, _, _ in _iter_tar(where, io.BytesIO(data), limit):
            read_file(inner, read(), collector, limit=limit)
    elif name in KEXPLORE_FILES:
        read_kexplore_file(name, data, where, collector)
    elif lower == LOG_FILE:
        collector.state.logs.extend(read_log_file(data))
    elif lower.endswith(YAML_SUFFIXES):
        _read_yaml(data, where, collector)
    elif lower.endswith(JSON_SUFFIXES) or _looks_like_json(data):
        read_json(data, where, collector)
    elif explicit or lower.endswith(DUMP_SUFFIXES):
        # A `cluster-info dump -o yaml` stream carries log blocks between its documents.
        logs, data = split_log_blocks(data) if LOG_START in data else ([], data)
        collector.state.logs.extend(logs)
        _read_yaml(data, where, collector)


def _read_yaml(data: bytes, where: str, collector: Collector) -> None:
    from kexplore.sources.files.yaml_docs import iter_yaml_documents  # yaml: only for YAML

    for doc in iter_yaml_documents(data, where):
        collector.add_parsed(doc.data, where, doc.line, doc.item_lines)


def _looks_like_json(data: bytes) -> bool:
    head = data[:4096].lstrip()
    return head.startswith((b"{", b"[", LOG_START))


def _iter_inputs(root: Path, limit: int) -> Iterator[Input]:
    """(display name, reader, named explicitly) for every file to read under `root`."""
    if root.is_dir():
        yield from _iter_directory(root, limit)
    elif root.exists():
        if root.name.lower().endswith(TAR_SUFFIXES):
            yield from _iter_tar_file(root, limit)
        else:
            yield str(root), _file_reader(root, limit), True, root
    else:
        raise InputError(
            f"{root}: no such file or directory",
            "give --snapshot an existing directory, file or .tar.gz",
        )


def _iter_directory(root: Path, limit: int) -> Iterator[Input]:
    """Files under a directory in a stable order, hidden entries and unknown suffixes skipped."""
    for path in _directory_files(root):
        if path.name.lower().endswith(TAR_SUFFIXES):
            yield from _iter_tar_file(path, limit)
        else:
            yield str(path), _file_reader(path, limit), False, path


def _directory_files(root: Path) -> Iterator[Path]:
    for directory, dirs, files in os.walk(root, onerror=_walk_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        # Namespaces first: the screen lists them while the rest is read.
        for name in sorted(files, key=lambda n: (not n.lower().startswith("namespace"), n)):
            if not name.startswith(".") and _is_snapshot_file(name.lower()):
                yield Path(directory) / name


def _announce(paths: list[str | Path], progress: LoadProgress) -> None:
    """The files of the directories given, each with its size, shown before any is read."""
    for root in map(Path, paths):
        for path in _directory_files(root) if root.is_dir() else ():
            if path.is_file() and not path.name.lower().endswith(TAR_SUFFIXES):
                progress.update(path.name, 0, 0, path.stat().st_size)


def _is_snapshot_file(lower: str) -> bool:
    suffixes = YAML_SUFFIXES + JSON_SUFFIXES + DUMP_SUFFIXES + TAR_SUFFIXES
    return lower.endswith(suffixes) or lower == LOG_FILE


def _walk_error(error: OSError) -> None:
    raise InputError(f"{error.filename}: cannot read: {error.strerror}", _READ_FIX) from error


def _file_reader(path: Path, limit: int) -> Reader:
    return lambda: read_regular(path, limit)


def _iter_tar_file(path: Path, limit: int) -> Iterator[Input]:
    with open_regular(path, limit) as handle:  # streamed: its members are limited as read
        yield from _iter_tar(str(path), handle, limit)


def _iter_tar(where: str, fileobj: IO[bytes], limit: int) -> Iterator[Input]:
    """Regular files of a (gzipped) tar archive, read in memory and never extracted; the
    members read add up to at most `limit` bytes (a small archive can expand to gigabytes)."""
    budget = limit
    try:
        with tarfile.open(fileobj=fileobj, mode="r:*") as archive:
            for member in archive:
                parts = PurePosixPath(member.name).parts
                if not member.isfile() or any(p.startswith(".") and p != "." for p in parts):
                    continue
                if not _is_snapshot_file(parts[-1].lower()):
                    continue
                inner = f"{where}!{member.name}"
                data = _member_bytes(archive, member, inner, budget, limit)
                budget -= len(data)
                yield inner, _bytes_reader(data), False, None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        reason = (str(e).splitlines() or [type(e).__name__])[0].rstrip(":")
        raise InputError(f"{where}: not a readable tar archive: {reason}", _TAR_FIX) from e


def _bytes_reader(data: bytes) -> Reader:
    return lambda: data


def _member_bytes(
    archive: tarfile.TarFile, member: tarfile.TarInfo, where: str, budget: int, limit: int
) -> bytes:
    """A member's bytes, refused by its declared size or as soon as more than that arrives."""
    if member.size > budget:
        raise TooLargeError(
            f"{where}: {size_text(member.size)} unpacked, over the {size_text(limit)} limit "
            "for an archive's files together",
            LIMIT_FIX,
        )
    handle = archive.extractfile(member)
    return b"" if handle is None else read_limited(handle, budget, where)
