"""The fake API server itself, driven by the official client over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeapi import ISTIO, FakeApiServer, FakeCluster, namespaced
from kubernetes import client, config


def pod(ns: str, name: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    }


def api_client(api: FakeApiServer, tmp_path: Path, **kwargs: str) -> client.ApiClient:
    path = api.write_kubeconfig(tmp_path / "kubeconfig", **kwargs)
    return config.new_client_from_config(config_file=str(path))


def test_official_client_lists_pods_page_by_page(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(*[pod("shop", f"p{i:02}") for i in range(7)], pod("other", "x"))
    with FakeApiServer(cluster) as api:
        core = client.CoreV1Api(api_client(api, tmp_path))
        names: list[str] = []
        token = None
        pages = 0
        while True:
            kwargs = {"_continue": token} if token else {}
            resp = core.list_pod_for_all_namespaces(limit=3, _preload_content=False, **kwargs)
            body = json.loads(resp.data)
            pages += 1
            names += [i["metadata"]["name"] for i in body["items"]]
            token = body["metadata"].get("continue")
            if not token:
                break
        assert pages == 3
        assert names == ["x"] + [f"p{i:02}" for i in range(7)]
        assert body["kind"] == "PodList" and "kind" not in body["items"][0]
        ns_only = json.loads(core.list_namespaced_pod("other", _preload_content=False).data)
        assert [i["metadata"]["name"] for i in ns_only["items"]] == ["x"]


def test_expired_continue_token_is_410(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(*[pod("shop", f"p{i}") for i in range(4)])
    with FakeApiServer(cluster) as api:
        core = client.CoreV1Api(api_client(api, tmp_path))
        first = json.loads(core.list_pod_for_all_namespaces(limit=2, _preload_content=False).data)
        cluster.compact()
        with pytest.raises(client.ApiException) as err:
            core.list_pod_for_all_namespaces(
                limit=2, _continue=first["metadata"]["continue"], _preload_content=False
            )
        assert err.value.status == 410


def test_discovery_through_the_official_client(tmp_path: Path) -> None:
    with FakeApiServer() as api:
        apis = client.ApisApi(api_client(api, tmp_path))
        groups = {g.name for g in apis.get_api_versions().groups}
        assert "apps" in groups and "networking.istio.io" not in groups
        versions = client.CoreApi(api_client(api, tmp_path)).get_api_versions()
        assert versions.versions == ["v1"]
        api.cluster.serve(*ISTIO)
        groups = {g.name for g in apis.get_api_versions().groups}
        assert {"networking.istio.io", "security.istio.io"} <= groups


def test_forbidden_and_namespace_only_user(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.add(pod("shop", "a"), pod("other", "b"))
    with FakeApiServer(cluster, users=[namespaced("alice", ["shop"])]) as api:
        core = client.CoreV1Api(api_client(api, tmp_path, user="alice"))
        with pytest.raises(client.ApiException) as err:
            core.list_pod_for_all_namespaces(_preload_content=False)
        assert err.value.status == 403
        message = json.loads(err.value.body)["message"]
        assert 'User "alice" cannot list resource "pods"' in message
        shop = json.loads(core.list_namespaced_pod("shop", _preload_content=False).data)
        assert [i["metadata"]["name"] for i in shop["items"]] == ["a"]
        authz = client.AuthorizationV1Api(api_client(api, tmp_path, user="alice"))
        review = authz.create_self_subject_access_review(
            {
                "spec": {
                    "resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "shop"}
                }
            }
        )
        again = authz.create_self_subject_access_review(
            {"spec": {"resourceAttributes": {"verb": "list", "resource": "pods"}}}
        )
        assert review.status.allowed is True and again.status.allowed is False


def test_scripted_failure_then_default(tmp_path: Path) -> None:
    with FakeApiServer() as api:
        api.fail("get /api/v1/nodes", 500, times=1, headers={"X-Injected": "1"})
        core = client.CoreV1Api(api_client(api, tmp_path))
        with pytest.raises(client.ApiException) as err:
            core.list_node(_preload_content=False)
        assert err.value.status == 500 and err.value.headers["X-Injected"] == "1"
        assert json.loads(core.list_node(_preload_content=False).data)["items"] == []
        assert len(api.requests("get /api/v1/nodes")) == 2
