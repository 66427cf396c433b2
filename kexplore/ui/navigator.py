"""The navigator: namespaces and their objects in a virtualised list, with a `/` filter."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from kexplore.graph import SHORT_KIND, namespace_of, node_id, units
from kexplore.model.state import ClusterState
from kexplore.ui.style import plain

if TYPE_CHECKING:
    import networkx as nx

# node, kind, namespace, name, labels, and the text a filter term is found in (lower case)
Row = tuple[str, str, str, str, dict[str, str], str]


def make_row(node: str, kind: str, namespace: str, name: str, labels: dict[str, str]) -> Row:
    """A row with its search text (`svc service ns/name`), made once, off the UI thread."""
    return (
        node,
        kind,
        namespace,
        name,
        labels,
        f"{_short(kind)} {kind} {namespace}/{name}".lower(),
    )


def _term_test(term: str) -> Callable[[Row], bool]:
    if "=" in term:
        key, _, value = term.partition("=")
        return lambda row: row[4].get(key) == value
    low = term.lower()
    return lambda row: low in row[5]


def _needles(query: str) -> list[str]:
    """The plain text terms of a query: a row matching it contains each of them."""
    return [t.lower() for t in query.split() if not t.startswith("!") and "=" not in t]


def _short(kind: str) -> str:
    return SHORT_KIND.get(kind, "netpol" if kind == "NetworkPolicy" else kind.lower())


def row_matches(query: str) -> Callable[[Row], bool]:
    """Filter terms, all of which must hold: `text` (substring of `svc Service ns/name`),
    `label=value` (a label), and `!term` (the term must not hold)."""
    terms = [term for term in query.split() if term.lstrip("!")]
    needles = _needles(query)
    if len(needles) == 1 == len(terms):  # one text term, as typed: one test per row
        needle = needles[0]
        return lambda row: needle in row[5]
    tests = [(term.startswith("!"), _term_test(term.lstrip("!"))) for term in terms]
    return lambda row: all(test(row) != negate for negate, test in tests)


def rows_of(state: ClusterState, view: nx.MultiDiGraph) -> list[Row]:
    """Every navigable object with its labels (namespaces' own labels for namespace rows)."""
    rows: list[Row] = []
    for node, data in view.nodes(data=True):
        obj_labels: dict[str, str] = {}
        obj = state.get(data["kind"], data["namespace"], data["name"])
        if obj is not None:
            obj_labels = dict(getattr(getattr(obj, "metadata", None), "labels", {}) or {})
        rows.append(make_row(node, data["kind"], data["namespace"], data["name"], obj_labels))
    return rows


@dataclass(frozen=True, repr=False)
class Listing:
    """The navigator's rows by namespace, sorted (prepared off the UI thread), with each
    namespace's search text: its rows' texts on one string, so a filter skips a namespace
    by one substring search instead of a test per row. No dataclass repr: a worker given
    a listing is described by its repr (spelling out 12,000 rows took 180 ms per key)."""

    by_ns: dict[str, list[Row]]
    namespace_labels: dict[str, dict[str, str]]
    unreadable: dict[str, str] = field(default_factory=dict)  # namespace -> why
    pods: list[Row] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)  # pod node → its workload's node
    haystacks: dict[str, str] = field(init=False)
    namespaces: list[str] = field(init=False)  # sorted
    total: int = field(init=False)  # rows under the namespaces

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum(len(rows) for rows in self.by_ns.values()))
        hay = {ns: "\n".join(r[5] for r in rows) for ns, rows in self.by_ns.items()}
        object.__setattr__(self, "haystacks", hay)
        object.__setattr__(self, "namespaces", sorted(self.namespace_labels.keys() | self.by_ns))


def pod_rows(state: ClusterState) -> list[Row]:
    """Every pod by namespace and name."""
    rows = [
        make_row(node_id("Pod", p.namespace, p.name), "Pod", p.namespace, p.name, p.labels)
        for p in state.pods
    ]
    return sorted(rows, key=lambda r: (r[2], r[3]))


def prepare_listing(state: ClusterState, view: nx.MultiDiGraph) -> Listing:
    """Every object's row under its namespace, by kind and name; the pods for `:pods`."""
    by_ns: dict[str, list[Row]] = defaultdict(list)
    for row in rows_of(state, view):
        by_ns[row[2]].append(row)
    unreadable = state.meta.unreadable_namespaces()
    names = sorted({*state.namespace_names(), *unreadable})
    return Listing(
        {ns: sorted(rows, key=lambda r: (r[1], r[3])) for ns, rows in by_ns.items()},
        {ns: state.namespace_labels(ns) for ns in names},
        unreadable,
        pod_rows(state),
        units(state),
    )


