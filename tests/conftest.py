"""Puts tests/ on sys.path (pytest's prepend mode) so test packages share the builders."""

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Session files of a test go to a temporary $XDG_STATE_HOME, never the user's."""
    home = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home
