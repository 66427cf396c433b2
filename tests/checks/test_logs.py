"""Recorded log tails as evidence: the crashing container's previous log in pods and health,
the target's log when a port-forward fails for no config reason."""

from __future__ import annotations

import json
import threading

from builders import container_status, edge, healthy_dns, pod, service, state

from kexplore.checks import health, pods
from kexplore.checks.ladder import check_edge
from kexplore.checks.logs import log_evidence
from kexplore.model.pods import Pod
from kexplore.model.recorded import RecordedLog
from kexplore.model.state import ClusterState
from kexplore.probes.base import ProbeRequest, ProbeResult

CRASH = "\n".join(
    [
        "INFO starting v0.31.0",
        "INFO loading model from /models/latest.bin",
        "\x1b[31mFATAL\x1b[0m model load failed: open /models/latest.bin: no such file",
        "panic: model load failed",
        "",
        "goroutine 1 [running]:",
        "\tmain.main()",
    ]
)


def _crashing() -> ClusterState:
    status = container_status("app", ready=False, waiting="CrashLoopBackOff", restarts=4)
    st = state(
        pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"),
        pod(
            "shop",
            "cart-1",
            labels={"app": "cart"},
            ip="10.0.0.3",
            ports=[8080],
            ready=False,
            statuses=[status],
        ),
        service("shop", "cart", selector={"app": "cart"}, ports=[{"port": 80, "targetPort": 8080}]),
        *healthy_dns(),
    )
    st.logs += [
        RecordedLog("shop", "cart-1", "app", "INFO serving\n"),
        RecordedLog("shop", "cart-1", "app", CRASH, previous=True),
    ]
    return st


def test_the_previous_log_says_why_it_crashes_in_pods_and_health() -> None:
    st = _crashing()
    for layer in (pods, health):
        result = layer.check(edge(st, "shop/web", "cart:80"))
        (log,) = [e for e in result.evidence if e.ref.startswith("log ")]
        assert log.ref == "log shop/cart-1 container app previous"
        assert log.detail.startswith("key lines (6 lines recorded)")
        assert "no such file" in log.detail and "panic: model load failed" in log.detail
        assert "goroutine" not in log.detail


def test_without_telling_lines_the_last_ones_are_shown_and_no_log_means_no_evidence() -> None:
    st = _crashing()
    web = st.get("Pod", "shop", "web")
    assert isinstance(web, Pod)
    assert log_evidence(st, web) == []
    st.logs.append(RecordedLog("shop", "web", "app", "\n".join(f"line {i}" for i in range(9))))
    (log,) = log_evidence(st, web)
    assert log.detail == "last lines (9 lines recorded)\n  | line 6\n  | line 7\n  | line 8"


class _LeakyProber:
    """Answers every probe with output that holds a credential."""

    basis = "probe"

    def run(self, request: ProbeRequest, cancel: threading.Event | None = None) -> ProbeResult:
        output = "HTTP/1.1 401\nAuthorization: Bearer s3cr3tT0kenValue\nrefused"
        return ProbeResult(request, ["curl", request.target], output, "refused")


def test_check_evidence_redacts_secrets_in_log_lines_and_probe_output() -> None:
    st = _crashing()
    leak = CRASH + "\nFATAL connect postgres://app:hunter2@pg:5432 failed: DB_PASSWORD=hunter2"
    st.logs[1] = RecordedLog("shop", "cart-1", "app", leak, previous=True)
    report = check_edge(st, "shop/web", "cart:80", prober=_LeakyProber())
    text = json.dumps(report.to_json())
    assert "postgres://app:***@pg:5432" in text and "DB_PASSWORD=***" in text
    assert "hunter2" not in text
    assert "Bearer ***" in text and "s3cr3tT0kenValue" not in text
