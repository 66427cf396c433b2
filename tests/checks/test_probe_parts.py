"""The probe layers (reachability, network): skipped with a prediction, pass, fail with
explained_by, unknown when the probe mechanism fails, recorded results replayed."""

from __future__ import annotations

import shlex

from builders import FakeProber, state, web_and_cart

from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.ladder import run_ladder
from kexplore.checks.probe_parts import merge
from kexplore.checks.probing import reproduce
from kexplore.checks.result import LayerResult, Status
from kexplore.model.kinds import convert_object
from kexplore.model.recorded import RecordedLog, RecordedProbe
from kexplore.model.state import ClusterState
from kexplore.probes.base import ProbeRequest, ProbeResult


def _cluster(*, selector_typo: bool = False) -> ClusterState:
    # with the typo the service selects no pod: the service layer fails and explains a refused
    # connect
    return state(*web_and_cart({"app": "kart"} if selector_typo else None))


def _run(st: ClusterState, prober: FakeProber | None) -> dict[str, object]:
    report = run_ladder(
        st, resolve_source(st, "shop/web-1"), parse_target("cart:80"), prober=prober
    )
    return {r.id: r for r in report.layers} | {"_report": report}


def test_without_prober_probe_layers_are_skipped_with_prediction() -> None:
    layers = _run(_cluster(), None)
    reach = layers["reachability"]
    assert reach.status is Status.SKIPPED and "predicted to succeed" in reach.summary
    assert layers["network"].status is Status.SKIPPED


def test_connects_to_service_ip_and_backend_target_port() -> None:
    prober = FakeProber(
        {("tcp", "10.96.5.5:80"): "connected", ("tcp", "10.0.0.3:8080"): "connected"}
    )
    layers = _run(_cluster(), prober)
    assert layers["reachability"].status is Status.PASS
    assert {r.target for r in prober.asked if r.probe == "tcp"} == {"10.96.5.5:80", "10.0.0.3:8080"}
    assert all(r.pod == "web-1" for r in prober.asked if r.probe == "tcp")


def test_timeout_without_static_cause_is_the_failing_layer() -> None:
    prober = FakeProber({("tcp", "10.96.5.5:80"): "timeout"})
    layers = _run(_cluster(), prober)
    reach = layers["reachability"]
    assert reach.status is Status.FAIL and reach.explained_by is None
    assert layers["_report"].failing_layer == "reachability"  # type: ignore[attr-defined]
    assert "predicts success" in reach.summary


def test_failure_explained_by_failing_config_layer() -> None:
    prober = FakeProber({("tcp", "10.96.5.5:80"): "refused"})
    layers = _run(_cluster(selector_typo=True), prober)
    reach = layers["reachability"]
    assert reach.status is Status.FAIL and reach.explained_by == "service"
    assert layers["_report"].failing_layer != "reachability"  # type: ignore[attr-defined]


def test_mechanism_failure_is_unknown_not_fail() -> None:
    prober = FakeProber({("tcp", "10.96.5.5:80"): "forbidden"})
    reach = _run(_cluster(), prober)["reachability"]
    assert reach.status is Status.UNKNOWN


def test_port_forward_refused_fails_network_layer() -> None:
    prober = FakeProber({("port-forward", "10.0.0.3:8080"): "refused"})
    layers = _run(_cluster(), prober)
    net = layers["network"]
    assert net.status is Status.FAIL and "10.0.0.3:8080" in net.summary
    assert prober.asked[-1].pod == "cart-1"  # port-forward targets the backend pod


def test_recorded_probes_are_replayed_without_a_prober() -> None:
    st = _cluster()
    st.recorded_probes.append(
        RecordedProbe(
            probe="tcp",
            namespace="shop",
            pod="web-1",
            target="10.0.0.3:8080",
            command=["nc", "-zv", "-w", "3", "10.0.0.3", "8080"],
            output="timed out",
            result="timeout",
            exit_code=1,
        )
    )
    reach = _run(st, None)["reachability"]
    assert reach.status is Status.FAIL and reach.basis == "recorded"
    assert "kubectl exec --namespace shop pod/web-1 -- nc -zv -w 3 10.0.0.3 8080" in reach.commands
    assert "| timed out" in reach.evidence[0].detail  # the raw output travels with the evidence


