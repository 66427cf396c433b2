"""The class matrix and the workload connlist agree with pairwise verdicts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from netpol_builders import admin, namespace, netpol, pod, state_of
from netpol_strategies import World, cluster

from kexplore.analysis.netpol.engine import allowed_connections
from kexplore.analysis.netpol.matrix import Matrix
from kexplore.analysis.netpol.matrix_workloads import connlist, workload_of
from kexplore.analysis.netpol.peers import Endpoint
from kexplore.model.pods import Pod


@settings(
    max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(cluster())
def test_class_matrix_equals_pairwise_engine(world: World) -> None:
    nss, pods, policies = world
    state = state_of(*nss, *pods, *policies)
    matrix = Matrix(state)
    for src in state.pods:
        for dst in state.pods:
            if src is dst:
                continue
            s, d = (matrix.class_of[(p.namespace, p.name)] for p in (src, dst))
            assert matrix.allowed(s, d) == allowed_connections(state, src, dst)
    expected = {
        (s, d): matrix.allowed(s, d)
        for s in matrix.classes() + matrix.sources_external
        for d in matrix.targets_of(s)
    }
    nonempty = {k: v for k, v in expected.items() if not v.is_empty()}
    assert {(s, d): c for s, d, c in matrix.pairs()} == nonempty
    assert matrix.count_allowed() == len(nonempty)
    for e in matrix.sources_external:
        ext = matrix.peers[e]
        for dst in state.pods:
            d = matrix.class_of[(dst.namespace, dst.name)]
            assert matrix.allowed(e, d) == allowed_connections(state, Endpoint(ip=ext.ip), dst)


def test_classes_use_only_referenced_label_keys() -> None:
    state = state_of(
        namespace("a"),
        pod("a", "p1", {"app": "web", "pod-template-hash": "1"}, "10.0.0.1"),
        pod("a", "p2", {"app": "web", "pod-template-hash": "2"}, "10.0.0.2"),
        pod("a", "p3", {"app": "db"}, "10.0.0.3"),
        netpol("a", "np", {"podSelector": {"matchLabels": {"app": "db"}}}),
    )
    matrix = Matrix(state)
    classes = [p for p in matrix.peers if not p.external]
    assert sorted(p.label() for p in classes) == ["a/app=db", "a/app=web"]
    assert matrix.class_of[("a", "p1")] == matrix.class_of[("a", "p2")]


def _deploy_pods() -> list[dict[str, object]]:
    return [
        namespace("shop"),
        pod(
            "shop",
            "web-1",
            {"app": "web"},
            "10.0.0.1",
            [("http", 80, "TCP")],
            owner=("ReplicaSet", "web-7d9"),
        ),
        pod(
            "shop",
            "web-2",
            {"app": "web"},
            "10.0.0.2",
            [("http", 80, "TCP")],
            owner=("ReplicaSet", "web-7d9"),
        ),
        pod(
            "shop",
            "db-0",
            {"app": "db"},
            "10.0.0.3",
            [("pg", 5432, "TCP")],
            owner=("StatefulSet", "db"),
        ),
        pod("shop", "debug", {"run": "debug"}, "10.0.0.4"),
    ]


def test_connlist_lines_and_workload_names() -> None:
    allow = {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                "ports": [{"port": "pg"}, {"protocol": "UDP", "port": 53}],
            }
        ],
    }
    state = state_of(*_deploy_pods(), netpol("shop", "db", allow))
    lines = [c.line() for c in connlist(state)]
    assert lines == [
        "0.0.0.0-255.255.255.255[External] => shop/debug[Pod] : All Connections",
        "0.0.0.0-255.255.255.255[External] => shop/web-7d9[ReplicaSet] : All Connections",
        "shop/db[StatefulSet] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "shop/db[StatefulSet] => shop/debug[Pod] : All Connections",
        "shop/db[StatefulSet] => shop/web-7d9[ReplicaSet] : All Connections",
        "shop/debug[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "shop/debug[Pod] => shop/web-7d9[ReplicaSet] : All Connections",
        "shop/web-7d9[ReplicaSet] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "shop/web-7d9[ReplicaSet] => shop/db[StatefulSet] : TCP 5432,UDP 53",
        "shop/web-7d9[ReplicaSet] => shop/debug[Pod] : All Connections",
    ]


def test_workload_named_after_top_owner() -> None:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
    }
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-7d9",
            "namespace": "shop",
            "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}],
        },
    }
    state = state_of(*_deploy_pods(), deploy, rs)
    web = state.get("Pod", "shop", "web-1")
    assert isinstance(web, Pod)
    assert workload_of(state, web) == "shop/web[Deployment]"
    static = state_of(pod("kube-system", "etcd-node1", owner=("Node", "node1")))
    etcd = static.get("Pod", "kube-system", "etcd-node1")
    assert isinstance(etcd, Pod)
    assert workload_of(static, etcd) == "kube-system/etcd-node1[Pod]"


def test_ipblock_ranges_become_external_peers() -> None:
    rule = {
        "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/10", "10.64.0.0/10"]}}]
    }
    state = state_of(
        *_deploy_pods(),
        netpol("shop", "ext", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [rule]}),
    )
    matrix = Matrix(state)
    labels = [matrix.peers[e].label() for e in matrix.sources_external]
    assert labels == [
        "0.0.0.0-10.127.255.255[External]",
        "10.128.0.0-10.255.255.255[External]",
        "11.0.0.0-255.255.255.255[External]",
    ]
    db = matrix.class_of[("shop", "db-0")]
    assert [matrix.allowed(e, db).is_all() for e in matrix.sources_external] == [False, True, False]


def test_matrix_with_admin_tiers_uses_full_evaluation() -> None:
    deny = admin(
        "AdminNetworkPolicy",
        "no-debug",
        {
            "priority": 1,
            "subject": {"namespaces": {}},
            "ingress": [
                {
                    "action": "Deny",
                    "from": [
                        {
                            "pods": {
                                "namespaceSelector": {},
                                "podSelector": {"matchLabels": {"run": "debug"}},
                            }
                        }
                    ],
                }
            ],
        },
    )
    state = state_of(*_deploy_pods(), deny)
    matrix = Matrix(state)
    debug, db = matrix.class_of[("shop", "debug")], matrix.class_of[("shop", "db-0")]
    assert matrix.allowed(debug, db).is_empty()
    assert matrix.allowed(db, debug).is_all()
    assert matrix.count_allowed() == sum(1 for _ in matrix.pairs())
