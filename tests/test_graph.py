"""Graph model: object nodes, owns/selects/applies-to edges and talks-to inference."""

from __future__ import annotations

from typing import Any

from kexplore.graph import build_graph, node_id, object_graph, talks_to
from kexplore.model.base import K8s
from kexplore.model.kinds import convert_object
from kexplore.model.state import ClusterState


def obj(raw: dict[str, Any]) -> K8s:
    out = convert_object(raw)
    assert out is not None, raw
    return out


def meta(ns: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": ns, **extra}


def container(name: str, ports: list[int] | None = None) -> dict[str, Any]:
    return {"name": name, "ports": [{"containerPort": p} for p in ports or []]}


def namespace(name: str) -> K8s:
    return obj({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def config_map(ns: str, name: str, data: dict[str, str]) -> K8s:
    return obj({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(ns, name), "data": data})


def service(ns: str, name: str, selector: dict[str, str], port: int) -> K8s:
    spec = {"selector": selector, "ports": [{"port": port}]}
    return obj({"apiVersion": "v1", "kind": "Service", "metadata": meta(ns, name), "spec": spec})


def pod(
    ns: str,
    name: str,
    labels: dict[str, str] | None = None,
    containers: list[dict[str, Any]] | None = None,
    owner: tuple[str, str] | None = None,
) -> K8s:
    refs = [{"kind": owner[0], "name": owner[1], "controller": True}] if owner else []
    return obj(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta(ns, name, labels=labels or {}, ownerReferences=refs),
            "spec": {"containers": containers or [container("app")]},
        }
    )


def state(*objs: K8s) -> ClusterState:
    st = ClusterState()
    st.add_all(objs)
    return st


def deployment(ns: str, name: str, containers: list[dict[str, Any]], **spec: Any) -> K8s:
    return obj(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": containers, **spec},
                },
            },
        }
    )


def replica_set(ns: str, name: str, owner: str) -> K8s:
    return obj(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": ns,
                "ownerReferences": [{"kind": "Deployment", "name": owner, "controller": True}],
            },
            "spec": {"template": {"spec": {"containers": [{"name": "x"}]}}},
        }
    )


def policy(ns: str, name: str, match: dict[str, str]) -> K8s:
    return obj(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {"matchLabels": match}, "policyTypes": ["Ingress"]},
        }
    )


