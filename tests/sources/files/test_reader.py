"""The snapshot reader: every input format, namespaces, synthesized pods, kexplore snapshots."""

from __future__ import annotations

import gc
import hashlib
import io
import json
import tarfile
from pathlib import Path

from kexplore.model.base import OpaqueObject
from kexplore.model.pods import Pod
from kexplore.sources.files.reader import read_snapshot

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "snapshots"


def _keys(state: object, kind: str) -> set[tuple[str, str]]:
    return set(state.objects.get(kind, {}))  # type: ignore[attr-defined]


def _pod(ns: str, name: str, **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"containers": [{"name": "c"}], **spec},
    }


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# -- raw manifests ----------------------------------------------------------------------
def test_manifests_get_one_synthesized_pod_per_workload() -> None:
    state = read_snapshot(FIXTURES / "manifests")
    pods = {(p.namespace, p.name): p for p in state.pods}
    assert set(pods) == {("default", "web-synthesized"), ("jobs", "report-synthesized")}
    web = pods[("default", "web-synthesized")]
    assert web.synthesized
    assert web.labels == {"app": "web", "tier": "frontend"}
    assert web.ips() == [] and web.status.phase == ""
    assert web.spec.containers[0].ports[0].container_port == 8080
    (ref,) = web.metadata.owner_references
    assert (ref.kind, ref.name, ref.controller) == ("Deployment", "web", True)
    deployment = state.get("Deployment", "default", "web")
    assert deployment is not None and state.pods_of_workload(deployment) == [web]  # type: ignore[arg-type]
    report = pods[("jobs", "report-synthesized")]
    assert report.labels == {"app": "report"}
    assert report.metadata.owner_references[0].kind == "CronJob"
    assert report.spec.containers[0].args[-1] == "http://web.default:80/report"


def test_objects_without_namespace_go_to_default_cluster_scoped_stay_empty() -> None:
    state = read_snapshot(FIXTURES / "manifests")
    assert _keys(state, "Service") == {("default", "web")}
    assert _keys(state, "Deployment") == {("default", "web")}
    assert _keys(state, "Namespace") == {("", "jobs")}


def test_timestamps_stay_strings() -> None:
    state = read_snapshot(FIXTURES / "manifests")
    deployment = state.get("Deployment", "default", "web")
    assert deployment is not None
    assert deployment.metadata.creation_timestamp == "2024-01-01T00:00:00Z"  # type: ignore[attr-defined]
    lists = read_snapshot(FIXTURES / "lists")
    pod = lists.get("Pod", "shop", "api-7d9f-abcde")
    assert isinstance(pod, Pod)
    assert pod.metadata.creation_timestamp == "2024-05-01T10:00:00Z"
    api = lists.get("Deployment", "shop", "api")
    assert api.metadata.creation_timestamp == "2024-05-01T09:59:00Z"  # type: ignore[union-attr]


def test_unused_kinds_are_no_warning_and_other_files_ignored() -> None:
    state = read_snapshot(FIXTURES / "manifests")
    assert state.warnings == []  # a ServiceAccount cannot change a verdict
    assert state.meta.source == f"snapshot {FIXTURES / 'manifests'}"


def test_ignored_kinds_that_could_change_a_verdict_are_one_warning(tmp_path: Path) -> None:
    docs = [
        {"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter"},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute"},
        {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute"},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role"},
    ]
    for i, doc in enumerate(docs):
        doc["metadata"] = {"name": f"o{i}", "namespace": "shop"}
    text = "\n---\n".join(json.dumps(d) for d in docs)
    (tmp_path / "a.yaml").write_text(text + "\n---\n" + json.dumps(_pod("shop", "p")))
    state = read_snapshot(tmp_path)
    assert state.warnings == [
        "not evaluated, could change a verdict: EnvoyFilter (1), HTTPRoute (2)"
    ]


def test_workload_with_pods_gets_no_synthesized_pod() -> None:
    # The PodList holds the Deployment's pods (owned by a ReplicaSet not in the data).
    state = read_snapshot(FIXTURES / "lists")
    assert not any(p.synthesized for p in state.pods)
    assert {p.name for p in state.pods} == {"api-7d9f-abcde", "db-0"}


