"""Puts tests/ on sys.path (pytest's prepend mode) so test packages share the builders."""

from pathlib import Path

import pytest


def _private_home(
    variable: str, factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = factory.mktemp(variable.lower())
    monkeypatch.setenv(variable, str(home))
    return home


@pytest.fixture(autouse=True)
def private_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Session files of a test go to a temporary $XDG_STATE_HOME, never the user's."""
    return _private_home("XDG_STATE_HOME", tmp_path_factory, monkeypatch)


@pytest.fixture(autouse=True)
def private_config_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The settings file of a test is under a temporary $XDG_CONFIG_HOME, never the user's."""
    return _private_home("XDG_CONFIG_HOME", tmp_path_factory, monkeypatch)
