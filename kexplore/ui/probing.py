"""Live probes from the TUI: the commands shown before consent, the prober made once per
session, and the debug-container confirm asked from the probe worker's thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import get_current_worker

from kexplore.errors import KexploreError
from kexplore.probes.base import Prober, ProbeResult
from kexplore.shell import pasteable
from kexplore.ui.checking import ladder_ids
from kexplore.ui.messages import CheckKey, ProbeDone
from kexplore.ui.style import plain

if TYPE_CHECKING:
    from kexplore.ui.app import KexploreApp

Confirm = Callable[[str], bool]
OnResult = Callable[[ProbeResult], None]
# Makes the session's prober from the TUI's debug-container confirm and result callback.
ProberFactory = Callable[[Confirm, OnResult], Prober]

READ_ONLY = "--read-only: probes are forbidden in this session; nothing runs"
NO_CLUSTER = (
    "no live cluster: this data's recorded probes are already in the probes tab "
    "(4, then probes); nothing runs"
)
WAIT_STEP = 0.2  # seconds between looks at the worker's cancellation while a confirm is open


class YesNoScreen(ModalScreen[bool]):
    """A question answered only by an explicit yes (y, or enter on nothing else); n/esc: no."""

    BINDINGS = [
        Binding("y", "dismiss(True)", "yes, run"),
        Binding("n,escape,q", "dismiss(False)", "no"),
    ]

    def __init__(self, title: str, body: list[Text], question: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="consent"):
            yield Static(Text(self.title_text, "bold"))
            with VerticalScroll():
                for line in self.body:
                    yield Static(line)
            yield Static(Text(self.question, "bold reverse"), id="consent-question")


def probe_screen(source: str, target: str, commands: list[list[str]]) -> YesNoScreen:
    """The consent for one edge's probes: every command exactly as it would run."""
    lines = [plain(f"$ {pasteable(argv)}") for argv in commands]
    if not commands:
        lines = [Text("this edge asks for no probe (nothing to dial from a running pod)")]
    return YesNoScreen(
        f"Probe {source} → {target}: these commands run in the cluster",
        lines,
        f"run {len(commands)} command(s) in the cluster? y yes · n no",
    )


def debug_screen(message: str) -> YesNoScreen:
    """The consent for an ephemeral debug container, which can never be removed."""
    return YesNoScreen(
        "A probe needs a debug container",
        [
            plain(message),
            Text("It cannot be removed from the pod: only deleting the pod removes it.", "bold"),
        ],
        "add the debug container? y yes · n no",
    )


class Probing:
    """The session's consent, prober and plan; the ladder itself runs in the app's worker."""

    def __init__(self, app: KexploreApp, factory: ProberFactory | None, read_only: bool) -> None:
        self.app = app
        self.factory = factory
        self.read_only = read_only
        self._prober: Prober | None = None

    def refusal(self) -> str:
        """Why this session runs no probe ("" when it may)."""
        if self.read_only:
            return READ_ONLY
        return NO_CLUSTER if self.factory is None else ""

    def prober(self) -> Prober:
        """The session's prober, made on first use (tool detection stays cached in it)."""
        if self._prober is None:
            assert self.factory is not None
            self._prober = self.factory(self.confirm, self.result)
        return self._prober

    def plan(self, source: str, target: str) -> list[list[str]]:
        """The commands the edge's probes would run (argv, kubectl form); nothing runs."""
        state = self.app.ex.state
        prober = self.prober()
        from kexplore.checks.edge import parse_target, resolve_source
        from kexplore.checks.probe_plan import plan_edge
        from kexplore.probes.live.prober import LiveProber  # only here: a live session loaded it

        planner = prober if isinstance(prober, LiveProber) else None
        source_spec = resolve_source(state, source, "")
        target_spec = parse_target(target, "TCP", None)
        return plan_edge(state, source_spec, target_spec, planner, path=self.app.l7_path)

    def ask(self, key: CheckKey, source: str, target: str) -> None:
        """Show the exact commands; only an explicit yes runs them."""
        try:
            commands = self.plan(source, target)
        except KexploreError as e:
            self.app.tell(e.one_line(), severity="error")
            return
        self.app.transcript.record("probe-plan", source=source, target=target, commands=commands)

        def answered(yes: bool | None) -> None:
            self.app.transcript.record(
                "probe-consent", source=source, target=target, agreed=bool(yes)
            )
            if yes:
                self.start(key, source, target)

        self.app.push_screen(probe_screen(source, target, commands), answered)

    def start(self, key: CheckKey, source: str, target: str) -> None:
        """Run the edge's ladder again with the live prober; its results stream to the
        probes tab as each probe ends."""
        app = self.app
        app.checks.current = key
        app.ex.reports.pop(key, None)
        app.ladder.start(plain(f"{source} → {target} (probing)", "bold"), ladder_ids())
        app.checks.run(key, source, target, adhoc=False, prober=self.prober)

    def running(self) -> bool:
        """Is a probe ladder running in the cluster now?"""
        return any(w.group == "probe" and w.is_running for w in self.app.workers)

    def result(self, result: ProbeResult) -> None:
        """ProbeSettings.on_result: called in the probe worker's thread as each probe ends."""
        self.app.post_message(ProbeDone(result))

    def done(self, message: ProbeDone) -> None:
        self.app.session.probed(message.result)
        self.app.drill.show_live_probe(message.result)

    def confirm(self, message: str) -> bool:
        """ProbeSettings.confirm: called in the probe worker's thread; blocks it until the
        user answers the modal (a cancelled worker or a closing app counts as no)."""
        worker = get_current_worker()
        answered = threading.Event()
        answer: list[bool] = []

        def done(yes: bool | None) -> None:
            answer.append(bool(yes))
            answered.set()

        try:
            self.app.call_from_thread(self.app.push_screen, debug_screen(message), done)
        except RuntimeError:  # the app is closing
            return False
        while not answered.wait(WAIT_STEP):
            if worker.is_cancelled or not self.app.is_running:
                return False
        self.app.transcript.record("debug-consent", message=message, agreed=answer[0])
        return answer[0]
