"""`kexplore matrix` outputs: connlist lines, JSON, the text grid, and bad namespaces."""

from __future__ import annotations

import io
import json
import tracemalloc

import pytest
from netpol_builders import namespace, netpol, pod, state_of
from rich.console import Console

from kexplore.errors import NotFoundError, SourceError, UsageError
from kexplore.model.state import LIVE, ClusterState
from kexplore.render.matrix_out import run_matrix


def _state() -> ClusterState:
    allow = {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 5432}]}
        ],
        "egress": [],
        "policyTypes": ["Ingress", "Egress"],
    }
    return state_of(
        namespace("shop"),
        pod("shop", "web-1", {"app": "web"}, "10.0.0.1", owner=("ReplicaSet", "web-7d9")),
        pod("shop", "db-0", {"app": "db"}, "10.0.0.3", owner=("StatefulSet", "db")),
        netpol("shop", "db", allow),
    )


def _run(
    state: ClusterState, output: str, namespaces: list[str] | None = None, width: int = 160
) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None)
    assert run_matrix(state, namespaces or [], output, console) == 0
    return buf.getvalue()


def test_connlist_output() -> None:
    assert _run(_state(), "connlist").splitlines() == [
        "0.0.0.0-255.255.255.255[External] => shop/web-7d9[ReplicaSet] : All Connections",
        "shop/web-7d9[ReplicaSet] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "shop/web-7d9[ReplicaSet] => shop/db[StatefulSet] : TCP 5432",
    ]


def test_json_output() -> None:
    data = json.loads(_run(_state(), "json"))
    assert data["connections"][2] == {
        "src": "shop/web-7d9[ReplicaSet]",
        "dst": "shop/db[StatefulSet]",
        "conn": "TCP 5432",
        "ports": {"TCP": [[5432, 5432]]},
    }
    assert data["namespaces"] == ["shop"]
    assert {c["class"] for c in data["classes"]} == {"shop/app=db", "shop/app=web"}
    assert data["warnings"] == []


def test_text_grid() -> None:
    text = _run(_state(), "text")
    assert "1 shop/db[StatefulSet]" in text
    row = next(line for line in text.splitlines() if "2 shop/web-7d9[ReplicaSet]" in line)
    assert "TCP 5432" in row and "=" in row and "all" in row


def test_text_grid_is_not_squashed_by_a_narrow_console() -> None:
    """Piped output is 80 columns wide; cells must keep their text, not be cut to nothing."""
    text = _run(_state(), "text", width=30)
    row = next(line for line in text.splitlines() if "2 shop/web-7d9[ReplicaSet]" in line)
    assert "TCP 5432" in row and "all" in row


def test_cni_policies_warn_in_text_and_json() -> None:
    cilium = {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "x", "namespace": "shop"},
    }
    state = state_of(cilium)
    assert "CNI policy object(s)" in _run(state, "text")
    assert json.loads(_run(state, "json"))["warnings"]


def test_namespace_filter_and_unknown_namespace() -> None:
    state = _state()
    state.add(state_of(pod("other", "x", {}, "10.0.0.9")).pods[0])
    assert "other/x[Pod]" not in _run(state, "connlist", ["shop"])
    with pytest.raises(NotFoundError, match="'nope'"):
        _run(state, "connlist", ["nope"])


def test_control_sequences_are_stripped() -> None:
    state = state_of(namespace("shop"), pod("shop", "evil\x1b[2J", {}, "10.0.0.1"))
    out = _run(state, "connlist")
    assert "\x1b" not in out and "shop/evil[Pod]" in out


def test_unreadable_policies_are_a_source_error() -> None:
    state = _state()
    state.meta.unreadable["NetworkPolicy"] = "forbidden: list networkpolicies"
    with pytest.raises(SourceError, match="NetworkPolicy not in the data") as err:
        _run(state, "connlist")
    assert err.value.exit_code == 3


