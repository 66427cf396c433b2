"""The `pods` layer."""

from __future__ import annotations

from builders import (
    container_status,
    edge,
    endpoint,
    endpoint_slice,
    event,
    healthy_dns,
    pod,
    service,
    state,
)

from kexplore.checks import pods
from kexplore.checks.common import unreadable_result
from kexplore.checks.result import LayerResult, Status
from kexplore.model.base import K8s
from kexplore.model.kinds import convert_object
from kexplore.model.state import LIVE


def cart(**kw: object) -> K8s:
    defaults: dict[str, object] = {"labels": {"app": "cart"}, "ip": "10.0.0.3", "ports": [8080]}
    defaults.update(kw)
    return pod("shop", str(defaults.pop("name", "cart-1")), **defaults)  # type: ignore[arg-type]


def run(*objs: K8s, target: str = "cart:80", source: str = "shop/web") -> LayerResult:
    st = state(
        pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"),
        service("shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]),
        *healthy_dns(),
        *objs,
    )
    return pods.check(edge(st, source, target))


def test_healthy_pods_pass_with_evidence() -> None:
    result = run(cart())
    assert result.status is Status.PASS
    refs = [e.ref for e in result.evidence]
    assert "pod shop/web" in refs and "pod shop/cart-1" in refs
    assert "kubectl get pods -n shop -o wide" in result.commands
    assert result.basis == "static"


def test_crash_loop_fails_with_previous_logs_hint() -> None:
    result = run(
        cart(
            ready=False, statuses=[container_status("app", ready=False, waiting="CrashLoopBackOff")]
        )
    )
    assert result.status is Status.FAIL
    assert "CrashLoopBackOff" in result.summary and result.summary.startswith("target ")
    assert any(e.ref == "pod shop/cart-1 container app" for e in result.evidence)
    assert result.hint is not None and "--previous" in result.hint
    assert any("describe pod -n shop cart-1" in c for c in result.commands)


def test_crash_loop_summary_counts_restarts_and_the_last_exit_not_the_back_off() -> None:
    status = container_status(
        "app", ready=False, waiting="CrashLoopBackOff", restarts=23, last_terminated="Error"
    )
    result = run(cart(ready=False, statuses=[status]))
    assert result.summary == (
        "target pod shop/cart-1 container app: waiting: CrashLoopBackOff (23 restarts, "
        "last exit Error (exit code 137))"
    )


def test_image_pull_back_off_fails() -> None:
    result = run(
        cart(
            ready=False, statuses=[container_status("app", ready=False, waiting="ImagePullBackOff")]
        )
    )
    assert result.status is Status.FAIL and "pull" in (result.hint or "")


def test_pending_pod_fails() -> None:
    result = run(cart(phase="Pending", ready=False, statuses=[]))
    assert result.status is Status.FAIL and "phase Pending" in result.summary


def test_one_of_two_target_pods_not_ready_is_a_warning() -> None:
    bad = cart(name="cart-2", ip="10.0.0.4", ready=False)
    result = run(cart(), bad)
    assert result.status is Status.WARN
    assert "cart-2" in result.summary and "not Ready" in result.summary


def test_all_target_pods_not_ready_fails() -> None:
    assert run(cart(ready=False)).status is Status.FAIL


def test_recent_warning_events_warn_old_ones_do_not() -> None:
    recent_at = "2026-01-10T11:50:00Z"
    recent = event("shop", "Pod", "cart-1", "FailedMount", "volume not found", when=recent_at)
    old = event(
        "shop", "Pod", "cart-1", "FailedMount", "volume not found", when="2026-01-08T11:50:00Z"
    )
    warned = run(cart(), recent)
    assert warned.status is Status.WARN and "FailedMount" in warned.summary
    assert warned.hint == "the event says what to fix (kubectl describe pod -n shop cart-1)"
    assert run(cart(), old).status is Status.PASS
    probe = event("shop", "Pod", "cart-1", "Unhealthy", "Readiness probe failed", when=recent_at)
    assert "health layer" in (run(cart(), probe).hint or "")


def test_recent_oom_kill_restart_warns_old_one_passes() -> None:
    recent = container_status("app", restarts=4, last_terminated="OOMKilled")
    old = container_status(
        "app", restarts=4, last_terminated="OOMKilled", last_finished="2026-01-01T00:00:00Z"
    )
    result = run(cart(statuses=[recent]))
    assert result.status is Status.WARN and "OOMKilled" in result.summary
    assert "memory" in (result.hint or "")
    assert run(cart(statuses=[old])).status is Status.PASS


def test_synthesized_pods_are_unknown() -> None:
    result = run(cart(synthesized=True))
    assert result.status is Status.UNKNOWN and "manifests only" in result.summary


def test_target_without_pods_is_unknown_explained_by_service() -> None:
    result = run(pod("shop", "other", labels={"app": "carts"}, ip="10.0.0.9"))
    assert result.status is Status.UNKNOWN and result.explained_by == "service"


def test_nxdomain_target_is_unknown_explained_by_dns() -> None:
    result = run(cart(), target="basket:80")
    assert result.status is Status.UNKNOWN and result.explained_by == "dns"


def test_failing_source_is_a_cause_even_when_the_target_is_nxdomain() -> None:
    crashing = pod(
        "shop",
        "web2",
        ready=False,
        statuses=[container_status("app", ready=False, waiting="CrashLoopBackOff")],
    )
    result = run(crashing, target="basket:80", source="shop/web2")
    assert result.status is Status.FAIL and result.explained_by is None
    assert result.summary.startswith("source ")


def test_source_workload_without_pods_fails() -> None:
    deploy = convert_object(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "idle", "namespace": "shop"},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "idle"}}},
        }
    )
    assert deploy is not None
    result = run(cart(), deploy, source="shop/deploy/idle")
    assert result.status is Status.FAIL and "has no pods" in result.summary
    # scaled to 0: the evidence says so and the hint is the command that fixes it
    assert result.summary == "source Deployment shop/idle has no pods (scaled to 0)"
    assert result.evidence[0].ref == "deployment shop/idle"
    assert result.hint is not None
    assert "kubectl scale deployment idle -n shop --replicas=1" in result.hint


