"""Probe commands as a user would type them: `kubectl exec … -- argv`, `kubectl port-forward`."""

from __future__ import annotations

from kexplore.probes.base import TOOL_PROBES, ProbeRequest
from kexplore.probes.capture import CAPTURE_IMAGE, capture_argv
from kexplore.probes.envoy import CLUSTERS_COMMAND, CONFIG_COMMAND, LOG_BYTES, LOG_WINDOW
from kexplore.probes.flows import hubble_argv
from kexplore.probes.strategy import Strategy, first_attempt, possible_argvs, split_address


def kubectl_exec(namespace: str, pod: str, container: str, argv: list[str]) -> list[str]:
    """The `kubectl exec` that runs argv in that container."""
    where = ["-c", container] if container else []
    return ["kubectl", "exec", "--namespace", namespace, f"pod/{pod}", *where, "--", *argv]


def forward_command(request: ProbeRequest) -> list[str]:
    """The `kubectl port-forward` equivalent of a port-forward probe (any free local port)."""
    _, port = split_address(request.target)
    return [
        "kubectl",
        "port-forward",
        "--namespace",
        request.namespace,
        f"pod/{request.pod}",
        f":{port}",
    ]


def logs_command(request: ProbeRequest) -> list[str]:
    """The `kubectl logs` that reads a proxy's recent log (bounded in time and size)."""
    return [
        "kubectl",
        "logs",
        "--namespace",
        request.namespace,
        f"pod/{request.pod}",
        "-c",
        request.container,
        f"--since={LOG_WINDOW}s",
        f"--limit-bytes={LOG_BYTES}",
    ]


def reader_argv(request: ProbeRequest) -> list[str]:
    """What a reader runs in its container: the proxy's clusters or TLS view, Hubble."""
    if request.probe == "flows":
        return hubble_argv(request.target, request.l7.peers)
    return CONFIG_COMMAND if request.probe == "envoy-tls" else CLUSTERS_COMMAND


def reader_command(request: ProbeRequest) -> list[str]:
    """The command of a reader probe (a proxy's access log, cluster view or cluster TLS,
    Hubble's flows)."""
    if request.probe == "envoy-log":
        return logs_command(request)
    return kubectl_exec(request.namespace, request.pod, request.container, reader_argv(request))


def capture_command(request: ProbeRequest, image: str = CAPTURE_IMAGE) -> list[str]:
    """The capture as `kubectl debug` runs it: an ephemeral container in the pod (it shares
    the pod's network namespace and cannot be removed) running a bounded tcpdump."""
    where = [f"pod/{request.pod}", "--namespace", request.namespace]
    return [
        "kubectl",
        "debug",
        *where,
        f"--image={image}",
        "--profile=netadmin",
        "--attach",
        "--",
        *capture_argv(request.target),
    ]


def planned_command(
    request: ProbeRequest, container: str, strategy: Strategy | None, timeout: float
) -> list[str]:
    """The command a probe runs with the best tool known for the container (any, if unknown)."""
    if request.probe == "port-forward":
        return forward_command(request)
    if request.probe in ("envoy-log", "envoy-clusters", "envoy-tls", "flows"):
        return reader_command(request)
    if request.probe == "capture":
        return capture_command(request)
    attempt = first_attempt(request.probe, request.target, strategy, timeout, request.l7)
    return kubectl_exec(request.namespace, request.pod, container, attempt.argv)


def possible_commands(
    request: ProbeRequest, container: str, strategy: Strategy | None, timeout: float
) -> list[list[str]]:
    """Every command a probe may run, in the order it tries them (fallbacks included)."""
    if request.probe not in TOOL_PROBES:  # one command: a port-forward, a reader, a capture
        return [planned_command(request, container, strategy, timeout)]
    argvs = possible_argvs(request.probe, request.target, strategy, timeout, request.l7)
    return [kubectl_exec(request.namespace, request.pod, container, argv) for argv in argvs]
