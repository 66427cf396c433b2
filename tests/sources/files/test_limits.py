"""Hostile snapshots are bounded: special files unread, sizes limited, nesting named by line."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from kexplore.cli import main
from kexplore.errors import InputError
from kexplore.inputs import MIB, TooLargeError
from kexplore.sources.files.reader import read_snapshot

POD = b"apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"


def _tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_special_files_in_a_directory_are_skipped_with_a_warning_never_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "pods.yaml").write_bytes(POD)
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.json")
    state = read_snapshot(tmp_path)
    assert [p.name for p in state.pods] == ["web"]
    assert f"{tmp_path / 'zero.yaml'}: a device, not a file: not read: skipped" in state.warnings
    assert f"{tmp_path / 'pipe.json'}: a FIFO, not a file: not read: skipped" in state.warnings


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_special_file_named_explicitly_is_an_input_error(tmp_path: Path, special: str) -> None:
    if special == "fifo":
        special = str(tmp_path / "pipe.yaml")
        os.mkfifo(special)
    with pytest.raises(InputError, match="not a file: not read"):
        read_snapshot(special)


def test_a_file_over_the_limit_is_refused_with_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(POD + b"#" * (3 * MIB))
    with pytest.raises(TooLargeError, match=r"big.yaml: 3 MiB, over the 2 MiB limit"):
        read_snapshot(tmp_path, max_bytes=2 * MIB)
    assert main(["check", "--snapshot", str(big), "--max-input-mb", "2", "shop/web", "x:1"]) == 2
    err = capsys.readouterr().err
    assert "3 MiB, over the 2 MiB limit" in err and "--max-input-mb" in err
    assert read_snapshot(big, max_bytes=4 * MIB).pods


def test_a_tar_member_that_expands_past_the_limit_stops_at_the_limit(tmp_path: Path) -> None:
    archive = _tar_gz(tmp_path / "bomb.tar.gz", {"pods.yaml": POD, "zeros.yaml": bytes(64 * MIB)})
    assert archive.stat().st_size < MIB // 4
    with pytest.raises(TooLargeError, match=r"bomb.tar.gz!zeros.yaml: 64 MiB unpacked"):
        read_snapshot(archive, max_bytes=8 * MIB)


def test_tar_members_count_against_one_running_limit(tmp_path: Path) -> None:
    members = {f"part-{i}.yaml": POD + b"#" * (MIB - 100) for i in range(5)}
    archive = _tar_gz(tmp_path / "parts.tar.gz", members)
    with pytest.raises(TooLargeError, match=r"parts.tar.gz!part-3.yaml"):
        read_snapshot(archive, max_bytes=3 * MIB + MIB // 2)
    assert len(read_snapshot(archive, max_bytes=6 * MIB).pods) == 1


def test_a_gzip_bomb_inside_a_tar_is_stopped_too(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:gz") as archive:
        info = tarfile.TarInfo("zeros.json")
        info.size = 32 * MIB
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    outer = _tar_gz(tmp_path / "outer.tar.gz", {"pods.yaml": POD, "inner.tgz": inner.getvalue()})
    with pytest.raises(TooLargeError, match=r"inner.tgz!zeros.json"):
        read_snapshot(outer, max_bytes=4 * MIB)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            b'{"kind": "Pod", "apiVersion": "v1",\n "metadata": '
            + b"[" * 5000
            + b"]" * 5000
            + b"}",
            2,
        ),
        (b'{"a": 1}\n{"kind": "Pod", "x":\n' + b'{"a":' * 3000 + b"1" + b"}" * 3001, 3),
    ],
)
def test_deeply_nested_json_names_file_and_line(tmp_path: Path, text: bytes, line: int) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(text)
    with pytest.raises(InputError, match=rf"deep.json:{line}: nested more than 500 levels deep"):
        read_snapshot(path)
