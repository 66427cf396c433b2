"""A deliberately naive NetworkPolicy evaluator on raw API JSON: every policy, every pair.

The reference kexplore's engine is timed against (issue 3): no index, no classes; for each
ordered pod pair it scans every policy of the cluster. Same conventions as the engine
(DESIGN §3; an ipBlock matches only external addresses and hostNetwork pods' node IPs).
"""

from __future__ import annotations

import ipaddress
from typing import Any

Obj = dict[str, Any]


def _expr_ok(expr: Obj, labels: dict[str, str]) -> bool:
    key, op, values = expr["key"], expr["operator"], expr.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    return op == "DoesNotExist" and key not in labels


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """matchLabels AND matchExpressions; `{}` selects everything."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(_expr_ok(e, labels) for e in selector.get("matchExpressions") or [])


def _labels(pod: Obj) -> dict[str, str]:
    return pod["metadata"].get("labels") or {}


def _host_network(pod: Obj) -> bool:
    return bool(pod["spec"].get("hostNetwork"))


def _types(policy: Obj) -> list[str]:
    spec = policy["spec"]
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _in_block(block: Obj, ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    net = ipaddress.ip_network(block["cidr"], strict=False)
    if addr.version != net.version or addr not in net:
        return False
    return not any(
        addr in ipaddress.ip_network(e, strict=False)
        for e in block.get("except") or []
        if ipaddress.ip_network(e, strict=False).version == addr.version
    )


class NaiveCluster:
    """Pods, policies and namespace labels as parsed JSON."""

    def __init__(self, policies: list[Obj], namespaces: list[Obj]) -> None:
        self.policies = policies
        self.ns_labels = {
            n["metadata"]["name"]: n["metadata"].get("labels") or {} for n in namespaces
        }

    def allowed(self, src: Obj, dst: Obj, protocol: str, port: int) -> bool:
        """Whether `src` may open (protocol, port) to `dst`."""
        if src is dst:
            return True
        return self._side(src, dst, "Egress", dst, protocol, port) and self._side(
            dst, src, "Ingress", dst, protocol, port
        )

    def _side(self, subject: Obj, peer: Obj, kind: str, dst: Obj, protocol: str, port: int) -> bool:
        if _host_network(subject):
            return True
        ns, isolated = subject["metadata"]["namespace"], False
        for policy in self.policies:
            if policy["metadata"]["namespace"] != ns or kind not in _types(policy):
                continue
            if not selects(policy["spec"]["podSelector"], _labels(subject)):
                continue
            isolated = True
            for rule in policy["spec"].get(kind.lower()) or []:
                peers = rule.get("from" if kind == "Ingress" else "to")
                if self._peers_ok(peers, peer, ns) and _ports_ok(
                    rule.get("ports"), dst, protocol, port
                ):
                    return True
        return not isolated

    def _peers_ok(self, peers: list[Obj] | None, other: Obj, policy_ns: str) -> bool:
        if not peers:
            return True
        for peer in peers:
            if "ipBlock" in peer:
                ip = other["status"].get("podIP")
                if _host_network(other) and ip and _in_block(peer["ipBlock"], ip):
                    return True
                continue
            if _host_network(other):
                continue
            other_ns = other["metadata"]["namespace"]
            if "namespaceSelector" in peer:
                if not selects(peer["namespaceSelector"], self.ns_labels.get(other_ns, {})):
                    continue
            elif other_ns != policy_ns:
                continue
            if "podSelector" not in peer or selects(peer["podSelector"], _labels(other)):
                return True
        return False


def _ports_ok(ports: list[Obj] | None, dst: Obj, protocol: str, port: int) -> bool:
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        value = entry.get("port")
        if value is None:
            return True
        if isinstance(value, str):
            if port in _named(dst, value, protocol):
                return True
        elif value <= port <= (entry.get("endPort") or value):
            return True
    return False


def _named(pod: Obj, name: str, protocol: str) -> set[int]:
    sidecars = [
        c for c in pod["spec"].get("initContainers") or [] if c.get("restartPolicy") == "Always"
    ]
    containers = (pod["spec"].get("containers") or []) + sidecars
    return {
        p["containerPort"]
        for c in containers
        for p in c.get("ports") or []
        if p.get("name") == name and p.get("protocol", "TCP") == protocol
    }
