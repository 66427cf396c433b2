"""The ladder: runs the layers of one edge in display order and computes its verdict."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from kexplore.analysis.dns import EXTERNAL, HEADLESS_POD, IP, NXDOMAIN
from kexplore.checks import (
    cluster,
    dns,
    health,
    mesh,
    network,
    networkpolicy,
    pods,
    ports,
    reachability,
    service,
)
from kexplore.checks.context import DnsEgressCheck, EdgeContext, build_context
from kexplore.checks.edge import SourceSpec, TargetSpec, parse_target, resolve_source
from kexplore.checks.result import (
    LAYER_IDS,
    PROBE_LAYERS,
    EdgeReport,
    LayerResult,
    SourceRef,
    Status,
    TargetRef,
    verdict_of,
)
from kexplore.checks.stale import mark_stale
from kexplore.checks.suggest import did_you_mean, missing_namespace, names_of
from kexplore.checks.synthesized import (
    for_workloads,
    hint_for_workloads,
    prediction,
    stand_ins,
)
from kexplore.errors import NotFoundError
from kexplore.model.state import ClusterState
from kexplore.probes.recorded import RecordedProber
from kexplore.redact import redact
from kexplore.shell import is_canonical, kubectl

if TYPE_CHECKING:
    from kexplore.probes.base import Prober

LayerCheck = Callable[[EdgeContext], LayerResult]

# One (id, check) per layer, in LAYER_IDS order; a layer owner adds its line here.
LAYERS: list[tuple[str, LayerCheck]] = [
    ("pods", pods.check),
    ("service", service.check),
    ("dns", dns.check),
    ("mesh", mesh.check),
    ("networkpolicy", networkpolicy.check),
    ("ports", ports.check),
    ("health", health.check),
    ("cluster", cluster.check),
    ("reachability", reachability.check),
    ("network", network.check),
]

WITHHELD_COMMAND = "# withheld: a name in the data holds shell syntax (Kubernetes would reject it)"

# The networkpolicy owner sets this to their DNS-egress judge (see checks/dns.py).
DNS_EGRESS: DnsEgressCheck | None = networkpolicy.dns_egress_check


def run_ladder(
    state: ClusterState,
    source: SourceSpec,
    target: TargetSpec,
    *,
    prober: Prober | None = None,
    on_layer: Callable[[LayerResult], None] | None = None,
    cancel: threading.Event | None = None,
    l7: str = "",
    path: str = "/",
) -> EdgeReport:
    """Run every layer for one edge; `on_layer` is called after each, `cancel` stops early
    (the layers not run are reported `unknown`: cancelled); `l7` and `path` choose the
    application probe (default: from what the cluster declares, path /).

    Config layers run first and probe layers last, so a failing probe can name the config
    layer that explains it; the report lists them in display order. Without a prober,
    probe results recorded in the data (a snapshot, the demo) are replayed.
    """
    if prober is None and (state.recorded_probes or state.logs):
        prober = RecordedProber(state.recorded_probes, state.logs) or None
    ctx = build_context(
        state,
        source,
        target,
        prober=prober,
        cancel=cancel,
        dns_egress=DNS_EGRESS,
        l7=l7,
        path=path,
    )
    results: list[LayerResult] = []
    for layer_id, check in sorted(LAYERS, key=_run_order):
        if ctx.cancel.is_set():
            result = LayerResult(
                layer_id, Status.UNKNOWN, "not run: the check was cancelled", hint="run it again"
            )
        else:
            result = _run_layer(layer_id, check, ctx)
        ctx.results[layer_id] = result
        results.append(result)
        if on_layer is not None:
            on_layer(result)
    results.sort(key=lambda r: LAYER_IDS.index(r.id))
    mark_stale(results, ctx)
    verdict, failing = verdict_of(results)
    edge_pods = [*ctx.source.pods, *ctx.target_pods]
    stands = stand_ins(state, edge_pods)
    for result in results:
        result.commands = for_workloads(result.commands, stands)
        result.hint = hint_for_workloads(result.hint, stands)
    report = EdgeReport(source_ref(source), target_ref(ctx), results, verdict, failing)
    report.prediction = prediction(results, any(p.synthesized for p in edge_pods))
    report.disagreements = list(dict.fromkeys(ctx.disagreements))
    return report


def _run_order(pair: tuple[str, LayerCheck]) -> tuple[bool, int]:
    return pair[0] in PROBE_LAYERS, LAYER_IDS.index(pair[0])


def _run_layer(layer_id: str, check: LayerCheck, ctx: EdgeContext) -> LayerResult:
    """One layer; a crash in it is reported as `unknown`, never as a pass. Its evidence (log
    lines, probe output) is redacted: a terminal's scrollback is shared too."""
    try:
        result = check(ctx)
        result.commands = list(dict.fromkeys(_shell_safe(c) for c in result.commands))
        result.summary = redact(result.summary)
        result.evidence = [replace(e, detail=redact(e.detail)) for e in result.evidence]
        return result
    except Exception as e:  # a bug in one layer must not hide the others
        return LayerResult(
            layer_id,
            Status.UNKNOWN,
            f"internal error in the {layer_id} layer: {type(e).__name__}: {e}",
            hint="this is a kexplore bug; please report it with the data that triggered it",
        )


