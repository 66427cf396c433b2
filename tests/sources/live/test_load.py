"""Loading a live cluster through the official client from the fake API server over HTTP."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from fakeapi import (
    ADMIN_NETWORK_POLICY,
    CILIUM,
    ISTIO,
    FakeApiServer,
    FakeCluster,
    namespaced,
    without,
)
from fakeapi import objects as o

from kexplore.sources.live.client import RetryPolicy
from kexplore.sources.live.load import limit_malloc_arenas
from kexplore.sources.live.source import LiveSource, load_live


def shop_cluster(pods: int = 4) -> FakeCluster:
    cluster = FakeCluster()
    cluster.add(o.namespace("shop"), o.namespace("other"), o.node("node-1"))
    cluster.add(*[o.pod("shop" if i % 2 else "other", f"p{i:04}") for i in range(pods)])
    cluster.add(o.service("shop", "cart", {"app": "cart"}), o.network_policy("shop", "deny"))
    cluster.add(o.secret("shop", "db-password"))
    return cluster


def source(api: FakeApiServer, tmp_path: Path, **kwargs: str) -> LiveSource:
    kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", **kwargs)
    live = LiveSource(kubeconfig=str(kubeconfig))
    live.conn.retry = RetryPolicy(attempts=3, base=0.05)
    return live


def test_lists_every_kind_in_pages_of_500(tmp_path: Path) -> None:
    with FakeApiServer(shop_cluster(pods=1203)) as api:
        state = source(api, tmp_path).load()
        pages = api.requests("get /api/v1/pods")
    assert len(state.pods) == 1203
    assert [p.params.get("limit") for p in pages] == ["500", "500", "500"]
    assert pages[0].params["resourceVersion"] == "0" and "continue" not in pages[0].params
    assert all("continue" in p.params and "resourceVersion" not in p.params for p in pages[1:])
    assert {s.name for s in state.services} == {"cart"}
    assert [p.metadata.name for p in state.network_policies] == ["deny"]
    assert state.get("Secret", "shop", "db-password") is not None
    assert state.meta.unreadable == {} and state.meta.context == "fake"
    assert state.meta.server_version == "v1.31.2" and state.meta.source == "live"


def test_secrets_are_asked_for_metadata_only(tmp_path: Path) -> None:
    with FakeApiServer(shop_cluster()) as api:
        source(api, tmp_path).load()
        [request] = api.requests("get /api/v1/secrets")
    accept = next(v for k, v in request.headers.items() if k.lower() == "accept")
    assert accept.startswith("application/json;as=PartialObjectMetadataList")


def test_expired_continue_token_restarts_the_list(tmp_path: Path) -> None:
    cluster = shop_cluster(pods=1100)
    with FakeApiServer(cluster) as api:
        expired = []

        def expire_once(request: object) -> None:
            if not expired and getattr(request, "params", {}).get("continue"):
                expired.append(True)
                cluster.compact()  # the token of the first page is now too old
            raise NotImplementedError

        api.on_loop(lambda: api.handler["get /api/v1/pods"] << expire_once)
        state = source(api, tmp_path).load()
        pages = api.requests("get /api/v1/pods")
    assert len(state.pods) == 1100
    firsts = [p for p in pages if p.params.get("resourceVersion") == "0"]
    assert len(firsts) == 2  # listed from the start again after the 410


def test_forbidden_kind_is_recorded_with_verb_and_resource(tmp_path: Path) -> None:
    bob = without("bob", ("networking.k8s.io", "networkpolicies"))
    with FakeApiServer(shop_cluster(), users=[bob]) as api:
        state = source(api, tmp_path, user="bob").load()
        reviews = api.requests("post /apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
        policy_lists = api.requests("get /apis/networking.k8s.io/v1/networkpolicies")
    reason = state.meta.unreadable["NetworkPolicy"]
    assert reason.startswith("forbidden") and "list networkpolicies.networking.k8s.io" in reason
    assert state.network_policies == [] and len(state.pods) == 4
    assert set(state.meta.unreadable) == {"NetworkPolicy"}
    assert reviews and policy_lists == []  # asked first, so the list was never tried


def test_namespace_only_user_reads_its_namespace(tmp_path: Path) -> None:
    alice = namespaced("alice", ["shop"])
    with FakeApiServer(shop_cluster(), users=[alice]) as api:
        state = source(api, tmp_path, user="alice", namespace="shop").load()
        cluster_wide = api.requests("get /api/v1/pods")
    assert {p.namespace for p in state.pods} == {"shop"} and len(state.pods) == 2
    assert cluster_wide == []
    assert "only namespace shop read for Pod, Service" in "\n".join(state.warnings)
    assert "list nodes" in state.meta.unreadable["Node"]
    assert "list namespaces" in state.meta.unreadable["Namespace"]


def test_namespace_only_user_outside_its_namespace_gets_reasons(tmp_path: Path) -> None:
    alice = namespaced("alice", ["shop"])
    with FakeApiServer(shop_cluster(), users=[alice]) as api:
        state = source(api, tmp_path, user="alice", namespace="other").load()
    assert state.pods == []
    assert "list pods" in state.meta.unreadable["Pod"]
    assert "namespace other" in state.meta.unreadable["Pod"]


def test_explicit_namespaces_limit_the_load(tmp_path: Path) -> None:
    with FakeApiServer(shop_cluster()) as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kc")
        state = load_live(kubeconfig=str(kubeconfig), namespaces=["other"])
    assert {p.namespace for p in state.pods} == {"other"}
    assert [n.name for n in state.nodes] == ["node-1"]  # cluster-scoped kinds still load


def test_cni_group_listed_only_when_discovery_serves_it(tmp_path: Path) -> None:
    with FakeApiServer(shop_cluster()) as api:
        state = source(api, tmp_path).load()
        assert api.requests("get /apis/cilium.io/v2") == []
        assert state.cni_policies() == [] and "CiliumNetworkPolicy" not in state.meta.unreadable
        api.cluster.serve(*CILIUM)
        api.cluster.add(
            {
                "apiVersion": "cilium.io/v2",
                "kind": "CiliumNetworkPolicy",
                "metadata": {"name": "l7", "namespace": "shop"},
                "spec": {},
            }
        )
        state = source(api, tmp_path).load()
    assert [p.metadata.name for p in state.cni_policies()] == ["l7"]


def test_istio_kinds_need_their_group_served(tmp_path: Path) -> None:
    vs = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "cart", "namespace": "shop"},
        "spec": {"hosts": ["cart"]},
    }
    with FakeApiServer(shop_cluster()) as api:
        state = source(api, tmp_path).load()
        assert api.requests("get /apis/networking.istio.io/v1") == []
        assert state.objects.get("VirtualService", {}) == {}
        assert "VirtualService" not in state.meta.unreadable
        api.cluster.serve(*ISTIO)
        api.cluster.add(vs)
        state = source(api, tmp_path).load()
    assert list(state.objects["VirtualService"]) == [("shop", "cart")]


def test_admin_network_policies_when_served(tmp_path: Path) -> None:
    anp = {
        "apiVersion": "policy.networking.k8s.io/v1alpha1",
        "kind": "AdminNetworkPolicy",
        "metadata": {"name": "deny-all"},
        "spec": {"priority": 10, "subject": {}},
    }
    with FakeApiServer(shop_cluster()) as api:
        api.cluster.serve(*ADMIN_NETWORK_POLICY)
        api.cluster.add(anp)
        state = source(api, tmp_path).load()
    assert list(state.objects["AdminNetworkPolicy"]) == [("", "deny-all")]


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_loading_threads_share_few_malloc_arenas() -> None:
    """Each loading thread would keep its own arena of freed memory (the peak grows)."""
    assert limit_malloc_arenas()
