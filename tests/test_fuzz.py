"""Bounded fuzzing: mutated snapshot documents and transcripts exit 0, 1 or 2, never with a
traceback or an internal error (the harness a reviewer would write)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kexplore.checks.result import EdgeReport, Evidence, LayerResult, SourceRef, Status, TargetRef
from kexplore.cli import main

SEED: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "containers": [{"name": "app", "image": "web:1", "ports": [{"containerPort": 80}]}]
        },
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.2",
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "cart", "namespace": "shop"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}]},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "shop"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}],
            "policyTypes": ["Ingress"],
        },
    },
]

HOSTILE = st.sampled_from(
    ["", "[/]", "[bold]x", "\x1b]0;t\x07", "$(id)", "-n", "a" * 300, "10.0.0.0/33", "::", "0", "∞"]
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), HOSTILE
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(HOSTILE, st.text(max_size=8)), inner, max_size=3),
    ),
    max_leaves=8,
)


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*here, index))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """The seed with a few of its nodes (any depth) replaced by hostile values."""
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(seed)
        seed = _replace(seed, draw(st.sampled_from(paths)), draw(VALUES))
    return seed


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err


FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(docs=mutated(SEED), as_yaml=st.booleans())
def test_mutated_snapshots_exit_0_1_or_2(
    docs: Any,
    as_yaml: bool,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path_factory.mktemp("snap")
    if as_yaml:
        import yaml

        text = yaml.safe_dump_all(docs if isinstance(docs, list) else [docs])
        (folder / "objects.yaml").write_text(text)
    else:
        (folder / "objects.json").write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})
        )
    _run(["check", "--snapshot", str(folder), "shop/web", "cart:80"], capsys)
    _run(["matrix", "--snapshot", str(folder), "-o", "connlist"], capsys)


def _transcript_events() -> list[dict[str, Any]]:
    layer = LayerResult(
        "dns", Status.FAIL, "no record", evidence=[Evidence("dns cart", "NXDOMAIN")]
    )
    report = EdgeReport(
        SourceRef("shop", "Pod", "web", ["web"]),
        TargetRef("shop", "Service", "cart", 80, "TCP", "cart:80"),
        [layer],
        Status.FAIL,
        "dns",
    )
    return [
        {"v": 1, "ts": "2026-01-01T00:00:00Z", "type": "session-start", "source": "demo"},
        {"v": 1, "ts": "2026-01-01T00:00:01Z", "type": "check", "report": report.to_json()},
        {"v": 1, "ts": "2026-01-01T00:00:02Z", "type": "navigate", "focus": "shop"},
    ]


@FUZZ
@given(events=mutated(_transcript_events()))
def test_mutated_transcripts_exit_0_1_or_2(
    events: Any, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path_factory.mktemp("tr") / "session.jsonl"
    lines = events if isinstance(events, list) else [events]
    path.write_text("".join(json.dumps(e) + "\n" for e in lines))
    _run(["transcript", "show", str(path)], capsys)
    for output in ("markdown", "html", "json"):
        _run(["transcript", "export", str(path), "-o", output], capsys)
