"""Issue 2 load metric: a full snapshot load plus graph build of W2 (and W3 with BENCH_FULL=1)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.common import (
    Measure,
    Metric,
    Skip,
    best_of,
    full_run,
    gc_paused,
    workload_dir,
    workload_files,
)
from bench.floor import FLOOR_TYPES, list_decoder
from bench.generate import WORKLOADS


def _loaders() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    try:
        from kexplore.sources.files.reader import read_snapshot
    except ImportError as e:
        raise Skip(f"kexplore.sources.files.reader.read_snapshot is not importable ({e})") from e
    try:
        from kexplore.graph import build_graph
    except ImportError as e:
        raise Skip(f"kexplore.graph.build_graph is not importable ({e})") from e
    return read_snapshot, build_graph


def _floor_seconds(workload: str) -> float:
    """Reading every file and decoding the kinds the floor knows, in one typed pass each."""
    directory = workload_dir(workload)
    kinds = [k for k, _ in workload_files(workload) if k.kind in FLOOR_TYPES]
    decoders = {k.kind: list_decoder(k.kind) for k in kinds}
    files = [(k.kind, directory / f"{k.file}.json") for k in kinds]
    return best_of(
        gc_paused(lambda: [decoders[kind].decode(path.read_bytes()) for kind, path in files])
    )


def load_and_graph(workload: str, target: float, rounds: int = 3) -> Metric:
    """Seconds for read_snapshot(dir) + build_graph(state), best of `rounds`, beside the floor."""
    read_snapshot, build_graph = _loaders()
    directory = workload_dir(workload)
    best = (float("inf"), 0.0, 0.0)
    state: Any = None
    for _ in range(rounds):
        state = None
        gc.collect()
        start = time.perf_counter()
        state = read_snapshot(directory)
        loaded = time.perf_counter()
        graph = build_graph(state)
        done = time.perf_counter()
        best = min(best, (done - start, loaded - start, done - loaded))
    floor = _floor_seconds(workload)
    pods = len(state.pods)
    notes = [
        f"load {best[1]:.2f} s ({best[1] / floor:.1f}× the msgspec parse floor of the same "
        f"files, {floor:.2f} s) + graph {best[2]:.2f} s = {best[0] / floor:.1f}× the floor",
        f"{pods} pods, graph of {graph.number_of_nodes()} nodes / {graph.number_of_edges()} edges;"
        f" {len(state.warnings)} load warnings",
    ]
    notes += [f"warning: {w}" for w in state.warnings[:3]]
    return Metric(f"load_and_graph_{workload}_seconds", best[0], target, "lower", " s", notes)


def measures() -> list[Measure]:
    """W2 always; W3 only under BENCH_FULL=1 (it takes minutes on two cores)."""
    out: list[Measure] = [("W2 load + graph", partial(load_and_graph, "W2", 1.0))]
    if full_run():
        out.append(("W3 load + graph", partial(_w3, 1.0)))
    return out


def _w3(w2_target: float) -> Metric:
    """W3 against the W2 target scaled by pod count (no issue sets a W3 target)."""
    target = w2_target * WORKLOADS["W3"].pods / WORKLOADS["W2"].pods
    metric = load_and_graph("W3", target, rounds=1)
    metric.notes.append(
        f"target {target:g} s = the W2 target scaled linearly by pods (not an issue's)"
    )
    return metric
