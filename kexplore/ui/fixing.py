"""Fix and what-if in the TUI: `f` shows the selected edge's proposed fixes, `w` applies the
first one (or the one chosen in the fix screen) to a scratch copy and recolours the graph;
the header says the view is hypothetical, esc returns to the real data."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from kexplore.model.state import ClusterState

if TYPE_CHECKING:
    from kexplore.checks.result import Fix
    from kexplore.fixes.propose import Proposal
    from kexplore.ui.app import KexploreApp

BANNER = "WHAT-IF (hypothetical, esc returns)"


class FixScreen(ModalScreen[int | None]):
    """The fixes of one edge; `w` (or the option's number) applies one hypothetically."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f", "dismiss(None)", "close"),
        Binding("w,1", "dismiss(1)", "what-if: apply fix 1"),
        Binding("2", "dismiss(2)", "what-if: apply fix 2", show=False),
    ]

    def __init__(self, title: str, fixes: list[Fix]) -> None:
        super().__init__()
        self.title_text = title
        self.fixes = fixes

    def compose(self) -> ComposeResult:
        from kexplore.fixes.propose import NO_PATCH
        from kexplore.render.fixes_out import fixes_text

        with VerticalScroll(id="fixes"):
            yield Static(Text(self.title_text, "bold"))
            if self.fixes:
                yield Static(fixes_text(self.fixes))
                yield Static(Text("w or 1/2: apply a fix to a scratch copy · esc: close", "dim"))
            else:
                yield Static(Text(NO_PATCH))


class Fixing:
    """The app's fixes: proposals per edge, and the hypothetical state while one is applied."""

    def __init__(self, app: KexploreApp) -> None:
        self.app = app
        self.real: ClusterState | None = None  # the real data while a what-if is shown

    @property
    def active(self) -> bool:
        return self.real is not None

    def _selected(self) -> tuple[str, str] | None:
        edge = self.app.graph_view.selected_edge()
        texts = self.app.ex.edge_texts(edge.ident) if edge is not None else None
        if texts is None:
            self.app.tell("select an edge between a source and a target first")
        return texts

    def show(self) -> None:
        """`f`: the proposed fixes of the selected edge, computed in a worker."""
        texts = self._selected()
        if texts is not None:
            state = self.app.ex.state
            self.app.run_worker(lambda: self._propose(state, *texts), thread=True, group="fix")

    def apply_first(self) -> None:
        """`w`: apply the first proposed fix of the selected edge hypothetically."""
        texts = self._selected()
        if texts is not None:
            state = self.app.ex.state
            work = lambda: self._apply(state, *texts, 1)  # noqa: E731
            self.app.run_worker(work, thread=True, group="fix")

    def _proposals(self, state: ClusterState, source: str, target: str) -> list[Proposal]:
        from kexplore.checks.ladder import check_edge  # the engine: loaded after the first frame
        from kexplore.fixes.propose import CONFIG_LAYERS, propose
        from kexplore.fixes.whatif import EdgeSpec, canonical

        edge = canonical(state, EdgeSpec(source, target))
        report = check_edge(state, source, target)
        if report.failing_layer not in CONFIG_LAYERS:
            return []
        return propose(state, report, edge)

    def _propose(self, state: ClusterState, source: str, target: str) -> None:
        from kexplore.fixes.propose import fixes_of

        fixes = fixes_of(state, self._proposals(state, source, target))
        screen = FixScreen(f"fix {source} → {target}", fixes)

        def chosen(option: int | None) -> None:
            if option is not None:
                work = lambda: self._apply(state, source, target, option)  # noqa: E731
                self.app.run_worker(work, thread=True, group="fix")

        self.app.call_from_thread(self.app.push_screen, screen, chosen)

    def _apply(self, state: ClusterState, source: str, target: str, option: int) -> None:
        from kexplore.fixes.propose import NO_PATCH
        from kexplore.fixes.whatif import EdgeSpec, canonical, what_if

        proposals = self._proposals(state, source, target)
        if len(proposals) < option:
            self.app.call_from_thread(self.app.tell, NO_PATCH, severity="warning")
            return
        proposal = proposals[option - 1]
        edge = canonical(state, EdgeSpec(source, target))
        result = what_if(state, proposal.candidate.edits, edge)
        scratch = result.scratch.state
        scratch.meta.source = f"{BANNER} · {state.meta.source}"
        self.app.call_from_thread(self._install, state, scratch, result.effect())

    def _install(self, real: ClusterState, scratch: ClusterState, effect: str) -> None:
        if self.real is None:
            self.real = real
        self.app.session.hypothetical(effect)
        self.app.builder.rebuild(scratch)
        self.app.tell(effect, title="what-if", timeout=10)

    def newer(self, state: ClusterState) -> bool:
        """Live data arrived: during a what-if it is kept for esc (True), else not taken."""
        if self.real is None:
            return False
        self.real = state
        return True

    def restore(self) -> None:
        """esc during a what-if: back to the real data."""
        real, self.real = self.real, None
        if real is not None:
            self.app.session.hypothetical(None)
            self.app.builder.rebuild(real)
