"""Shell completion against the fake API server: names from the line's kubeconfig, a kind
that is forbidden left out, and a server that does not answer in time offering nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from completing import candidates
from fakeapi import FakeApiServer, FakeCluster, namespaced
from fakeapi import objects as o

from kexplore import completion


def _deployment(ns: str, name: str) -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "a"}]}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": template},
    }


def _cluster() -> FakeCluster:
    cluster = FakeCluster()
    cluster.add(
        o.namespace("shop"),
        o.namespace("data"),
        o.pod("shop", "web-1", {"app": "web"}),
        _deployment("shop", "web"),
        o.service("shop", "cart", {"app": "cart"}, port=8080),
    )
    return cluster


@pytest.fixture
def roomy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time enough for a loaded test machine (the bound itself is tested below)."""
    monkeypatch.setattr(completion, "LIVE_SECONDS", 60.0)


@pytest.mark.usefixtures("roomy")
def test_names_come_from_the_cluster_of_the_kubeconfig_on_the_line(tmp_path: Path) -> None:
    with FakeApiServer(_cluster()) as api:
        kc = api.write_kubeconfig(tmp_path / "kc")
        assert candidates(f"kexplore --kubeconfig {kc} -n ") == ["data", "shop"]
        head = f"kexplore check --kubeconfig {kc}"
        assert candidates(f"{head} shop/w") == ["shop/web", "shop/web-1"]
        assert candidates(f"{head} shop/deploy/") == ["shop/deploy/web"]
        assert candidates(f"{head} shop/web shop/svc/") == ["shop/svc/cart:"]
        ports = candidates(f"{head} shop/web shop/svc/cart:")
        assert ports == ["shop/svc/cart:8080"]
        seen = api.requests("get /apis/apps/v1/namespaces/shop/deployments")
    assert seen and all(r.params.get("limit") == "500" for r in seen)


@pytest.mark.usefixtures("roomy")
def test_what_the_user_may_not_list_is_left_out(tmp_path: Path) -> None:
    alice = namespaced("alice", ["shop"])
    with FakeApiServer(_cluster(), users=[alice]) as api:
        kc = api.write_kubeconfig(tmp_path / "kc", user="alice", namespace="shop")
        # namespaces may not be listed: the context's own is offered, as kubectl would use it
        assert candidates(f"kexplore --kubeconfig {kc} matrix ") == ["shop"]
        line = f"kexplore --kubeconfig {kc} check shop/"
        assert {"shop/web", "shop/web-1"} <= set(candidates(line))


def test_a_server_that_does_not_answer_in_time_offers_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(completion, "LIVE_SECONDS", 0.5)
    with FakeApiServer(_cluster()) as api:
        api.delay("get /api/v1/namespaces", 5.0)
        kc = api.write_kubeconfig(tmp_path / "kc")
        assert candidates(f"kexplore --kubeconfig {kc} -n ") == []
    out, err = capsys.readouterr()
    assert out == "" and err == ""


@pytest.mark.usefixtures("roomy")
def test_an_unreachable_server_offers_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApiServer() as api:
        kc = api.write_kubeconfig(tmp_path / "kc")
    assert candidates(f"kexplore --kubeconfig {kc} check ") == []
    out, err = capsys.readouterr()
    assert out == "" and err == ""
