"""Table-driven tests: one case per NetworkPolicy rule of DESIGN §3 / issue 3 point 1."""

from __future__ import annotations

from typing import Any

import pytest
from netpol_builders import namespace, netpol, pod, state_of

from kexplore.analysis.netpol.engine import allowed_connections
from kexplore.analysis.netpol.explain import verdict
from kexplore.analysis.netpol.peers import Endpoint
from kexplore.analysis.netpol.ports import PortSet
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState

WEB = pod("shop", "web", {"app": "web"}, "10.0.0.10", [("http", 8080, "TCP"), ("dns", 53, "UDP")])
CLIENT = pod("shop", "client", {"app": "client"}, "10.0.0.11")
OTHER = pod("other", "client", {"app": "client"}, "10.0.1.11")
MON = pod("mon", "prom", {"app": "prom"}, "10.0.2.5")
NAMESPACES = [
    namespace("shop", {"team": "shop"}),
    namespace("other", {"team": "other"}),
    namespace("mon", {"team": "ops"}),
]
DENY_ING = netpol("shop", "deny-ingress", {"podSelector": {}})
WEB_SEL = {"matchLabels": {"app": "web"}}


def _ing(*rules: dict[str, Any], selector: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"podSelector": selector or WEB_SEL, "ingress": list(rules)}


def _egress(app: str, *rules: dict[str, Any]) -> dict[str, Any]:
    selector = {"matchLabels": {"app": app}}
    return {"podSelector": selector, "policyTypes": ["Egress"], "egress": list(rules)}


CARVED = {"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.0.10/32"]}}


def _p(state: ClusterState, ns: str, name: str) -> Pod:
    found = state.get("Pod", ns, name)
    assert isinstance(found, Pod)
    return found


