"""`make bench`: run every measurement module, print ratios, write bench/results.json."""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import traceback
from types import ModuleType

from bench.common import BENCH_RESULTS, Metric, Skip, full_run

# Each module has `measures() -> list[(label, () -> Metric)]`; add yours here.
MODULES = (
    ("bench.measure_decode", "decode and memory (issue 2)"),
    ("bench.measure_load", "snapshot load and graph build (issue 2)"),
    ("bench.measure_netpol", "NetworkPolicy engine vs a naive evaluator (issue 3)"),
    ("bench.measure_tui", "TUI first paint and keypress latency (issue 4)"),
    ("bench.measure_live", "live load vs the network+parse floor (issue 6)"),
    ("bench.measure_start", "the TUI as users start it, in its own process (issue 15)"),
)


def _import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name != name:
            raise
        return None


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _show(metric: Metric) -> None:
    sign = "≤" if metric.better == "lower" else "≥"
    mark = "✓" if metric.met() else "✗ MISSED"
    value = (
        f"{metric.value:,.2f}{metric.unit}"
        if metric.unit.strip() != "B"
        else f"{metric.value:,.0f} B"
    )
    print(f"  {metric.name:<44} {value:>12}   target {sign} {metric.target:g}{metric.unit}  {mark}")
    for line in metric.notes:
        print(f"      {line}")


def run_module(name: str, title: str, results: dict[str, Metric]) -> bool:
    """Run one module's measurements into `results`; False when one of them crashed."""
    print(f"\n{title} [{name}]")
    try:
        module = _import(name)
    except Exception:
        print(f"  FAILED to import {name}:")
        print("      " + traceback.format_exc().rstrip().replace("\n", "\n      "))
        return False
    if module is None:
        print(f"  skipped: {name.replace('.', '/')}.py is not written yet")
        return True
    ok = True
    for label, fn in module.measures():
        try:
            metric = fn()
        except Skip as e:
            print(f"  skipped {label}: {e}")
            continue
        except Exception:
            print(f"  FAILED {label}:")
            print("      " + traceback.format_exc().rstrip().replace("\n", "\n      "))
            ok = False
            continue
        for m in metric if isinstance(metric, list) else [metric]:
            results[m.name] = m
            _show(m)
    return ok


def _write(results: dict[str, Metric], partial: bool) -> None:
    """results.json: replaced by a full run; a partial run updates only its own metrics."""
    out: dict[str, object] = {}
    if partial and BENCH_RESULTS.exists():
        out = json.loads(BENCH_RESULTS.read_text())
        print("(partial run: the other metrics in bench/results.json are from an earlier run)")
    out.update({k: m.as_json() for k, m in results.items()})
    BENCH_RESULTS.write_text(json.dumps(out, indent=2) + "\n")


def main(argv: list[str]) -> int:
    """`python -m bench.run [AREA ...]` (AREA: decode, load, netpol, tui, live, start; default all).

    Writes bench/results.json; exits 1 only when a measurement crashed.
    """
    areas = [n.removeprefix("bench.measure_") for n, _ in MODULES]
    unknown = [a for a in argv if a not in areas]
    if unknown:
        print(f"unknown area {', '.join(unknown)}; choose from {', '.join(areas)}")
        return 2
    modules = [(n, t) for n, t in MODULES if not argv or n.removeprefix("bench.measure_") in argv]
    print(f"kexplore benchmark — Python {platform.python_version()}, {os.cpu_count()} CPUs")
    print("Ratios are measured in this run against references on the same bytes and machine.")
    print(f"Load average at start: {_load()} (seconds-valued metrics grow on a busy machine)")
    if full_run():
        print("BENCH_FULL=1: the W3 scalability-limit workload is included.")
    else:
        print("W3 (150k pods, scalability limits) is skipped; run with BENCH_FULL=1 to include it.")
    results: dict[str, Metric] = {}
    ok = all([run_module(name, title, results) for name, title in modules])
    print(f"\nLoad average at end: {_load()}")
    _write(results, partial=len(modules) < len(MODULES))
    missed = [m.name for m in results.values() if not m.met()]
    print(f"{len(results)} metrics written to bench/results.json; {len(missed)} missed target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
