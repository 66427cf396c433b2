"""Policy decisions the data plane kept: Hubble's flows (`hubble observe --output json` in the
Cilium agent on the node), filtered to an edge's IPs and port and read as verdicts."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from kexplore.probes.strategy import split_address

LAST_FLOWS = 500  # flows Hubble returns from its ring buffer


def hubble_argv(target: str, sources: tuple[str, ...]) -> list[str]:
    """`hubble observe` for flows from the sources to target (IP:port), as JSON."""
    ip, port = split_address(target)
    froms = [word for src in sources for word in ("--from-ip", split_address(f"{src}:1")[0])]
    return [
        "hubble",
        "observe",
        "--output",
        "json",
        "--last",
        str(LAST_FLOWS),
        *froms,
        "--to-ip",
        ip,
        "--to-port",
        str(port),
    ]


@dataclass(frozen=True)
class Flow:
    """One flow: who to whom, the verdict and why a drop happened."""

    source: str
    destination: str
    port: int
    verdict: str
    reason: str
    direction: str
    summary: str

    def line(self) -> str:
        why = f" {self.reason}" if self.reason else ""
        return (
            f"{self.source} → {self.destination}:{self.port} {self.verdict}{why} ({self.direction})"
        )


def _flow_of(doc: dict[str, Any]) -> Flow | None:
    flow = doc.get("flow", doc)
    ip = flow.get("IP") or {}
    l4 = flow.get("l4") or {}
    ports = l4.get("TCP") or l4.get("UDP") or l4.get("SCTP") or {}
    if not ip.get("source") or not flow.get("verdict"):
        return None
    return Flow(
        ip["source"],
        ip.get("destination", ""),
        int(ports.get("destination_port", 0)),
        str(flow["verdict"]),
        str(flow.get("drop_reason_desc") or ""),
        str(flow.get("traffic_direction") or ""),
        str(flow.get("Summary") or flow.get("summary") or ""),
    )


def parse_hubble(text: str) -> list[Flow]:
    """Every flow in `hubble observe --output json` (one JSON object a line; others skipped)."""
    out = []
    for line in text.splitlines():
        if not line.lstrip().startswith("{"):
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        flow = _flow_of(doc) if isinstance(doc, dict) else None
        if flow is not None:
            out.append(flow)
    return out


def verdicts(flows: list[Flow]) -> Counter[str]:
    """`DROPPED POLICY_DENIED`, `FORWARDED`… counted."""
    return Counter(f"{f.verdict} {f.reason}".strip() for f in flows)


def policy_denied(flows: list[Flow]) -> list[Flow]:
    return [f for f in flows if f.verdict == "DROPPED" and "POLICY" in f.reason]
