"""Hubble's flows as `hubble observe --output json` prints them (Cilium 1.14+, one object a
line, each wrapping a `flow`), read as verdicts; the argv asks only for the edge."""

from __future__ import annotations

import json

from kexplore.probes.flows import hubble_argv, parse_hubble, policy_denied, verdicts


def hubble_line(verdict: str, reason: str = "", direction: str = "INGRESS") -> str:
    flow: dict[str, object] = {
        "time": "2026-03-18T10:35:24.118240Z",
        "verdict": verdict,
        "ethernet": {"source": "aa:bb:cc:00:00:01", "destination": "aa:bb:cc:00:00:02"},
        "IP": {"source": "10.0.1.5", "destination": "10.0.2.7", "ipVersion": "IPv4"},
        "l4": {"TCP": {"source_port": 43822, "destination_port": 6379, "flags": {"SYN": True}}},
        "source": {"ID": 1234, "identity": 5678, "namespace": "shop", "pod_name": "cart-1"},
        "destination": {"ID": 99, "identity": 4321, "namespace": "data", "pod_name": "redis-0"},
        "Type": "L3_L4",
        "node_name": "worker-1",
        "event_type": {"type": 1, "sub_type": 133},
        "traffic_direction": direction,
        "Summary": "TCP Flags: SYN",
    }
    if reason:
        flow["drop_reason"] = 133
        flow["drop_reason_desc"] = reason
    return json.dumps({"flow": flow, "node_name": "worker-1", "time": flow["time"]})


def test_drops_and_forwards_are_read_with_their_reason() -> None:
    text = "\n".join(
        [
            hubble_line("DROPPED", "POLICY_DENIED"),
            hubble_line("DROPPED", "POLICY_DENIED"),
            hubble_line("FORWARDED", direction="EGRESS"),
            "Error: some status line hubble printed",
        ]
    )
    flows = parse_hubble(text)
    assert len(flows) == 3
    assert verdicts(flows) == {"DROPPED POLICY_DENIED": 2, "FORWARDED": 1}
    assert len(policy_denied(flows)) == 2
    assert flows[0].line() == "10.0.1.5 → 10.0.2.7:6379 DROPPED POLICY_DENIED (INGRESS)"


def test_other_drop_reasons_are_not_policy_denials() -> None:
    flows = parse_hubble(hubble_line("DROPPED", "CT_MAP_INSERTION_FAILED"))
    assert flows and policy_denied(flows) == []


def test_the_argv_filters_to_the_edge() -> None:
    argv = hubble_argv("10.0.2.7:6379", ("10.0.1.5", "10.0.1.6"))
    assert argv[:4] == ["hubble", "observe", "--output", "json"]
    assert argv[6:] == [
        *("--from-ip", "10.0.1.5", "--from-ip", "10.0.1.6"),
        *("--to-ip", "10.0.2.7", "--to-port", "6379"),
    ]
