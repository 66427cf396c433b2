"""Layer ids, statuses and the result records of a ladder run (the JSON contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Status of one layer."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


LAYER_IDS: tuple[str, ...] = (
    "pods",
    "service",
    "dns",
    "reachability",
    "mesh",
    "networkpolicy",
    "ports",
    "health",
    "network",
    "cluster",
)

PROBE_LAYERS = frozenset({"reachability", "network"})


# Kinds of observed evidence (DESIGN §11); static evidence has none.
OBSERVED_KINDS = ("l7", "envoy", "flows", "capture")


@dataclass(frozen=True)
class Evidence:
    """One fact that decided a layer: a reference (`networkpolicy shop/deny ingress[0]`);
    `kind` names observed evidence (l7, envoy, flows, capture)."""

    ref: str
    detail: str = ""
    kind: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"ref": self.ref, "detail": self.detail}
        if self.kind:
            out["kind"] = self.kind
        return out


@dataclass
class Fix:
    """One object change of a proposed fix (DESIGN §10). Entries sharing `option` are applied
    together; different options are alternatives. `target` names the object for kexplore
    (`Service shop/search`); `mode` is json-patch, manifest or delete."""

    object: str
    patch: str
    diff: str
    effect: str
    option: int = 1
    title: str = ""
    command: str = ""
    target: str = ""
    mode: str = "json-patch"

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class LayerResult:
    """The outcome of one layer of the ladder."""

    id: str
    status: Status
    summary: str
    basis: str = "static"
    evidence: list[Evidence] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    hint: str | None = None
    explained_by: str | None = None
    fix: list[Fix] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The layer as DESIGN §2's JSON object (`fix` only on a layer with a proposed fix)."""
        out = {
            "id": self.id,
            "status": str(self.status),
            "summary": self.summary,
            "basis": self.basis,
            "evidence": [e.to_json() for e in self.evidence],
            "commands": list(self.commands),
            "hint": self.hint,
            "explained_by": self.explained_by,
        }
        if self.fix:
            out["fix"] = [f.to_json() for f in self.fix]
        return out


@dataclass
class SourceRef:
    """The source of an edge: an object standing for its pods."""

    namespace: str
    kind: str
    name: str
    pods: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "kind": self.kind,
            "name": self.name,
            "pods": list(self.pods),
        }

    def label(self) -> str:
        return f"{self.namespace}/{self.kind.lower()}/{self.name}"


@dataclass
class TargetRef:
    """The target as dialed, and what it resolved to."""

    namespace: str
    kind: str
    name: str
    port: int | str | None
    protocol: str
    dialed: str

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "kind": self.kind,
            "name": self.name,
            "port": self.port,
            "protocol": self.protocol,
            "dialed": self.dialed,
        }


@dataclass(frozen=True)
class Disagreement:
    """An observation that contradicts a layer's static verdict (DESIGN §11): which layer
    predicted what, what a probe saw, and what could explain the gap."""

    layer: str
    predicted: str
    observed: str
    explanations: tuple[str, ...] = ()
    evidence: str = ""  # the observation's reference (`l7 from pod mesh-demo/web-1 …`)

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "predicted": self.predicted,
            "observed": self.observed,
            "explanations": list(self.explanations),
            "evidence": self.evidence,
        }

    def line(self) -> str:
        """`mesh predicted pass (…), observed 503 UF (…)`."""
        return f"{self.layer} predicted {self.predicted}; observed {self.observed}"


@dataclass
class EdgeReport:
    """The ladder of one edge with its verdict."""

    source: SourceRef
    target: TargetRef
    layers: list[LayerResult]
    verdict: Status = Status.PASS
    failing_layer: str | None = None
    prediction: str | None = None  # raw manifests: what the config predicts (see synthesized)
    disagreements: list[Disagreement] = field(default_factory=list)

    def layer(self, layer_id: str) -> LayerResult | None:
        """The result of one layer, if it ran."""
        return next((r for r in self.layers if r.id == layer_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source.to_json(),
            "target": self.target.to_json(),
            "verdict": str(self.verdict),
            "failing_layer": self.failing_layer,
            **({"prediction": self.prediction} if self.prediction else {}),
            "layers": [layer.to_json() for layer in self.layers],
            "disagreements": [d.to_json() for d in self.disagreements],
        }


def verdict_of(layers: list[LayerResult]) -> tuple[Status, str | None]:
    """DESIGN §2: the first failing layer that is a cause, and the edge's verdict."""
    ordered = sorted(layers, key=lambda r: LAYER_IDS.index(r.id))
    causes = [r for r in ordered if r.status is Status.FAIL and r.explained_by is None]
    failing = causes[0].id if causes else None
    statuses = {r.status for r in layers}
    for status in (Status.FAIL, Status.UNKNOWN, Status.WARN):
        if status in statuses:
            return status, failing
    return Status.PASS, failing
