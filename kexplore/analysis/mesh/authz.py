"""AuthorizationPolicy evaluation for one source identity and port: CUSTOM, DENY, then ALLOW."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kexplore.analysis.mesh.common import Fact, ref, typed
from kexplore.model.istio import (
    AuthorizationPolicy,
    AuthzRule,
    Condition,
    Operation,
    PolicyTargetRef,
    Source,
)
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState

YES, NO, MAYBE = "yes", "no", "maybe"
ALLOWED, DENIED, DEPENDS, CUSTOM = "allowed", "denied", "depends on the request", "custom"


@dataclass(frozen=True)
class Peer:
    """The caller as the server's proxy sees it; `principal` is None without mTLS."""

    namespace: str
    principal: str | None
    ips: tuple[str, ...] = ()

    @property
    def authenticated_namespace(self) -> str | None:
        """The namespace from the principal (`td/ns/<ns>/sa/<sa>`), only with mTLS."""
        if self.principal is None:
            return None
        parts = self.principal.split("/")
        return parts[2] if len(parts) >= 5 and parts[1] == "ns" else None


def principal_of(pod: Pod, trust_domain: str = "cluster.local") -> str:
    """The SPIFFE principal of a pod's service account, as AuthorizationPolicy writes it."""
    sa = pod.spec.service_account_name or "default"
    return f"{trust_domain}/ns/{pod.namespace}/sa/{sa}"


@dataclass
class AuthzDecision:
    """The outcome for one peer and port, and the policies and rules that decided."""

    outcome: str
    facts: list[Fact] = field(default_factory=list)


def _all(values: Iterable[str]) -> str:
    out = YES
    for value in values:
        if value == NO:
            return NO
        if value == MAYBE:
            out = MAYBE
    return out


def _any(values: Iterable[str]) -> str:
    out = NO
    for value in values:
        if value == YES:
            return YES
        if value == MAYBE:
            out = MAYBE
    return out


def string_match(pattern: str, value: str) -> bool:
    """Istio string matching: exact, `*` (any non-empty), `prefix*` or `*suffix`."""
    if pattern == "*":
        return bool(value)
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return pattern == value


def _ip_in(blocks: list[str], ips: tuple[str, ...]) -> bool:
    for block in blocks:
        try:
            net = ipaddress.ip_network(block, strict=False)
        except ValueError:
            continue
        for ip in ips:
            try:
                if ipaddress.ip_address(ip) in net:
                    return True
            except ValueError:
                continue
    return False


def _field(values: list[str], negated: list[str], value: str | None) -> list[str]:
    """Positive list: the value must match one; negated list: it must match none."""
    out = []
    if values:
        out.append(YES if value is not None and any(string_match(v, value) for v in values) else NO)
    if negated:
        out.append(
            NO if value is not None and any(string_match(v, value) for v in negated) else YES
        )
    return out


def _source(src: Source, peer: Peer, http: bool) -> str:
    checks = _field(src.principals, src.not_principals, peer.principal)
    checks += _field(src.namespaces, src.not_namespaces, peer.authenticated_namespace)
    for blocks, negated in (
        (src.ip_blocks, src.not_ip_blocks),
        (src.remote_ip_blocks, src.not_remote_ip_blocks),
    ):
        if blocks:
            checks.append(YES if _ip_in(blocks, peer.ips) else NO)
        if negated:
            checks.append(NO if _ip_in(negated, peer.ips) else YES)
    if http and (src.request_principals or src.not_request_principals):
        checks.append(MAYBE)
    return _all(checks)


def _operation(op: Operation, port: int, http: bool) -> str:
    ports, not_ports = [str(p) for p in op.ports], [str(p) for p in op.not_ports]
    checks = _field(ports, not_ports, str(port))
    if http and any((op.hosts, op.not_hosts, op.methods, op.not_methods, op.paths, op.not_paths)):
        checks.append(MAYBE)
    return _all(checks)


def _condition(cond: Condition, peer: Peer, port: int, http: bool) -> str:
    known: dict[str, Callable[[], str | None]] = {
        "source.principal": lambda: peer.principal,
        "source.namespace": lambda: peer.authenticated_namespace,
        "destination.port": lambda: str(port),
    }
    if cond.key in known:
        return _all(_field(cond.values, cond.not_values, known[cond.key]()))
    if cond.key in ("source.ip", "remote.ip"):
        checks = []
        if cond.values:
            checks.append(YES if _ip_in(cond.values, peer.ips) else NO)
        if cond.not_values:
            checks.append(NO if _ip_in(cond.not_values, peer.ips) else YES)
        return _all(checks)
    return MAYBE if http or not cond.key.startswith("request.") else YES


def http_only(rule: AuthzRule) -> bool:
    """Whether a rule uses fields that exist only for HTTP traffic."""
    src = any(f.source.request_principals or f.source.not_request_principals for f in rule.from_)
    op = rule.to and any(
        o.operation.hosts
        or o.operation.not_hosts
        or o.operation.methods
        or o.operation.not_methods
        or o.operation.paths
        or o.operation.not_paths
        for o in rule.to
    )
    return bool(src or op or any(c.key.startswith("request.") for c in rule.when))


