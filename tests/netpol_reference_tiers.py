"""A simple reference for the cluster-scoped tiers (AdminNetworkPolicy, Baseline) on raw dicts.

Literal reading of network-policy-api: admin policies by ascending priority (then name),
rules in written order, the first rule whose subject, peer and port match decides (Allow and
Deny final, Pass hands over); then NetworkPolicy for pods it isolates; then the baseline
policy's first matching rule; then allow. hostNetwork pods are never subjects or peers.
"""

from __future__ import annotations

from typing import Any

from netpol_reference import named_port_is, np_direction, selector_matches

Obj = dict[str, Any]


def _ns(ns_labels: dict[str, dict[str, str]], pod: Obj) -> dict[str, str]:
    name = pod["metadata"]["namespace"]
    return {**ns_labels.get(name, {}), "kubernetes.io/metadata.name": name}


def _host(pod: Obj) -> bool:
    return bool(pod["spec"].get("hostNetwork", False))


def _selects(sel: Obj, pod: Obj, ns_labels: dict[str, dict[str, str]]) -> bool:
    """A subject or peer: `namespaces` or `pods` (namespaceSelector AND podSelector)."""
    if _host(pod):
        return False
    if "namespaces" in sel:
        return selector_matches(sel["namespaces"], _ns(ns_labels, pod))
    pods = sel["pods"]
    labels = pod["metadata"].get("labels") or {}
    return selector_matches(pods["namespaceSelector"], _ns(ns_labels, pod)) and selector_matches(
        pods["podSelector"], labels
    )


def _port_ok(entry: Obj, dst: Obj, protocol: str, port: int) -> bool:
    if "portNumber" in entry:
        pn = entry["portNumber"]
        return bool(pn.get("protocol", "TCP") == protocol and pn["port"] == port)
    if "portRange" in entry:
        pr = entry["portRange"]
        return bool(pr.get("protocol", "TCP") == protocol and pr["start"] <= port <= pr["end"])
    return named_port_is(dst, entry["namedPort"], protocol, port)


def first_action(
    admins: list[Obj],
    ns_labels: dict[str, dict[str, str]],
    subject: Obj,
    other: Obj,
    dst: Obj,
    kind: str,
    protocol: str,
    port: int,
) -> str | None:
    """The action of the first matching rule of these policies, in precedence order."""
    key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
    ordered = sorted(admins, key=lambda p: (p["spec"].get("priority", 0), p["metadata"]["name"]))
    for policy in ordered:
        if not _selects(policy["spec"]["subject"], subject, ns_labels):
            continue
        for rule in policy["spec"].get(key) or []:
            if not any(_selects(peer, other, ns_labels) for peer in rule[peers_key]):
                continue
            ports = rule.get("ports")
            if not ports or any(_port_ok(e, dst, protocol, port) for e in ports):
                return str(rule["action"])
    return None


def allowed(
    netpols: list[Obj],
    admins: list[Obj],
    baselines: list[Obj],
    ns_labels: dict[str, dict[str, str]],
    src: Obj,
    dst: Obj,
    protocol: str,
    port: int,
) -> bool:
    """Whether `src` may connect to `dst` on (protocol, port) through all tiers."""
    if src["metadata"] == dst["metadata"]:
        return True
    sides = (("Egress", src, dst), ("Ingress", dst, src))
    return all(
        _direction(netpols, admins, baselines, ns_labels, subject, other, dst, kind, protocol, port)
        for kind, subject, other in sides
    )


def _direction(
    netpols: list[Obj],
    admins: list[Obj],
    baselines: list[Obj],
    ns_labels: dict[str, dict[str, str]],
    subject: Obj,
    other: Obj,
    dst: Obj,
    kind: str,
    protocol: str,
    port: int,
) -> bool:
    if _host(subject):
        return True
    args = (ns_labels, subject, other, dst, kind, protocol, port)
    action = first_action(admins, *args)
    if action in ("Allow", "Deny"):
        return action == "Allow"
    isolated, admitted = np_direction(netpols, *args)
    if isolated:
        return admitted
    return first_action(baselines, *args) != "Deny"
