"""The navigator: namespaces and their objects in a virtualised list, with a `/` filter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from kexplore.graph import SHORT_KIND
from kexplore.model.state import ClusterState
from kexplore.ui.style import plain

Row = tuple[str, str, str, str, dict[str, str]]  # node, kind, namespace, name, labels


def _term_test(term: str) -> Callable[[Row], bool]:
    if "=" in term:
        key, _, value = term.partition("=")
        return lambda row: row[4].get(key) == value
    low = term.lower()
    return lambda row: low in f"{_short(row[1])} {row[1]} {row[2]}/{row[3]}".lower()


def _short(kind: str) -> str:
    return SHORT_KIND.get(kind, "netpol" if kind == "NetworkPolicy" else kind.lower())


def row_matches(query: str) -> Callable[[Row], bool]:
    """Filter terms, all of which must hold: `text` (substring of `svc Service ns/name`),
    `label=value` (a label), and `!term` (the term must not hold)."""
    tests = [
        (term.startswith("!"), _term_test(term.lstrip("!")))
        for term in query.split()
        if term.lstrip("!")
    ]
    return lambda row: all(test(row) != negate for negate, test in tests)


def rows_of(state: ClusterState, view: nx.MultiDiGraph) -> list[Row]:
    """Every navigable object with its labels (namespaces' own labels for namespace rows)."""
    rows: list[Row] = []
    for node, data in view.nodes(data=True):
        obj_labels: dict[str, str] = {}
        obj = state.get(data["kind"], data["namespace"], data["name"])
        if obj is not None:
            obj_labels = dict(getattr(getattr(obj, "metadata", None), "labels", {}) or {})
        rows.append((node, data["kind"], data["namespace"], data["name"], obj_labels))
    return rows


class Navigator(Vertical):
    """Namespaces with their objects; enter focuses the graph on the chosen one."""

    BINDINGS = [Binding("slash", "filter", "filter")]

    @dataclass
    class Picked(Message):
        """A row was chosen: a node id (`Namespace:shop`, `Deployment:shop/frontend`)."""

        node: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Row] = []
        self.namespace_labels: dict[str, dict[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: text label=value !term", id="nav-filter")
        yield OptionList(id="nav-list")

    def load(self, state: ClusterState, view: nx.MultiDiGraph) -> None:
        """Fill from the data."""
        self.rows = rows_of(state, view)
        self.namespace_labels = {ns: state.namespace_labels(ns) for ns in state.namespace_names()}
        self.refilter()

    def refilter(self) -> None:
        query = self.query_one("#nav-filter", Input).value
        test = row_matches(query)
        by_ns: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows:
            if test(row):
                by_ns[row[2]].append(row)
        for ns, labels in self.namespace_labels.items():
            ns_row: Row = (f"Namespace:{ns}", "Namespace", ns, ns, labels)
            if query and ns not in by_ns and test(ns_row):
                by_ns[ns] = []
        options: list[Option] = []
        for ns in sorted(by_ns):
            options.append(Option(Text("▾ ", "bold") + plain(ns, "bold"), id=f"Namespace:{ns}"))
            for node, kind, _, name, _ in sorted(by_ns[ns], key=lambda r: (r[1], r[3])):
                prompt = Text(f"  {_short(kind):<7}", "dim") + plain(name)
                prompt.no_wrap, prompt.overflow = True, "ellipsis"
                options.append(Option(prompt, id=node))
        self.query_one("#nav-list", OptionList).set_options(options)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.refilter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#nav-list", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Picked(event.option.id))

    def action_filter(self) -> None:
        box = self.query_one("#nav-filter", Input)
        box.display = True
        box.focus()