EXPAND_ALL = 300  # start with every namespace open when there are at most this many objects
MAX_ROWS = 500  # a screen shows ~30; more rows only cost time (refine the filter)
SYNC_ROWS = 3000  # listings up to this many rows are filtered at once, bigger ones in a worker


def options_for(listing: Listing, expanded: set[str], query: str) -> list[Option]:
    """The visible rows: the filter's matches, or namespaces with the expanded ones'
    objects. At most MAX_ROWS rows are listed (the list renders only what is visible).
    A namespace whose search text lacks one of the query's text terms is skipped whole."""
    test, needles = row_matches(query), _needles(query)
    options: list[Option] = []
    hidden = 0
    for ns in listing.namespaces:
        rows = listing.by_ns.get(ns, [])
        labels = listing.namespace_labels.get(ns, {})
        ns_row = make_row(f"Namespace:{ns}", "Namespace", ns, ns, labels)
        hay = listing.haystacks.get(ns, "")
        shown = [r for r in rows if test(r)] if query and all(n in hay for n in needles) else []
        if query and not shown and not test(ns_row):
            continue
        is_open = bool(query) or ns in expanded
        if not query and is_open:
            shown = rows
        if len(options) + len(shown) >= MAX_ROWS:
            hidden += len(shown) + 1
            continue
        marker = "▾ " if is_open else "▸ "
        label = Text(marker, "bold") + plain(ns, "bold")
        if ns in listing.unreadable:  # never silently empty (DESIGN §9)
            label += plain(f"  unreadable: {listing.unreadable[ns]}", "red")
        options.append(Option(label, id=ns_row[0]))
        options += [_option(row) for row in shown]
    if hidden:
        options.append(
            Option(Text(f"… {hidden} more rows: refine the filter", "dim"), disabled=True)
        )
    return options


def _option(row: Row, qualified: bool = False) -> Option:
    name = f"{row[2]}/{row[3]}" if qualified and row[1] != "Namespace" else row[3]
    prompt = Text(f"  {_short(row[1]):<7}", "dim", no_wrap=True, overflow="ellipsis")
    return Option(prompt.append_text(plain(name)), id=row[0])


class RowList(OptionList):
    """An OptionList of one-line rows (`#nav-list` does not wrap), made for new rows on
    every filter key: rows are counted, not measured (500 rows took the UI thread 40 ms),
    and a new row count repaints the list instead of laying out the whole screen again
    (another 40 ms) unless the scrollbar comes or goes."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def _update_lines(self) -> None:
        cache, count = self._line_cache, len(self.options)
        region = self.scrollable_content_region
        if region and len(cache.lines) < count:
            start = len(cache.lines)
            cache.index_to_line.update((i, i) for i in range(start, count))
            cache.heights.update((i, 1) for i in range(start, count))
            cache.lines.extend((i, 0) for i in range(start, count))
        scrolls = self.virtual_size.height > region.height
        super()._update_lines()
        if scrolls != (self.virtual_size.height > region.height):
            self.refresh(layout=True)


class FilterBox(Input):
    """The filter's input: a typed character repaints the box instead of laying out the
    whole screen again (Input sets its scrollable width on every change)."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


