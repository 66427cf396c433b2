"""Hypothesis strategies of random namespaces, pods and NetworkPolicies (raw dicts)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from netpol_builders import admin, namespace, netpol, pod

World = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]

NAMESPACES = ("a", "b", "c")
KEYS = ("app", "tier")
VALUES = ("x", "y")
PROTOCOLS = ("TCP", "UDP")
PORTS = (53, 80, 81, 8080)
PORT_NAMES = ("http", "dns")

labels = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)
expression = st.builds(
    lambda k, op, vs: {
        "key": k,
        "operator": op,
        **({"values": vs} if op in ("In", "NotIn") else {}),
    },
    st.sampled_from(KEYS),
    st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True),
)
selector = st.one_of(
    st.just({}),
    st.builds(lambda m: {"matchLabels": m}, labels),
    st.builds(lambda e: {"matchExpressions": e}, st.lists(expression, min_size=1, max_size=2)),
)
peer = st.one_of(
    st.builds(lambda s: {"podSelector": s}, selector),
    st.builds(lambda s: {"namespaceSelector": s}, selector),
    st.builds(lambda n, p: {"namespaceSelector": n, "podSelector": p}, selector, selector),
    st.just({"ipBlock": {"cidr": "10.0.0.0/8"}}),
    st.just({"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.0.2/31"]}}),
    st.just({"ipBlock": {"cidr": "10.0.0.1/32"}}),
    st.just({"ipBlock": {"cidr": "10.0.0.0/29", "except": ["10.0.0.1/32"]}}),
)
port_entry = st.one_of(
    st.builds(lambda p: {"protocol": p}, st.sampled_from(PROTOCOLS)),
    st.builds(
        lambda p, n: {"protocol": p, "port": n}, st.sampled_from(PROTOCOLS), st.sampled_from(PORTS)
    ),
    st.builds(lambda n: {"port": n, "endPort": n + 1}, st.sampled_from(PORTS)),
    st.builds(
        lambda p, n: {"protocol": p, "port": n},
        st.sampled_from(PROTOCOLS),
        st.sampled_from(PORT_NAMES),
    ),
)
ports = st.one_of(st.none(), st.just([]), st.lists(port_entry, min_size=1, max_size=2))


@st.composite
def rule(draw: st.DrawFn, peers_key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    peers = draw(st.one_of(st.none(), st.lists(peer, max_size=2)))
    if peers is not None:
        out[peers_key] = peers
    p = draw(ports)
    if p is not None:
        out["ports"] = p
    return out


@st.composite
def policy(draw: st.DrawFn, index: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": draw(selector)}
    types = draw(st.sampled_from((None, ["Ingress"], ["Egress"], ["Ingress", "Egress"])))
    if types is not None:
        spec["policyTypes"] = types
    if draw(st.booleans()):
        spec["ingress"] = draw(st.lists(rule("from"), max_size=2))
    if draw(st.booleans()):
        spec["egress"] = draw(st.lists(rule("to"), max_size=2))
    return netpol(draw(st.sampled_from(NAMESPACES)), f"p{index}", spec)


@st.composite
def container_ports(draw: st.DrawFn) -> list[tuple[str, int, str]]:
    names = draw(st.lists(st.sampled_from(PORT_NAMES), max_size=2, unique=True))
    return [(n, draw(st.sampled_from(PORTS)), draw(st.sampled_from(PROTOCOLS))) for n in names]


@st.composite
def cluster(draw: st.DrawFn) -> World:
    nss = [namespace(n, draw(labels)) for n in NAMESPACES]
    count = draw(st.integers(2, 4))
    pods = [
        pod(
            draw(st.sampled_from(NAMESPACES)),
            f"pod{i}",
            draw(labels),
            f"10.0.0.{i + 1}",
            draw(container_ports()),
            host_network=draw(st.sampled_from((False, False, False, True))),
        )
        for i in range(count)
    ]
    policies = [draw(policy(i)) for i in range(draw(st.integers(0, 4)))]
    return nss, pods, policies


admin_peer = st.one_of(
    st.builds(lambda s: {"namespaces": s}, selector),
    st.builds(
        lambda n, p: {"pods": {"namespaceSelector": n, "podSelector": p}}, selector, selector
    ),
)
admin_port = st.one_of(
    st.builds(
        lambda pr, n: {"portNumber": {"protocol": pr, "port": n}},
        st.sampled_from(PROTOCOLS),
        st.sampled_from(PORTS),
    ),
    st.builds(
        lambda n: {"portRange": {"protocol": "TCP", "start": n, "end": n + 1}},
        st.sampled_from(PORTS),
    ),
    st.builds(lambda name: {"namedPort": name}, st.sampled_from(PORT_NAMES)),
)


@st.composite
def admin_rules(draw: st.DrawFn, peers_key: str, actions: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        rule: dict[str, Any] = {
            "action": draw(st.sampled_from(actions)),
            peers_key: draw(st.lists(admin_peer, min_size=1, max_size=2)),
        }
        if draw(st.booleans()):
            rule["ports"] = draw(st.lists(admin_port, min_size=1, max_size=2))
        out.append(rule)
    return out


@st.composite
def admin_policies(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """0-2 AdminNetworkPolicies and an optional BaselineAdminNetworkPolicy."""
    admins = []
    for i in range(draw(st.integers(0, 2))):
        spec = {
            "priority": draw(st.integers(1, 3)),
            "subject": draw(admin_peer),
            "ingress": draw(admin_rules("from", ("Allow", "Deny", "Pass"))),
            "egress": draw(admin_rules("to", ("Allow", "Deny", "Pass"))),
        }
        admins.append(admin("AdminNetworkPolicy", f"anp{i}", spec))
    baselines = []
    if draw(st.booleans()):
        spec = {
            "subject": draw(admin_peer),
            "ingress": draw(admin_rules("from", ("Allow", "Deny"))),
            "egress": draw(admin_rules("to", ("Allow", "Deny"))),
        }
        baselines.append(admin("BaselineAdminNetworkPolicy", "default", spec))
    return admins, baselines