def test_synthesis_skips_children_scaled_to_zero_and_live_workloads(tmp_path: Path) -> None:
    template = {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c"}]}}
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "a", "namespace": "ns"},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": template},
    }
    child = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "a-123",
            "namespace": "ns",
            "ownerReferences": [{"kind": "Deployment", "name": "a", "controller": True}],
        },
        "spec": {"template": template},
    }
    zero = {**deploy, "metadata": {"name": "z", "namespace": "ns"}}
    zero["spec"] = {**deploy["spec"], "replicas": 0}  # type: ignore[dict-item]
    (tmp_path / "a.json").write_text(json.dumps({"kind": "List", "items": [deploy, child, zero]}))
    state = read_snapshot(tmp_path)
    assert [p.name for p in state.pods] == ["a-synthesized"]
    # From a live cluster (uid set) with pods in the data: missing pods are a finding.
    live = {**deploy, "metadata": {"name": "b", "namespace": "ns", "uid": "u-1"}}
    (tmp_path / "a.json").write_text(json.dumps({"kind": "List", "items": [live]}))
    (tmp_path / "pods.json").write_text(json.dumps(_pod("ns", "other")))
    assert [p.name for p in read_snapshot(tmp_path).pods] == ["other"]


# -- Lists and JSON ---------------------------------------------------------------------
def test_typed_pod_list_items_without_kind(tmp_path: Path) -> None:
    state = read_snapshot(FIXTURES / "lists" / "pods.json")
    assert _keys(state, "Pod") == {("shop", "api-7d9f-abcde"), ("shop", "db-0")}
    pod = state.get("Pod", "shop", "api-7d9f-abcde")
    assert isinstance(pod, Pod) and pod.ips() == ["10.0.0.5"]


def test_generic_yaml_list_with_mixed_kinds() -> None:
    state = read_snapshot(FIXTURES / "lists" / "objects.yaml")
    assert _keys(state, "Service") == {("shop", "api")}
    assert _keys(state, "Deployment") == {("shop", "api")}
    assert state.warnings == []


def test_kubectl_style_list_mixed_kinds_and_calico_policy_not_mistaken(tmp_path: Path) -> None:
    k8s_policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "ns"},
        "spec": {"podSelector": {}},
    }
    calico = {
        "apiVersion": "projectcalico.org/v3",
        "kind": "NetworkPolicy",
        "metadata": {"name": "calico", "namespace": "ns"},
        "spec": {"selector": "all()"},
    }
    doc = {"apiVersion": "v1", "items": [k8s_policy, calico], "kind": "List"}
    (tmp_path / "policies.json").write_text(json.dumps(doc, indent=4))
    state = read_snapshot(tmp_path)
    assert _keys(state, "NetworkPolicy") == {("ns", "deny")}
    (opaque,) = state.cni_policies()
    assert isinstance(opaque, OpaqueObject) and opaque.metadata.name == "calico"
    mixed = {"apiVersion": "v1", "items": [_pod("ns", "p"), k8s_policy], "kind": "List"}
    (tmp_path / "policies.json").write_text(json.dumps(mixed))
    state = read_snapshot(tmp_path)
    assert _keys(state, "Pod") == {("ns", "p")} and _keys(state, "NetworkPolicy") == {
        ("ns", "deny")
    }


def test_uniform_list_fast_path_matches_item_by_item_decode(tmp_path: Path) -> None:
    pods = [_pod("ns", f"p{i}", hostNetwork=i % 2 == 0) for i in range(5)]
    (tmp_path / "a.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": pods})
    )
    # The same pods, but a Service first: the kind guess fails and items decode one by one.
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "ns"}}
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "b" / "c" / "b.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [svc, *pods]})
    )
    fast = read_snapshot(tmp_path / "a.json")
    slow = read_snapshot(tmp_path / "b")
    assert fast.objects["Pod"] == slow.objects["Pod"]
    assert len(fast.pods) == 5 and fast.get("Pod", "ns", "p0").spec.host_network  # type: ignore[union-attr]


def test_single_json_object_and_non_kubernetes_json_ignored(tmp_path: Path) -> None:
    (tmp_path / "pod.json").write_text(json.dumps(_pod("ns", "p")))
    (tmp_path / "report.json").write_text(json.dumps([{"src": "a", "dst": "b"}]))
    (tmp_path / "values.yaml").write_text("replicaCount: 2\n")
    state = read_snapshot(tmp_path)
    assert _keys(state, "Pod") == {("ns", "p")}
    assert state.warnings == []


def test_multi_document_yaml_with_empty_and_comment_documents(tmp_path: Path) -> None:
    text = "---\n# only a comment\n---\n" + "\n---\n".join(
        json.dumps(_pod("ns", name)) for name in ("a", "b")
    )
    (tmp_path / "pods.yml").write_text(text + "\n---\n")
    assert _keys(read_snapshot(tmp_path), "Pod") == {("ns", "a"), ("ns", "b")}


