"""Big JSON List files read item by item (ListStream): the file's bytes are never held whole.

Only a List whose items all decode into kinds kexplore keeps is taken this way; anything
else (a broken item, an ignored kind, ReplicaSets, which are read without their pod
templates, not JSON at all) is left to the whole-file path, which words its warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kexplore.model.kinds import DecodeProblem
from kexplore.model.list_stream import ListStream
from kexplore.model.workloads import ReplicaSet
from kexplore.sources.files.collect import Collector
from kexplore.sources.files.json_docs import guess_item_kind

CHUNK = 1 << 20
GUESS = 1 << 16  # bytes the List's item kind is guessed from
STREAMED_FROM = 4 * CHUNK  # smaller files are read whole (as fast, and their memory is small)
_NOT_STREAMED = frozenset({"", "ReplicaSet"})  # ReplicaSets: json_docs keeps them slim


def stream_list_file(path: Path, collector: Collector, report: Callable[[int, int], None]) -> bool:
    """Add a big List file's objects to `collector` as they are read; False (nothing added)
    when the file is small or not a List this path takes. `report(items, bytes)` follows."""
    try:
        size = path.stat().st_size
        handle = path.open("rb")
    except OSError:
        return False  # the whole-file path reports it
    with handle:
        first = handle.read(GUESS)
        if size < STREAMED_FROM or guess_item_kind(first) in _NOT_STREAMED:
            return False
        stream = ListStream(interner=collector.interner)
        read = 0
        chunk = first
        while chunk:
            stream.feed(chunk)
            read += len(chunk)
            report(stream.count, read)
            chunk = handle.read(CHUNK)
    try:
        page = stream.close()
    except DecodeProblem:
        return False
    if page.problems or len(page.objects) != stream.count:
        return False
    if any(isinstance(obj, ReplicaSet) for obj in page.objects):
        return False
    collector.add_all(page.objects)
    return True
