"""ReplicaSet Lists in JSON: pod templates kept exactly where a ReplicaSet has no controller."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kexplore.graph import talks_to
from kexplore.model.state import ClusterState, SourceMeta
from kexplore.sources.files.collect import Collector
from kexplore.sources.files.reader import read_file, read_snapshot


def _template(env_value: str) -> dict[str, Any]:
    container = {"name": "c", "env": [{"name": "CART_URL", "value": env_value}]}
    return {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}


def _rs(name: str, owner: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "shop", "uid": f"uid-{name}"}
    if owner is not None:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": owner, "controller": True}
        ]
    spec = {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}}
    return {"metadata": meta, "spec": {**spec, "template": _template("http://cart:8080")}}


def _write(tmp_path: Path, kind: str, items: list[dict[str, Any]], api: str) -> None:
    doc = {"kind": f"{kind}List", "apiVersion": api, "metadata": {}, "items": items}
    (tmp_path / f"{kind.lower()}s.json").write_text(json.dumps(doc))


def _services(tmp_path: Path) -> None:
    svc = {"metadata": {"name": "cart", "namespace": "shop"}, "spec": {"ports": [{"port": 8080}]}}
    _write(tmp_path, "Service", [svc], "v1")


def test_replicaset_without_its_deployment_keeps_its_template(tmp_path: Path) -> None:
    _services(tmp_path)
    _write(tmp_path, "ReplicaSet", [_rs("web-1", owner="web"), _rs("solo", None)], "apps/v1")
    state = read_snapshot(tmp_path)
    for name in ("web-1", "solo"):
        rs = state.get("ReplicaSet", "shop", name)
        assert rs is not None and rs.pod_template() is not None  # type: ignore[attr-defined]
    sources = {edge.source for edge in talks_to(state)}
    assert sources == {"shop/rs/web-1", "shop/rs/solo"}
    assert {p.name for p in state.pods} == {"web-1-synthesized", "solo-synthesized"}


def test_replicaset_under_its_deployment_reads_the_deployments_template(tmp_path: Path) -> None:
    _services(tmp_path)
    _write(tmp_path, "ReplicaSet", [_rs("web-1", owner="web")], "apps/v1")
    _write(tmp_path, "Deployment", [_deployment()], "apps/v1")
    state = read_snapshot(tmp_path)
    rs = state.get("ReplicaSet", "shop", "web-1")
    assert rs is not None and rs.spec.selector is not None  # type: ignore[attr-defined]
    assert rs.spec.replicas == 1  # type: ignore[attr-defined]
    assert [edge.source for edge in talks_to(state)] == ["shop/deploy/web"]
    assert [p.name for p in state.pods] == ["web-synthesized"]


def _deployment() -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "shop", "uid": "uid-web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": _template("cart")},
    }


def test_a_list_whose_controllers_are_read_already_is_not_kept_for_templates() -> None:
    """deployments.json is read before replicasets.json: the ReplicaSets' List bytes are
    then dropped at once, not held to the end of the read."""
    collector = Collector(ClusterState(SourceMeta()))
    for kind, items in (("Deployment", [_deployment()]), ("ReplicaSet", [_rs("web-1", "web")])):
        doc = {"kind": f"{kind}List", "apiVersion": "apps/v1", "items": items}
        read_file(f"{kind.lower()}s.json", json.dumps(doc).encode(), collector)
    assert collector.without_templates == []
    orphan = {"kind": "ReplicaSetList", "apiVersion": "apps/v1", "items": [_rs("solo", None)]}
    read_file("more.json", json.dumps(orphan).encode(), collector)
    assert len(collector.without_templates) == 1


def test_a_controller_read_after_its_replicasets_still_takes_their_place(tmp_path: Path) -> None:
    _services(tmp_path)
    _write(tmp_path, "ReplicaSet", [_rs("web-1", owner="web")], "apps/v1")
    doc = {"kind": "DeploymentList", "apiVersion": "apps/v1", "items": [_deployment()]}
    (tmp_path / "zz-later.json").write_text(json.dumps(doc))
    state = read_snapshot(tmp_path)
    assert [edge.source for edge in talks_to(state)] == ["shop/deploy/web"]
