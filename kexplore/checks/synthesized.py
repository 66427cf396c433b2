"""Raw manifests: commands name the workload of a synthesized pod, never the pod, and the
edge's prediction when the only unknowns are the pods not deployed yet."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from kexplore.checks.result import PROBE_LAYERS, LayerResult, Status
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState
from kexplore.shell import kubectl, pasteable

NOT_DEPLOYED = "no config layer fails; pods not deployed yet"


@dataclass(frozen=True)
class Stand:
    """A synthesized pod and the workload that stands for it in commands and hints."""

    pod: str
    namespace: str
    kind: str  # lower-case kubectl kind: deployment, statefulset, ...
    name: str
    selector: str  # `app=web,version=v1`, or "" when the workload has none


def stand_ins(state: ClusterState, pods: list[Pod]) -> dict[str, Stand]:
    """Synthesized pods among `pods`, by name, with their workloads."""
    out: dict[str, Stand] = {}
    for pod in pods:
        owner = state.owner(pod) if pod.synthesized else None
        if owner is None:
            continue
        sel = owner.spec.selector
        selector = sel.describe() if sel is not None and not sel.is_empty() else ""
        out[pod.name] = Stand(pod.name, pod.namespace, owner.kind.lower(), owner.name, selector)
    return out


def for_workloads(commands: list[str], stands: dict[str, Stand]) -> list[str]:
    """Each command with a synthesized pod's name replaced by its workload (it does not exist):
    `describe pod` becomes `describe <kind>`, a pod-only command lists the workload's pods,
    and commands taking `TYPE/NAME` (exec, logs, port-forward, istioctl) get `<kind>/<name>`."""
    if not stands:
        return commands
    out: list[str] = []
    for command in commands:
        try:
            words = shlex.split(command)
        except ValueError:
            words = []
        stand = next((stands[w] for w in _pod_words(words) if w in stands), None)
        rewritten = _rewrite(words, stand) if stand is not None else command
        if rewritten not in out:
            out.append(rewritten)
    return out


def _pod_words(words: list[str]) -> list[str]:
    return [w.split("=", 1)[1] if w.startswith("involvedObject.name=") else w for w in words]


def _rewrite(words: list[str], stand: Stand) -> str:
    if "describe" in words and "pod" in words and words[0] == "istioctl":
        if not stand.selector:
            return kubectl("describe", stand.kind, "-n", stand.namespace, stand.name)
        return kubectl("get", "pods", "-n", stand.namespace, "-l", stand.selector)
    out: list[str] = []
    for i, word in enumerate(words):
        if word == "pod" and i + 1 < len(words) and stand.pod in words[i + 1 :]:
            out.append(stand.kind)
        elif word == stand.pod:
            out.append(stand.name if "describe" in words else f"{stand.kind}/{stand.name}")
        elif word == f"involvedObject.name={stand.pod}":
            out.append(f"involvedObject.name={stand.name}")
        else:
            out.append(word)
    return pasteable(out)


def hint_for_workloads(hint: str | None, stands: dict[str, Stand]) -> str | None:
    """A hint naming a synthesized pod names its workload instead."""
    if hint is None:
        return None
    for stand in stands.values():
        workload = f"{stand.kind} {stand.namespace}/{stand.name}"
        hint = hint.replace(f"pod {stand.namespace}/{stand.pod}", workload)
        hint = hint.replace(f"{stand.namespace}/{stand.pod}", f"{stand.namespace}/{stand.name}")
    return hint


def prediction(layers: list[LayerResult], synthesized: bool) -> str | None:
    """For an edge of synthesized pods that no layer fails but some leave unknown: what the
    manifests predict, naming the layers that wait for a deployment."""
    if not synthesized or any(r.status is Status.FAIL for r in layers):
        return None
    waiting = [r.id for r in layers if r.status is Status.UNKNOWN and r.id not in PROBE_LAYERS]
    if not waiting:
        return None
    warns = [r.id for r in layers if r.status is Status.WARN]
    more = f"; warn at {', '.join(warns)}" if warns else ""
    return f"{NOT_DEPLOYED} ({', '.join(waiting)} judged once deployed){more}"