def test_policies_forbidden_in_one_namespace_are_a_source_error_naming_it() -> None:
    state = _state()
    state.meta.origin = LIVE
    state.meta.read_in["NetworkPolicy"] = ["other"]
    state.meta.forbidden_in["NetworkPolicy"] = {"shop": "forbidden: cannot list it in shop"}
    with pytest.raises(SourceError, match="NetworkPolicy in namespace shop") as err:
        _run(state, "connlist")
    assert "kubectl auth can-i list networkpolicies -n shop" in err.value.fix


@pytest.mark.parametrize("output", ["connlist", "json"])
def test_pair_lists_bypass_rich_rendering(output: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """W2 has 2.5 million allowed pairs: at ~0.1 ms per rich print the connlist took minutes
    to print, so the lines go straight to the console's file."""

    def no_print(*args: object, **kwargs: object) -> None:
        raise AssertionError("console.print used for a pair list")

    buf = io.StringIO()
    console = Console(file=buf, width=40, color_system=None)
    monkeypatch.setattr(console, "print", no_print)
    assert run_matrix(_state(), [], output, console) == 0
    assert "shop/web-7d9[ReplicaSet]" in buf.getvalue()


def test_ipblock_admits_a_pod_by_its_ip_with_the_cilium_caveat() -> None:
    by_ip = {
        "podSelector": {"matchLabels": {"app": "db"}},
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/30", "except": ["10.0.0.2/32"]}}]}],
    }
    objects = [
        namespace("shop"),
        pod("shop", "web-1", {"app": "web"}, "10.0.0.1", owner=("ReplicaSet", "web-7d9")),
        pod("shop", "job-1", {"app": "job"}, "10.0.0.2"),
        pod("shop", "db-0", {"app": "db"}, "10.0.0.3", owner=("StatefulSet", "db")),
        netpol("shop", "db", by_ip),
    ]
    out = _run(state_of(*objects), "connlist")
    assert "shop/web-7d9[ReplicaSet] => shop/db[StatefulSet] : All Connections" in out
    assert "shop/job-1[Pod] => shop/db[StatefulSet]" not in out  # carved out by except
    agent = pod("kube-system", "cilium-8sd2x", {"k8s-app": "cilium"}, "192.168.0.2")
    warned = json.loads(_run(state_of(*objects, agent), "json"))["warnings"]
    assert any(
        w.startswith("Cilium is detected (agent pod kube-system/cilium-8sd2x)") for w in warned
    )


def _bare_pods(count: int, namespaces: int = 2) -> ClusterState:
    """Bare pods sharing one label set: one class, `count` workloads, no policy."""
    objects = [namespace(f"ns{n}") for n in range(namespaces)]
    objects += [
        pod(f"ns{i % namespaces}", f"p{i}", {"app": "x"}, f"10.1.{i // 250}.{i % 250}")
        for i in range(count)
    ]
    return state_of(*objects)


@pytest.mark.parametrize("output", ["connlist", "json"])
def test_a_big_pair_list_is_streamed_not_held(output: str) -> None:
    """400 bare pods of one class make 160,000 pairs: written as they are made, the output
    never holds them all (the old list of pairs peaked at tens of MB)."""
    state = _bare_pods(400)

    class Counting(io.StringIO):
        lines = 0

        def write(self, text: str) -> int:
            self.lines += text.count("\n")
            return len(text)

    out = Counting()
    tracemalloc.start()
    try:
        assert run_matrix(state, [], output, Console(file=out, color_system=None)) == 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.lines >= 400 * 399
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_a_huge_whole_cluster_matrix_is_refused_before_the_work() -> None:
    state = _bare_pods(40)
    buf = io.StringIO()
    console = Console(file=buf, color_system=None)
    with pytest.raises(UsageError, match=r"up to 1,680 workload pairs \(41 workloads") as err:
        run_matrix(state, [], "connlist", console, max_pairs=1000)
    assert "kexplore matrix NS" in err.value.fix and "--max-pairs" in err.value.fix
    assert buf.getvalue() == ""
    assert run_matrix(state, ["ns0"], "connlist", console, max_pairs=1000) == 0
    assert run_matrix(state, [], "connlist", console, max_pairs=0) == 0
