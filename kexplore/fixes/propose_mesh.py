"""Fix candidates for the mesh layer: a DestinationRule's TLS mode, a port-level PERMISSIVE
PeerAuthentication, and AuthorizationPolicy rules (a DENY narrowed, an ALLOW widened)."""

from __future__ import annotations

import re
from typing import Any

from kexplore.analysis.mesh.authz import principal_of
from kexplore.analysis.mesh.common import mesh_settings
from kexplore.checks.context import EdgeContext
from kexplore.checks.result import LayerResult
from kexplore.fixes.candidates import (
    Candidate,
    append_op,
    new_object,
    patch,
    replace_ops,
    workload_labels,
    workload_name,
)
from kexplore.fixes.edits import DELETE, Edit, ObjectKey, pointer
from kexplore.model.istio import AuthorizationPolicy

_REF = re.compile(
    r"^(?P<kind>destinationrule|authorizationpolicy) (?P<ns>[^/\s]+)/(?P<name>\S+)"
    r"(?: (?P<path>[\w.\[\]]+)(?:=(?P<value>\S+))?)?$"
)
_SEGMENT = re.compile(r"(\w+)(?:\[(\d+)\])?")


def mesh_candidates(ctx: EdgeContext, result: LayerResult) -> list[Candidate]:
    """From the objects the mesh layer named as deciding its failure."""
    out: list[Candidate] = []
    refs = [m for m in (_REF.match(e.ref) for e in result.evidence) if m is not None]
    for m in refs:
        if m["kind"] == "destinationrule" and m["value"] == "DISABLE" and m["path"]:
            out.append(_dr_mode(m))
        elif m["kind"] == "authorizationpolicy" and "AuthorizationPolicy denies" in result.summary:
            out.extend(_authz(ctx, m))
    if "plaintext" in result.summary:
        out.extend(_permissive(ctx))
    return out


def _dr_mode(m: re.Match[str]) -> Candidate:
    parts: list[str | int] = ["spec"]
    for name, index in _SEGMENT.findall(m["path"]):
        parts += [name, int(index)] if index else [name]
    ops = replace_ops("DISABLE", "ISTIO_MUTUAL", *parts)
    return Candidate(
        [patch("DestinationRule", m["ns"], m["name"], *ops)],
        f"destinationrule {m['ns']}/{m['name']}: {m['path']} DISABLE → ISTIO_MUTUAL",
        "every client this rule applies to now sends mTLS to the host (what STRICT requires)",
    )


def _permissive(ctx: EdgeContext) -> list[Candidate]:
    """Accept plaintext on the target port only, for the target workload only."""
    backend = next((b for b in ctx.backends if b.port is not None), None)
    if backend is None:
        return []
    pod, port = backend.pod, backend.port
    name = f"{workload_name(ctx.state, pod)}-permissive-{port}"
    spec = {
        "selector": {"matchLabels": workload_labels(ctx.state, pod)},
        "portLevelMtls": {port: {"mode": "PERMISSIVE"}},
    }
    return [
        Candidate(
            [new_object("PeerAuthentication", "security.istio.io/v1", pod.namespace, name, spec)],
            f"create peerauthentication {pod.namespace}/{name}: PERMISSIVE on port {port} of "
            f"{workload_name(ctx.state, pod)}",
            f"trade-off: port {port} accepts plaintext from any client; plaintext callers "
            "carry no identity, so AuthorizationPolicies by principal or namespace cannot "
            "match them",
        )
    ]


def _authz(ctx: EdgeContext, m: re.Match[str]) -> list[Candidate]:
    policy = ctx.state.get("AuthorizationPolicy", m["ns"], m["name"])
    src = ctx.source_pod
    if not isinstance(policy, AuthorizationPolicy) or src is None:
        return []
    principal = principal_of(src, mesh_settings(ctx.state).trust_domain)
    if policy.spec.action == "DENY" and m["path"]:
        index = int(_SEGMENT.findall(m["path"])[0][1] or 0)
        return _narrow_deny(policy, index, principal)
    if policy.spec.action == "ALLOW":
        port = next((b.port for b in ctx.backends if b.port is not None), None)
        rule = {
            "from": [{"source": {"principals": [principal]}}],
            "to": [{"operation": {"ports": [str(port)]}}],
        }
        op = append_op(policy.spec.rules, "spec", "rules", value=rule)
        return [
            Candidate(
                [patch("AuthorizationPolicy", policy.metadata.namespace, policy.metadata.name, op)],
                f"authorizationpolicy {_ref(policy)}: allow {principal} on port {port}",
            )
        ]
    return []


def _narrow_deny(policy: AuthorizationPolicy, index: int, principal: str) -> list[Candidate]:
    """Take the principal out of the DENY rule (the rule, or the policy, when it is the only
    thing left), or delete the policy."""
    rules = policy.spec.rules
    delete = Candidate(
        [
            Edit(
                ObjectKey("AuthorizationPolicy", policy.metadata.namespace, policy.metadata.name),
                DELETE,
            )
        ],
        f"delete authorizationpolicy {_ref(policy)} (if the deny is stale)",
        "every source this policy denied is admitted again",
    )
    if index >= len(rules):
        return [delete]
    for fi, element in enumerate(rules[index].from_):
        principals = element.source.principals
        if principal not in principals:
            continue
        path: tuple[Any, ...] = ("spec", "rules", index, "from", fi, "source", "principals")
        if len(principals) > 1:
            at = principals.index(principal)
            ops: tuple[dict[str, Any], ...] = (
                {"op": "test", "path": pointer(*path, at), "value": principal},
                {"op": "remove", "path": pointer(*path, at)},
            )
        elif len(rules) > 1:
            ops = ({"op": "remove", "path": pointer("spec", "rules", index)},)
        else:
            return [delete]
        narrowed = Candidate(
            [patch("AuthorizationPolicy", policy.metadata.namespace, policy.metadata.name, *ops)],
            f"authorizationpolicy {_ref(policy)} rules[{index}]: stop denying {principal}",
        )
        return [narrowed, delete]
    return [delete]


def _ref(policy: AuthorizationPolicy) -> str:
    return f"{policy.metadata.namespace}/{policy.metadata.name}"
