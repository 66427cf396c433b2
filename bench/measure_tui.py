"""Issue 4 metrics: TUI first paint and keypress-to-screen p95 on W2, beside Textual's DataTable;
issue 14: drill-down tab switches (keypress to the new tab's frame) on W2."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import Measure, Metric, Skip, workload_dir
from bench.session import frame, key

SIZE = (120, 36)
KEY_GAP = 0.03  # seconds between keys: a fast typist's pace
READY_LIMIT = 30.0  # seconds to wait for the graph before giving up
# Navigation a user does right after opening: panes, list moves, graph items, radius, back.
KEYS = (
    ["1"] + ["down"] * 12 + ["2"] + ["tab"] * 12 + ["shift+tab"] * 4
    + ["plus", "minus", "o", "escape", "3", "4", "2", "right", "left", "down", "up"]
)  # fmt: skip


# The drill-down tab keys, each tab shown three times (issue 14: a switch repaints in ≤ 100 ms).
TAB_KEYS = ["d", "m", "l", "e", "b", "c", "v"] * 3


def _tui() -> tuple[Callable[[Path], Any], Callable[..., Any]]:
    try:
        from kexplore.sources.files.reader import read_snapshot
        from kexplore.ui.app import make_app
    except ImportError as e:
        raise Skip(f"the TUI or the snapshot reader is not importable ({e})") from e
    return read_snapshot, make_app


def _state(workload: str) -> Any:
    """The workload loaded through the snapshot reader, as `kexplore --snapshot` does."""
    read_snapshot, _ = _tui()
    return read_snapshot(workload_dir(workload))


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ranked = sorted(values)
    return ranked[max(0, round(0.95 * len(ranked)) - 1)]


async def _key(pilot: Any, name: str) -> float:
    """Seconds from a key reaching the app to its final frame (see bench/session.py: not
    `pilot.press` + `pilot.pause`, which sleep until the whole process is idle)."""
    return (await key(pilot, name))[1]


async def _drive(
    app: Any, keys: list[str], ready: Callable[[Any], bool] | None = None
) -> tuple[float, float, list[float]]:
    """Seconds to the first painted frame, to `ready(app)` (the content shown; polled
    while the keys are pressed), and from each keypress to the frame showing it."""
    start = time.perf_counter()
    shown = 0.0
    async with app.run_test(size=SIZE) as pilot:
        await frame(pilot)
        first = time.perf_counter() - start
        latencies = []
        for key in keys:
            latencies.append(await _key(pilot, key))
            if not shown and (ready is None or ready(app)):
                shown = time.perf_counter() - start
            await asyncio.sleep(KEY_GAP)
        while not shown and time.perf_counter() - start < READY_LIMIT:
            await asyncio.sleep(0.01)
            shown = time.perf_counter() - start if ready is None or ready(app) else 0.0
        await pilot.pause()
    return first, shown, latencies


async def _tab_switches(app: Any) -> list[float]:
    """Once the graph is built and an object selected: each tab key to its painted frame."""
    start = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await frame(pilot)
        while not app.ex.view and time.perf_counter() - start < READY_LIMIT:
            await asyncio.sleep(0.05)
        await _key(pilot, "tab")  # the first graph item: the drill-down shows it
        await pilot.pause()
        latencies = []
        for name in TAB_KEYS:
            latencies.append(await _key(pilot, name))
            await asyncio.sleep(KEY_GAP)
        await pilot.pause()
    return latencies


def tab_switch(workload: str = "W2") -> list[Metric]:
    """Drill-down tab switch p95 of kexplore's TUI on `workload`."""
    _, make_app = _tui()
    state = _state(workload)
    with tempfile.TemporaryDirectory(prefix="kx-bench-") as tmp:
        app = make_app(state, transcript_path=Path(tmp) / "session.jsonl")
        lat = asyncio.run(_tab_switches(app))
    notes = [
        f"{len(state.pods)} pods at {SIZE[0]}×{SIZE[1]}, an object selected: the keys "
        f"{' '.join(TAB_KEYS[:7])} three times, {KEY_GAP * 1e3:.0f} ms apart, each from the "
        "key reaching the app to its final painted frame",
        f"slowest {max(lat) * 1e3:.0f} ms, median {sorted(lat)[len(lat) // 2] * 1e3:.0f} ms",
    ]
    return [Metric(f"tui_tab_switch_p95_{workload}_ms", p95(lat) * 1e3, 100, "lower", " ms", notes)]


def _datatable_app(rows: list[tuple[str, ...]]) -> Any:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class TableApp(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("NAMESPACE", "NAME", "PHASE", "IP", "NODE")
            table.add_rows(rows)
            table.focus()

    return TableApp()


def _rows(state: Any) -> list[tuple[str, ...]]:
    return [
        (p.namespace, p.name, p.status.phase, p.status.pod_ip, p.spec.node_name) for p in state.pods
    ]


def tui(workload: str = "W2") -> list[Metric]:
    """First paint and keypress p95 of kexplore's TUI on `workload`, and of a plain DataTable."""
    _, make_app = _tui()
    state = _state(workload)
    with tempfile.TemporaryDirectory(prefix="kx-bench-") as tmp:
        app = make_app(state, transcript_path=Path(tmp) / "session.jsonl")
        first, graph, lat = asyncio.run(_drive(app, KEYS, lambda a: bool(a.ex.view)))
    table_first, _, table_lat = asyncio.run(_drive(_datatable_app(_rows(state)), ["down"] * 20))
    paint_notes = [
        f"{len(state.pods)} pods at {SIZE[0]}×{SIZE[1]}: the first frame (panes, 'building the "
        f"graph…'); the graph is shown {graph:.2f} s after start (built in a worker while keys "
        f"are pressed); Textual DataTable of the same pods: first paint {table_first:.2f} s",
        "measured from run_test's start (after the snapshot is loaded) to the first frame",
    ]
    key_notes = [
        f"{len(KEYS)} keys {KEY_GAP * 1e3:.0f} ms apart from the first frame on (the graph "
        "builds meanwhile); each from the key reaching the app to its final painted frame",
        f"DataTable ↓ p95 {p95(table_lat) * 1e3:.1f} ms "
        f"(kexplore ÷ DataTable = {p95(lat) / p95(table_lat):.1f}×)",
        "slowest: "
        + ", ".join(
            f"#{i} {KEYS[i]} {t * 1e3:.0f} ms"
            for t, i in sorted(((t, i) for i, t in enumerate(lat)), reverse=True)[:4]
        ),
    ]
    return [
        Metric(f"tui_first_paint_{workload}_seconds", first, 1.0, "lower", " s", paint_notes),
        Metric(f"tui_keypress_p95_{workload}_ms", p95(lat) * 1e3, 50, "lower", " ms", key_notes),
    ]


def measures() -> list[Measure]:
    """The TUI metrics of issues 4 and 14."""
    return [("W2 TUI", partial(tui, "W2")), ("W2 tabs", partial(tab_switch, "W2"))]
