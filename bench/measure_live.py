"""Issue 6 live metrics: loading W2 from a replaying API server (20 ms per request).

Beside kexplore's full load and first paint, the same run measures the network+parse
floor (the same list pages fetched with the same parallelism and decoded by msgspec into
minimal Structs) and, when kubectl is installed, `kubectl get` of the same kinds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import msgspec
import urllib3
import yaml

from bench.common import Measure, Metric, Skip, best_of, race, workload_dir
from bench.floor import FLOOR_TYPES, list_decoder
from bench.generate import BENCH_DIR, CACHE_DIR
from bench.live_replay import SERVED, Served
from bench.measure_start import run_child, session, tui_metrics

WORKLOAD = "W2"
LATENCY_MS = 20
WORKERS = 12  # kexplore.sources.live.load.load_state's default
KUBECTL_CACHE = CACHE_DIR / "kubectl-reference.json"  # {key: {"seconds", "timed"}}


class _Page(msgspec.Struct):
    metadata: dict[str, Any] = {}
    items: list[msgspec.Raw] = []


class _Continue(msgspec.Struct):
    metadata: dict[str, Any] = {}


class Replay:
    """The replay server as a child process, and a kubeconfig that reaches it."""

    def __init__(self, directory: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.live_replay", WORKLOAD, str(LATENCY_MS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url:
            raise Skip("the replay server did not start")
        self.sizes: dict[str, int] = json.loads(self.proc.stdout.readline())
        self.kubeconfig = directory / "kubeconfig"
        self.kubeconfig.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "replay",
                    "clusters": [{"name": "replay", "cluster": {"server": self.url}}],
                    "users": [{"name": "replay", "user": {"token": "bench"}}],
                    "contexts": [
                        {"name": "replay", "context": {"cluster": "replay", "user": "replay"}}
                    ],
                }
            )
        )

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def _floor_collection(pool: urllib3.PoolManager, url: str, served: Served) -> int:
    decoder = list_decoder(served.kind) if served.kind in FLOOR_TYPES else None
    token, count = "", 0
    while True:
        query = f"limit=500&continue={token}" if token else "limit=500&resourceVersion=0"
        data = pool.request("GET", f"{url}{served.path}?{query}").data
        if decoder is not None:
            count += len(decoder.decode(data).items)
        else:
            count += len(msgspec.json.decode(data, type=_Page).items)
        token = msgspec.json.decode(data, type=_Continue).metadata.get("continue") or ""
        if not token:
            return count


def floor(url: str) -> Callable[[], object]:
    """Every collection's pages over keep-alive HTTP, decoded into the floor Structs."""

    def run() -> object:
        pool = urllib3.PoolManager(maxsize=WORKERS)
        with ThreadPoolExecutor(WORKERS) as ex:
            return sum(ex.map(lambda s: _floor_collection(pool, url, s), SERVED))

    return run


def kexplore_load(kubeconfig: Path) -> Callable[[], object]:
    from kexplore.sources.live.source import LiveSource

    LiveSource(kubeconfig=str(kubeconfig))  # imports the client once, outside the timing
    return lambda: LiveSource(kubeconfig=str(kubeconfig)).load()


