"""The settings file: found under $XDG_CONFIG_HOME or named by --config, each key taking
effect, flags winning over it, and a bad file one line naming FILE:LINE (exit 2)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kexplore.cli import main, parse_args, tui_app
from kexplore.config import KEYS, default_path


def _write(folder: Path, text: str) -> Path:
    path = folder / "kexplore" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_the_default_file_is_under_xdg_config_home(
    private_config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_path() == private_config_home / "kexplore" / "config.yaml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert default_path() == Path.home() / ".config" / "kexplore" / "config.yaml"


def test_no_file_leaves_the_built_in_defaults() -> None:
    args = parse_args(["check", "--demo", "a/b", "c:1"])
    assert (args.debug_image, args.probe_timeout, args.path, args.theme) == (None, 5.0, "/", None)
    assert args.max_input_mb == 1024


def test_each_key_fills_its_flag(private_config_home: Path) -> None:
    _write(
        private_config_home,
        "debug-image: registry.local/netshoot:1\ncapture-image: registry.local/tcpdump\n"
        "probe-timeout: 2.5\nl7-path: /healthz\ntheme: textual-light\nmax-input-mb: 7\n",
    )
    args = parse_args(["check", "--demo", "a/b", "c:1"])
    assert args.debug_image == "registry.local/netshoot:1"
    assert args.capture_image == "registry.local/tcpdump"
    assert (args.probe_timeout, args.path, args.theme, args.max_input_mb) == (
        2.5,
        "/healthz",
        "textual-light",
        7,
    )


def test_flags_win_over_the_file(private_config_home: Path) -> None:
    _write(private_config_home, "debug-image: from-file\nl7-path: /file\nprobe-timeout: 9\n")
    argv = ["check", "--demo", "a/b", "c:1", "--debug-image", "flag", "--path", "/flag"]
    args = parse_args([*argv, "--probe-timeout", "1"])
    assert (args.debug_image, args.path, args.probe_timeout) == ("flag", "/flag", 1.0)


def test_config_flag_names_another_file(tmp_path: Path, private_config_home: Path) -> None:
    _write(private_config_home, "theme: nord\n")
    other = tmp_path / "team.yaml"
    other.write_text("theme: dracula\n")
    assert parse_args(["--config", str(other), "--demo"]).theme == "dracula"
    assert parse_args(["edges", "--demo", "--config", str(other)]).theme == "dracula"
    assert parse_args(["--demo"]).theme == "nord"


def test_max_input_mb_from_the_file_bounds_a_snapshot(
    tmp_path: Path, private_config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(
        "# padding\n" * 200_000 + "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
    )
    _write(private_config_home, "max-input-mb: 1\n")
    assert main(["edges", "--snapshot", str(big)]) == 2
    assert "over the 1 MiB limit" in _one_error(capsys)
    assert main(["edges", "--snapshot", str(big), "--max-input-mb", "3"]) == 0


def test_theme_and_transcript_dir_reach_the_tui(tmp_path: Path, private_config_home: Path) -> None:
    sessions = tmp_path / "sessions"
    _write(private_config_home, f"theme: textual-light\ntranscript-dir: {sessions}\n")
    app, _ = tui_app(parse_args(["--demo"]))
    assert app.theme == "textual-light"
    assert app.transcript.path.parent == sessions
    assert stat.S_IMODE(sessions.stat().st_mode) == 0o700
    _write(private_config_home, "transcript-dir: sessions\n")  # beside the file
    app, _ = tui_app(parse_args(["--demo"]))
    assert app.transcript.path.parent == private_config_home / "kexplore" / "sessions"
    mine = tmp_path / "mine.jsonl"
    app, _ = tui_app(parse_args(["--demo", "--transcript", str(mine), "--theme", "nord"]))
    assert (app.transcript.path, app.theme) == (mine, "nord")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("theme: [unclosed\n", "config.yaml:2: "),
        ("- a list\n", "config.yaml:1: expected key: value lines"),
        ("theme: nord\nprobe-timeout: soon\n", "config.yaml:2: probe-timeout: expected a number"),
        ("probe-timeout: -1\n", "config.yaml:1: probe-timeout: expected a number > 0"),
        ("\n\nmax-input-mb: 0\n", "config.yaml:3: max-input-mb: expected a whole number >= 1"),
        ("debug-image: [a, b]\n", "config.yaml:1: debug-image: expected text"),
        ("l7-path: no slash\n", "config.yaml:1: l7-path: 'no slash' is not an HTTP path"),
        ("theme: nord\n1: x\n", "config.yaml:2: '1' is not a key name"),
        ('theme: nord\ntheme: "\x1b[31m"\n', "config.yaml:2: character #x001b is not allowed"),
    ],
)
def test_a_bad_file_is_one_line_naming_file_and_line(
    text: str, said: str, private_config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(private_config_home, text)
    assert main(["edges", "--demo"]) == 2
    err = _one_error(capsys)
    assert f"bad input: config {private_config_home}/kexplore/{said}" in err


def test_a_value_the_tui_cannot_use_names_file_and_line(
    tmp_path: Path, private_config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(private_config_home, "debug-image: x\ntheme: neon\n")
    assert main(["--demo"]) == 2
    assert "config.yaml:2: theme: no theme 'neon' (use one of " in _one_error(capsys)
    assert main(["--demo", "--theme", "neon"]) == 2
    assert "bad argument: --theme: no theme 'neon'" in _one_error(capsys)
    (tmp_path / "file").write_text("")
    _write(private_config_home, f"transcript-dir: {tmp_path / 'file'}\n")
    assert main(["--demo"]) == 2
    assert "config.yaml:1: transcript-dir: " in _one_error(capsys)


def test_a_missing_config_flag_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["edges", "--demo", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert f"config {tmp_path}/nope.yaml: cannot read" in _one_error(capsys)


def test_unknown_keys_warn_and_the_rest_applies(
    private_config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(private_config_home, "theme: nord\ndebug_image: x\n")
    args = parse_args(["--demo"])
    err = capsys.readouterr().err
    assert args.theme == "nord" and args.debug_image is None
    assert err == (
        f"warning: config {private_config_home}/kexplore/config.yaml:2: unknown key "
        "'debug_image' ignored — did you mean 'debug-image'?\n"
    )


def test_an_empty_file_is_no_settings(private_config_home: Path) -> None:
    _write(private_config_home, "# nothing yet\n")
    assert parse_args(["--demo"]).theme is None


def test_help_names_completion_and_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "kexplore completion bash" in out and "--config FILE" in out
    assert all(key in out for key in KEYS)