def test_a_source_without_pods_predicts_nothing_about_the_port_forward() -> None:
    """The port-forward bypasses the source: its missing pods are no contradiction, and the
    dns layer, unable to judge DNS egress, is explained by pods and says what to do."""
    idle = convert_object(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "idle", "namespace": "shop"},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "idle"}}},
        }
    )
    assert idle is not None
    st = _cluster()
    st.add(idle)
    prober = FakeProber({("port-forward", "10.0.0.3:8080"): "connected"})
    report = run_ladder(
        st, resolve_source(st, "shop/deploy/idle"), parse_target("cart:80"), prober=prober
    )
    layers = {r.id: r for r in report.layers}
    assert layers["pods"].status is Status.FAIL
    assert layers["network"].status is Status.PASS
    dns = layers["dns"]
    assert dns.status is Status.UNKNOWN and dns.explained_by == "pods"
    assert dns.summary == "DNS egress not judged: Deployment shop/idle has no pods"
    assert dns.hint is not None and "pods layer" in dns.hint


def test_a_probe_script_is_reproduced_quoted_for_the_shell() -> None:
    """`bash -c SCRIPT host port` must paste back as the same argv, not as split words."""
    request = ProbeRequest("tcp", "shop", "web-1", "10.0.0.3:8080", container="app")
    argv = ["bash", "-c", "exec 3<>/dev/tcp/$0/$1", "10.0.0.3", "8080"]
    result = ProbeResult(request, argv, "", "connected", 0, 3.0)
    pasted = shlex.split(reproduce(result))
    assert pasted[-5:] == argv and pasted[:2] == ["kubectl", "exec"]
    assert result.describe().startswith("$ bash -c 'exec 3<>/dev/tcp/$0/$1' 10.0.0.3 8080 ")


def test_a_recorded_lookup_replaces_the_static_command_running_the_same_thing() -> None:
    static = LayerResult(
        "dns",
        Status.PASS,
        "ok",
        commands=[
            "kubectl exec -n shop web-1 -- nslookup cart",
            "kubectl exec -n shop web-1 -- cat /etc/resolv.conf",
        ],
    )
    request = ProbeRequest("dns", "shop", "web-1", "cart", container="app")
    lookup = ProbeResult(request, ["nslookup", "cart"], "", "resolved", 0, 3.0)
    merged = merge(static, [lookup], "DNS lookup", "hint")
    assert merged.commands == [
        "kubectl exec -n shop web-1 -- cat /etc/resolv.conf",
        "kubectl exec --namespace shop pod/web-1 -c app -- nslookup cart",
    ]


def test_an_unexplained_port_forward_failure_shows_the_target_log() -> None:
    st = _cluster()
    st.logs.append(
        RecordedLog("shop", "cart-1", "app", "INFO up\nERROR accept4: too many open files\n")
    )
    prober = FakeProber({("port-forward", "10.0.0.3:8080"): "refused"})
    net = _run(st, prober)["network"]
    assert net.status is Status.FAIL and net.explained_by is None
    assert net.evidence[-1].ref == "log shop/cart-1 container app"
    assert "too many open files" in net.evidence[-1].detail


def test_which_paths_failed_narrows_an_unexplained_failure_down() -> None:
    both = FakeProber({("tcp", "10.96.5.5:80"): "timeout", ("tcp", "10.0.0.3:8080"): "timeout"})
    reach = _run(_cluster(), both)["reachability"]
    assert reach.status is Status.FAIL and reach.explained_by is None
    assert reach.hint is not None and reach.hint.startswith("the pod IPs fail too")
    only_service = FakeProber(
        {("tcp", "10.96.5.5:80"): "timeout", ("tcp", "10.0.0.3:8080"): "connected"}
    )
    reach = _run(_cluster(), only_service)["reachability"]
    assert reach.hint is not None and "check kube-proxy" in reach.hint
