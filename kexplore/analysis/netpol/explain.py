"""Verdicts for one (protocol, port): which policies select each side and which rule decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kexplore.analysis.netpol.cilium import CAVEAT, cilium_signs
from kexplore.analysis.netpol.engine import (
    Direction,
    RuleMatch,
    direction_of,
    policy_tier,
    port_entry,
)
from kexplore.analysis.netpol.nearmiss import FIX, describe_near, near
from kexplore.analysis.netpol.peers import (
    EGRESS,
    INGRESS,
    Endpoint,
    as_endpoint,
    policy_index,
    rules_of,
)
from kexplore.model.base import LabelSelector
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicyPeer
from kexplore.model.state import ClusterState

VERBS = {"Allow": "allows", "Deny": "denies", "Pass": "passes"}
MAX_NAMED = 20


@dataclass
class DirectionVerdict:
    """The outcome of one direction for one (protocol, port), with the chain that decided it."""

    direction: str
    allowed: bool
    reason: str
    decided_by: str | None = None
    chain: list[str] = field(default_factory=list)
    selecting: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    selecting_count: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "allowed": self.allowed,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "chain": list(self.chain),
            "selecting": list(self.selecting),
            "selecting_count": self.selecting_count,
            "notes": list(self.notes),
        }


@dataclass
class Verdict:
    """Whether `source` may open (protocol, port) to `target`, and why."""

    source: str
    target: str
    protocol: str
    port: int
    allowed: bool
    egress: DirectionVerdict
    ingress: DirectionVerdict
    notes: list[str] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)  # what lowers confidence in the verdict

    def summary(self) -> str:
        what = f"{self.source} -> {self.target} {self.protocol} {self.port}"
        if self.allowed:
            return f"{what}: allowed"
        blocked = [d for d in (self.egress, self.ingress) if not d.allowed]
        return f"{what}: denied ({'; '.join(d.reason for d in blocked)})"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "protocol": self.protocol,
            "port": self.port,
            "allowed": self.allowed,
            "egress": self.egress.to_json(),
            "ingress": self.ingress.to_json(),
            "notes": list(self.notes),
            "caveats": list(self.caveats),
        }


def verdict(
    state: ClusterState, src: Pod | Endpoint, dst: Pod | Endpoint, protocol: str, port: int
) -> Verdict:
    """The verdict for one connection from `src` to `dst` on (protocol, port)."""
    s, d = as_endpoint(src), as_endpoint(dst)
    protocol = protocol.upper()
    if s.same_pod(d):
        note = "a pod is never blocked from itself"
        ok = DirectionVerdict(EGRESS, True, note), DirectionVerdict(INGRESS, True, note)
        return Verdict(s.label(), d.label(), protocol, port, True, *ok, notes=[note])
    want = (protocol, port)
    egress = explain(direction_of(state, s, d, EGRESS, d, want), protocol, port)
    ingress = explain(direction_of(state, d, s, INGRESS, d, want), protocol, port)
    notes = [n for side in (egress, ingress) for n in side.notes]
    allowed = egress.allowed and ingress.allowed
    v = Verdict(s.label(), d.label(), protocol, port, allowed, egress, ingress, notes)
    if allowed and cilium_signs(state):
        v.caveats = _cilium_caveats(state, v, s, d)
    return v


def explain(d: Direction, protocol: str, port: int) -> DirectionVerdict:
    """Walk the tier chain for one (protocol, port) and record each step."""
    if not d.applies:
        return _not_applicable(d)
    chain: list[str] = []
    for m in d.admin:
        if m.ports.contains(protocol, port):
            chain.append(f"{m.ref} {VERBS[m.action]}")
            if m.action != "Pass":
                return _decided(d, m.action == "Allow", m.ref, chain)
            break
    if d.tier.isolated:
        return _policy_tier(d, protocol, port, chain)
    chain.append(
        f"no NetworkPolicy with policyType {d.direction.title()} selects {d.subject.label()}"
    )
    for m in d.baseline:
        if m.ports.contains(protocol, port):
            chain.append(f"{m.ref} {VERBS[m.action]}")
            if m.action == "Deny":
                return _decided(d, False, m.ref, chain)
            break
    reason = f"{d.subject.label()} is not isolated for {d.direction} (default allow)"
    return DirectionVerdict(d.direction, True, reason, None, chain)


def _decided(d: Direction, allowed: bool, ref: str, chain: list[str]) -> DirectionVerdict:
    reason = " -> ".join(chain)
    count = len(d.tier.selecting)
    return DirectionVerdict(d.direction, allowed, reason, ref, chain, _selecting(d), [], count)


def _selecting(d: Direction) -> list[str]:
    """The first MAX_NAMED selecting policies as ns/name (`selecting_count` has them all)."""
    return [f"{p.namespace}/{p.name}" for p in d.tier.selecting[:MAX_NAMED]]


def _not_applicable(d: Direction) -> DirectionVerdict:
    label = d.subject.label()
    if d.subject.is_host_network():
        note = (
            f"{label} uses hostNetwork: its traffic is node traffic, "
            "which NetworkPolicy does not isolate"
        )
    else:
        note = f"{label} is outside the pod network: no policy governs its {d.direction}"
    return DirectionVerdict(d.direction, True, note, None, [], [], [note])


def _policy_tier(d: Direction, protocol: str, port: int, chain: list[str]) -> DirectionVerdict:
    for m in d.tier.matches:
        if m.ports.contains(protocol, port):
            ref = _port_ref(m, d.peer if d.direction == EGRESS else d.subject, protocol, port)
            chain.append(f"{ref} allows")
            return _decided(d, True, ref, chain)
    names = ", ".join(f"NetworkPolicy {n}" for n in _selecting(d)[:3])
    more = f" (+{len(d.tier.selecting) - 3} more)" if len(d.tier.selecting) > 3 else ""
    verb = "selects" if len(d.tier.selecting) == 1 else "select"
    what = "admits" if d.direction == INGRESS else "allows"
    side = "from" if d.direction == INGRESS else "to"
    reason = (
        f"{names}{more} {verb} {d.subject.label()}; no {d.direction} rule {what} "
        f"{protocol} {port} {side} {d.peer.label()}"
    )
    chain.append(reason)
    count = len(d.tier.selecting)
    verdict_ = DirectionVerdict(d.direction, False, reason, None, chain, _selecting(d), [], count)
    verdict_.notes.extend(_near_misses(d))
    verdict_.notes.extend(_selector_misses(d))
    return verdict_


def _port_ref(m: RuleMatch, dst: Endpoint, protocol: str, port: int) -> str:
    ports = rules_of(m.policy, m.direction)[m.index][1]
    if not ports:
        return m.ref
    for k, entry in enumerate(ports):
        if port_entry(entry, dst).contains(protocol, port):
            return f"{m.ref} ports[{k}]"
    return m.ref


def _near_misses(d: Direction) -> list[str]:
    """Rules whose peers match but whose ports do not cover the connection."""
    out: list[str] = []
    dst = d.peer if d.direction == EGRESS else d.subject
    for m in d.tier.matches[:5]:
        allowed = m.ports.describe() or "no port"
        text = f"{m.ref} matches {d.peer.label()} but allows only {allowed}"
        out.append(text + "".join(f"; {w}" for w in _named_port_misses(m, dst)))
    return out


def _named_port_misses(m: RuleMatch, dst: Endpoint) -> list[str]:
    """Named ports of a rule that the destination declares under another protocol, or not."""
    pod = dst.selectable()
    out: list[str] = []
    for entry in rules_of(m.policy, m.direction)[m.index][1] or ():
        name, proto = entry.port, (entry.protocol or "TCP").upper()
        if not isinstance(name, str) or name.isdigit() or pod is None:
            continue
        declared = sorted(
            f"{(cp.protocol or 'TCP').upper()} {cp.container_port}"
            for c in pod.serving_containers()
            for cp in c.ports
            if cp.name == name
        )
        if not declared:
            out.append(f"port {name!r} is not declared on {dst.label()}")
        elif not any(d.startswith(f"{proto} ") for d in declared):
            out.append(
                f"port {name!r} is {', '.join(declared)} on {dst.label()}, not {proto} "
                "(a named port keeps its protocol)"
            )
    return out


def _selector_misses(d: Direction, limit: int = 3) -> list[str]:
    """Peers that match the other side in all but one selector (the classic AND/OR and
    podSelector-alone mistakes), so the fix is visible."""
    pod = d.peer.selectable()
    if pod is None:
        return []
    ns_labels = d.peer_ns_labels
    out: list[str] = []
    for pol in d.tier.selecting:
        if len(out) >= limit:
            break
        for i, (peers, _) in enumerate(rules_of(pol, d.direction)):
            side = "from" if d.direction == INGRESS else "to"
            for j, peer in enumerate(peers or ()):
                if peer.ip_block is not None:
                    continue
                ref = f"networkpolicy {pol.namespace}/{pol.name} {d.direction}[{i}] {side}[{j}]"
                pod_ok = peer.pod_selector is None or peer.pod_selector.matches(pod.labels)
                miss = _near_miss(ref, peer, pol.namespace, pod, ns_labels, d.peer.label())
                if miss:
                    out.append(miss)
                    continue
                if peer.namespace_selector is None:
                    if pod_ok and pod.namespace != pol.namespace:
                        out.append(
                            f"{ref}: podSelector {_desc(peer.pod_selector)} matches "
                            f"{d.peer.label()}, but a podSelector alone selects only pods in "
                            f"namespace {pol.namespace}; add a namespaceSelector for "
                            f"{pod.namespace} in the same element"
                        )
                    continue
                ns_ok = peer.namespace_selector.matches(ns_labels)
                if pod_ok and not ns_ok and peer.pod_selector is not None:
                    out.append(
                        f"{ref}: namespaceSelector {peer.namespace_selector.describe()} does not "
                        f"match namespace {pod.namespace} of {d.peer.label()}"
                    )
                elif ns_ok and not pod_ok:
                    out.append(
                        f"{ref}: podSelector {_desc(peer.pod_selector)} does not match the "
                        f"labels of {d.peer.label()}"
                    )
    return out[:limit]


def _near_miss(
    ref: str,
    peer: NetworkPolicyPeer,
    policy_ns: str,
    pod: Pod,
    ns_labels: dict[str, str],
    label: str,
) -> str:
    """One selector of the element nearly matches the peer and the other matches."""
    pod_diffs = near(peer.pod_selector, pod.labels)
    ns_sel = peer.namespace_selector
    ns_ok = ns_sel.matches(ns_labels) if ns_sel is not None else pod.namespace == policy_ns
    if pod_diffs and ns_ok:
        what = f"podSelector {describe_near(pod_diffs)} of {label}"
    elif ns_sel is not None and (ns_diffs := near(ns_sel, ns_labels)):
        if peer.pod_selector is not None and not peer.pod_selector.matches(pod.labels):
            return ""
        what = f"namespaceSelector {describe_near(ns_diffs)} of namespace {pod.namespace}"
    else:
        return ""
    return f"{ref}: near miss, {what}; {FIX} (same key, another value)"


def _desc(selector: LabelSelector | None) -> str:
    return selector.describe() if selector is not None else "<all>"


def _cilium_caveats(state: ClusterState, v: Verdict, src: Endpoint, dst: Endpoint) -> list[str]:
    """Sides allowed only by ipBlocks containing the other pod's IP: allowed as the API says,
    but Cilium's CIDR rules would not match a cluster endpoint."""
    out: list[str] = []
    for side, subject, peer in ((v.egress, src, dst), (v.ingress, dst, src)):
        ref = side.decided_by or ""
        if side.allowed and peer.pod is not None and ref.startswith("networkpolicy "):
            hit = _only_by_ipblock(state, side.direction, subject, peer, dst, (v.protocol, v.port))
            if hit:
                out.append(f"{hit}; " + CAVEAT.format(signs=cilium_signs(state)))
    return out


