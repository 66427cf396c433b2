"""Issue 15 metrics: the TUI as users start it, in its own process — first frame, first
useful screen (namespaces listed), keys during the load and at rest (final frames), and
whole-process peak RSS; `check --snapshot` peak and time beside them."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import msgspec

from bench.common import Measure, Metric, Skip, full_run, workload_dir

MB = 1 << 20
TIMEOUT = 900.0  # seconds for one measured process
CHECK_SECONDS = 3.0  # `check` on one edge, end to end (issue 15: W3 usable)


@dataclass
class Child:
    """One measured process: its last stdout line as JSON (when it printed one), exit
    code, wall seconds from just before it started, and its own peak RSS in bytes."""

    result: dict[str, Any]
    code: int
    seconds: float
    peak_rss: int
    stderr: str


def run_child(argv: list[str], timeout: float = TIMEOUT) -> Child:
    """`python -m ARGV...` measured alone, started by bench/peak.py (a small launcher: a
    child of this big process would inherit its RSS high-water mark), which reports the
    command's own peak RSS (RUSAGE_CHILDREN would mix in every child, e.g. the replay)."""
    with tempfile.TemporaryDirectory(prefix="kx-peak-") as tmp, tempfile.TemporaryFile("w+") as err:
        peak_file = Path(tmp) / "peak"
        t0 = time.time()
        session_t0 = [str(t0)] if argv[0] == "bench.session" else []
        cmd = [sys.executable, "-m", "bench.peak", str(peak_file), sys.executable, "-m", argv[0]]
        proc = subprocess.Popen(
            [*cmd, *session_t0, *argv[1:]], stdout=subprocess.PIPE, stderr=err, text=True
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        out, _ = proc.communicate()
        killer.cancel()
        seconds = time.time() - t0
        err.seek(0)
        stderr = err.read()
        peak = int(peak_file.read_text() or 0) if peak_file.exists() else 0
    lines = out.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    return Child(result, proc.returncode, seconds, peak, stderr)


def session(args: list[str]) -> Child:
    """The TUI of `kexplore ARGS` driven by bench/session.py; raises when it failed."""
    child = run_child(["bench.session", *args])
    if child.code != 0 or "useful" not in child.result:
        tail = child.stderr.strip().splitlines()[-3:]
        raise RuntimeError(f"the TUI session failed (exit {child.code}): {' | '.join(tail)}")
    return child


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ranked = sorted(values)
    return ranked[max(0, round(0.95 * len(ranked)) - 1)] if ranked else 0.0


def _finals(result: dict[str, Any], *groups: str) -> list[float]:
    return [final for g in groups for _, final in result.get(g, [])]


def _firsts(result: dict[str, Any], *groups: str) -> list[float]:
    return [first for g in groups for first, _ in result.get(g, [])]


def tui_metrics(prefix: str, child: Child, floor: float | None = None) -> list[Metric]:
    """The metrics of one driven session (`prefix` names the source and workload)."""
    r = child.result
    during = r.get("keys_during_load", [])
    load_note = (
        f"{r['pods']} pods: first frame {r['first_frame']:.2f} s, namespaces listed "
        f"{r['useful']:.2f} s, everything loaded and drawn {r['loaded']:.2f} s after process "
        f"start (background checks on); {len(during)} keys pressed during the load, "
        f"final-frame p95 {p95([f for _, f in during]) * 1e3:.0f} ms; process CPU time (all "
        f"threads, less sensitive to the machine's load): first frame "
        f"{r.get('first_frame_cpu', 0):.2f} s, namespaces listed {r.get('useful_cpu', 0):.2f} s"
    )
    nav = _finals(r, "nav")
    out = [
        Metric(f"{prefix}_first_frame_seconds", r["first_frame"], 0.3, "lower", " s", [load_note]),
        Metric(
            f"{prefix}_peak_rss_MB",
            child.peak_rss / MB,
            1200 if "W3" in prefix else 250,
            "lower",
            " MB",
            ["whole process (its own ru_maxrss, see bench/peak.py): load, graph and every key"],
        ),
        Metric(
            f"{prefix}_nav_key_final_p95_ms",
            p95(nav) * 1e3,
            100,
            "lower",
            " ms",
            [
                f"navigator ↓/↑: first change p95 {p95(_firsts(r, 'nav')) * 1e3:.0f} ms "
                f"(target 50), graph tab/o final p95 {p95(_finals(r, 'graph')) * 1e3:.0f} ms"
            ],
        ),
        Metric(
            f"{prefix}_filter_char_final_p95_ms",
            p95(_finals(r, "filter")) * 1e3,
            50,
            "lower",
            " ms",
            [f"typing '/' then {len(r.get('filter', [])) - 1} characters in the navigator filter"],
        ),
        Metric(
            f"{prefix}_pane_switch_final_p95_ms",
            p95(_finals(r, "panes")) * 1e3,
            100,
            "lower",
            " ms",
            ["keys 1–4"],
        ),
    ]
    if floor is None:
        out.insert(
            1,
            Metric(
                f"{prefix}_useful_paint_seconds",
                r["useful"],
                1.0 if "W2" in prefix else 3.0,
                "lower",
                " s",
                ["namespaces listed and selectable"],
            ),
        )
    else:
        out.insert(
            1,
            Metric(
                f"{prefix}_useful_paint_vs_floor",
                r["useful"] / floor,
                1.25,
                "lower",
                notes=[
                    f"useful paint {r['useful']:.2f} s ÷ network+parse "
                    f"floor {floor:.2f} s (same run)"
                ],
            ),
        )
    return out


class _Ref(msgspec.Struct):
    name: str = ""
    namespace: str = ""


class _Endpoint(msgspec.Struct, rename="camel"):
    target_ref: _Ref | None = None


class _Port(msgspec.Struct):
    port: int | None = None


class _Slice(msgspec.Struct):
    metadata: dict[str, Any]
    endpoints: list[_Endpoint] | None = None
    ports: list[_Port] | None = None


class _SliceList(msgspec.Struct):
    items: list[_Slice]


def _edge(directory: Path) -> tuple[str, str]:
    """A SOURCE and TARGET of the workload: a service's first port and a pod behind it."""

    data = (directory / "endpointslices.json").read_bytes()
    for s in msgspec.json.decode(data, type=_SliceList).items[10:]:
        ref = (s.endpoints or [_Endpoint()])[0].target_ref
        service = s.metadata.get("labels", {}).get("kubernetes.io/service-name")
        if ref and service and s.ports and s.ports[0].port:
            return f"{ref.namespace}/{ref.name}", f"{ref.namespace}/svc/{service}:{s.ports[0].port}"
    raise Skip("no service with endpoints in the workload")


def check_metrics(workload: str, directory: Path) -> list[Metric]:
    """`kexplore check --snapshot` on one edge in its own process: whole-process peak RSS,
    and wall time from process start to exit (interpreter, imports, read and ladder)."""
    source, target = _edge(directory)
    child = run_child(["kexplore", "--snapshot", str(directory), "check", source, target])
    if child.code not in (0, 1):
        raise RuntimeError(f"check failed (exit {child.code}): {child.stderr.strip()[-300:]}")
    edge = f"check {source} → {target}"
    return [
        Metric(
            f"check_snapshot_{workload}_peak_rss_MB",
            child.peak_rss / MB,
            1200 if workload == "W3" else 200,
            "lower",
            " MB",
            [f"{edge}: {child.seconds:.2f} s end to end"],
        ),
        Metric(
            f"check_snapshot_{workload}_seconds",
            child.seconds,
            CHECK_SECONDS,
            "lower",
            " s",
            [f"{edge}, wall time from process start to exit (W3 target ≤ {CHECK_SECONDS:g} s)"],
        ),
    ]


def snapshot_start(workload: str) -> list[Metric]:
    """The TUI on `--snapshot` of the workload, and `check --snapshot` on one edge."""
    directory = workload_dir(workload)
    size = sum(f.stat().st_size for f in directory.iterdir()) / MB
    child = session(["--snapshot", str(directory)])
    metrics = tui_metrics(f"start_snapshot_{workload}", child)
    metrics[0].notes.append(f"snapshot of {size:.0f} MB ({workload}, API-server List JSON)")
    return [*metrics, *check_metrics(workload, directory)]


def measures() -> list[Measure]:
    """W2 always; W3 with BENCH_FULL=1."""
    out: list[Measure] = [("W2 snapshot start", partial(snapshot_start, "W2"))]
    if full_run():
        out.append(("W3 snapshot start", partial(snapshot_start, "W3")))
    return out