class Navigator(Vertical):
    """Namespaces with their objects; enter focuses the graph on the chosen one."""

    ALLOW_MAXIMIZE = True  # z

    BINDINGS = [Binding("slash", "filter", "filter")]

    @dataclass
    class Picked(Message):
        """A row was chosen: a node id (`Namespace:shop`, `Deployment:shop/frontend`)."""

        node: str

    @dataclass
    class Filtered(Message):
        """A filter's rows, computed in a worker (`generation`: which query's)."""

        generation: int
        query: str
        options: list[Option]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = Listing({}, {})
        self.expanded: set[str] = set()
        self.kinds: tuple[str, ...] | None = None  # a resource list (`:svc`): these kinds only
        self.sync_rows = SYNC_ROWS
        self.generation = 0  # of the newest filter asked for
        self.filtering = False  # a worker is computing the newest filter's rows
        self.shown_query: str | None = None  # the filter whose rows are listed

    @property
    def by_ns(self) -> dict[str, list[Row]]:
        return self.data.by_ns

    @property
    def namespace_labels(self) -> dict[str, dict[str, str]]:
        return self.data.namespace_labels

    @property
    def pods(self) -> list[Row]:
        return self.data.pods

    def compose(self) -> ComposeResult:
        yield FilterBox(placeholder="filter: text label=value !term", id="nav-filter")
        yield RowList(id="nav-list")

    @property
    def listing(self) -> OptionList:
        return self.query_one("#nav-list", OptionList)

    def load(self, listing: Listing) -> None:
        """Fill from prepared rows; namespaces start expanded when the whole list is short."""
        self.data = listing
        self.expanded = set(self.namespace_labels) if listing.total <= EXPAND_ALL else set()
        self.refilter()

    def refilter(self, keep: str | None = None) -> None:
        """Rebuild the visible rows now (see `options_for`); a filter being computed in a
        worker is dropped."""
        self.generation += 1
        self.filtering = False
        query = self.shown_query = self.query_one("#nav-filter", Input).value
        if self.kinds is not None:
            self._show(self.resources(row_matches(query)), keep)
            return
        self._show(options_for(self.data, self.expanded, query), keep)

    def _show(self, options: list[Option], keep: str | None = None) -> None:
        self.listing.set_options(options)
        if keep is not None:
            index = next((i for i, o in enumerate(options) if o.id == keep), None)
            self.listing.highlighted = index

    def resources(self, test: Callable[[Row], bool]) -> list[Option]:
        """The resource list (`:svc`, `:pods`, `:ns`): `ns/name` rows of those kinds."""
        if self.kinds == ("Namespace",):
            rows = [
                make_row(f"Namespace:{ns}", "Namespace", ns, ns, labels)
                for ns, labels in sorted(self.namespace_labels.items())
            ]
        elif self.kinds == ("Pod",):
            rows = self.pods
        else:
            kinds = self.kinds or ()
            rows = [r for ns in sorted(self.by_ns) for r in self.by_ns[ns] if r[1] in kinds]
        options = [_option(r, qualified=True) for r in rows if test(r)][:MAX_ROWS]
        return options or [Option(Text("nothing matches", "dim"), disabled=True)]

    def show_kinds(self, kinds: tuple[str, ...] | None, title: str) -> None:
        """`:pods`, `:svc`, …: list only those kinds (None: back to namespaces and objects)."""
        self.kinds = kinds
        self.border_title = title
        self.refilter()

    def clear(self) -> bool:
        """esc: drop the filter, then the resource list; False when there was neither."""
        box = self.query_one("#nav-filter", Input)
        if box.value:
            box.value = ""
        elif self.kinds is not None:
            self.show_kinds(None, "1 objects")
        else:
            return False
        box.display = False
        self.refilter()
        self.listing.focus()
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing in the filter: a big listing is filtered in a worker (the box answers
        each key at once). One worker at a time: keys typed while it runs are filtered
        together when it ends, and only the newest query's rows are shown. A query already
        listed (esc cleared the box and listed everything at once) is not filtered again."""
        event.stop()
        if event.value == self.shown_query and not self.filtering:
            return
        if self.kinds is not None or self.data.total <= self.sync_rows:
            self.refilter()
            return
        self.generation += 1
        if not self.filtering:
            self.filtering = True
            self._start_filter()

    def _start_filter(self) -> None:
        query = self.query_one("#nav-filter", Input).value
        work = partial(self._filter, self.data, self.generation, query, set(self.expanded))
        self.run_worker(
            work, thread=True, group="nav-filter", description="filter", exit_on_error=False
        )

    def _filter(self, data: Listing, generation: int, query: str, expanded: set[str]) -> None:
        """Worker: the rows matching `query`, handed back as a message."""
        options = options_for(data, expanded, query)
        self.post_message(self.Filtered(generation, query, options))

    def on_navigator_filtered(self, message: Filtered) -> None:
        message.stop()
        if message.generation == self.generation:
            self.filtering = False
            self.shown_query = message.query
            self._show(message.options)
        elif self.filtering:  # typed on meanwhile: filter the newest query
            self._start_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#nav-list", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: a namespace opens or closes (and the graph shows it); an object is shown."""
        event.stop()
        node = event.option.id
        if not node:
            return
        filtered = self.kinds is not None or self.query_one("#nav-filter", Input).value
        if node.startswith("Namespace:") and not filtered:
            ns = namespace_of(node)
            self.expanded ^= {ns}
            self.refilter(keep=node)
        self.post_message(self.Picked(self.data.units.get(node, node)))

    def action_filter(self) -> None:
        box = self.query_one("#nav-filter", Input)
        box.display = True
        self.screen.set_focus(box)  # at once: the keys typed next go into it