def _only_by_ipblock(
    state: ClusterState,
    direction: str,
    subject: Endpoint,
    peer: Endpoint,
    dst: Endpoint,
    want: tuple[str, int],
) -> str:
    """The ipBlock element admitting `want`, when every admitting rule admits the peer only
    through an ipBlock; "" otherwise."""
    pod = subject.selectable()
    assert pod is not None
    index = policy_index(state)
    admitting = [
        m for m in policy_tier(index, pod, peer, direction, dst).matches if m.ports.contains(*want)
    ]
    for m in admitting:
        peers = index.rules(m.policy, direction)[m.index][0] or []
        by_selector = any(
            e.ip_block is None and index.peer_matches(e, m.policy.namespace, peer) for e in peers
        )
        if m.peer is None or by_selector:
            return ""
    if not admitting:
        return ""
    m = admitting[0]
    assert m.peer is not None
    block = (index.rules(m.policy, direction)[m.index][0] or [])[m.peer].ip_block
    assert block is not None
    addr = peer.block_addresses()[0].describe()
    return f"{m.ref}: ipBlock {block.cidr} admits {peer.label()} by its pod IP {addr}"


def dns_egress_verdicts(
    state: ClusterState, sources: list[Pod], dns_targets: list[tuple[Pod, int, str]]
) -> dict[str, list[Verdict]]:
    """DNS from each source pod to each (DNS pod, target port, protocol), by protocol.

    Service traffic is judged after DNAT: the kube-dns Service's port 53 of each protocol
    lands on the CoreDNS pods' target port of that protocol, which the policies must allow.
    """
    out: dict[str, list[Verdict]] = {"UDP": [], "TCP": []}
    for pod, port, protocol in dns_targets:
        verdicts = [verdict(state, src, pod, protocol, port) for src in sources]
        out.setdefault(protocol.upper(), []).extend(verdicts)
    return out
