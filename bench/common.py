"""Shared pieces of the benchmark: metrics, skips, timing and the generated workloads' bytes."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bench.generate import BENCH_DIR, KINDS, KindSpec, ensure_cluster

Better = Literal["lower", "higher"]
BENCH_RESULTS = BENCH_DIR / "results.json"
# (label, function): the function returns one Metric or several measured together.
Measure = tuple[str, "Callable[[], Metric | list[Metric]]"]


class Skip(Exception):
    """A measurement that cannot run yet (its kexplore code is missing); the message says why."""


@dataclass
class Metric:
    """One result for bench/results.json, with the lines that explain how it was obtained."""

    name: str
    value: float
    target: float
    better: Better
    unit: str = "×"
    notes: list[str] = field(default_factory=list)

    def met(self) -> bool:
        """Whether the value meets its target."""
        return self.value <= self.target if self.better == "lower" else self.value >= self.target

    def as_json(self) -> dict[str, float | str]:
        """The results.json entry."""
        return {"value": round(self.value, 4), "target": self.target, "better": self.better}


def full_run() -> bool:
    """True when BENCH_FULL=1 asks for the large workloads (W3) too."""
    return os.environ.get("BENCH_FULL", "") == "1"


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """The smallest wall time of `repeat` calls of `fn`, collecting garbage before each."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def race(
    fns: dict[str, Callable[[], object]],
    repeat: int = 5,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """The smallest time of each function over `repeat` interleaved rounds.

    Interleaving makes every contender see the same machine load (the benchmark machine
    is shared), and the minimum is the least disturbed run. `clock=time.process_time`
    times CPU-bound single-threaded work without the time other processes take the CPU.
    """
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            start = clock()
            fn()
            best[name] = min(best[name], clock() - start)
    return best


def gc_paused(fn: Callable[[], object]) -> Callable[[], object]:
    """`fn` run with the cyclic garbage collector paused (how the parse floor is timed)."""

    def run() -> object:
        gc.disable()
        try:
            return fn()
        finally:
            gc.enable()

    return run


def workload_dir(name: str) -> Path:
    """The generated snapshot directory of workload `name` (API-server List JSON per kind)."""
    return ensure_cluster(name, "api")


def workload_files(name: str) -> list[tuple[KindSpec, bytes]]:
    """Every kind's List bytes of workload `name`, read into memory."""
    directory = workload_dir(name)
    return [(kind, (directory / f"{kind.file}.json").read_bytes()) for kind in KINDS]
