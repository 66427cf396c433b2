"""Selectors that nearly match (same keys, another value) and policies that select no pod."""

from __future__ import annotations

from kexplore.model.base import LabelSelector
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy
from kexplore.model.state import ClusterState

FIX = "fix the selector"


def near(selector: LabelSelector | None, labels: dict[str, str]) -> list[tuple[str, str, str]]:
    """(key, wanted, found) for each matchLabels value that differs by a typo when every key
    the selector names is present and its expressions hold (`name=cart` against
    `name=carts`); [] when the selector matches or misses by more than that."""
    if selector is None or not selector.match_labels:
        return []
    wanted = selector.match_labels
    if any(k not in labels for k in wanted):
        return []
    rest = LabelSelector(match_expressions=selector.match_expressions)
    if not rest.matches(labels):
        return []
    diffs = [(k, v, labels[k]) for k, v in sorted(wanted.items()) if labels[k] != v]
    return diffs if all(typo(want, have) for _, want, have in diffs) else []


def typo(want: str, have: str) -> bool:
    """Values a slip of the keyboard apart: at most one edit per four characters (two at
    most), on values of four characters or more (`cart`/`carts`, `frontend`/`frontnd`; not
    `v1`/`v2` or `cartservice`/`adservice`, which name other things)."""
    if min(len(want), len(have)) < 4:
        return False
    return _distance(want, have) <= min(2, max(1, len(want) // 4))


def _distance(a: str, b: str) -> int:
    """Edits between two short strings (insert, delete, substitute, swap two neighbours)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def describe_near(diffs: list[tuple[str, str, str]]) -> str:
    """`app=cart where the labels say app=carts`."""
    want = ",".join(f"{k}={v}" for k, v, _ in diffs)
    have = ",".join(f"{k}={h}" for k, _, h in diffs)
    return f"{want} where the labels say {have}"


def dangling(state: ClusterState, namespace: str) -> list[NetworkPolicy]:
    """Policies of a namespace whose podSelector selects none of its pods (none apply);
    cached per namespace, judged once per distinct label set."""

    def build() -> list[NetworkPolicy]:
        labels = list({tuple(sorted(p.labels.items())): p.labels for p in pods}.values())
        return [
            p
            for p in sorted(state.policies_in(namespace), key=lambda p: p.name)
            if not any(p.spec.pod_selector.matches(found) for found in labels)
        ]

    pods = state.pods_in(namespace)
    return state._cached(f"netpol_dangling:{namespace}", build)  # type: ignore[no-any-return]


def nearly_selecting(state: ClusterState, pod: Pod) -> list[tuple[NetworkPolicy, str]]:
    """Dangling policies of the pod's namespace whose podSelector nearly matches the pod:
    most likely written for it with a typo."""
    out = []
    for pol in dangling(state, pod.namespace):
        diffs = near(pol.spec.pod_selector, pod.labels)
        if diffs:
            out.append((pol, describe_near(diffs)))
    return out