def _shell_safe(command: str) -> str:
    """The command, unless pasting it would let the shell interpret something: names from a
    snapshot are untrusted (a hostile dump can hold `$(…)` in a name the API server would
    reject) and are interpolated unquoted, so a command must be its own canonical quoting."""
    return command if is_canonical(command) else WITHHELD_COMMAND


def source_ref(source: SourceSpec) -> SourceRef:
    """The report's source object."""
    return SourceRef(source.namespace, source.kind, source.name, [p.name for p in source.pods])


def target_ref(ctx: EdgeContext) -> TargetRef:
    """The report's target: what was dialed and what it resolved to."""
    res, target = ctx.resolution, ctx.target
    if res.kind == HEADLESS_POD and res.pods:
        namespace, kind, name = res.pods[0].namespace, "Pod", res.pods[0].name
    elif ctx.service is not None:
        namespace, kind, name = ctx.service.namespace, "Service", ctx.service.name
    elif res.pods:
        namespace, kind, name = res.pods[0].namespace, "Pod", res.pods[0].name
    elif res.kind in (EXTERNAL, IP, NXDOMAIN):
        kind = "IP" if target.kind == "IP" else "DNS"
        namespace, name = target.namespace or ctx.source.namespace, target.host
    else:
        namespace, kind, name = res.namespace, res.kind, res.name
    return TargetRef(namespace, kind, name, target.port, target.protocol, target.dialed)


def check_edge(
    state: ClusterState,
    source_text: str,
    target_text: str,
    protocol: str = "TCP",
    port: int | None = None,
    namespace: str = "",
    *,
    prober: Prober | None = None,
    on_layer: Callable[[LayerResult], None] | None = None,
    cancel: threading.Event | None = None,
    l7: str = "",
    path: str = "/",
) -> EdgeReport:
    """Parse SOURCE and TARGET (DESIGN §1) and run the ladder; a TARGET that names an object
    explicitly (`NS/svc/NAME`, `NS/POD`) must exist (NotFoundError, exit 2)."""
    target = parse_target(target_text, protocol, port)
    source = resolve_source(state, source_text, namespace)
    require_named_target(state, target)
    return run_ladder(
        state, source, target, prober=prober, on_layer=on_layer, cancel=cancel, l7=l7, path=path
    )


def require_named_target(state: ClusterState, target: TargetSpec) -> None:
    """A TARGET naming an object explicitly (`NS/svc/NAME`, `NS/POD`) must exist: a typo in
    an object reference is bad input (exit 2), unlike a DNS name, whose NXDOMAIN is a finding."""
    if (
        target.kind in ("Service", "Pod")
        and state.get(target.kind, target.namespace, target.host) is None
        and not state.meta.gap(target.kind, target.namespace)
    ):
        missing = missing_namespace(state, target.namespace)
        hint = did_you_mean(target.host, names_of(state, [target.kind], target.namespace))
        where = missing or f"no {target.kind} {target.host!r} in namespace {target.namespace!r}"
        raise NotFoundError(
            f"TARGET {target.dialed!r}: {where}{'' if missing else hint}",
            fix=kubectl("get", f"{target.kind.lower()}s", "-n", target.namespace),
        )
