"""Deterministic benchmark clusters W1–W5 (DESIGN §8) as raw Kubernetes List JSON, cached."""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

import msgspec

from bench import objects, objects_apps, objects_net, objects_policy
from bench.objects import Obj, Versions
from bench.plan import ClusterPlan, WorkloadSpec, build_plan

Style = Literal["api", "kubectl"]
BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"

W2 = WorkloadSpec(
    "W2",
    pods=20_000,
    services=5_000,
    policies=2_000,
    namespaces=500,
    nodes=1_000,
    events=10_000,
    peer_authentications=200,
    destination_rules=500,
)
WORKLOADS: dict[str, WorkloadSpec] = {
    "W1": WorkloadSpec(
        "W1", pods=5_000, services=1_000, policies=300, namespaces=50, nodes=100, events=1_000
    ),
    "W2": W2,
    "W3": WorkloadSpec(
        "W3", pods=150_000, services=10_000, policies=10_000, namespaces=10_000, nodes=5_000
    ),
    "W4": WorkloadSpec(
        "W4",
        pods=10_000,
        services=100,
        policies=10_000,
        namespaces=1,
        nodes=100,
        select_all_policies=True,
        system=False,
    ),
    "W5": replace(W2, name="W5", unique_pod_labels=True),
}
TINY = WorkloadSpec(
    "tiny",
    pods=60,
    services=10,
    policies=24,
    namespaces=4,
    nodes=5,
    events=10,
    peer_authentications=3,
    destination_rules=3,
)


@dataclass(frozen=True)
class KindSpec:
    """One kind the generator writes: its file stem, apiVersion, kind and object builder."""

    file: str
    api_version: str
    kind: str
    build: Callable[[ClusterPlan, Versions, random.Random], Iterator[Obj]]


KINDS: tuple[KindSpec, ...] = (
    KindSpec("namespaces", "v1", "Namespace", objects.namespaces),
    KindSpec("nodes", "v1", "Node", objects.nodes),
    KindSpec("pods", "v1", "Pod", objects.pods),
    KindSpec("services", "v1", "Service", objects_net.services),
    KindSpec("endpointslices", "discovery.k8s.io/v1", "EndpointSlice", objects_net.endpointslices),
    KindSpec(
        "networkpolicies", "networking.k8s.io/v1", "NetworkPolicy", objects_policy.networkpolicies
    ),
    KindSpec("deployments", "apps/v1", "Deployment", objects_apps.deployments),
    KindSpec("replicasets", "apps/v1", "ReplicaSet", objects_apps.replicasets),
    KindSpec("daemonsets", "apps/v1", "DaemonSet", objects_apps.daemonsets),
    KindSpec("events", "v1", "Event", objects_apps.events),
    KindSpec(
        "peerauthentications",
        "security.istio.io/v1",
        "PeerAuthentication",
        objects_net.peer_authentications,
    ),
    KindSpec(
        "destinationrules",
        "networking.istio.io/v1",
        "DestinationRule",
        objects_net.destination_rules,
    ),
)


def iter_items(plan: ClusterPlan, kind: KindSpec, rv: Versions) -> Iterator[Obj]:
    """The objects of one kind, in API-server form (no per-item apiVersion/kind)."""
    rng = random.Random(f"{plan.spec.seed}:{kind.kind}")
    return kind.build(plan, rv, rng)


def write_list(
    out: IO[bytes], kind: KindSpec, items: Iterator[Obj], rv: Versions, style: Style
) -> int:
    """Stream one List document to `out`; returns the number of items written.

    "api" is what the API server returns to a list call (compact, `PodList`, items without
    apiVersion/kind); "kubectl" is `kubectl get -o json` (sorted keys, 4-space indent,
    `List` of items that carry apiVersion and kind).
    """
    enc = msgspec.json.Encoder(order="sorted" if style == "kubectl" else None)
    if style == "api":
        out.write(
            b'{"kind":"%sList","apiVersion":"%s","metadata":{"resourceVersion":"%s"},"items":['
            % (kind.kind.encode(), kind.api_version.encode(), str(rv.value + 1).encode())
        )
    else:
        out.write(b'{\n    "apiVersion": "v1",\n    "items": [')
    n = 0
    for item in items:
        if style == "api":
            out.write(b"," if n else b"")
            out.write(enc.encode(item))
        else:
            body = msgspec.json.format(
                enc.encode({"apiVersion": kind.api_version, "kind": kind.kind} | item), indent=4
            )
            out.write(b",\n        " if n else b"\n        ")
            out.write(body.replace(b"\n", b"\n        "))
        n += 1
    if style == "api":
        out.write(b"]}")
    else:
        out.write(
            b'\n    ],\n    "kind": "List",\n    "metadata": {\n'
            b'        "resourceVersion": ""\n    }\n}\n'
        )
    return n


def list_bytes(spec: WorkloadSpec, kind_file: str, style: Style = "api") -> bytes:
    """One kind's List document in memory (for small workloads and tests)."""
    import io

    plan, rv = build_plan(spec), Versions()
    buf = io.BytesIO()
    for kind in KINDS:  # resourceVersions depend on the kinds written before
        items = iter_items(plan, kind, rv)
        if kind.file == kind_file:
            write_list(buf, kind, items, rv, style)
            return buf.getvalue()
        for _ in items:
            pass
    raise KeyError(kind_file)


def write_cluster(spec: WorkloadSpec, directory: Path, style: Style = "api") -> dict[str, int]:
    """Write every kind of `spec` as `<directory>/<kind>.json`; returns item counts per file."""
    plan, rv = build_plan(spec), Versions()
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for kind in KINDS:
        with open(directory / f"{kind.file}.json", "wb") as out:
            counts[kind.file] = write_list(out, kind, iter_items(plan, kind, rv), rv, style)
    return counts


def _fingerprint(spec: WorkloadSpec, style: Style) -> str:
    h = hashlib.sha256(f"{spec!r}|{style}".encode())
    for name in (
        "plan.py",
        "objects.py",
        "objects_apps.py",
        "objects_net.py",
        "objects_policy.py",
        "generate.py",
    ):
        h.update((BENCH_DIR / name).read_bytes())
    return h.hexdigest()[:12]


def ensure_cluster(name: str, style: Style = "api") -> Path:
    """The cached directory of workload `name`, generated first when missing or stale."""
    spec = WORKLOADS[name]
    target = CACHE_DIR / f"{name}-{style}-{_fingerprint(spec, style)}"
    if target.is_dir():
        return target
    for stale in CACHE_DIR.glob(f"{name}-{style}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = CACHE_DIR / f".tmp-{name}-{style}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    write_cluster(spec, tmp, style)
    tmp.rename(target)
    return target


def main() -> None:
    """`python -m bench.generate W2 [--style kubectl]`: generate (or find) a cached workload."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workloads", nargs="+", choices=sorted(WORKLOADS))
    parser.add_argument("--style", choices=("api", "kubectl"), default="api")
    args = parser.parse_args()
    for name in args.workloads:
        path = ensure_cluster(name, args.style)
        size = sum(f.stat().st_size for f in path.iterdir()) / 1e6
        print(f"{name}: {path} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