def test_external_target_judges_the_source_only() -> None:
    result = run(target="api.example.com:443")
    assert result.status is Status.PASS and "outside" in result.summary


def test_summaries_stay_on_one_line() -> None:
    multi = event("shop", "Pod", "cart-1", "FailedMount", "line one\nline two\r\n  line three")
    result = run(cart(), multi)
    assert "\n" not in result.summary and "line one line two line three" in result.summary


def test_unreadable_events_are_noted() -> None:
    st = state(
        pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"),
        service("shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]),
        cart(),
        unreadable={"Event": "forbidden: list events"},
    )
    result = pods.check(edge(st, "shop/web", "cart:80"))
    assert any(e.ref == "kind Event" and "forbidden" in e.detail for e in result.evidence)


def test_service_routing_only_to_addresses_no_pod_holds_judges_the_source() -> None:
    bare = service("shop", "vm-db", ports=[{"port": 5432}])
    manual = endpoint_slice(
        "shop", "vm-db-1", "vm-db", [endpoint("172.16.0.5", node=None)], [{"port": 5432}]
    )
    result = run(bare, manual, target="vm-db:5432")
    assert result.status is Status.PASS and result.explained_by is None
    assert "no pod holds" in result.summary


def test_evidence_of_large_workloads_is_capped() -> None:
    many = [cart(name=f"cart-{i}", ip=f"10.0.1.{i}") for i in range(60)]
    result = run(*many)
    assert result.status is Status.PASS
    assert len(result.evidence) == 41 and result.evidence[-1].detail == "21 more lines"


def test_unreadable_kinds_name_the_api_resource() -> None:
    live = state()
    live.meta.origin = LIVE
    result = unreadable_result("networkpolicy", {"NetworkPolicy": "forbidden"}, live)
    assert result.status is Status.UNKNOWN
    assert "kubectl auth can-i list networkpolicies -A" in (result.hint or "")


def test_kinds_missing_from_files_say_how_to_add_them() -> None:
    missing = {"NetworkPolicy in namespace shop": "not in a kubectl cluster-info dump"}
    result = unreadable_result("networkpolicy", missing, state())
    assert "NetworkPolicy in namespace shop not in the data" in result.summary
    assert "kubectl get networkpolicies -n shop -o yaml > networkpolicies.yaml" in (
        result.hint or ""
    )
