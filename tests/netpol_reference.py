"""A deliberately simple NetworkPolicy evaluator on raw dicts, written apart from the engine.

It reads the Kubernetes documentation literally, one pod pair and one (protocol, port) at a
time, with no indexes, classes or port sets. ipBlock peers match every address of their
CIDR minus the excepts, pod IPs included (the API's semantics, DESIGN §3); hostNetwork pods
are node traffic: never isolated, matched only by an ipBlock holding their (node) IP.
"""

from __future__ import annotations

import ipaddress
from typing import Any

Obj = dict[str, Any]


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """matchLabels AND matchExpressions; an empty selector matches everything."""
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def policy_types(policy: Obj) -> list[str]:
    spec = policy["spec"]
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def selects(policy: Obj, pod: Obj) -> bool:
    if pod["metadata"]["namespace"] != policy["metadata"]["namespace"]:
        return False
    return selector_matches(
        policy["spec"].get("podSelector") or {}, pod["metadata"].get("labels") or {}
    )


def in_block(block: Obj, ip: str) -> bool:
    """ip in the CIDR and in none of the excepts."""
    addr = ipaddress.ip_address(ip)
    if addr not in ipaddress.ip_network(block["cidr"]):
        return False
    return not any(addr in ipaddress.ip_network(e) for e in block.get("except") or [])


def peer_matches(
    peer: Obj, policy_ns: str, other: Obj, ns_labels: dict[str, dict[str, str]]
) -> bool:
    host = other["spec"].get("hostNetwork", False)
    if "ipBlock" in peer:
        ip = (other.get("status") or {}).get("podIP")
        return bool(ip) and in_block(peer["ipBlock"], ip)
    if host:
        return False
    other_ns = other["metadata"]["namespace"]
    if "namespaceSelector" in peer:
        labels = dict(ns_labels.get(other_ns, {}))
        labels.setdefault("kubernetes.io/metadata.name", other_ns)
        if not selector_matches(peer["namespaceSelector"], labels):
            return False
    elif other_ns != policy_ns:
        return False
    if "podSelector" in peer:
        return selector_matches(peer["podSelector"], other["metadata"].get("labels") or {})
    return True


def port_matches(entry: Obj, dst: Obj, protocol: str, port: int) -> bool:
    proto = entry.get("protocol", "TCP")
    if proto != protocol:
        return False
    value = entry.get("port")
    if value is None:
        return True
    if isinstance(value, int):
        return value <= port <= (entry.get("endPort") or value)
    return named_port_is(dst, value, protocol, port)


def named_port_is(dst: Obj, name: str, protocol: str, port: int) -> bool:
    """Whether a container of `dst` declares `name` as this protocol and port number."""
    for container in dst["spec"].get("containers", []):
        for cp in container.get("ports", []):
            same = cp.get("name") == name and cp.get("protocol", "TCP") == protocol
            if same and cp["containerPort"] == port:
                return True
    return False


def direction_allows(
    policies: list[Obj],
    ns_labels: dict[str, dict[str, str]],
    subject: Obj,
    other: Obj,
    dst: Obj,
    kind: str,
    protocol: str,
    port: int,
) -> bool:
    if subject["spec"].get("hostNetwork", False):
        return True  # node traffic: never isolated
    isolated, admitted = np_direction(
        policies, ns_labels, subject, other, dst, kind, protocol, port
    )
    return admitted or not isolated


def np_direction(
    policies: list[Obj],
    ns_labels: dict[str, dict[str, str]],
    subject: Obj,
    other: Obj,
    dst: Obj,
    kind: str,
    protocol: str,
    port: int,
) -> tuple[bool, bool]:
    """(some policy isolates the subject in this direction, some rule admits the traffic)."""
    key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    isolated = False
    for policy in policies:
        if kind not in policy_types(policy) or not selects(policy, subject):
            continue
        isolated = True
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key) or []
            ns = policy["metadata"]["namespace"]
            if peers and not any(peer_matches(p, ns, other, ns_labels) for p in peers):
                continue
            ports = rule.get("ports") or []
            if not ports or any(port_matches(e, dst, protocol, port) for e in ports):
                return True, True
    return isolated, False


def allowed(
    policies: list[Obj],
    ns_labels: dict[str, dict[str, str]],
    src: Obj,
    dst: Obj,
    protocol: str,
    port: int,
) -> bool:
    """Whether `src` may connect to `dst` on (protocol, port)."""
    if src["metadata"] == dst["metadata"]:
        return True
    args = (protocol, port)
    return direction_allows(
        policies, ns_labels, src, dst, dst, "Egress", *args
    ) and direction_allows(policies, ns_labels, dst, src, dst, "Ingress", *args)
