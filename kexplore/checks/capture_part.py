"""Packet evidence in `reachability`: when a connect or an application probe fails, a bounded
capture in the source pod's network namespace says what the packets did."""

from __future__ import annotations

from kexplore.checks.context import EdgeContext
from kexplore.checks.probing import probe_ref, run_all
from kexplore.checks.result import Evidence, LayerResult
from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.probes.capture import parse_capture, summarise
from kexplore.probes.commands import capture_command
from kexplore.shell import pasteable

RAW_SHOWN = 6


def request_for(results: list[ProbeResult]) -> ProbeRequest | None:
    """A capture of the first path that failed (a connect or an application probe)."""
    failed = [r for r in results if not r.ok and not r.mechanism_failed]
    if not failed:
        return None
    first = failed[0].request
    return ProbeRequest("capture", first.namespace, first.pod, first.target)


def add(ctx: EdgeContext, base: LayerResult, results: list[ProbeResult]) -> LayerResult:
    """Run the capture (live: with consent to a debug container) and add what it shows."""
    request = request_for(results)
    if request is None:
        return base
    for result in run_all(ctx, [request]):
        ran = result.command if result.command[:2] == ["kubectl", "debug"] else []
        base.commands.append(pasteable(ran or capture_command(request)))
        if result.mechanism_failed:
            lines = result.output.strip().splitlines()
            why = lines[-1] if lines else result.result
            base.evidence.append(Evidence(probe_ref(result), f"no capture: {why}", "capture"))
            continue
        kind, reading = summarise(result.output, request.target)
        raw = [packet.line for packet in parse_capture(result.output)]
        detail = reading + "".join(f"\n  | {line}" for line in raw[:RAW_SHOWN])
        base.evidence.append(Evidence(probe_ref(result), detail, "capture"))
        base.summary += f"; capture: {kind}"
    return base
