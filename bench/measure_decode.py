"""Issue 2 decode metrics: kexplore vs the msgspec floor, json.loads and the client; memory."""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import msgspec

from bench.common import Measure, Metric, Skip, best_of, workload_files
from bench.floor import FLOOR_TYPES, list_decoder

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


def _decode_list() -> Callable[[bytes], Any]:
    try:
        from kexplore.model.kinds import decode_list
    except ImportError as e:
        raise Skip(f"kexplore.model.kinds.decode_list is not importable ({e})") from e
    return decode_list


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


def decode_vs_floor(workload: str) -> Metric:
    """kexplore's decode of every List of `workload` ÷ the one-pass floor decode; json.loads too."""
    decode_list = _decode_list()
    files = [(k.kind, b) for k, b in workload_files(workload) if k.kind in FLOOR_TYPES]
    decoders = {kind: list_decoder(kind) for kind, _ in files}
    floor = best_of(lambda: [decoders[kind].decode(b) for kind, b in files])
    ours = best_of(lambda: [decode_list(b) for _, b in files])
    stdlib = best_of(lambda: [json.loads(b) for _, b in files], repeat=2)
    size = sum(len(b) for _, b in files) / 1e6
    notes = [
        f"{size:.0f} MB of List JSON ({', '.join(kind for kind, _ in files)})",
        f"reference: json.loads = {stdlib / floor:.2f}× the floor; kexplore = "
        f"{ours / stdlib:.2f}× json.loads",
    ]
    return Metric(f"decode_{workload}_vs_msgspec_floor", ours / floor, 1.3, "lower", notes=notes)


def client_vs_kexplore(workload: str = "W1") -> Metric:
    """The official client's ApiClient().deserialize ÷ kexplore's decode, on the same bytes."""
    decode_list = _decode_list()
    try:
        from kubernetes.client import ApiClient
    except ImportError as e:
        raise Skip(f"the kubernetes client is not installed ({e})") from e
    api = ApiClient()
    samples = [
        (CLIENT_TYPES[k.kind], _sample(b, CLIENT_SAMPLE))
        for k, b in workload_files(workload)
        if k.kind in CLIENT_TYPES
    ]
    texts = [(t, b.decode()) for t, b in samples]
    client = best_of(lambda: [api.deserialize(s, t, "application/json") for t, s in texts], 2)
    ours = best_of(lambda: [decode_list(b) for _, b in samples])
    n = sum(len(msgspec.json.decode(b, type=_Items).items) for _, b in samples)
    notes = [f"{workload}: first {CLIENT_SAMPLE} items of {len(samples)} kinds ({n} objects)"]
    return Metric("client_deserialize_vs_kexplore", client / ours, 50, "higher", notes=notes)


def memory_per_pod(workload: str = "W2") -> Metric:
    """Peak bytes allocated per pod while decoding the PodList into the model (tracemalloc)."""
    decode_list = _decode_list()
    data = dict((k.file, b) for k, b in workload_files(workload))["pods"]
    gc.collect()
    tracemalloc.start()
    page = decode_list(data)
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pods = len(page.objects)
    notes = [f"{workload}: {pods} pods; retained after decode {retained / pods:.0f} B/pod"]
    return Metric("memory_peak_bytes_per_pod", peak / pods, 2500, "lower", "B", notes)


def measures() -> list[Measure]:
    """The decode metrics of issue 2."""
    return [
        ("W1 decode vs msgspec floor", partial(decode_vs_floor, "W1")),
        ("W2 decode vs msgspec floor", partial(decode_vs_floor, "W2")),
        ("official client vs kexplore", partial(client_vs_kexplore, "W1")),
        ("memory per pod", partial(memory_per_pod, "W2")),
    ]
