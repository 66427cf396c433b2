"""Fixtures for the TUI tests: the demo app; no real clipboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from kexplore.sources.demo import load_demo
from kexplore.ui import commands
from kexplore.ui.app import KexploreApp, make_app


@pytest.fixture(autouse=True)
def no_clipboard_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    """`y` must not reach a real clipboard during tests: OSC 52 (recorded by the app) only."""
    monkeypatch.setattr(commands, "CLIPBOARD_TOOLS", ())


@pytest.fixture
def demo_app(tmp_path: Path) -> KexploreApp:
    return make_app(load_demo(), transcript_path=tmp_path / "session.jsonl", check_delay=0)
