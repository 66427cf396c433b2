"""Issue 3 metrics: policy verdicts (W2, W4) and the W2 class matrix, beside a naive evaluator."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.common import Measure, Metric, Skip, workload_dir
from bench.naive_netpol import NaiveCluster, Obj

Pair = tuple[Any, Any, Obj, Obj, str, int]


def _engine() -> tuple[Callable[..., Any], Callable[..., Any], Callable[[Any], Any]]:
    try:
        from kexplore.analysis.netpol.explain import verdict
        from kexplore.analysis.netpol.matrix import Matrix
        from kexplore.sources.files.reader import read_snapshot
    except ImportError as e:
        raise Skip(f"the NetworkPolicy engine or snapshot reader is not importable ({e})") from e
    return verdict, Matrix, read_snapshot


def _raw(workload: str, name: str) -> list[Obj]:
    items: list[Obj] = json.loads((workload_dir(workload) / f"{name}.json").read_bytes())["items"]
    return items


def _port_of(pod: Obj) -> tuple[str, int]:
    for c in pod["spec"].get("containers") or []:
        for p in c.get("ports") or []:
            return p.get("protocol", "TCP"), p["containerPort"]
    return "TCP", 80


def _pairs(state: Any, pods: list[Obj], n: int, seed: int) -> list[Pair]:
    """`n` ordered pod pairs, half of them within one namespace, at the target's first port."""
    rng = random.Random(seed)
    by_ns: dict[str, list[Obj]] = {}
    for p in pods:
        by_ns.setdefault(p["metadata"]["namespace"], []).append(p)
    out: list[Pair] = []
    while len(out) < n:
        src = rng.choice(pods)
        dst = rng.choice(by_ns[src["metadata"]["namespace"]] if len(out) % 2 else pods)
        model = [
            state.get("Pod", x["metadata"]["namespace"], x["metadata"]["name"]) for x in (src, dst)
        ]
        if None not in model:
            out.append((model[0], model[1], src, dst, *_port_of(dst)))
    return out


def verdicts(workload: str, target_ms: float, n: int) -> Metric:
    """Mean ms per engine verdict on `n` sampled pairs (after a first, cold one), beside naive."""
    verdict, _, read_snapshot = _engine()
    state = read_snapshot(workload_dir(workload))
    naive = NaiveCluster(_raw(workload, "networkpolicies"), _raw(workload, "namespaces"))
    pairs = _pairs(state, _raw(workload, "pods"), n, seed=7)
    start = time.perf_counter()
    verdict(state, pairs[0][0], pairs[0][1], pairs[0][4], pairs[0][5])
    cold = time.perf_counter() - start
    start = time.perf_counter()
    ours = [verdict(state, s, d, proto, port).allowed for s, d, _, _, proto, port in pairs]
    engine = (time.perf_counter() - start) / len(pairs)
    start = time.perf_counter()
    theirs = [naive.allowed(s, d, proto, port) for _, _, s, d, proto, port in pairs]
    slow = (time.perf_counter() - start) / len(pairs)
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True))
    notes = [
        f"{len(pairs)} pairs: engine {engine * 1e3:.3f} ms/verdict, naive per-pair evaluator "
        f"{slow * 1e3:.3f} ms (naive ÷ engine = {slow / engine:.1f}×)",
        f"first (cold) verdict {cold * 1e3:.1f} ms; {sum(ours)} allowed; engine and naive agree "
        f"on {agree}/{len(pairs)}",
    ]
    return Metric(f"netpol_verdict_{workload}_ms", engine * 1e3, target_ms, "lower", " ms", notes)


MATRIX_CAP = 60.0  # seconds; past it the enumeration stops and the value is a lower bound


def _enumerate(m: Any) -> tuple[int, bool]:
    """Allowed pairs counted until the cap; True when the enumeration finished."""
    deadline, allowed = time.perf_counter() + MATRIX_CAP, 0
    for _ in m.pairs():
        allowed += 1
        if allowed % 4096 == 0 and time.perf_counter() > deadline:
            return allowed, False
    return allowed, True


def matrix(workload: str = "W2") -> Metric:
    """Seconds to build the class matrix and enumerate every allowed pair, beside naive."""
    _, matrix_cls, read_snapshot = _engine()
    state = read_snapshot(workload_dir(workload))
    start = time.perf_counter()
    m = matrix_cls(state)
    allowed, finished = _enumerate(m)
    seconds = time.perf_counter() - start
    pods = _raw(workload, "pods")
    naive = NaiveCluster(_raw(workload, "networkpolicies"), _raw(workload, "namespaces"))
    pairs = _pairs(state, pods, 100, seed=11)
    start = time.perf_counter()
    for _, _, s, d, proto, port in pairs:
        naive.allowed(s, d, proto, port)
    per_pair = (time.perf_counter() - start) / len(pairs)
    estimate = per_pair * len(pods) ** 2
    done = "" if finished else f" before the {MATRIX_CAP:.0f} s cap stopped it (a lower bound)"
    notes = [
        f"{len(m.peers)} peers (classes + external ranges), {allowed:,} allowed class pairs{done}",
        f"naive per-pod-pair evaluator: {per_pair * 1e3:.2f} ms/pair × {len(pods)}² pairs ≈ "
        f"{estimate / 3600:.0f} h for one port (estimated from 100 pairs) = "
        f"{estimate / seconds:,.0f}× the engine",
    ]
    return Metric(f"netpol_matrix_{workload}_seconds", seconds, 10, "lower", " s", notes)


def unique_labels(workload: str = "W5", base: str = "W2") -> Metric:
    """Pod classes of W5 (a unique label on every pod) ÷ those of W2: selectors never read it."""
    _, matrix_cls, read_snapshot = _engine()
    counts = {}
    for name in (base, workload):
        state = read_snapshot(workload_dir(name))
        start = time.perf_counter()
        peers = matrix_cls(state).peers
        counts[name] = (sum(1 for p in peers if not p.external), time.perf_counter() - start)
    notes = [
        f"{base}: {counts[base][0]} pod classes; {workload}: {counts[workload][0]} "
        f"(matrix set-up {counts[workload][1]:.1f} s vs {counts[base][1]:.1f} s)"
    ]
    ratio = counts[workload][0] / counts[base][0]
    return Metric(f"netpol_classes_{workload}_vs_{base}", ratio, 1.0, "lower", notes=notes)


def measures() -> list[Measure]:
    """One verdict at W2 and W4, the W2 matrix, and W5's classes."""
    return [
        ("W2 verdict", partial(verdicts, "W2", 1.0, 300)),
        ("W4 verdict", partial(verdicts, "W4", 1000.0, 20)),
        ("W2 matrix", partial(matrix, "W2")),
        ("W5 classes", partial(unique_labels, "W5", "W2")),
    ]