def rule_matches(rule: AuthzRule, peer: Peer, port: int, http: bool) -> str:
    """from AND to AND when; each list is an OR of its entries; absent means any."""
    parts = []
    if rule.from_:
        parts.append(_any(_source(f.source, peer, http) for f in rule.from_))
    if rule.to:
        parts.append(_any(_operation(t.operation, port, http) for t in rule.to))
    parts.extend(_condition(c, peer, port, http) for c in rule.when)
    return _all(parts)


def policy_matches(
    policy: AuthorizationPolicy, peer: Peer, port: int, http: bool
) -> tuple[str, int]:
    """The best match among the policy's rules and the index of that rule (-1 when none).

    For TCP traffic Istio drops an ALLOW rule that uses HTTP-only fields (it matches
    nothing) and evaluates a DENY rule without them (it denies more).
    """
    best, index = NO, -1
    for i, rule in enumerate(policy.spec.rules):
        if not http and http_only(rule) and policy.spec.action == "ALLOW":
            continue
        verdict = rule_matches(rule, peer, port, http)
        if verdict == YES:
            return YES, i
        if verdict == MAYBE and best == NO:
            best, index = MAYBE, i
    return best, index


def applicable_policies(
    state: ClusterState, pod: Pod, root_namespace: str, service: str = "", waypoint: str = ""
) -> list[AuthorizationPolicy]:
    """Policies for the pod: mesh-wide (root), namespace-wide, or a selector matching it; with
    an ambient `waypoint`, also those attached (targetRef) to it or to the dialed `service`.

    Without a waypoint, targetRef policies belong to gateways and are not applied.
    """
    out = []
    for policy in typed(state, "AuthorizationPolicy", AuthorizationPolicy):
        ns = policy.metadata.namespace
        if ns not in (root_namespace, pod.namespace):
            continue
        refs = [
            *([policy.spec.target_ref] if policy.spec.target_ref else []),
            *policy.spec.target_refs,
        ]
        if refs:
            if (
                waypoint
                and ns == pod.namespace
                and any(_attached(r, service, waypoint) for r in refs)
            ):
                out.append(policy)
            continue
        selector = policy.spec.selector
        if selector is None or selector.matches(pod.labels):
            out.append(policy)
    return out


def _attached(target: PolicyTargetRef, service: str, waypoint: str) -> bool:
    if target.kind == "Service":
        return bool(service) and target.name == service
    return target.kind == "Gateway" and target.name == waypoint


def _fact(policy: AuthorizationPolicy, index: int, detail: str) -> Fact:
    path = f"rules[{index}]" if index >= 0 else "(no rules)" if not policy.spec.rules else ""
    return Fact(ref("AuthorizationPolicy", policy, path), detail)


def evaluate(
    policies: list[AuthorizationPolicy], peer: Peer, port: int, http: bool
) -> AuthzDecision:
    """Istio's order: CUSTOM, then DENY, then ALLOW (an ALLOW policy present means default deny)."""
    decision = AuthzDecision(ALLOWED)
    by_action: dict[str, list[AuthorizationPolicy]] = {}
    for policy in policies:
        by_action.setdefault(policy.spec.action or "ALLOW", []).append(policy)
    for policy in by_action.get("CUSTOM", []):
        verdict, index = policy_matches(policy, peer, port, http)
        if verdict != NO:
            provider = policy.spec.provider.name if policy.spec.provider else "?"
            decision.facts.append(
                _fact(policy, index, f"CUSTOM: ext-authz provider {provider} decides")
            )
            decision.outcome = CUSTOM
    for policy in by_action.get("DENY", []):
        verdict, index = policy_matches(policy, peer, port, http)
        if verdict == YES:
            decision.facts.append(_fact(policy, index, "DENY rule matches this source and port"))
            decision.outcome = DENIED
            return decision
        if verdict == MAYBE:
            decision.facts.append(
                _fact(policy, index, "DENY rule matches some requests (HTTP attributes)")
            )
            decision.outcome = DEPENDS
    _allow(decision, by_action.get("ALLOW", []), peer, port, http)
    return decision


def _allow(
    decision: AuthzDecision,
    allows: list[AuthorizationPolicy],
    peer: Peer,
    port: int,
    http: bool,
) -> None:
    """Once any ALLOW policy applies, a request must match one of its rules."""
    if not allows:
        return
    verdicts = [(p, *policy_matches(p, peer, port, http)) for p in allows]
    for wanted, detail in ((YES, "ALLOW rule matches this source and port"), (MAYBE, _SOME)):
        found = [(p, i) for p, v, i in verdicts if v == wanted]
        if found:
            decision.facts.append(_fact(found[0][0], found[0][1], detail))
            if wanted == MAYBE and decision.outcome != CUSTOM:
                decision.outcome = DEPENDS
            return
    for policy in allows:
        why = "ALLOW policy with no rules allows nothing" if not policy.spec.rules else _NONE
        decision.facts.append(_fact(policy, -1, why))
    decision.outcome = DENIED


_SOME = "ALLOW rule matches only some requests"
_NONE = "no ALLOW rule matches"
