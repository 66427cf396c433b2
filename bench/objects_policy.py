"""Builders of NetworkPolicies mixing podSelector, namespaceSelector, ipBlock and port forms."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from bench.objects import Obj, Versions, meta, uid
from bench.plan import TEAMS, AppPlan, ClusterPlan

Template = Callable[[list[AppPlan], random.Random], tuple[str, Obj]]
DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


def _app_sel(app: AppPlan) -> Obj:
    return {"matchLabels": {"app": app.name}}


def _port_of(app: AppPlan, rng: random.Random) -> Obj:
    name, port, proto = app.ports[0] if app.ports else ("http", 8080, "TCP")
    return {"port": name if rng.random() < 0.5 else port, "protocol": proto}


def deny_ingress(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    return "default-deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}


def deny_all(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    return "default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def allow_dns(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    ports = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    return "allow-dns-egress", {
        "egress": [{"ports": ports, "to": [DNS_PEER]}],
        "podSelector": {},
        "policyTypes": ["Egress"],
    }


def app_from_app(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    dst, src = rng.choice(apps), rng.choice(apps)
    rule = {"from": [{"podSelector": _app_sel(src)}], "ports": [_port_of(dst, rng)]}
    return f"allow-{src.name}-to-{dst.name}", {
        "ingress": [rule],
        "podSelector": _app_sel(dst),
        "policyTypes": ["Ingress"],
    }


def ns_and_pod(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    dst = rng.choice(apps)
    peer = {
        "namespaceSelector": {"matchLabels": {"team": rng.choice(TEAMS)}},
        "podSelector": {"matchLabels": {"tier": "frontend"}},
    }
    rule = {"from": [peer], "ports": [{"port": 8080, "protocol": "TCP"}]}
    return f"allow-team-frontends-{dst.name}", {
        "ingress": [rule],
        "podSelector": _app_sel(dst),
        "policyTypes": ["Ingress"],
    }


def ns_or_pod(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    peers = [
        {"namespaceSelector": {"matchLabels": {"env": "prod"}}},
        {
            "podSelector": {
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["frontend", "backend"]}
                ]
            }
        },
    ]
    selector = {
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend", "data"]}]
    }
    return "allow-prod-or-tiers", {
        "ingress": [{"from": peers}],
        "podSelector": selector,
        "policyTypes": ["Ingress"],
    }


def monitoring(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    rule = {
        "from": [peer],
        "ports": [{"port": "metrics", "protocol": "TCP"}, {"port": 9090, "protocol": "TCP"}],
    }
    return "allow-monitoring", {"ingress": [rule], "podSelector": {}, "policyTypes": ["Ingress"]}


def ip_block(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    peers = [
        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.64.0.0/16", "10.65.12.0/24"]}},
        {"ipBlock": {"cidr": "fd00::/8", "except": ["fd00:10::/32"]}},
    ]
    rule = {"from": peers, "ports": [{"endPort": 8100, "port": 8000, "protocol": "TCP"}]}
    return "allow-internal-ranges", {
        "ingress": [rule],
        "podSelector": {"matchLabels": {"tier": "frontend"}},
        "policyTypes": ["Ingress"],
    }


def all_namespaces_udp(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    rule = {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "UDP"}]}
    return "allow-udp-cluster", {
        "ingress": [rule],
        "podSelector": _app_sel(rng.choice(apps)),
        "policyTypes": ["Ingress"],
    }


def egress_to_data(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    dst = rng.choice(apps)
    selector = {
        "matchExpressions": [
            {"key": "tier", "operator": "NotIn", "values": ["data"]},
            {"key": "app", "operator": "Exists"},
        ]
    }
    rules = [
        {"ports": [_port_of(dst, rng)], "to": [{"podSelector": _app_sel(dst)}]},
        {
            "ports": [{"port": 443, "protocol": "TCP"}],
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}],
        },
    ]
    return f"egress-to-{dst.name}", {
        "egress": rules,
        "podSelector": selector,
        "policyTypes": ["Egress"],
    }


def allow_all_to(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    selector = {
        "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}],
        "matchLabels": {"tier": "frontend"},
    }
    return "allow-all-frontend", {
        "ingress": [{}],
        "podSelector": selector,
        "policyTypes": ["Ingress"],
    }


TEMPLATES: tuple[tuple[Template, float], ...] = (
    (deny_ingress, 0.10),
    (deny_all, 0.05),
    (allow_dns, 0.10),
    (app_from_app, 0.30),
    (ns_and_pod, 0.10),
    (ns_or_pod, 0.08),
    (monitoring, 0.07),
    (ip_block, 0.05),
    (all_namespaces_udp, 0.05),
    (egress_to_data, 0.07),
    (allow_all_to, 0.03),
)


def select_all(apps: list[AppPlan], rng: random.Random) -> tuple[str, Obj]:
    """A policy selecting every pod of its namespace (W4): `{}` or an `app Exists` expression."""
    selector: Obj = (
        {} if rng.random() < 0.7 else {"matchExpressions": [{"key": "app", "operator": "Exists"}]}
    )
    src, dst = rng.choice(apps), rng.choice(apps)
    spec: Obj = {
        "ingress": [{"from": [{"podSelector": _app_sel(src)}], "ports": [_port_of(dst, rng)]}],
        "podSelector": selector,
        "policyTypes": ["Ingress"],
    }
    if rng.random() < 0.2:
        spec["egress"] = [{"ports": [_port_of(src, rng)], "to": [{"podSelector": _app_sel(src)}]}]
        spec["policyTypes"] = ["Ingress", "Egress"]
    return "select-all", spec


def networkpolicies(plan: ClusterPlan, rv: Versions, rng: random.Random) -> Iterator[Obj]:
    """NetworkPolicies spread round-robin over the namespaces that run workloads."""
    by_ns: dict[str, list[AppPlan]] = {}
    for app in plan.apps:
        if app.service_uid is not None and app.namespace != "kube-system":
            by_ns.setdefault(app.namespace, []).append(app)
    names = sorted(by_ns)
    funcs, weights = zip(*TEMPLATES, strict=True)
    for i in range(plan.spec.policies):
        ns = names[i % len(names)]
        template = select_all if plan.spec.select_all_policies else rng.choices(funcs, weights)[0]
        base, spec = template(by_ns[ns], rng)
        m = meta(f"{base}-{i}", uid(rng), rv, rng, ns, generation=1)
        yield {"metadata": m, "spec": spec}
