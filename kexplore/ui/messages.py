"""Messages the UI's workers and live sources post to the app (small dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from kexplore.checks.result import EdgeReport, LayerResult
from kexplore.model.state import ClusterState
from kexplore.probes.base import ProbeResult
from kexplore.ui.explorer import Explorer
from kexplore.ui.graph.canvas import Canvas
from kexplore.ui.graph.scene import Scene
from kexplore.ui.navigator import Listing

CheckKey = tuple[str, str, str]


@dataclass
class LayerDone(Message):
    """One layer of a running check finished."""

    key: CheckKey
    result: LayerResult


@dataclass
class CheckDone(Message):
    """A check finished; `adhoc` carries (SOURCE, TARGET) when it was not an existing edge;
    `data` is the state it was checked on (a report on data replaced meanwhile is dropped)."""

    key: CheckKey
    report: EdgeReport
    adhoc: tuple[str, str] | None = None
    data: ClusterState | None = None


@dataclass
class CheckFailed(Message):
    """A check could not run (bad SOURCE/TARGET, an error); `text` is the one-line reason."""

    key: CheckKey
    text: str


@dataclass
class StateUpdated(Message):
    """New cluster data (posted by a live source from its watch thread)."""

    state: ClusterState


@dataclass
class Loaded(Message):
    """The background load read everything (posted from its worker)."""

    state: ClusterState


@dataclass
class ExplorerReady(Message):
    """The graph of new data is built (by a worker), with what the first screen shows of it:
    the navigator's rows, the overview and its base drawing; `generation` orders the builds;
    `failed`: why ad-hoc edges could not be checked again on the new data."""

    explorer: Explorer
    generation: int
    listing: Listing
    overview: Scene
    drawing: Canvas
    failed: list[str]


@dataclass
class ProbeDone(Message):
    """A live probe finished (posted from the probe worker's thread)."""

    result: ProbeResult


@dataclass
class SweepDone(Message):
    """The background sweep of every edge finished."""
