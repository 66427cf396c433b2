"""The bundled demo cluster loads cleanly and is internally consistent, as a live cluster is."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest

from kexplore.errors import SourceError
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState
from kexplore.probes.base import OK_RESULTS
from kexplore.probes.capture import summarise
from kexplore.probes.l7 import classify_http
from kexplore.render.sanitize import safe, strip_controls
from kexplore.sources import demo
from kexplore.sources.demo import load_demo

REPO = Path(__file__).resolve().parents[2]
HOUR_BEFORE = "2026-03-18T09:42:00Z"
DEMO_NAMESPACES = {"shop", "payments", "data", "auth", "monitoring", "mesh-demo", "kube-system"}


@pytest.fixture(scope="module")
def state() -> ClusterState:
    return load_demo()


def test_loads_with_zero_warnings_from_the_demo_source(state: ClusterState) -> None:
    assert state.warnings == []
    assert state.meta.source == "demo"
    manifest = json.loads(
        (files("kexplore.sources") / "demo_data" / "kexplore-manifest.json").read_text()
    )
    assert state.meta.time == manifest["time"] == "2026-03-18T10:42:00Z"


def test_package_data_ships_the_demo_folder() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "sources/demo_data/**/*" in pyproject["tool"]["setuptools"]["package-data"]["kexplore"]
    root = files("kexplore.sources") / "demo_data"
    assert root.is_dir()
    names = {entry.name for entry in root.iterdir()}
    assert {"kexplore-manifest.json", "recorded-probes.json", "logs.json", "shop"} <= names


def test_missing_demo_data_is_a_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "DEMO_DIR", "no_such_demo_dir")
    with pytest.raises(SourceError, match="bundled demo data") as info:
        load_demo()
    assert info.value.exit_code == 3
    assert "reinstall" in info.value.fix


def test_every_kind_the_ladder_reads_is_present(state: ClusterState) -> None:
    assert {ns.name for ns in state.namespaces} >= DEMO_NAMESPACES
    for kind in (
        "Pod",
        "Service",
        "EndpointSlice",
        "NetworkPolicy",
        "Node",
        "Event",
        "ConfigMap",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "PeerAuthentication",
        "DestinationRule",
        "VirtualService",
        "AuthorizationPolicy",
    ):
        assert state.objects.get(kind), f"no {kind} in the demo"
    assert state.namespace_labels("mesh-demo")["istio-injection"] == "enabled"


def test_pods_have_owners_nodes_and_unique_ips(state: ClusterState) -> None:
    nodes = {node.name for node in state.nodes}
    ips: Counter[str] = Counter()
    for pod in state.pods:
        assert state.top_owner(pod) is not None, f"{pod.name} has no owner in the data"
        assert pod.spec.node_name in nodes
        assert pod.status.host_ip and pod.ips()
        if not pod.spec.host_network:
            ips.update(pod.ips())
        for c in pod.serving_containers():
            assert pod.container_status(c.name) is not None, f"{pod.name}/{c.name}"
    assert [ip for ip, n in ips.items() if n > 1] == []


def test_endpoint_slices_agree_with_pod_readiness(state: ClusterState) -> None:
    services = {(s.namespace, s.name) for s in state.services}
    for es in state.endpoint_slices:
        assert (es.metadata.namespace, es.service_name) in services
        for ep in es.endpoints:
            if ep.target_ref is None:
                continue
            pod = state.get("Pod", ep.target_ref.namespace, ep.target_ref.name)
            assert isinstance(pod, Pod)
            assert ep.addresses == pod.ips()
            assert ep.conditions.ready is pod.is_ready(), pod.name
            assert ep.node_name == pod.spec.node_name
    for svc in state.services:
        assert state.slices_for(svc.namespace, svc.name), f"service {svc.name} has no slice"


def test_events_are_recent_relative_to_the_snapshot_time(state: ClusterState) -> None:
    now = state.meta.time
    stamps = [e.when() for e in state.events]
    # the API server keeps an event for an hour after its last update
    assert stamps and all(HOUR_BEFORE <= s <= now for s in stamps)
    warnings = [e for e in state.events if e.type == "Warning"]
    assert any(e.when() >= "2026-03-18T10:37:00Z" for e in warnings)
    for e in state.events:
        ref = e.involved_object
        assert state.get(ref.kind, ref.namespace, ref.name) is not None, e.metadata.name


def test_recorded_probes_name_real_pods_and_classify_results(state: ClusterState) -> None:
    kinds = Counter(p.probe for p in state.recorded_probes)
    assert {"dns", "tcp", "listen", "port-forward", "http", "envoy-clusters", "capture"} <= set(
        kinds
    )
    for probe in state.recorded_probes:
        pod = state.get("Pod", probe.namespace, probe.pod)
        assert isinstance(pod, Pod), probe.pod
        assert probe.command and probe.output and probe.time <= state.meta.time
        if probe.probe == "http":  # curl exits 0 on any HTTP answer: the output decides
            assert classify_http(probe.command[0], probe.exit_code, probe.output) == probe.result
        elif probe.probe == "capture":  # tcpdump is stopped by `timeout`: the packets decide
            assert summarise(probe.output, probe.target)[0] == probe.result
        elif probe.probe != "listen":  # cat succeeds whatever the socket table says
            assert (probe.exit_code == 0) == (probe.result in OK_RESULTS), probe.target
        if probe.probe in ("listen", "port-forward"):
            assert probe.target.rsplit(":", 1)[0] in pod.ips()
    results = {p.result for p in state.recorded_probes}
    assert {"resolved", "nxdomain", "connected", "timeout", "refused"} <= results


def test_logs_belong_to_containers_and_hostile_lines_are_neutralised(
    state: ClusterState,
) -> None:
    for log in state.logs:
        pod = state.get("Pod", log.namespace, log.pod)
        assert isinstance(pod, Pod)
        names = {c.name for c in pod.serving_containers()}
        assert log.container in names
    text = "".join(log.text for log in state.logs)
    assert "\x1b[" in text and "[bold red]" in text
    crash = next(log for log in state.logs if log.previous and "FATAL" in log.text)
    assert "\x1b" not in strip_controls(crash.text)
    markup = next(
        line for log in state.logs for line in log.text.splitlines() if "[bold red]" in line
    )
    assert "\\[bold red]" in safe(markup)