def web(**env: str) -> dict[str, Any]:
    spec = container("web")
    spec["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return spec


def shop(*extra: K8s) -> ClusterState:
    return state(
        namespace("shop"),
        namespace("web"),
        service("shop", "cart", {"app": "cart"}, 8080),
        service("shop", "redis", {"app": "redis"}, 6379),
        *extra,
    )


def targets(st: ClusterState) -> dict[str, str]:
    return {t.target: t.where for t in talks_to(st)}


def test_env_value_forms_all_become_talks_to_edges() -> None:
    st = shop(
        deployment(
            "shop",
            "frontend",
            [
                web(
                    CART_ADDR="cart:8080",
                    CART_NS="cart.shop:8080",
                    CART_SVC="cart.shop.svc:8080",
                    CART_FQDN="http://cart.shop.svc.cluster.local:8080/api",
                )
            ],
        )
    )
    found = targets(st)
    assert found == {
        "cart:8080": "env CART_ADDR of container web",
        "cart.shop:8080": "env CART_NS of container web",
        "cart.shop.svc:8080": "env CART_SVC of container web",
        "cart.shop.svc.cluster.local:8080": "env CART_FQDN of container web",
    }
    edge = talks_to(st)[0]
    assert edge.source == "shop/deploy/frontend"
    assert edge.target_node == node_id("Service", "shop", "cart")


def test_short_name_from_another_namespace_points_at_a_name_node() -> None:
    st = shop(deployment("web", "ui", [web(CART_ADDR="cart:8080")]))
    [edge] = talks_to(st)
    assert (edge.source, edge.target) == ("web/deploy/ui", "cart:8080")
    assert edge.target_node == node_id("Name", "web", "cart")
    graph = build_graph(st)
    assert graph.nodes[edge.target_node]["kind"] == "Name"


def test_port_from_sibling_env_var_scheme_or_service() -> None:
    st = shop(
        deployment(
            "shop",
            "frontend",
            [web(REDIS_HOST="redis", REDIS_PORT="6380", CART_URL="http://cart/")],
        )
    )
    assert set(targets(st)) == {"redis:6380", "cart:80"}


def test_bare_words_without_an_address_hint_are_ignored() -> None:
    st = shop(deployment("shop", "frontend", [web(GREETING="the cart is empty", MODE="cart")]))
    assert talks_to(st) == []


def test_unknown_names_and_dotted_file_names_are_ignored() -> None:
    st = shop(
        deployment("shop", "frontend", [web(API_URL="http://payments:9000", CFG="cart.json")])
    )
    assert talks_to(st) == []


def test_service_env_reference_in_args_and_service_port() -> None:
    spec = container("web")
    spec["args"] = ["--cart=$(CART_SERVICE_HOST):$(CART_SERVICE_PORT)"]
    st = shop(deployment("shop", "frontend", [spec]))
    found = targets(st)
    assert found == {"shop/svc/cart:8080": "args of container web"}


def test_command_args_with_host_and_port() -> None:
    spec = container("worker")
    spec["command"] = ["worker", "--redis", "redis.shop:6379"]
    st = shop(deployment("shop", "worker", [spec]))
    assert targets(st) == {"redis.shop:6379": "command of container worker"}


def test_config_map_via_env_from_key_ref_and_mount() -> None:
    c = container("web")
    c["envFrom"] = [{"configMapRef": {"name": "env-cfg"}}]
    c["env"] = [
        {"name": "DB", "valueFrom": {"configMapKeyRef": {"name": "one", "key": "redis_addr"}}}
    ]
    c["volumeMounts"] = [{"name": "conf", "mountPath": "/etc/nginx"}]
    st = shop(
        config_map("shop", "env-cfg", {"CART_ENDPOINT": "cart.shop.svc.cluster.local:8080"}),
        config_map("shop", "one", {"redis_addr": "redis:6379", "other": "cart:8080"}),
        config_map(
            "shop", "nginx", {"nginx.conf": "location / {\n  proxy_pass http://cart:8080;\n}"}
        ),
        deployment(
            "shop", "frontend", [c], volumes=[{"name": "conf", "configMap": {"name": "nginx"}}]
        ),
    )
    assert targets(st) == {
        "cart.shop.svc.cluster.local:8080": (
            "configmap shop/env-cfg key CART_ENDPOINT (envFrom of container web)"
        ),
        "redis:6379": "configmap shop/one key redis_addr (env DB of container web)",
        "cart:8080": (
            "configmap shop/nginx key nginx.conf (mounted at /etc/nginx of container web)"
        ),
    }


def test_same_target_twice_is_one_edge_with_every_place() -> None:
    st = shop(deployment("shop", "frontend", [web(A_ADDR="cart:8080", B_ADDR="cart:8080")]))
    [edge] = talks_to(st)
    assert edge.found_in == ("env A_ADDR of container web", "env B_ADDR of container web")


def test_bare_pod_and_pods_of_missing_owner_are_talkers_once() -> None:
    c = web(CART_ADDR="cart:8080")
    st = shop(
        pod("shop", "debug", containers=[c]),
        pod("shop", "x-1", containers=[c], owner=("ReplicaSet", "gone")),
        pod("shop", "x-2", containers=[c], owner=("ReplicaSet", "gone")),
    )
    assert sorted(t.source for t in talks_to(st)) == ["shop/pod/debug", "shop/pod/x-1"]


def test_graph_edges_selects_applies_to_owns() -> None:
    st = shop(
        deployment("shop", "cart", [container("app", [8080])]),
        replica_set("shop", "cart-1", "cart"),
        pod("shop", "cart-1-a", labels={"app": "cart"}, owner=("ReplicaSet", "cart-1")),
        pod("shop", "other", labels={"app": "other"}),
        policy("shop", "cart-only", {"app": "cart"}),
    )
    g = build_graph(st)
    cart_pod = node_id("Pod", "shop", "cart-1-a")
    assert g.has_edge(node_id("Service", "shop", "cart"), cart_pod, key="selects")
    assert g.has_edge(node_id("NetworkPolicy", "shop", "cart-only"), cart_pod, key="applies-to")
    assert not g.has_edge(
        node_id("NetworkPolicy", "shop", "cart-only"), node_id("Pod", "shop", "other")
    )
    assert g.has_edge(node_id("ReplicaSet", "shop", "cart-1"), cart_pod, key="owns")
    assert g.has_edge(
        node_id("Deployment", "shop", "cart"), node_id("ReplicaSet", "shop", "cart-1")
    )
    assert g.nodes[node_id("Namespace", "", "shop")]["kind"] == "Namespace"
    pods = {n for n, d in g.nodes(data=True) if d["kind"] == "Pod"}
    assert not any(u in pods and v in pods for u, v in g.edges())


def test_object_graph_folds_pods_into_workloads() -> None:
    st = shop(
        deployment("shop", "cart", [container("app", [8080])]),
        replica_set("shop", "cart-1", "cart"),
        pod("shop", "cart-1-a", labels={"app": "cart"}, owner=("ReplicaSet", "cart-1")),
        pod("shop", "cart-1-b", labels={"app": "cart"}, owner=("ReplicaSet", "cart-1")),
        deployment("shop", "frontend", [web(CART_ADDR="cart:8080")]),
    )
    view = object_graph(st)
    cart = node_id("Deployment", "shop", "cart")
    assert view.get_edge_data(node_id("Service", "shop", "cart"), cart)["selects"]["pods"] == 2
    assert node_id("ReplicaSet", "shop", "cart-1") not in view
    assert node_id("Pod", "shop", "cart-1-a") not in view
    assert view.has_edge(
        node_id("Deployment", "shop", "frontend"), node_id("Service", "shop", "cart")
    )


def test_demo_edges_are_exactly_those_docs_demo_lists() -> None:
    import re
    from pathlib import Path

    from kexplore.sources.demo import load_demo

    doc = Path(__file__).resolve().parents[1] / "docs" / "demo.md"
    listed = set(re.findall(r"kexplore check --demo (\S+) ([^\s`]+)", doc.read_text()))
    found = {(t.source, t.target) for t in talks_to(load_demo())}
    assert found == listed
