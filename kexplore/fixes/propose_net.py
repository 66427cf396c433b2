"""Fix candidates for the service, dns and networkpolicy layers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kexplore.analysis.dns import NXDOMAIN, cluster_domain, dns_services
from kexplore.analysis.netpol.explain import verdict
from kexplore.analysis.netpol.nearmiss import describe_near, near, nearly_selecting
from kexplore.analysis.netpol.peers import EGRESS, INGRESS, policy_index
from kexplore.checks.context import EdgeContext
from kexplore.checks.dns import dns_backends
from kexplore.fixes.candidates import (
    Candidate,
    append_op,
    new_object,
    patch,
    peer,
    replace_ops,
    workload_labels,
    workload_name,
)
from kexplore.fixes.edits import pointer
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer
from kexplore.model.services import Service, ServicePort

_ENV = re.compile(r"^env (?P<var>\S+) of container (?P<container>\S+)")
_ARGS = re.compile(r"^args of container (?P<container>\S+)")
_CONFIGMAP = re.compile(r"^configmap (?P<ns>[^/\s]+)/(?P<name>\S+) key (?P<key>\S+)")


def service_candidates(ctx: EdgeContext) -> list[Candidate]:
    """A selector that matches no pod (near miss), or a targetPort name no pod declares."""
    svc, bs, port = ctx.service, ctx.backend_set, ctx.service_port
    if svc is None or bs is None:
        return []
    if bs.near_misses and not bs.backends:
        return _selector_candidates(ctx, svc, bs.near_misses[0].pod)
    missing = [b.pod for b in bs.backends if b.port is None]
    if port is not None and missing and isinstance(port.target_port, str):
        return _target_port_candidates(ctx, svc, port, missing[0])
    return []


def _selector_candidates(ctx: EdgeContext, svc: Service, pod: Pod) -> list[Candidate]:
    selector = svc.spec.selector or {}
    key = next(k for k, v in selector.items() if pod.labels.get(k) != v)
    want = selector[key]
    out = []
    if key in pod.labels:
        ops = replace_ops(want, pod.labels[key], "spec", "selector", key)
        title = f"select {key}={pod.labels[key]} (the pods' label) in service {_ref(svc)}"
    else:
        ops = ({"op": "remove", "path": pointer("spec", "selector", key)},)
        title = f"drop {key}={want} from the selector of service {_ref(svc)} (no pod has it)"
    out.append(Candidate([patch("Service", svc.namespace, svc.name, *ops)], title, repair=True))
    owner = ctx.state.top_owner(pod)
    template = owner.pod_template() if owner is not None else None
    locked = (
        owner is not None
        and owner.spec.selector is not None
        and key in (owner.spec.selector.match_labels or {})
    )
    if owner is not None and template is not None and not locked:
        op = {"op": "add", "path": pointer("spec", "template", "metadata", "labels", key)}
        title = (
            f"label the pods of {owner.kind.lower()} {owner.namespace}/{owner.name} {key}={want}"
        )
        out.append(
            Candidate(
                [patch(owner.kind, owner.namespace, owner.name, {**op, "value": want})],
                title,
                "rolls the workload's pods; other selectors reading that label see the change",
            )
        )
    return out


def _target_port_candidates(
    ctx: EdgeContext, svc: Service, port: ServicePort, pod: Pod
) -> list[Candidate]:
    index = svc.spec.ports.index(port)
    declared = [
        (ci, pi, p)
        for ci, c in enumerate(pod.spec.containers)
        for pi, p in enumerate(c.ports)
        if p.protocol == port.protocol
    ]
    chosen = [d for d in declared if d[2].container_port == port.port] or declared[:1]
    if len(declared) != 1 and not chosen:
        return []
    ci, pi, cport = chosen[0]
    new: int | str = cport.name or cport.container_port
    ops = (
        {"op": "test", "path": pointer("spec", "ports", index, "port"), "value": port.port},
        *replace_ops(port.target_port, new, "spec", "ports", index, "targetPort"),
    )
    out = [
        Candidate(
            [patch("Service", svc.namespace, svc.name, *ops)],
            f"point service {_ref(svc)} port {port.port} at targetPort {new!r}",
        )
    ]
    owner = ctx.state.top_owner(pod)
    if owner is not None and cport.name:
        path = ("spec", "template", "spec", "containers", ci, "ports", pi, "name")
        out.append(
            Candidate(
                [
                    patch(
                        owner.kind,
                        owner.namespace,
                        owner.name,
                        *replace_ops(cport.name, port.target_port, *path),
                    )
                ],
                f"rename container port {cport.name!r} of {owner.kind.lower()} "
                f"{owner.namespace}/{owner.name} to {port.target_port!r}",
                f"rolls the workload's pods; anything naming port {cport.name!r} (other "
                "services, probes) must follow",
            )
        )
    return out


def dns_candidates(ctx: EdgeContext, where: str) -> list[Candidate]:
    """NXDOMAIN for a name that exists elsewhere (dial it), or DNS egress not allowed."""
    if ctx.resolution.kind == NXDOMAIN:
        return _redial_candidates(ctx, where)
    return _dns_egress_candidates(ctx)


def _redial_candidates(ctx: EdgeContext, where: str) -> list[Candidate]:
    host = ctx.target.host
    domain = cluster_domain(ctx.state)
    first = host.removesuffix("." + domain).split(".")[0]
    homes = sorted(s.namespace for s in ctx.state.services if s.name == first)
    if len(homes) != 1 or not where:
        return []
    new_host = f"{first}.{homes[0]}"
    edit = _edit_where_found(ctx, where, host, new_host)
    if edit is None:
        return []
    redial = ctx.target.dialed.replace(host, new_host, 1)
    return [Candidate([edit], f"dial {new_host} instead of {host} ({where})", redial=redial)]


def _edit_where_found(ctx: EdgeContext, where: str, host: str, new_host: str) -> Any:
    """The edit of the env var, argument or ConfigMap key the dialed name was found in."""
    word = re.compile(rf"(?<![\w.-]){re.escape(host)}(?![\w-]|\.\w)")
    src = ctx.state.get(ctx.source.kind, ctx.source.namespace, ctx.source.name)
    template = getattr(src, "pod_template", lambda: None)()
    if (m := _CONFIGMAP.match(where)) is not None:
        cm = ctx.state.get("ConfigMap", m["ns"], m["name"])
        old = getattr(cm, "data", {}).get(m["key"])
        if old is None or not word.search(old):
            return None
        ops = replace_ops(old, word.sub(new_host, old), "data", m["key"])
        return patch("ConfigMap", m["ns"], m["name"], *ops)
    if template is None:
        return None
    for ci, container in enumerate(template.spec.containers):
        env, args = _ENV.match(where), _ARGS.match(where)
        if env is not None and container.name == env["container"]:
            for ei, var in enumerate(container.env):
                if var.name == env["var"] and var.value and word.search(var.value):
                    path = ("spec", "template", "spec", "containers", ci, "env", ei, "value")
                    ops = replace_ops(var.value, word.sub(new_host, var.value), *path)
                    return patch(ctx.source.kind, ctx.source.namespace, ctx.source.name, *ops)
        if args is not None and container.name == args["container"]:
            for ai, arg in enumerate(container.args):
                if word.search(arg):
                    where_arg = ("spec", "template", "spec", "containers", ci, "args", ai)
                    ops = replace_ops(arg, word.sub(new_host, arg), *where_arg)
                    return patch(ctx.source.kind, ctx.source.namespace, ctx.source.name, *ops)
    return None


def _dns_egress_candidates(ctx: EdgeContext) -> list[Candidate]:
    pod = ctx.source_pod
    services = dns_services(ctx.state)
    if pod is None or not services:
        return []
    svc = services[0]
    ports = sorted({(b.protocol.upper(), b.port) for b in dns_backends(ctx, svc) if b.port})
    if not ports or not svc.spec.selector:
        return []
    rule = {
        "to": [peer(svc.namespace, svc.spec.selector)],
        "ports": [{"protocol": proto, "port": port} for proto, port in ports],
    }
    what = f"DNS ({', '.join(f'{p} {n}' for p, n in ports)} to {svc.namespace}/{svc.name}'s pods)"
    name = f"{workload_name(ctx.state, pod)}-allow-dns"
    return _rule_candidates(ctx, pod, EGRESS, rule, what, name)


def netpol_candidates(ctx: EdgeContext) -> list[Candidate]:
    """The narrowest rule admitting the source at the target port, on the denying side(s)."""
    sides: dict[str, tuple[Pod, Pod, int]] = {}
    for src in ctx.source.pods:
        for backend in ctx.backends:
            if backend.port is None:
                continue
            found = verdict(ctx.state, src, backend.pod, ctx.target.protocol, backend.port)
            if not found.egress.allowed:
                sides.setdefault(EGRESS, (src, backend.pod, backend.port))
            if not found.ingress.allowed:
                sides.setdefault(INGRESS, (src, backend.pod, backend.port))
    per_side = [_side_candidates(ctx, d, *sides[d]) for d in (EGRESS, INGRESS) if d in sides]
    if not per_side or not all(per_side):
        return []
    if len(per_side) == 1:
        return per_side[0]
    count = max(len(c) for c in per_side)
    out = []
    for i in range(count):
        picks = [c[min(i, len(c) - 1)] for c in per_side]
        out.append(
            Candidate(
                [e for p in picks for e in p.edits],
                "; ".join(p.title for p in picks),
                "; ".join(p.tradeoff for p in picks if p.tradeoff),
                repair=all(p.repair for p in picks),
            )
        )
    return out


def _side_candidates(
    ctx: EdgeContext, direction: str, src: Pod, dst: Pod, port: int
) -> list[Candidate]:
    other = dst if direction == EGRESS else src
    subject = src if direction == EGRESS else dst
    field_name = "to" if direction == EGRESS else "from"
    rule = {
        field_name: [peer(other.namespace, workload_labels(ctx.state, other))],
        "ports": [{"protocol": ctx.target.protocol, "port": port}],
    }
    what = f"{ctx.target.protocol} {port} {'to' if direction == EGRESS else 'from'} " + (
        f"{other.namespace}/{workload_name(ctx.state, other)}"
    )
    names = (workload_name(ctx.state, subject), workload_name(ctx.state, other))
    name = "{}-allow-to-{}".format(*names) if direction == EGRESS else "{}-allow-{}".format(*names)
    out = _peer_candidates(ctx, direction, subject, other)
    return out + _rule_candidates(ctx, subject, direction, rule, what, name)


def _peers(
    ctx: EdgeContext, direction: str, subject: Pod
) -> Iterator[tuple[NetworkPolicy, tuple[str | int, ...], NetworkPolicyPeer]]:
    """Every peer element of the policies isolating the subject, with its path."""
    key = "egress" if direction == EGRESS else "ingress"
    field_name = "to" if direction == EGRESS else "from"
    for policy in policy_index(ctx.state).selecting(subject, direction):
        for ri, rule in enumerate(getattr(policy.spec, key) or ()):
            elements = rule.to if isinstance(rule, NetworkPolicyEgressRule) else rule.from_
            for pi, element in enumerate(elements or ()):
                yield policy, ("spec", key, ri, field_name, pi), element


def _peer_candidates(ctx: EdgeContext, direction: str, subject: Pod, other: Pod) -> list[Candidate]:
    """A peer meant for the other side: a podSelector one typo from its labels (fix the
    value), or a podSelector-only element that, alone, means the policy's own namespace (add
    the other namespace to the same element: AND, not OR)."""
    out = []
    for policy, path, element in _peers(ctx, direction, subject):
        sel = element.pod_selector
        where = f"networkpolicy {_ref(policy)} {path[1]}[{path[2]}] {path[3]}[{path[4]}]"
        diffs = near(sel, other.labels)
        if diffs:
            ops = [
                op
                for k, want, have in diffs
                for op in replace_ops(want, have, *path, "podSelector", "matchLabels", k)
            ]
            title = f"{where}: fix the podSelector typo ({describe_near(diffs)})"
            edit = patch("NetworkPolicy", policy.namespace, policy.name, *ops)
            out.append(Candidate([edit], title, repair=True))
        if (
            sel is None
            or element.namespace_selector is not None
            or policy.namespace == other.namespace
            or sel.is_empty()
            or not sel.matches(other.labels)
        ):
            continue
        value = {"matchLabels": {"kubernetes.io/metadata.name": other.namespace}}
        op = {"op": "add", "path": pointer(*path, "namespaceSelector"), "value": value}
        out.append(
            Candidate(
                [patch("NetworkPolicy", policy.namespace, policy.name, op)],
                f"{where}: add namespace {other.namespace} to the podSelector's element (AND)",
                f"pods matching {sel.describe()} in namespace {policy.namespace} are "
                "no longer admitted by that element",
                repair=True,
            )
        )
    return out + _dangling_candidates(ctx, subject)


def _dangling_candidates(ctx: EdgeContext, subject: Pod) -> list[Candidate]:
    """A policy selecting no pod whose podSelector is one typo from the subject's labels: it
    was written for it (fix its podSelector, and its rules apply)."""
    out = []
    for policy, _ in nearly_selecting(ctx.state, subject):
        diffs = near(policy.spec.pod_selector, subject.labels)
        ops = [
            op
            for k, want, have in diffs
            for op in replace_ops(want, have, "spec", "podSelector", "matchLabels", k)
        ]
        title = (
            f"networkpolicy {_ref(policy)} selects no pod: fix its podSelector "
            f"({describe_near(diffs)})"
        )
        edit = patch("NetworkPolicy", policy.namespace, policy.name, *ops)
        out.append(Candidate([edit], title, repair=True))
    return out


def _rule_candidates(
    ctx: EdgeContext, subject: Pod, direction: str, rule: dict[str, Any], what: str, name: str
) -> list[Candidate]:
    """Add the rule to the policy that isolates the subject, or put it in a new policy."""
    key = "egress" if direction == EGRESS else "ingress"
    out = []
    selecting = policy_index(ctx.state).selecting(subject, direction)
    if selecting:
        policy = next((p for p in selecting if getattr(p.spec, key)), selecting[0])
        op = append_op(getattr(policy.spec, key), "spec", key, value=rule)
        out.append(
            Candidate(
                [patch("NetworkPolicy", policy.namespace, policy.name, op)],
                f"add an {key} rule for {what} to networkpolicy {_ref(policy)}",
            )
        )
    spec = {
        "podSelector": {"matchLabels": workload_labels(ctx.state, subject)},
        "policyTypes": [key.capitalize()],
        key: [rule],
    }
    out.append(
        Candidate(
            [new_object("NetworkPolicy", "networking.k8s.io/v1", subject.namespace, name, spec)],
            f"create networkpolicy {subject.namespace}/{name} allowing {what}",
            "a new object: nothing else changes, but the allowance lives apart from the "
            "policy it widens",
        )
    )
    return out


def _ref(obj: Any) -> str:
    return f"{obj.namespace}/{obj.name}"