CASES: list[tuple[str, list[dict[str, Any]], str, str, str, int, bool]] = [
    ("no policy: default allow", [], "shop/client", "shop/web", "TCP", 8080, True),
    ("policy with no rules isolates", [DENY_ING], "shop/client", "shop/web", "TCP", 8080, False),
    (
        "isolation per direction: ingress deny does not isolate egress",
        [DENY_ING],
        "shop/web",
        "other/client",
        "TCP",
        80,
        True,
    ),
    (
        "policyTypes defaulted: egress rules imply Egress",
        [netpol("shop", "eg", {"podSelector": {}, "egress": [{"to": [{"podSelector": WEB_SEL}]}]})],
        "shop/client",
        "other/client",
        "TCP",
        80,
        False,
    ),
    (
        "policyTypes defaulted: no egress rules means Ingress only",
        [netpol("shop", "ing", {"podSelector": {}, "ingress": [{}]})],
        "shop/client",
        "other/client",
        "TCP",
        80,
        True,
    ),
    (
        "explicit policyTypes Egress without rules denies egress",
        [netpol("shop", "eg", {"podSelector": {}, "policyTypes": ["Egress"]})],
        "shop/client",
        "other/client",
        "TCP",
        80,
        False,
    ),
    (
        "union: a second policy adds an allow",
        [
            DENY_ING,
            netpol(
                "shop",
                "allow",
                _ing({"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}),
            ),
        ],
        "shop/client",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "podSelector alone means the policy's namespace",
        [
            netpol(
                "shop", "a", _ing({"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]})
            )
        ],
        "other/client",
        "shop/web",
        "TCP",
        8080,
        False,
    ),
    (
        "namespaceSelector {} means all namespaces",
        [netpol("shop", "a", _ing({"from": [{"namespaceSelector": {}}]}))],
        "other/client",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "AND: namespaceSelector and podSelector in one element",
        [
            netpol(
                "shop",
                "a",
                _ing(
                    {
                        "from": [
                            {
                                "namespaceSelector": {"matchLabels": {"team": "ops"}},
                                "podSelector": {"matchLabels": {"app": "client"}},
                            }
                        ]
                    }
                ),
            )
        ],
        "other/client",
        "shop/web",
        "TCP",
        8080,
        False,
    ),
    (
        "OR: two elements",
        [
            netpol(
                "shop",
                "a",
                _ing(
                    {
                        "from": [
                            {"namespaceSelector": {"matchLabels": {"team": "ops"}}},
                            {"podSelector": {"matchLabels": {"app": "client"}}},
                        ]
                    }
                ),
            )
        ],
        "mon/prom",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "matchExpressions NotIn",
        [
            netpol(
                "shop",
                "a",
                _ing(
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchExpressions": [
                                        {"key": "team", "operator": "NotIn", "values": ["other"]}
                                    ]
                                }
                            }
                        ]
                    }
                ),
            )
        ],
        "other/client",
        "shop/web",
        "TCP",
        8080,
        False,
    ),
    (
        "matchExpressions Exists on the automatic namespace name label",
        [
            netpol(
                "shop",
                "a",
                _ing(
                    {
                        "from": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "mon"}
                                }
                            }
                        ]
                    }
                ),
            )
        ],
        "mon/prom",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "ports [] means all ports",
        [netpol("shop", "a", _ing({"ports": []}))],
        "other/client",
        "shop/web",
        "SCTP",
        9,
        True,
    ),
    (
        "protocol only: all ports of that protocol",
        [netpol("shop", "a", _ing({"ports": [{"protocol": "UDP"}]}))],
        "other/client",
        "shop/web",
        "UDP",
        5353,
        True,
    ),
    (
        "protocol only: other protocols denied",
        [netpol("shop", "a", _ing({"ports": [{"protocol": "UDP"}]}))],
        "other/client",
        "shop/web",
        "TCP",
        5353,
        False,
    ),
    (
        "endPort is inclusive",
        [netpol("shop", "a", _ing({"ports": [{"port": 8000, "endPort": 8080}]}))],
        "other/client",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "endPort upper bound",
        [netpol("shop", "a", _ing({"ports": [{"port": 8000, "endPort": 8080}]}))],
        "other/client",
        "shop/web",
        "TCP",
        8081,
        False,
    ),
    (
        "named port resolved on the destination pod",
        [netpol("shop", "a", _ing({"ports": [{"port": "http"}]}))],
        "other/client",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "named port needs the matching protocol",
        [netpol("shop", "a", _ing({"ports": [{"port": "dns", "protocol": "TCP"}]}))],
        "other/client",
        "shop/web",
        "TCP",
        53,
        False,
    ),
    (
        "egress named port resolved on the destination pod",
        [
            netpol(
                "other",
                "eg",
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"ports": [{"port": "http", "protocol": "TCP"}]}],
                },
            )
        ],
        "other/client",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "egress named port missing on the destination denies",
        [
            netpol(
                "other",
                "eg",
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [{"ports": [{"port": "http", "protocol": "TCP"}]}],
                },
            )
        ],
        "other/client",
        "mon/prom",
        "TCP",
        8080,
        False,
    ),
    ("a pod is never blocked from itself", [DENY_ING], "shop/web", "shop/web", "TCP", 8080, True),
    (
        "ipBlock matches pod IPs (the API's semantics, DESIGN §3)",
        [netpol("shop", "a", _ing({"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}))],
        "shop/client",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "egress to a pod by its /32 (Kubernetes e2e)",
        [netpol("shop", "e", _egress("client", {"to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}]}))],
        "shop/client",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
    (
        "except carves a pod out of an ipBlock (Kubernetes e2e)",
        [netpol("shop", "e", _egress("client", {"to": [CARVED]}))],
        "shop/client",
        "shop/web",
        "TCP",
        8080,
        False,
    ),
    (
        "another policy re-allows the carved-out pod (Kubernetes e2e)",
        [
            netpol("shop", "e", _egress("client", {"to": [CARVED]})),
            netpol("shop", "f", _egress("client", {"to": [{"ipBlock": {"cidr": "10.0.0.10/32"}}]})),
        ],
        "shop/client",
        "shop/web",
        "TCP",
        8080,
        True,
    ),
]


@pytest.mark.parametrize(
    ("objects", "src", "dst", "proto", "port", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_rule(
    objects: list[dict[str, Any]], src: str, dst: str, proto: str, port: int, expected: bool
) -> None:
    state = state_of(*NAMESPACES, WEB, CLIENT, OTHER, MON, *objects)
    s, d = (_p(state, *name.split("/")) for name in (src, dst))
    assert allowed_connections(state, s, d).contains(proto, port) is expected
    assert verdict(state, s, d, proto, port).allowed is expected


def _ext(cidr: dict[str, Any], ip: str, direction: str = "ingress") -> bool:
    peer = {"ipBlock": cidr}
    if direction == "ingress":
        spec = _ing({"from": [peer]})
    else:
        spec = {"podSelector": WEB_SEL, "policyTypes": ["Egress"], "egress": [{"to": [peer]}]}
    state = state_of(*NAMESPACES, WEB, netpol("shop", "ipb", spec))
    web = _p(state, "shop", "web")
    if direction == "ingress":
        return allowed_connections(state, Endpoint.of_ip(ip), web).contains("TCP", 80)
    return allowed_connections(state, web, Endpoint.of_ip(ip)).contains("TCP", 80)


@pytest.mark.parametrize(
    ("block", "ip", "expected"),
    [
        ({"cidr": "192.168.0.0/16"}, "192.168.3.4", True),
        ({"cidr": "192.168.0.0/16", "except": ["192.168.3.0/24"]}, "192.168.3.4", False),
        ({"cidr": "192.168.0.0/16", "except": ["192.168.3.0/24"]}, "192.168.4.4", True),
        ({"cidr": "192.168.0.0/16"}, "172.16.0.1", False),
        ({"cidr": "fd00::/8", "except": ["fd00:10::/32"]}, "fd00:20::1", True),
        ({"cidr": "fd00::/8", "except": ["fd00:10::/32"]}, "fd00:10::1", False),
        ({"cidr": "0.0.0.0/0"}, "2001:db8::1", False),
    ],
)
@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_ip_block(block: dict[str, Any], ip: str, expected: bool, direction: str) -> None:
    assert _ext(block, ip, direction) is expected


def test_host_network_pod_is_node_traffic() -> None:
    host = pod("kube-system", "agent", {"app": "agent"}, "192.168.1.5", host_network=True)
    state = state_of(*NAMESPACES, WEB, host, DENY_ING)
    agent, web = _p(state, "kube-system", "agent"), _p(state, "shop", "web")
    v = verdict(state, agent, web, "TCP", 8080)
    assert not v.allowed
    deny_host = netpol("kube-system", "deny", {"podSelector": {}})
    state = state_of(*NAMESPACES, WEB, host, deny_host)
    v = verdict(state, _p(state, "shop", "web"), _p(state, "kube-system", "agent"), "TCP", 9)
    assert v.allowed
    assert "hostNetwork" in v.ingress.reason


def test_host_network_source_matched_by_ip_block() -> None:
    host = pod("kube-system", "agent", {"app": "agent"}, "192.168.1.5", host_network=True)
    allow_nodes = netpol("shop", "nodes", _ing({"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}]}))
    state = state_of(*NAMESPACES, WEB, host, allow_nodes)
    agent, web = _p(state, "kube-system", "agent"), _p(state, "shop", "web")
    assert verdict(state, agent, web, "TCP", 8080).allowed


def test_denied_verdict_names_policy_and_peer() -> None:
    state = state_of(*NAMESPACES, WEB, CLIENT, DENY_ING)
    v = verdict(state, _p(state, "shop", "client"), _p(state, "shop", "web"), "TCP", 8080)
    assert not v.allowed
    assert v.ingress.reason == (
        "NetworkPolicy shop/deny-ingress selects shop/web; "
        "no ingress rule admits TCP 8080 from shop/client"
    )
    assert v.ingress.selecting == ["shop/deny-ingress"]
    assert v.egress.allowed


def test_allowed_verdict_names_rule_peer_and_port() -> None:
    peers = [
        {"ipBlock": {"cidr": "1.2.3.0/24"}},
        {"podSelector": {"matchLabels": {"app": "client"}}},
    ]
    rule = {"from": peers, "ports": [{"port": 9090}, {"port": "http"}]}
    state = state_of(*NAMESPACES, WEB, CLIENT, netpol("shop", "allow", _ing(rule)))
    v = verdict(state, _p(state, "shop", "client"), _p(state, "shop", "web"), "TCP", 8080)
    assert v.allowed
    assert v.ingress.decided_by == "networkpolicy shop/allow ingress[0] from[1] ports[1]"


def test_near_miss_names_the_ports_allowed() -> None:
    rule = {"from": [{"podSelector": {}}], "ports": [{"port": 9090}]}
    state = state_of(*NAMESPACES, WEB, CLIENT, netpol("shop", "allow", _ing(rule)))
    v = verdict(state, _p(state, "shop", "client"), _p(state, "shop", "web"), "TCP", 8080)
    assert v.ingress.notes == [
        "networkpolicy shop/allow ingress[0] from[0] matches shop/client but allows only TCP 9090"
    ]


def test_ip_block_covering_pod_ip_is_a_caveat_only_under_cilium() -> None:
    rule = {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}
    objects = [*NAMESPACES, WEB, CLIENT, netpol("shop", "ipb", _ing(rule))]
    state = state_of(*objects)
    v = verdict(state, _p(state, "shop", "client"), _p(state, "shop", "web"), "TCP", 8080)
    assert v.allowed and v.caveats == []
    agent = pod("kube-system", "cilium-x7k2p", {"k8s-app": "cilium"}, "192.168.1.5")
    state = state_of(*objects, agent)
    v = verdict(state, _p(state, "shop", "client"), _p(state, "shop", "web"), "TCP", 8080)
    assert v.allowed
    assert v.caveats and v.caveats[0].startswith(
        "networkpolicy shop/ipb ingress[0] from[0]: ipBlock 10.0.0.0/8 admits shop/client by its "
        "pod IP 10.0.0.11; Cilium is detected (agent pod kube-system/cilium-x7k2p)"
    )
    also = netpol(
        "shop", "sel", _ing({"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]})
    )
    state = state_of(*objects, agent, also)
    v = verdict(state, _p(state, "shop", "client"), _p(state, "shop", "web"), "TCP", 8080)
    assert v.allowed and v.caveats == []  # a podSelector admits it too: Cilium agrees


def test_allowed_set_unions_rules_and_intersects_directions() -> None:
    ing = _ing(
        {"ports": [{"port": 80}, {"port": 90, "endPort": 95}]},
        {"ports": [{"protocol": "UDP", "port": 53}]},
    )
    egress = {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"ports": [{"port": 80}, {"port": 94, "endPort": 200}]}],
    }
    state = state_of(
        *NAMESPACES, WEB, CLIENT, netpol("shop", "i", ing), netpol("shop", "e", egress)
    )
    got = allowed_connections(state, _p(state, "shop", "client"), _p(state, "shop", "web"))
    assert got == PortSet({"TCP": [(80, 80), (94, 95)]})
    assert got.describe() == "TCP 80,94-95"


def test_selector_misses_explain_and_versus_or() -> None:
    alone = {"podSelector": {"matchLabels": {"app": "client"}}}
    both = {
        "namespaceSelector": {"matchLabels": {"team": "ops"}},
        "podSelector": {"matchLabels": {"app": "client"}},
    }
    state = state_of(*NAMESPACES, WEB, OTHER, netpol("shop", "a", _ing({"from": [alone, both]})))
    v = verdict(state, _p(state, "other", "client"), _p(state, "shop", "web"), "TCP", 8080)
    assert v.ingress.notes == [
        "networkpolicy shop/a ingress[0] from[0]: podSelector app=client matches other/client, "
        "but a podSelector alone selects only pods in namespace shop; add a namespaceSelector "
        "for other in the same element",
        "networkpolicy shop/a ingress[0] from[1]: namespaceSelector team=ops does not match "
        "namespace other of other/client",
    ]


def test_dual_stack_host_network_pod_matches_an_ipv6_block() -> None:
    host = pod("kube-system", "agent", {"app": "agent"}, "192.168.1.5", host_network=True)
    host["status"]["podIPs"] = [{"ip": "192.168.1.5"}, {"ip": "fd00:1::5"}]
    allow = netpol("shop", "v6-nodes", _ing({"from": [{"ipBlock": {"cidr": "fd00:1::/64"}}]}))
    state = state_of(*NAMESPACES, WEB, host, allow)
    agent, web = _p(state, "kube-system", "agent"), _p(state, "shop", "web")
    assert verdict(state, agent, web, "TCP", 8080).allowed


def test_named_port_of_another_protocol_admits_nothing_and_says_why() -> None:
    rule = {"ports": [{"protocol": "TCP", "port": "dns"}]}
    state = state_of(*NAMESPACES, WEB, CLIENT, netpol("shop", "dns", _ing(rule)))
    client, web = _p(state, "shop", "client"), _p(state, "shop", "web")
    assert allowed_connections(state, client, web).is_empty()  # no TCP port named dns
    v = verdict(state, client, web, "UDP", 53)
    assert not v.allowed
    assert v.ingress.notes == [
        "networkpolicy shop/dns ingress[0] matches shop/client but allows only no port; "
        "port 'dns' is UDP 53 on shop/web, not TCP (a named port keeps its protocol)"
    ]


@pytest.mark.parametrize(
    ("selector", "near_miss"),
    [
        ({"app": "clinet"}, True),  # a typo of the client's app=client
        ({"app": "web"}, False),  # another workload, not a typo
        ({"app": "clients", "tier": "x"}, False),  # a key the client lacks
    ],
)
def test_a_peer_selector_one_typo_away_is_a_near_miss(
    selector: dict[str, str], near_miss: bool
) -> None:
    rule = {"from": [{"podSelector": {"matchLabels": selector}}]}
    state = state_of(*NAMESPACES, WEB, CLIENT, netpol("shop", "allow", _ing(rule)))
    v = verdict(state, _p(state, "shop", "client"), _p(state, "shop", "web"), "TCP", 8080)
    assert not v.allowed
    said = [n for n in v.ingress.notes if "near miss" in n]
    assert bool(said) is near_miss
    if near_miss:
        assert said == [
            "networkpolicy shop/allow ingress[0] from[0]: near miss, podSelector app=clinet "
            "where the labels say app=client of shop/client; fix the selector "
            "(same key, another value)"
        ]
