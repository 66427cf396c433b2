"""The settings file's l7-path reaches the TUI's probes: the consent lists it, the HTTP
probe asks for it."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from kexplore.sources.demo import load_demo
from kexplore.ui.app import make_app
from ui.test_app_pilot import run, settle
from ui.test_probes_pilot import Factory, _screen_text, _select_edge, _until_screen


def test_the_tui_probes_ask_for_the_configured_path(tmp_path: Path) -> None:
    factory = Factory()
    shown: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await _select_edge(pilot)
        await pilot.press("p")
        shown.append(_screen_text(await _until_screen(pilot, "Probe")))
        await pilot.press("y")
        await settle(pilot)

    app = make_app(
        load_demo(),
        transcript_path=tmp_path / "s.jsonl",
        check_delay=0,
        sweep=False,
        prober_factory=factory,
        l7_path="/healthz",
    )
    run(app, scenario)
    http = [r for r in factory.made[0].requests if r.probe == "http"]
    assert http and {r.l7.path for r in http} == {"/healthz"}
    assert "/healthz" in shown[0]
