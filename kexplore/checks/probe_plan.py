"""The probes an edge would run, as commands a user can read before agreeing (the TUI's
confirm dialog lists them)."""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING

from kexplore.checks import envoy_account, flows_part, l7, network, probe_parts, reachability
from kexplore.checks.context import EdgeContext, build_context
from kexplore.checks.edge import SourceSpec, TargetSpec
from kexplore.checks.probing import run_all
from kexplore.model.state import ClusterState
from kexplore.probes.base import TOOL_PROBES, ProbeRequest, ProbeResult
from kexplore.probes.commands import kubectl_exec, possible_commands
from kexplore.probes.strategy import DETECT_COMMAND

if TYPE_CHECKING:
    from kexplore.probes.live.prober import LiveProber


class _Recorder:
    """A prober that runs nothing: it notes what the layers ask for."""

    basis = "probe"

    def __init__(self) -> None:
        self.requests: list[ProbeRequest] = []

    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        self.requests.append(request)
        return None


def planned_requests(ctx: EdgeContext) -> list[ProbeRequest]:
    """Every probe the ladder would run for this edge (DNS lookup, Envoy's logs and clusters,
    socket tables, connects, application probes, port-forwards), in the order it runs them,
    without running any."""
    recorder = _Recorder()
    planning = dataclasses.replace(
        ctx, prober=recorder, results=dict(ctx.results), disagreements=[]
    )
    probe_parts.dns_lookup(planning)
    run_all(planning, envoy_account.requests(planning))
    probe_parts.socket_table(planning)
    reachability.check(planning)
    connects = [r for r in recorder.requests if r.probe in ("tcp", "udp")]
    recorder.requests += l7.requests(planning, connects)
    if connects:  # these run only if a connect or an application probe fails
        first = connects[0]
        recorder.requests.append(ProbeRequest("capture", first.namespace, first.pod, first.target))
        flows = flows_part.request_for(planning)
        recorder.requests += [flows] if flows is not None else []
    network.check(planning)
    return list(dict.fromkeys(recorder.requests))


def plan_probes(ctx: EdgeContext, prober: LiveProber | None = None) -> list[list[str]]:
    """Every argv that may run, as `kubectl exec …`/`kubectl port-forward …` commands: the
    tool detection once per container, then each probe with every tool it may fall back to
    (nc, bash /dev/tcp, python, curl, wget; the detected ones when known), best first."""
    out: list[list[str]] = []
    detected: set[tuple[str, str, str]] = set()
    for request in planned_requests(ctx):
        container = request.container
        if prober is not None and request.probe in TOOL_PROBES:
            container = prober.container_for(request).container
        key = (request.namespace, request.pod, container)
        known = prober is not None and prober.strategy_of(*key) is not None
        if request.probe in TOOL_PROBES and key not in detected and not known:
            detected.add(key)
            out.append(kubectl_exec(request.namespace, request.pod, container, DETECT_COMMAND))
        if prober is not None:
            out.extend(prober.possible_commands(request, container))
        else:
            out.extend(possible_commands(request, container, None, 5.0))
    return list({tuple(argv): argv for argv in out}.values())


def plan_edge(
    state: ClusterState,
    source: SourceSpec,
    target: TargetSpec,
    prober: LiveProber | None = None,
    path: str = "/",
) -> list[list[str]]:
    """plan_probes for an edge given as the ladder takes it (`path`: the HTTP probe's)."""
    return plan_probes(build_context(state, source, target, path=path), prober)