# -- kubectl cluster-info dump ----------------------------------------------------------
def _typed_list(kind: str, items: list[dict[str, object]]) -> dict[str, object]:
    bare = [{k: v for k, v in item.items() if k not in ("kind", "apiVersion")} for item in items]
    return {"kind": f"{kind}List", "apiVersion": "v1", "metadata": {}, "items": bare}


def _node(name: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}


def _event(ns: str, pod: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod}.1", "namespace": ns},
        "involvedObject": {"kind": "Pod", "name": pod, "namespace": ns},
        "reason": "BackOff",
        "lastTimestamp": "2024-06-01T10:00:00Z",
    }


def _log_block(ns: str, pod: str, container: str, text: str) -> str:
    return (
        f"==== START logs for container {container} of pod {ns}/{pod} ====\n{text}"
        f"==== END logs for container {container} of pod {ns}/{pod} ====\n"
    )


def test_cluster_info_dump_output_directory(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    (dump / "shop" / "web-1").mkdir(parents=True)
    (dump / "nodes.json").write_text(json.dumps(_typed_list("Node", [_node("n1")]), indent=4))
    files = {
        "events": _typed_list("Event", [_event("shop", "web-1")]),
        "replication-controllers": {"kind": "ReplicationControllerList", "items": []},
        "services": _typed_list("Service", []),
        "pods": _typed_list("Pod", [_pod("shop", "web-1")]),
    }
    for name, doc in files.items():
        (dump / "shop" / f"{name}.json").write_text(json.dumps(doc, indent=4))
    logs = _log_block("shop", "web-1", "init", "") + _log_block(
        "shop", "web-1", "c", "listening on :8080\npanic: boom\n"
    )
    (dump / "shop" / "web-1" / "logs.txt").write_text(logs)
    state = read_snapshot(dump)
    assert _keys(state, "Node") == {("", "n1")}
    assert _keys(state, "Pod") == {("shop", "web-1")}
    assert [e.reason for e in state.events_for("Pod", "shop", "web-1")] == ["BackOff"]
    assert [(lg.pod, lg.container, lg.text) for lg in state.logs] == [
        ("web-1", "init", ""),
        ("web-1", "c", "listening on :8080\npanic: boom\n"),
    ]
    assert state.warnings == []
    _tar_gz(dump, tmp_path / "dump.tgz")
    packed = read_snapshot(tmp_path / "dump.tgz")
    assert packed.objects == state.objects and packed.logs == state.logs


def test_cluster_info_dump_to_stdout_stream(tmp_path: Path) -> None:
    parts = [
        json.dumps(_typed_list("Node", [_node("n1")]), indent=4),
        json.dumps(_typed_list("Event", [_event("shop", "web-1")]), indent=4),
        json.dumps(_typed_list("Pod", [_pod("shop", "web-1"), _pod("shop", "db-0")]), indent=4),
        _log_block("shop", "web-1", "c", "GET /healthz 200\n").rstrip("\n"),
        _log_block("shop", "db-0", "c", "ready\n").rstrip("\n"),
        json.dumps(_typed_list("Pod", [_pod("kube-system", "coredns-1")])),
    ]
    (tmp_path / "cluster-info.dump").write_text("\n".join(parts) + "\n")
    state = read_snapshot(tmp_path)
    assert _keys(state, "Pod") == {
        ("shop", "web-1"),
        ("shop", "db-0"),
        ("kube-system", "coredns-1"),
    }
    assert _keys(state, "Node") == {("", "n1")}
    assert [(lg.pod, lg.text) for lg in state.logs] == [
        ("web-1", "GET /healthz 200\n"),
        ("db-0", "ready\n"),
    ]
    # The same stream saved under any name and given explicitly.
    (tmp_path / "cluster-info.dump").rename(tmp_path / "dump.txt")
    assert len(read_snapshot(tmp_path / "dump.txt").pods) == 3


def test_cluster_info_dump_yaml_stream_with_logs(tmp_path: Path) -> None:
    nodes = "kind: NodeList\napiVersion: v1\nitems:\n- metadata:\n    name: n1\n"
    pods = "kind: PodList\napiVersion: v1\nitems:\n- metadata:\n    name: web-1\n"
    pods += "    namespace: shop\n  spec:\n    containers:\n    - name: c\n      ports:\n"
    pods += "      - containerPort: nope\n"
    log = _log_block("shop", "web-1", "c", "a: [not yaml\n")
    (tmp_path / "cluster-info.dump").write_text(f"{nodes}---\n{log}---\n{pods}")
    state = read_snapshot(tmp_path)
    assert _keys(state, "Node") == {("", "n1")}
    assert [(lg.pod, lg.text) for lg in state.logs] == [("web-1", "a: [not yaml\n")]
    # Line numbers still count the log lines that were set aside.
    assert state.warnings[0].startswith(f"{tmp_path / 'cluster-info.dump'}:14: Pod shop/web-1")


# -- archives ---------------------------------------------------------------------------
def _tar_gz(source: Path, target: Path) -> None:
    with tarfile.open(target, "w:gz") as archive:
        archive.add(source, arcname="snap")


def test_tar_gz_is_read_in_memory_without_extracting(tmp_path: Path) -> None:
    archive = tmp_path / "snap.tar.gz"
    _tar_gz(FIXTURES / "manifests", archive)
    before = sorted(p.name for p in tmp_path.iterdir())
    state = read_snapshot(archive)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert {p.name for p in state.pods} == {"web-synthesized", "report-synthesized"}
    assert _keys(state, "Service") == {("default", "web")}


def test_tgz_inside_a_directory_and_warnings_name_the_member(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(FIXTURES / "bad" / "broken-item.json", arcname="x/items.json")
    (tmp_path / "more.tgz").write_bytes(buffer.getvalue())
    state = read_snapshot(tmp_path)
    assert _keys(state, "Pod") == {("ns1", "good")}
    assert state.warnings[0].startswith(f"{tmp_path / 'more.tgz'}!x/items.json:11: Pod ns1/bad")


# -- kexplore's own snapshots -----------------------------------------------------------
def test_kexplore_snapshot_manifest_probes_and_logs() -> None:
    state = read_snapshot(FIXTURES / "kexplore-snap")
    assert state.meta.context == "prod-eu"
    assert state.meta.server_version == "v1.30.2"
    assert state.meta.time == "2024-06-01T12:00:00Z"
    assert state.newest_time() == "2024-06-01T12:00:00Z"
    assert state.meta.unreadable == {
        "NetworkPolicy": "forbidden: list networkpolicies.networking.k8s.io"
    }
    (probe,) = state.recorded_probes
    assert (probe.probe, probe.result, probe.exit_code, probe.duration_ms) == (
        "dns",
        "nxdomain",
        1,
        12.5,
    )
    assert [(lg.pod, lg.text) for lg in state.logs] == [("web-1", "GET / 200\n")]
    assert _keys(state, "Pod") == {("shop", "web-1")}


def test_broken_recorded_probe_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(json.dumps(_pod("ns", "p")))
    good = {"probe": "tcp", "namespace": "ns", "pod": "p", "target": "x:1", "command": []}
    good |= {"output": "", "result": "refused"}
    (tmp_path / "recorded-probes.json").write_text(json.dumps([good, {"probe": "tcp"}]))
    state = read_snapshot(tmp_path)
    assert [p.result for p in state.recorded_probes] == ["refused"]
    assert len(state.warnings) == 1 and "recorded-probes.json" in state.warnings[0]
    assert "RecordedProbe #2 skipped" in state.warnings[0]


# -- read-only, GC state ----------------------------------------------------------------
def test_input_is_never_written_and_gc_state_is_restored() -> None:
    before = _tree_digest(FIXTURES)
    assert gc.isenabled()
    for name in ("manifests", "lists", "kexplore-snap", "bad/broken-item.json"):
        read_snapshot(FIXTURES / name)
    assert gc.isenabled()
    assert _tree_digest(FIXTURES) == before


def test_bom_json_and_hidden_entries(tmp_path: Path) -> None:
    (tmp_path / "pod.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(_pod("ns", "p")).encode())
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "broken.yaml").write_text("not: [valid\n")
    (tmp_path / ".hidden.yaml").write_text("not: [valid\n")
    assert _keys(read_snapshot(tmp_path), "Pod") == {("ns", "p")}


def test_saved_snapshot_of_manifests_reads_back_without_new_pods(tmp_path: Path) -> None:
    from kexplore.sources.record import write_snapshot

    state = read_snapshot(FIXTURES / "manifests")
    again = read_snapshot(write_snapshot(state, tmp_path / "saved"))
    assert {(p.namespace, p.name, p.synthesized) for p in again.pods} == {
        ("default", "web-synthesized", True),
        ("jobs", "report-synthesized", True),
    }
