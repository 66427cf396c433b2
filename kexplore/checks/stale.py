"""Observations a what-if set aside (DESIGN §10): the layers that would have used them fall
back to their static part and say they are stale, naming the edit and what was observed."""

from __future__ import annotations

from kexplore.checks.context import EdgeContext
from kexplore.checks.result import Evidence, LayerResult
from kexplore.model.recorded import SetAside

NOT_PROBED = "no probe result for this edge: "
STALE = "stale (what-if changed "
# Which layers read each kind of observation.
LAYERS_OF: dict[str, tuple[str, ...]] = {
    "tcp": ("reachability",),
    "udp": ("reachability",),
    "http": ("reachability",),
    "grpc": ("reachability",),
    "capture": ("reachability",),
    "dns": ("dns",),
    "port-forward": ("network",),
    "listen": ("ports",),
    "envoy-clusters": ("mesh",),
    "envoy-tls": ("mesh",),
    "access-log": ("mesh",),
    "events": ("pods", "health"),
}


def mark_stale(results: list[LayerResult], ctx: EdgeContext) -> None:
    """Each layer left without an observation the what-if set aside on this edge's pods and
    target says `stale (what-if changed X)`, and lists what was set aside and what it said."""
    items = [i for i in ctx.state.set_aside if _concerns(i, ctx)]
    for result in results:
        mine = [i for i in items if result.id in LAYERS_OF.get(i.kind, ())]
        if not mine or result.basis != "static":  # observed afresh: nothing stale is used
            continue
        because = "; ".join(dict.fromkeys(i.because for i in mine))
        summary = result.summary.removeprefix(NOT_PROBED)
        result.summary = f"stale ({because}): {summary}"  # STALE + the refs
        result.evidence += [
            Evidence(i.ref(), f"stale: recorded before the change; it said {i.said}") for i in mine
        ]


def _concerns(item: SetAside, ctx: EdgeContext) -> bool:
    """An observation from or on one of the edge's pods, towards its target (if it had one)."""
    pods = {(p.namespace, p.name) for p in (*ctx.source.pods, *ctx.target_pods)}
    if (item.namespace, item.pod) not in pods:
        return False
    if not item.target:
        return True
    host = item.target.rsplit(":", 1)[0] if item.target.count(":") == 1 else item.target
    addresses = {ip for p in ctx.target_pods for ip in p.ips()} | {ctx.target.host}
    if ctx.service is not None:
        addresses |= {ctx.service.spec.cluster_ip, *ctx.service.spec.cluster_ips}
    names = (ctx.target.host, ctx.target.dialed.rsplit(":", 1)[0])
    return host in addresses or any(name and name in item.target for name in names)
