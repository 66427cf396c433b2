"""The settings file's probe keys reach the live prober of `check --probe` and of the TUI."""

from __future__ import annotations

from pathlib import Path

from fakeapi import FakeApiServer

from kexplore.cli import parse_args, tui_app
from kexplore.model.state import ClusterState
from kexplore.probes.live.prober import prober_from_args

SETTINGS = "debug-image: reg.local/debug:2\ncapture-image: reg.local/cap:1\nprobe-timeout: 1.5\n"


def _settings_file(home: Path) -> None:
    (home / "kexplore").mkdir()
    (home / "kexplore" / "config.yaml").write_text(SETTINGS)


def test_check_probe_takes_images_and_timeout_from_the_file(
    tmp_path: Path, private_config_home: Path
) -> None:
    _settings_file(private_config_home)
    with FakeApiServer() as api:
        kc = str(api.write_kubeconfig(tmp_path / "kc"))
        args = parse_args(["check", "--kubeconfig", kc, "--probe", "a/b", "c:1"])
        settings = prober_from_args(args, ClusterState()).settings
        assert (settings.debug_image, settings.capture_image) == (
            "reg.local/debug:2",
            "reg.local/cap:1",
        )
        assert settings.timeout == 1.5
        args = parse_args(["check", "--kubeconfig", kc, "a/b", "c:1", "--debug-image", "mine"])
        assert prober_from_args(args, ClusterState()).settings.debug_image == "mine"


def test_the_tui_prober_takes_them_too(tmp_path: Path, private_config_home: Path) -> None:
    _settings_file(private_config_home)
    with FakeApiServer() as api:
        kc = str(api.write_kubeconfig(tmp_path / "kc"))
        app, stop = tui_app(parse_args(["--kubeconfig", kc]))
        try:
            assert app.probing.factory is not None
            settings = app.probing.factory(lambda _: False, lambda _: None).settings
        finally:
            stop()
    assert (settings.debug_image, settings.capture_image) == (
        "reg.local/debug:2",
        "reg.local/cap:1",
    )
    assert settings.timeout == 1.5
