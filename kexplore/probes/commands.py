"""Probe commands as a user would type them: `kubectl exec … -- argv`, `kubectl port-forward`."""

from __future__ import annotations

from kexplore.probes.base import ProbeRequest
from kexplore.probes.strategy import Strategy, first_attempt, split_address


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


def planned_command(
    request: ProbeRequest, container: str, strategy: Strategy | None, timeout: float
) -> list[str]:
    """The command a probe runs with the best tool known for the container (any, if unknown)."""
    if request.probe == "port-forward":
        return forward_command(request)
    attempt = first_attempt(request.probe, request.target, strategy, timeout, request.l7)
    return kubectl_exec(request.namespace, request.pod, container, attempt.argv)
