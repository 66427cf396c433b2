"""Big JSON List files are read item by item into the same ClusterState as read whole."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from bench.generate import TINY, write_cluster
from kexplore.model.state import ClusterState
from kexplore.sources.files import json_stream, reader
from kexplore.sources.files.reader import ReadObserver, read_snapshot


def read(
    path: Path, streamed: bool, monkeypatch: pytest.MonkeyPatch, taken: list[str] | None = None
) -> ClusterState:
    """The snapshot read with or without streaming; `taken`: the files streamed."""
    monkeypatch.setattr(json_stream, "STREAMED_FROM", 0 if streamed else 1 << 62)
    monkeypatch.setattr(json_stream, "CHUNK", 257)  # items cross chunk boundaries

    def spy(file: Path, *args: Any) -> bool:
        done = json_stream.stream_list_file(file, *args)
        if done and taken is not None:
            taken.append(file.name)
        return done

    monkeypatch.setattr(reader, "stream_list_file", spy)
    return read_snapshot(path)


@pytest.mark.parametrize("style", ["api", "kubectl"])
def test_streamed_files_make_the_same_state(
    tmp_path: Path, style: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_cluster(TINY, tmp_path, style)  # type: ignore[arg-type]
    taken: list[str] = []
    whole = read(tmp_path, False, monkeypatch, taken)
    assert taken == []
    streamed = read(tmp_path, True, monkeypatch, taken)
    assert {"pods.json", "services.json", "endpointslices.json"} <= set(taken)
    assert "replicasets.json" not in taken
    assert dict(streamed.objects) == dict(whole.objects)
    assert streamed.warnings == whole.warnings
    assert len(streamed.pods) == len(whole.pods) > 0


def test_a_file_with_a_broken_item_is_read_whole_for_its_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [{"metadata": {"name": "a", "namespace": "n"}}, {"metadata": {"name": 5}}]
    doc = {"kind": "PodList", "apiVersion": "v1", "items": items}
    (tmp_path / "pods.json").write_text(json.dumps(doc, indent=1))
    state = read(tmp_path, True, monkeypatch)
    assert [p.metadata.name for p in state.pods] == ["a"]
    assert len(state.warnings) == 1 and "pods.json:" in state.warnings[0]


def test_progress_counts_items_and_bytes_and_namespaces_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_cluster(TINY, tmp_path)
    monkeypatch.setattr(json_stream, "STREAMED_FROM", 0)
    firsts: list[ClusterState] = []
    observer = ReadObserver(on_namespaces=firsts.append)
    state = read_snapshot(tmp_path, observer=observer)
    kinds = {k.name: k for k in observer.progress.kinds()}
    assert kinds["pods.json"].done and kinds["pods.json"].items == len(state.pods)
    assert kinds["pods.json"].bytes == (tmp_path / "pods.json").stat().st_size
    assert next(iter(kinds)) == "namespaces.json"
    assert len(firsts) == 1 and not firsts[0].pods
    assert len(firsts[0].namespaces) == len(state.namespaces)
