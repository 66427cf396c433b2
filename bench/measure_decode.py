"""Issue 2 decode metrics: kexplore vs the msgspec floor, json.loads and the client; memory."""

from __future__ import annotations

import gc
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import msgspec

from bench.common import Measure, Metric, Skip, best_of, gc_paused, race, workload_dir
from bench.floor import FLOOR_TYPES, list_decoder
from bench.generate import KINDS

CLIENT_TYPES = {
    "Pod": "V1PodList",
    "Service": "V1ServiceList",
    "EndpointSlice": "V1EndpointSliceList",
    "NetworkPolicy": "V1NetworkPolicyList",
    "Namespace": "V1NamespaceList",
    "Node": "V1NodeList",
    "Deployment": "V1DeploymentList",
    "ReplicaSet": "V1ReplicaSetList",
    "DaemonSet": "V1DaemonSetList",
    "Event": "CoreV1EventList",
}
CLIENT_SAMPLE = 400  # items per kind for the official client (it is slow; same bytes for both)


def _readers() -> tuple[Callable[[Path], Any], Callable[[bytes], Any]]:
    """kexplore's snapshot reader (the measured decode) and kinds.decode_list (a reference)."""
    try:
        from kexplore.model.kinds import decode_list
        from kexplore.sources.files.reader import read_snapshot
    except ImportError as e:
        raise Skip(f"the snapshot reader or kinds.decode_list is not importable ({e})") from e
    return read_snapshot, decode_list


class _Items(msgspec.Struct):
    kind: str = ""
    api_version: str = msgspec.field(default="", name="apiVersion")
    items: list[msgspec.Raw] = []


def _sample(data: bytes, n: int) -> bytes:
    """The same List with only its first `n` items (byte-identical items)."""
    raw = msgspec.json.decode(data, type=_Items)
    head = b'{"kind":"%s","apiVersion":"%s","metadata":{},"items":[' % (
        raw.kind.encode(),
        raw.api_version.encode(),
    )
    return head + b",".join(bytes(i) for i in raw.items[:n]) + b"]}"


def _paths(workload: str) -> list[tuple[str, Path]]:
    directory = workload_dir(workload)
    return [(k.kind, directory / f"{k.file}.json") for k in KINDS if k.kind in FLOOR_TYPES]


def decode_vs_floor(workload: str) -> Metric:
    """read_snapshot of the workload's directory ÷ reading + one-pass floor decode of its files."""
    read_snapshot, decode_list = _readers()
    files = _paths(workload)
    decoders = {kind: list_decoder(kind) for kind, _ in files}
    times = race(
        {
            "floor": gc_paused(lambda: [decoders[k].decode(p.read_bytes()) for k, p in files]),
            "kexplore": lambda: read_snapshot(workload_dir(workload)),
            "decode_list": lambda: [decode_list(p.read_bytes()) for _, p in files],
        },
        repeat=2 if workload == "W2" else 4,
        clock=time.process_time,
    )
    stdlib = best_of(gc_paused(lambda: [json.loads(p.read_bytes()) for _, p in files]), 1)
    floor, ours = times["floor"], times["kexplore"]
    size = sum(p.stat().st_size for _, p in files) / 1e6
    notes = [
        f"{size:.0f} MB of List JSON in {len(files)} files; kexplore = read_snapshot(directory),"
        " the floor is timed with the GC paused; CPU time, best of interleaved rounds",
        f"reference: json.loads (GC paused) = {stdlib / floor:.2f}× the floor; "
        f"kinds.decode_list per file = {times['decode_list'] / floor:.2f}× the floor",
    ]
    return Metric(f"decode_{workload}_vs_msgspec_floor", ours / floor, 1.3, "lower", notes=notes)


def client_vs_kexplore(workload: str = "W1") -> Metric:
    """The official client's ApiClient().deserialize ÷ kexplore's snapshot read, same bytes."""
    read_snapshot, _ = _readers()
    try:
        from kubernetes.client import ApiClient
    except ImportError as e:
        raise Skip(f"the kubernetes client is not installed ({e})") from e
    api = ApiClient()
    with tempfile.TemporaryDirectory(prefix="kx-bench-") as tmp:
        samples = []
        for kind, path in _paths(workload):
            data = _sample(path.read_bytes(), CLIENT_SAMPLE)
            (Path(tmp) / path.name).write_bytes(data)
            if kind in CLIENT_TYPES:
                samples.append((CLIENT_TYPES[kind], data.decode()))
        times = race(
            {
                "client": lambda: [api.deserialize(s, t, "application/json") for t, s in samples],
                "kexplore": lambda: read_snapshot(Path(tmp)),
            },
            repeat=2,
            clock=time.process_time,
        )
    client, ours = times["client"], times["kexplore"]
    n = sum(len(msgspec.json.decode(s, type=_Items).items) for _, s in samples)
    notes = [
        f"{workload}: first {CLIENT_SAMPLE} items of {len(samples)} kinds ({n} objects); "
        "kexplore = read_snapshot of a directory of the same sampled files (Istio kinds too)"
    ]
    return Metric("client_deserialize_vs_kexplore", client / ours, 50, "higher", notes=notes)


def _floor_bytes(path: Path) -> int:
    """Bytes the floor's Structs retain after decoding the PodList at `path`."""
    data = path.read_bytes()
    decoder = list_decoder("Pod")
    gc.collect()
    tracemalloc.start()
    decoded = decoder.decode(data)
    retained, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del decoded
    return retained


def memory_per_pod(workload: str = "W2") -> Metric:
    """Peak bytes traced per pod while read_snapshot loads the PodList (tracemalloc)."""
    read_snapshot, _ = _readers()
    path = workload_dir(workload) / "pods.json"
    gc.collect()
    tracemalloc.start()
    state = read_snapshot(path)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pods, size = len(state.pods), path.stat().st_size
    del state
    floor = _floor_bytes(path) / pods
    notes = [
        f"{workload}: {pods} pods; the whole peak, file reading included (the file, "
        f"{size / pods:,.0f} B/pod, is streamed, never held whole)",
        f"retained after load {retained / pods:,.0f} B/pod; reference: the floor's minimal "
        f"Structs retain {floor:,.0f} B/pod",
    ]
    return Metric("memory_peak_bytes_per_pod", peak / pods, 2500, "lower", " B", notes)


def measures() -> list[Measure]:
    """The decode metrics of issue 2."""
    return [
        ("W1 decode vs msgspec floor", partial(decode_vs_floor, "W1")),
        ("W2 decode vs msgspec floor", partial(decode_vs_floor, "W2")),
        ("official client vs kexplore", partial(client_vs_kexplore, "W1")),
        ("memory per pod", partial(memory_per_pod, "W2")),
    ]
