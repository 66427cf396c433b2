"""Loading after the first frame: the source is read in a worker while the screen shows
what is coming (per kind: items, bytes of the total, elapsed), the namespaces as soon as
they are read, then everything; keys work all along."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from kexplore.errors import KexploreError
from kexplore.model.state import ClusterState
from kexplore.shell import strip_controls
from kexplore.sources.progress import KindProgress, LoadCancelled, LoadProgress
from kexplore.ui.messages import Loaded, StateUpdated
from kexplore.ui.style import plain

if TYPE_CHECKING:
    from kexplore.ui.app import KexploreApp

REFRESH = 0.1  # seconds between two paints of the progress
FIRST_PAINT_WAIT = 5.0  # seconds at most the read pauses for the namespaces to be shown
MB = 1 << 20
# The load: given where to report a first partial state (the namespaces), returns all.
LoadFn = Callable[[Callable[[ClusterState], None]], ClusterState]


@dataclass
class Background:
    """A source read after the first frame: `load`, its `progress`, and `then(state)` run
    on the worker once everything is read (a live session starts watching); `pause`: the
    read (one thread: a snapshot's) waits, once it has posted the namespaces, until they are
    shown, so their build does not share the GIL with the decoding of the rest."""

    load: LoadFn
    progress: LoadProgress = field(default_factory=LoadProgress)
    then: Callable[[ClusterState], None] | None = None
    pause: bool = False


def _bytes(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB else f"{size / 1024:.0f} KB"


def _size(kind: KindProgress) -> str:
    if kind.total_bytes and not kind.done:
        return f"{_bytes(kind.bytes)} of {_bytes(kind.total_bytes)}"
    return _bytes(kind.bytes)


def progress_table(progress: LoadProgress, what: str) -> Text:
    """The progress: a title line, then one row per kind, the ones still running first (one
    Text in columns: a rich Table would be laid out again at every refresh, on the UI
    thread, while the load wants the CPU)."""
    kinds = sorted(progress.kinds(), key=lambda k: (k.done, -k.bytes))
    done = sum(k.done for k in kinds)
    out = plain(f"reading {what}: {progress.elapsed():.1f} s, {done}/{len(kinds)} kinds read")
    names = [strip_controls(k.name) for k in kinds]
    name_width = max(map(len, names), default=0)
    count_width = max((len(f"{k.items:,}") for k in kinds), default=0)
    for kind, name in zip(kinds, names, strict=True):
        out.append("\n")
        out.append("✓" if kind.done else "…", "green" if kind.done else "bold")
        out.append(f"  {name.ljust(name_width)}  {kind.items:>{count_width},}  ")
        out.append(_size(kind), "dim")
    return out


class LoadStatus(Static):
    """What the load has read so far; hidden once everything is in."""

    def __init__(self, progress: LoadProgress | None, what: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.progress, self.what = progress, what
        self.display = progress is not None
        self._lines = 0  # shown: the layout is redone only when their number changes

    def on_mount(self) -> None:
        if self.progress is not None:
            self.refresh_progress()
            self.set_interval(REFRESH, self.refresh_progress)

    def refresh_progress(self) -> None:
        if self.progress is not None and self.display:
            text = progress_table(self.progress, self.what)
            lines = text.plain.count("\n")
            self.update(text, layout=lines != self._lines)
            self._lines = lines


class Loading:
    """Runs the app's background load, if any, and hands its states to the graph builder."""

    def __init__(self, app: KexploreApp, background: Background | None) -> None:
        self.app = app
        self.background = background
        self.error: KexploreError | None = None
        self.read: ClusterState | None = None  # everything, once read
        self._first: ClusterState | None = None  # the namespaces, posted before the rest
        self._painted = threading.Event()  # … and now on screen

    @property
    def active(self) -> bool:
        """Whether data is still being read."""
        return self.background is not None and not self.background.progress.finished

    @property
    def reading(self) -> bool:
        """Whether the app waits for its data (until the Loaded message is handled)."""
        return self.background is not None and self.read is None

    def kinds_read(self) -> tuple[int, int]:
        """(kinds read, kinds seen) so far."""
        kinds = self.background.progress.kinds() if self.background is not None else []
        return sum(k.done for k in kinds), len(kinds)

    def start(self) -> None:
        """Read in a daemon thread: quitting never waits for it (nor for the reading threads
        it starts, which stop at their next chunk once `stop` cancels the load)."""
        if self.background is not None:
            threading.Thread(target=self._load, name="kexplore-load", daemon=True).start()

    def stop(self) -> None:
        """The app is closing: the load stops where it is."""
        if self.background is not None:
            self.background.progress.cancel()

    def _load(self) -> None:
        """The load thread: read everything, posting the namespaces first when the source
        can (and with `pause`, waiting until they are shown: the user waits for them); a
        cancelled load posts nothing more."""
        assert self.background is not None
        app, pause = self.app, self.background.pause

        def partial(state: ClusterState) -> None:
            self._first = state
            app.post_message(StateUpdated(state))
            if pause:
                self._painted.wait(FIRST_PAINT_WAIT)

        try:
            state = self.background.load(partial)
            if self.background.progress.cancelled.is_set():
                return
            if self.background.then is not None:
                self.background.then(state)
        except LoadCancelled:
            return
        except KexploreError as e:
            self.error = e
            app.call_from_thread(app.exit, None, 1)
            return
        finally:
            self.background.progress.finish()
        app.post_message(Loaded(state))

    def shown(self, state: ClusterState) -> None:
        """The graph of `state` is on screen: a read paused for its namespaces goes on."""
        if state is self._first:
            self._painted.set()

    def loaded(self, message: Loaded) -> None:
        """Everything is read: build its graph, and run a check asked for meanwhile at
        once (it needs the data, not the graph); the progress gives way to the graph."""
        self.read = message.state
        self.app.query_one(LoadStatus).display = False
        self.app.builder.rebuild(message.state)
        self.app.checks.data_read(message.state)
