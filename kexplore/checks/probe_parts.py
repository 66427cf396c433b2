"""The probe parts of config layers: a DNS lookup from the source (dns) and the target's
socket table (ports), merged into the static result."""

from __future__ import annotations

import shlex

from kexplore.checks.context import EdgeContext
from kexplore.checks.probing import evidence_of, reproduce, run_all
from kexplore.checks.result import LayerResult, Status
from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.probes.parse import listeners

_BAD_LISTEN = {
    "not-listening": "nothing listens on that port",
    "loopback-only": "the port is bound to 127.0.0.1 only: other pods cannot reach it",
}


def dns_lookup(ctx: EdgeContext) -> list[ProbeResult]:
    """Look up the dialed name from the first source pod (nothing for IP targets)."""
    pod = ctx.source_pod
    if pod is None or ctx.target.kind == "IP":
        return []
    name = ctx.target.host if ctx.target.kind == "DNS" else ctx.resolution.fqdn
    return run_all(ctx, [ProbeRequest("dns", pod.namespace, pod.name, name)])


def socket_table(ctx: EdgeContext) -> list[ProbeResult]:
    """Read each target pod's socket table for the port traffic reaches."""
    requests = [
        ProbeRequest("listen", b.pod.namespace, b.pod.name, f"{b.ip}:{b.port}")
        for b in ctx.backends
        if b.port is not None and b.ip
    ]
    return run_all(ctx, list(dict.fromkeys(requests)))


def merge(static: LayerResult, probes: list[ProbeResult], what: str, hint: str) -> LayerResult:
    """The static result with the probe's evidence; an observed failure the static part did
    not predict makes the layer fail on the probe's basis (a finding on the edge)."""
    if not probes:
        return static
    static.evidence.extend(evidence_of(p) for p in probes)
    ran = [reproduce(p) for p in probes]
    static.commands = [c for c in static.commands if not any(_same_exec(c, r) for r in ran)]
    static.commands.extend(ran)
    observed = [p for p in probes if not p.ok and not p.mechanism_failed]
    if not observed or static.status is Status.FAIL:
        return static
    first = observed[0]
    detail = _BAD_LISTEN.get(first.result, first.result)
    if first.request.probe == "listen":
        detail += f"; listening: {listeners(first.output)}"
    static.status = Status.FAIL
    static.basis = first.basis
    static.summary = f"{what} on {first.request.target}: {detail} (static part: {static.summary})"
    static.hint = hint
    return static


def _same_exec(a: str, b: str) -> bool:
    """Two `kubectl exec` commands running the same argv in the same pod (`-n NS POD` and
    `--namespace NS pod/POD` spell it differently)."""
    try:
        left, right = shlex.split(a), shlex.split(b)
    except ValueError:
        return False
    if left[:2] != ["kubectl", "exec"] or right[:2] != ["kubectl", "exec"]:
        return False
    if "--" not in left or "--" not in right:
        return False
    i, j = left.index("--"), right.index("--")
    return left[i + 1 :] == right[j + 1 :] and _pod(left[:i]) == _pod(right[:j])


_VALUED_FLAGS = frozenset({"-n", "--namespace", "-c", "--container"})


def _pod(words: list[str]) -> str:
    """The pod of `kubectl exec [flags] POD` (flags with a value skipped with it)."""
    rest = iter(words[2:])
    for word in rest:
        if word in _VALUED_FLAGS:
            next(rest, None)
        elif not word.startswith("-"):
            return word.removeprefix("pod/")
    return ""
