"""Did-you-mean: the closest known names to a mistyped one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from kexplore.model.state import ClusterState


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` — did you mean 'shop'?` (up to three close names), or "" when none is close."""
    close = difflib.get_close_matches(word, sorted(set(known)), n=3, cutoff=0.6)
    if not close:
        return ""
    return " — did you mean " + " or ".join(repr(name) for name in close) + "?"


def names_of(state: ClusterState, kinds: Iterable[str], namespace: str) -> list[str]:
    """The names of objects of these kinds in one namespace."""
    return [name for kind in kinds for ns, name in state.objects.get(kind, {}) if ns == namespace]


def missing_namespace(state: ClusterState, namespace: str) -> str:
    """`namespace 'shpo' does not exist — did you mean 'shop'?`, or "" when it exists (or
    may exist unread: the data has no namespaces, or lists were forbidden there)."""
    known = state.namespace_names()
    if not known or namespace in known or state.meta.gap("Pod", namespace):
        return ""
    return f"namespace {namespace!r} does not exist{did_you_mean(namespace, known)}"
