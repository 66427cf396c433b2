"""The client side's TLS toward a host: the DestinationRule that applies, else auto-mTLS."""

from __future__ import annotations

from dataclasses import dataclass, field

from kexplore.analysis.mesh.common import (
    Fact,
    exported_to,
    host_matches,
    mesh_settings,
    oldest_first,
    ref,
    resolve_host,
    specificity,
    typed,
)
from kexplore.model.istio import ClientTLSSettings, DestinationRule, Subset, TrafficPolicy
from kexplore.model.state import ClusterState

ISTIO_MUTUAL, DISABLE = "ISTIO_MUTUAL", "DISABLE"


@dataclass(frozen=True)
class RuleChoice:
    """The DestinationRules that apply to a host from one client (merged when several)."""

    rules: tuple[DestinationRule, ...] = ()
    facts: tuple[Fact, ...] = ()

    @property
    def rule(self) -> DestinationRule | None:
        return self.rules[0] if self.rules else None

    def subset(self, name: str) -> tuple[DestinationRule, Subset] | None:
        """The subset by name, from the oldest rule that defines it."""
        for rule in self.rules:
            for subset in rule.spec.subsets:
                if subset.name == name:
                    return rule, subset
        return None


@dataclass(frozen=True)
class ClientTls:
    """What a client sidecar sends: the TLS mode, whether a DestinationRule set it, and why."""

    mode: str
    explicit: bool
    facts: list[Fact] = field(default_factory=list)


def _applies_to_client(rule: DestinationRule, client_ns: str, labels: dict[str, str]) -> bool:
    selector = rule.spec.workload_selector
    if selector is None or not selector.match_labels:
        return True
    return rule.metadata.namespace == client_ns and selector.matches(labels)


def _most_specific(
    rules: list[DestinationRule], host: str, client_ns: str, labels: dict[str, str]
) -> list[DestinationRule]:
    """Rules of one namespace whose host covers `host`, keeping only the most specific host."""
    matching = [
        r
        for r in rules
        if host_matches(resolve_host(r.spec.host, r.metadata.namespace), host)
        and _applies_to_client(r, client_ns, labels)
    ]
    if not matching:
        return []
    best = min(specificity(resolve_host(r.spec.host, r.metadata.namespace)) for r in matching)
    same = [
        r for r in matching if specificity(resolve_host(r.spec.host, r.metadata.namespace)) == best
    ]
    selected = [
        r for r in same if r.spec.workload_selector and r.spec.workload_selector.match_labels
    ]
    return oldest_first(selected or same)


def choose_rules(
    all_rules: list[DestinationRule],
    host: str,
    client_ns: str,
    client_labels: dict[str, str],
    service_ns: str,
    root_ns: str,
) -> RuleChoice:
    """Istio's lookup order: the client's namespace, then the service's, then the root namespace.

    Rules outside the client's namespace count only when exported to it; several rules for
    the same host merge, the oldest one's trafficPolicy winning.
    """
    by_ns: dict[str, list[DestinationRule]] = {}
    for rule in all_rules:
        by_ns.setdefault(rule.metadata.namespace, []).append(rule)
    for step, ns in enumerate(dict.fromkeys((client_ns, service_ns, root_ns))):
        candidates = by_ns.get(ns, [])
        if step > 0 or ns != client_ns:
            candidates = [
                r
                for r in candidates
                if exported_to(r.spec.export_to, ns, client_ns)
                and not (r.spec.workload_selector and r.spec.workload_selector.match_labels)
            ]
        chosen = _most_specific(candidates, host, client_ns, client_labels)
        if chosen:
            facts = [
                Fact(ref("DestinationRule", r, f"host={r.spec.host}"), "merged, older rule wins")
                for r in chosen[1:]
            ]
            return RuleChoice(tuple(chosen), tuple(facts))
    return RuleChoice()


def rules_for_host(
    state: ClusterState, host: str, client_ns: str, client_labels: dict[str, str], service_ns: str
) -> RuleChoice:
    """The DestinationRules that apply to `host` from a client, looked up in `state`."""
    root = mesh_settings(state).root_namespace
    rules = typed(state, "DestinationRule", DestinationRule)
    return choose_rules(rules, host, client_ns, client_labels, service_ns, root)


def _policy_tls(
    policy: TrafficPolicy | None, port: int | None
) -> tuple[ClientTLSSettings | None, str]:
    """The TLS of one traffic policy for a service port: port level first, then the policy's."""
    if policy is None:
        return None, ""
    for setting in policy.port_level_settings:
        if port is not None and setting.port.number == port and setting.tls is not None:
            return setting.tls, f"portLevelSettings[{port}].tls"
    if policy.tls is not None:
        return policy.tls, "tls"
    return None, ""


def explicit_tls(
    choice: RuleChoice, port: int | None, subset: str = ""
) -> tuple[ClientTLSSettings | None, Fact | None]:
    """The TLS a DestinationRule sets for (service port, subset), most specific setting first."""
    rule = choice.rule
    if rule is None:
        return None, None
    found = choice.subset(subset) if subset else None
    if found is not None:
        owner, sub = found
        tls, path = _policy_tls(sub.traffic_policy, port)
        if tls is not None:
            where = f"subsets[{sub.name}].trafficPolicy.{path}.mode={tls.mode}"
            return tls, Fact(ref("DestinationRule", owner, where), f"host {owner.spec.host}")
    tls, path = _policy_tls(rule.spec.traffic_policy, port)
    if tls is None:
        return None, None
    where = f"trafficPolicy.{path}.mode={tls.mode}"
    return tls, Fact(ref("DestinationRule", rule, where), f"host {rule.spec.host}")


def client_tls(
    choice: RuleChoice,
    port: int | None,
    subset: str,
    server_mode: str | None,
    auto_mtls: bool = True,
) -> ClientTls:
    """The client's TLS mode. `server_mode` is the server's PeerAuthentication mode on the
    port, or None when the server has no proxy (Istio's MTLSUnknown).

    Explicit DestinationRule TLS wins; else auto-mTLS sends ISTIO_MUTUAL when the server
    has a proxy whose mode is not DISABLE, and plaintext otherwise.
    """
    tls, fact = explicit_tls(choice, port, subset)
    if tls is not None and fact is not None:
        return ClientTls(tls.mode or DISABLE, True, [fact, *choice.facts])
    base = list(choice.facts)
    if choice.rule is not None:
        base.append(Fact(ref("DestinationRule", choice.rule), "sets no tls: auto-mTLS decides"))
    if not auto_mtls:
        return ClientTls(DISABLE, False, [*base, Fact("meshconfig enableAutoMtls=false", "")])
    if server_mode is None:
        detail = "auto-mTLS: the server has no sidecar, so the client sends plaintext"
        return ClientTls(DISABLE, False, [*base, Fact("auto-mTLS", detail)])
    if server_mode == DISABLE:
        detail = "auto-mTLS: the server's mode is DISABLE, so the client sends plaintext"
        return ClientTls(DISABLE, False, [*base, Fact("auto-mTLS", detail)])
    detail = f"auto-mTLS: the server has a sidecar ({server_mode}), so the client sends mTLS"
    return ClientTls(ISTIO_MUTUAL, False, [*base, Fact("auto-mTLS", detail)])
