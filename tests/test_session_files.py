"""Session files are private: under the state directory, 0600, created anew, never via a symlink."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from kexplore import cli
from kexplore.errors import UsageError
from kexplore.transcript import Transcript, state_dir, write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_transcripts_are_private_unique_files_in_the_state_directory(
    private_state_home: Path,
) -> None:
    first = Transcript(None, source="demo")
    second = Transcript(None, source="demo")  # same second, same process
    first.close()
    second.close()
    assert first.path != second.path
    for path in (first.path, second.path):
        assert path.parent == private_state_home / "kexplore" == state_dir()
        assert _mode(path) == 0o600
        assert "session-start" in path.read_text()
    assert _mode(private_state_home / "kexplore") == 0o700


def test_without_xdg_state_home_the_state_directory_is_under_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_dir() == tmp_path / ".local" / "state" / "kexplore"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/dir")  # the spec ignores a relative path
    assert state_dir() == tmp_path / ".local" / "state" / "kexplore"


def test_a_transcript_never_writes_through_a_symlink_or_into_an_existing_file(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    link = tmp_path / "session.jsonl"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "created-by-attacker")
    for path in (link, victim, dangling):
        with pytest.raises(UsageError, match="--transcript"):
            Transcript(path, source="demo")
    assert victim.read_text() == "keep\n"
    assert not (tmp_path / "created-by-attacker").exists()


def test_exports_are_private_and_refuse_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    (tmp_path / "out.html").symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link"):
        write_private(tmp_path / "out.html", "<html>")
    assert victim.read_text() == "keep\n"
    old = tmp_path / "out.md"
    old.write_text("old")
    old.chmod(0o644)
    write_private(old, "# new")
    assert old.read_text() == "# new" and _mode(old) == 0o600


def test_the_tui_names_its_session_file_on_start_and_on_quit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "s.jsonl"
    ran: list[str] = []
    app = SimpleNamespace(transcript=SimpleNamespace(path=path), run=lambda: ran.append("run"))
    cli._run_app(app, lambda: ran.append("stop"))
    lines = capsys.readouterr().err.splitlines()
    assert ran == ["run", "stop"]
    assert lines == [
        f"kexplore: this session is recorded in {path}",
        f"kexplore: session saved to {path}",
    ]


def test_a_transcript_path_that_exists_is_a_usage_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "s.jsonl"
    existing.write_text("")
    assert cli.main(["--demo", "--transcript", str(existing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kexplore: bad argument: --transcript {existing}: File exists")
    assert os.path.getsize(existing) == 0


def test_appending_to_a_session_keeps_it_private_and_refuses_a_symlink(tmp_path: Path) -> None:
    first = Transcript(tmp_path / "s.jsonl", source="demo")
    first.close()
    (tmp_path / "s.jsonl").chmod(0o644)
    more = Transcript(tmp_path / "s.jsonl", source="demo", append=True)
    more.record("verify", exit=0)
    more.close()
    types = [
        line.split('"type": "')[1].split('"')[0] for line in first.path.read_text().splitlines()
    ]
    assert types == ["session-start", "session-end", "session-start", "verify", "session-end"]
    assert _mode(first.path) == 0o600
    (tmp_path / "link.jsonl").symlink_to(first.path)
    with pytest.raises(UsageError, match=r"link\.jsonl"):
        Transcript(tmp_path / "link.jsonl", source="demo", append=True)
    with pytest.raises(UsageError, match=r"missing\.jsonl"):
        Transcript(tmp_path / "missing.jsonl", source="demo", append=True)
