"""Live probes from the TUI: the commands are shown first, nothing runs without a yes, the
debug-container confirm blocks the probe until answered, --read-only and the demo refuse."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.sources.demo import load_demo
from kexplore.ui.app import KexploreApp, make_app
from kexplore.ui.messages import CheckDone, ProbeDone
from kexplore.ui.probing import NO_CLUSTER, READ_ONLY, Confirm, OnResult, YesNoScreen
from ui.test_app_pilot import command, edge_key, run, settle

SOURCE, TARGET = "shop/deploy/frontend", "cart:8080"


class FakeProber:
    """A Prober that answers every probe as connected; optionally asks for a debug container
    first (as LiveProber does for a pod without tools)."""

    basis = "probe"

    def __init__(self, confirm: Confirm, on_result: OnResult, ask_debug: bool) -> None:
        self.confirm = confirm
        self.on_result = on_result
        self.ask_debug = ask_debug
        self.requests: list[ProbeRequest] = []
        self.consents: list[bool] = []

    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        if self.ask_debug and not self.consents:
            self.consents.append(self.confirm(f"Add a debug container to pod {request.pod}?"))
        self.requests.append(request)
        ok = {"dns": "resolved", "listen": "listening", "port-forward": "forwarded"}
        result = ProbeResult(
            request,
            ["nc", "-zv", "-w", "5", *request.target.rsplit(":", 1)],
            f"fake output for {request.target}\n",
            ok.get(request.probe, "connected"),
            exit_code=0,
            duration_ms=12.0,
        )
        self.on_result(result)
        return result


class Factory:
    """The prober_factory given to make_app; keeps the probers it made."""

    def __init__(self, ask_debug: bool = False) -> None:
        self.ask_debug = ask_debug
        self.made: list[FakeProber] = []

    def __call__(self, confirm: Confirm, on_result: OnResult) -> FakeProber:
        self.made.append(FakeProber(confirm, on_result, self.ask_debug))
        return self.made[-1]


def _app(tmp_path: Path, factory: Factory | None, read_only: bool = False) -> KexploreApp:
    return make_app(
        load_demo(),
        transcript_path=tmp_path / "s.jsonl",
        check_delay=0,
        sweep=False,
        read_only=read_only,
        prober_factory=factory,
    )


async def _select_edge(pilot: Pilot[None]) -> tuple[str, str, str]:
    app = pilot.app
    assert isinstance(app, KexploreApp)
    await command(pilot, "deploy frontend")
    key = edge_key(app, SOURCE, TARGET)
    app.graph_view.select(("edge", key))
    await settle(pilot)
    return key


def _text(widget: Static) -> str:
    """What a Static shows, as plain text (its content may be a rich Group)."""
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def _screen_text(screen: YesNoScreen) -> str:
    return "\n".join(_text(s) for s in screen.query(Static))


async def _until_screen(pilot: Pilot[None], title: str) -> YesNoScreen:
    for _ in range(200):
        screen = pilot.app.screen
        if isinstance(screen, YesNoScreen) and title in screen.title_text:
            return screen
        await pilot.pause(0.02)
    raise AssertionError(f"no {title!r} screen")


def _events(tmp_path: Path) -> list[dict[str, object]]:
    lines = (tmp_path / "s.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_probe_lists_the_commands_and_runs_nothing_without_yes(tmp_path: Path) -> None:
    factory = Factory()

    async def scenario(pilot: Pilot[None]) -> None:
        await _select_edge(pilot)
        await pilot.press("p")
        screen = await _until_screen(pilot, "Probe")
        text = _screen_text(screen)
        assert "$ kubectl exec --namespace shop" in text  # the exact commands, kubectl form
        assert "pod/frontend-" in text
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, YesNoScreen)

    posted = run(_app(tmp_path, factory), scenario)
    assert [p.requests for p in factory.made] == [[]]  # made to plan; never ran a probe
    assert not [m for m in posted if isinstance(m, ProbeDone)]
    consent = [e for e in _events(tmp_path) if e["type"] == "probe-consent"]
    assert consent and consent[0]["agreed"] is False


def test_probe_on_yes_runs_the_ladder_and_shows_command_output_exit_and_duration(
    tmp_path: Path,
) -> None:
    factory = Factory()

    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        key = await _select_edge(pilot)
        await pilot.press("p")
        await _until_screen(pilot, "Probe")
        await pilot.press("y")
        await settle(pilot)
        assert app.drill.active_tab == "probes"
        shown = _text(app.drill.query_one("#drill-probes", Static))
        assert "live tcp from shop/frontend-" in shown
        assert "$ kubectl exec" in shown and "nc -zv -w 5" in shown
        assert "exit 0, 12 ms" in shown and "fake output for" in shown
        assert app.ladder.report is not None and app.checks.current == key
        reach = next(r for r in app.ladder.report.layers if r.id == "reachability")
        assert reach.basis == "probe"

    posted = run(_app(tmp_path, factory), scenario)
    ran = factory.made[0].requests
    assert ran and {r.probe for r in ran} >= {"tcp"}
    done = [m.result for m in posted if isinstance(m, ProbeDone)]
    assert [r.request for r in done] == ran
    assert any(isinstance(m, CheckDone) for m in posted)
    probes = [e for e in _events(tmp_path) if e["type"] == "probe"]
    assert len(probes) == len(ran)
    assert probes[0]["command"] and probes[0]["exit_code"] == 0
    assert probes[0]["output"] and probes[0]["duration_ms"] == 12.0


def test_debug_container_confirm_blocks_the_probe_until_answered(tmp_path: Path) -> None:
    factory = Factory(ask_debug=True)

    async def scenario(pilot: Pilot[None]) -> None:
        await _select_edge(pilot)
        await pilot.press("p")
        await _until_screen(pilot, "Probe")
        await pilot.press("y")
        screen = await _until_screen(pilot, "debug container")
        assert "cannot be removed from the pod" in _screen_text(screen)
        assert factory.made[0].requests == []  # the worker waits on the answer
        await pilot.press("n")
        await settle(pilot)

    run(_app(tmp_path, factory), scenario)
    prober = factory.made[0]
    assert prober.consents == [False]
    assert prober.requests  # the probes went on (a declined container is the prober's to report)
    consent = [e for e in _events(tmp_path) if e["type"] == "debug-consent"]
    assert consent and consent[0]["agreed"] is False


def test_read_only_forbids_probes(tmp_path: Path) -> None:
    factory = Factory()

    async def scenario(pilot: Pilot[None]) -> None:
        await _select_edge(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, YesNoScreen)
        notes = [n.message for n in pilot.app._notifications]
        assert READ_ONLY in notes

    run(_app(tmp_path, factory, read_only=True), scenario)
    assert factory.made == []


def test_demo_has_no_cluster_to_probe_and_opens_the_probes_tab(tmp_path: Path) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, KexploreApp)
        await _select_edge(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert not isinstance(app.screen, YesNoScreen)
        assert NO_CLUSTER in [n.message for n in app._notifications]
        assert app.drill.active_tab == "probes"
        await command(pilot, "ns shop")
        app.action_probe()
        await pilot.pause()
        assert "select an edge" in [n.message for n in app._notifications][-1]

    run(_app(tmp_path, None), scenario)