def kubectl_reference(replay: Replay, cache: Path) -> tuple[float, str] | None:
    """Seconds of `kubectl get` of every kind from the replay, and where the figure comes
    from. Minutes per run at W2, so it is timed once per key (kubectl's version, the replay's
    code, latency, workload and the bytes it serves) and kept in bench/.cache; BENCH_KUBECTL=1
    times it again."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    kinds = ",".join(s.plural + (f".{s.group}" if s.group else "") for s in SERVED)
    args = ["get", kinds, "-A", "-o", "json", "--chunk-size=500"]
    key = _kubectl_key(kubectl, args, replay.sizes)
    known = json.loads(KUBECTL_CACHE.read_text()) if KUBECTL_CACHE.is_file() else {}
    if key in known and os.environ.get("BENCH_KUBECTL") != "1":
        entry = known[key]
        return entry["seconds"], f"timed {entry['timed']}, cached (BENCH_KUBECTL=1 re-times it)"
    cmd = [kubectl, "--kubeconfig", str(replay.kubeconfig), "--cache-dir", str(cache), *args]
    seconds = best_of(lambda: subprocess.run(cmd, check=True, capture_output=True), repeat=1)
    known[key] = {"seconds": seconds, "timed": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    KUBECTL_CACHE.parent.mkdir(parents=True, exist_ok=True)
    KUBECTL_CACHE.write_text(json.dumps(known, indent=1))
    return seconds, "timed in this run"


def _kubectl_key(kubectl: str, args: list[str], sizes: dict[str, int]) -> str:
    """What kubectl's figure depends on, hashed."""
    version = subprocess.run(
        [kubectl, "version", "--client", "-o", "json"], capture_output=True, text=True
    ).stdout
    h = hashlib.sha256((BENCH_DIR / "live_replay.py").read_bytes())
    shape = [version, workload_dir(WORKLOAD).name, LATENCY_MS, args, sorted(sizes.items())]
    h.update(json.dumps(shape).encode())
    return h.hexdigest()[:16]


def live_metrics() -> list[Metric]:
    with tempfile.TemporaryDirectory() as tmp:
        replay = Replay(Path(tmp))
        try:
            contenders: dict[str, Callable[[], object]] = {
                "floor": floor(replay.url),
                "kexplore": kexplore_load(replay.kubeconfig),
            }
            best = race(contenders, repeat=3)
            kubectl = kubectl_reference(replay, Path(tmp) / "kube-cache")
            child = session(["--kubeconfig", str(replay.kubeconfig)])
            saved = snapshot_command(replay.kubeconfig, Path(tmp) / "snap")
        finally:
            replay.close()
    tui = tui_metrics(f"start_live_{WORKLOAD}", child, best["floor"])
    return [*_metrics(best, replay.sizes, kubectl), *tui, saved]


def snapshot_command(kubeconfig: Path, out: Path) -> Metric:
    """`kexplore snapshot OUT` of the replay in its own process: whole-process peak RSS."""
    child = run_child(["kexplore", "snapshot", str(out), "--kubeconfig", str(kubeconfig)])
    if child.code != 0:
        raise RuntimeError(f"snapshot failed (exit {child.code}): {child.stderr.strip()[-300:]}")
    size = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    return Metric(
        f"snapshot_live_{WORKLOAD}_peak_rss_MB",
        child.peak_rss / (1 << 20),
        200,
        "lower",
        " MB",
        [f"{size:.0f} MB written in {child.seconds:.1f} s; kinds are written as they are read"],
    )


def _metrics(
    best: dict[str, float], sizes: dict[str, int], kubectl: tuple[float, str] | None
) -> list[Metric]:
    note = (
        f"{WORKLOAD} over loopback, {LATENCY_MS} ms per request: kexplore "
        f"{best['kexplore']:.2f} s, floor {best['floor']:.2f} s; lists with resourceVersion=0 "
        f"are one unpaginated body each ({sum(sizes.values()) / 1e6:.0f} MB, pods "
        f"{sizes.get('pods', 0) / 1e6:.0f} MB)"
    )
    out = [
        Metric(
            f"live {WORKLOAD} full load ÷ network+parse floor",
            best["kexplore"] / best["floor"],
            1.25,
            "lower",
            notes=[note],
        ),
    ]
    if kubectl is not None:
        seconds, where = kubectl
        out.append(
            Metric(
                f"live {WORKLOAD} full load ÷ kubectl get -o json",
                best["kexplore"] / seconds,
                1.0,
                "lower",
                notes=[f"kubectl get (same kinds, --chunk-size=500) {seconds:.2f} s, {where}"],
            )
        )
    return out


def measures() -> list[Measure]:
    """The live load beside its floor and kubectl, and the TUI started on the replay."""
    return [("live W2", live_metrics)]
