"""The `cluster` layer."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from builders import agent, edge, healthy_dns, node, pod, service, state

from kexplore.checks import cluster, dns
from kexplore.checks.result import LayerResult, Status
from kexplore.model.base import K8s
from kexplore.model.kinds import convert_object
from kexplore.model.pods import Pod


def run(
    *objs: K8s, target: str = "cart:80", unreadable: dict[str, str] | None = None
) -> LayerResult:
    objects: list[Any] = [
        pod("shop", "web", ip="10.0.0.2", node="node-1"),
        pod("shop", "cart-1", labels={"app": "cart"}, ip="10.0.0.3", ports=[8080], node="node-2"),
        service("shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]),
        *healthy_dns(),
        *objs,
    ]
    return cluster.check(edge(state(*objects, unreadable=unreadable), "shop/web", target))


NODES = (node("node-1"), node("node-2"))
AGENTS = (
    agent("calico-node-aaaaa", "node-1"),
    agent("calico-node-bbbbb", "node-2"),
    agent("kube-proxy-aaaaa", "node-1", ds="kube-proxy"),
    agent("kube-proxy-bbbbb", "node-2", ds="kube-proxy"),
)


def test_healthy_nodes_and_agents_pass() -> None:
    result = run(*NODES, *AGENTS)
    assert result.status is Status.PASS
    assert result.summary.startswith("2 node(s) Ready, network available; CNI agent (calico-node)")
    assert "no duplicate pod IPs" in result.summary
    refs = {e.ref for e in result.evidence}
    assert {"node node-1", "node node-2", "pod kube-system/calico-node-bbbbb"} <= refs
    assert "kubectl describe node node-2" in result.commands


def test_node_not_ready_fails() -> None:
    result = run(node("node-1"), node("node-2", ready=False), *AGENTS)
    assert result.status is Status.FAIL and "node node-2 is not Ready" in result.summary


def test_network_unavailable_fails() -> None:
    result = run(node("node-1"), node("node-2", network_unavailable=True), *AGENTS)
    assert result.status is Status.FAIL and "NetworkUnavailable=True" in result.summary
    # which pod of the edge sits on the broken node, and what to do about the node
    assert result.summary.endswith("; it runs shop/cart-1 of this edge")
    assert result.hint is not None and "kubectl drain node-2 --ignore-daemonsets" in result.hint


def test_no_nodes_in_the_data_is_unknown() -> None:
    result = run(*AGENTS)
    assert result.status is Status.UNKNOWN and "the data holds no nodes" in result.summary
    assert result.hint is not None and "kubectl get nodes" in result.hint


def test_unreadable_nodes_are_unknown_with_the_reason() -> None:
    result = run(*AGENTS, unreadable={"Node": "forbidden: list nodes at the cluster scope"})
    assert result.status is Status.UNKNOWN and "forbidden" in result.summary


def test_cni_agent_not_ready_on_an_involved_node_fails() -> None:
    result = run(
        *NODES,
        agent("calico-node-aaaaa", "node-1"),
        agent("calico-node-bbbbb", "node-2", ready=False),
    )
    assert result.status is Status.FAIL and "calico-node-bbbbb" in result.summary


def test_cni_agent_not_ready_elsewhere_does_not_matter() -> None:
    result = run(node("node-3"), *NODES, *AGENTS, agent("calico-node-ccccc", "node-3", ready=False))
    assert result.status is Status.PASS


def test_no_cni_agent_on_an_involved_node_warns() -> None:
    result = run(*NODES, agent("cilium-aaaaa", "node-1", ds="cilium"))
    assert result.status is Status.WARN and "no CNI agent (cilium) on node node-2" in result.summary


def test_cni_recognised_by_pod_name_but_not_operators() -> None:
    named = pod("kube-system", "cilium-x7k2p", host_network=True, ip=None)
    operator = pod("kube-system", "cilium-operator-6d9f-x2k4p", ip=None)
    assert isinstance(named, Pod) and isinstance(operator, Pod)
    assert cluster.is_cni_agent(named)
    assert not cluster.is_cni_agent(operator)


def test_kube_proxy_not_ready_on_the_source_node_fails() -> None:
    proxy = agent("kube-proxy-aaaaa", "node-1", ready=False, ds="kube-proxy")
    result = run(*NODES, *AGENTS, proxy)
    assert result.status is Status.FAIL and "kube-proxy" in result.summary


def test_duplicate_pod_ips_fail_but_host_network_and_finished_pods_do_not() -> None:
    dup = pod("other", "batch-1", ip="10.0.0.3", node="node-3")
    result = run(*NODES, *AGENTS, dup)
    assert result.status is Status.FAIL and "duplicate pod IP 10.0.0.3" in result.summary
    assert "other/batch-1" in result.summary
    done = pod("other", "batch-1", ip="10.0.0.3", node="node-3", phase="Succeeded", ready=False)
    assert run(*NODES, *AGENTS, done).status is Status.PASS


def test_coredns_outage_fails_for_names_not_for_ips() -> None:
    down = pod(
        "kube-system", "coredns-abc", labels={"k8s-app": "kube-dns"}, ip="10.0.9.10", ready=False
    )
    result = run(*NODES, *AGENTS, down)
    assert result.status is Status.FAIL and "DNS outage" in result.summary
    assert run(*NODES, *AGENTS, down, target="10.0.0.3:8080").status is Status.PASS


def test_manifests_only_edges_have_no_nodes_to_judge() -> None:
    web = pod("shop", "web", synthesized=True, ip=None, node="")
    cart = pod("shop", "cart-1", labels={"app": "cart"}, synthesized=True, ip=None, node="")
    svc = service("shop", "cart", selector={"app": "cart"}, ports=[{"port": 80}])
    result = cluster.check(edge(state(web, cart, svc, *NODES), "shop/web", "cart:80"))
    assert result.status is Status.UNKNOWN and "no pod of this edge is scheduled" in result.summary


def test_kube_proxy_only_matters_for_service_ips() -> None:
    proxy = agent("kube-proxy-aaaaa", "node-1", ready=False, ds="kube-proxy")
    alias = service("shop", "psp", type="ExternalName", external_name="api.example.com")
    assert run(*NODES, *AGENTS, proxy, alias, target="psp:443").status is Status.PASS
    assert run(*NODES, *AGENTS, proxy, target="shop/cart-1:8080").status is Status.PASS


def labelled_node(name: str, labels: dict[str, str]) -> K8s:
    raw = msgspec.to_builtins(node(name))
    raw["metadata"]["labels"] = labels
    return convert_object(raw)  # type: ignore[return-value]


def test_without_kube_system_in_the_data_nothing_passes_unlooked() -> None:
    objects = [o for o in healthy_dns() if o.metadata.namespace != "kube-system"]  # type: ignore[attr-defined]
    result = cluster.check(
        edge(state(pod("shop", "web", ip="10.0.0.2"), *NODES, *objects), "shop/web", "10.0.0.9:80")
    )
    assert result.status is Status.UNKNOWN
    assert "kube-system not captured" in result.summary


def test_a_daemonset_owner_decides_before_the_pod_name() -> None:
    agent = pod("kube-system", "node-1-agent", ip=None, owner=("DaemonSet", "calico-node"))
    exporter = pod("monitoring", "calico-node-ab12c", ip=None, owner=("DaemonSet", "exporter"))
    assert isinstance(agent, Pod) and isinstance(exporter, Pod)
    assert cluster.is_cni_agent(agent)
    assert not cluster.is_cni_agent(exporter)


def test_no_recognised_agent_names_the_likely_managed_cni() -> None:
    eks = [labelled_node(n, {"eks.amazonaws.com/nodegroup": "ng-1"}) for n in ("node-1", "node-2")]
    result = run(*eks, agent("kube-proxy-aaaaa", "node-1", ds="kube-proxy"))
    assert result.status is Status.UNKNOWN
    assert "likely a managed CNI: Amazon EKS" in result.summary


def test_cilium_without_kube_proxy_passes_as_its_replacement() -> None:
    cilium = [agent(f"cilium-{n[-1]}aaaa", n, ds="cilium") for n in ("node-1", "node-2")]
    result = run(*NODES, *cilium)
    assert result.status is Status.PASS
    assert "kube-proxy replacement" in result.summary


def test_no_kube_proxy_and_no_replacement_is_unknown() -> None:
    result = run(*NODES, *AGENTS[:2])
    assert result.status is Status.UNKNOWN and "kube-proxy not judged" in result.summary


@pytest.mark.parametrize(("captured", "status"), [(True, Status.FAIL), (False, Status.UNKNOWN)])
def test_cluster_and_dns_agree_on_dns_pods_absent(captured: bool, status: Status) -> None:
    service_only = [o for o in healthy_dns() if not isinstance(o, Pod)]
    extra = [*AGENTS] if captured else []
    st = state(
        pod("shop", "web", ip="10.0.0.2", node="node-1"),
        *NODES,
        *service_only,
        *extra,
    )
    ctx = edge(st, "shop/web", "example.com:443")
    found = {cluster.check(ctx).status, dns.server_part(ctx)[0].status}
    assert found == {status}
