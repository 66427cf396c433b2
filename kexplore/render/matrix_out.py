"""`kexplore matrix`: the truth-table grid (rich), JSON, and np-guard's connlist lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from kexplore.analysis.netpol.cilium import cilium_signs
from kexplore.analysis.netpol.matrix import Matrix
from kexplore.analysis.netpol.matrix_keys import direction_ranges
from kexplore.analysis.netpol.matrix_workloads import Connection, Flows, workload_groups
from kexplore.analysis.netpol.peers import EGRESS, INGRESS
from kexplore.checks.common import how_to_add, unreadable
from kexplore.errors import NotFoundError, SourceError, UsageError
from kexplore.inputs import MAX_PAIRS
from kexplore.model.state import ClusterState
from kexplore.render.sanitize import strip_controls
from kexplore.shell import kubectl

OUTPUTS = ("text", "json", "connlist")
POLICY_KINDS = (
    "NetworkPolicy",
    "AdminNetworkPolicy",
    "BaselineAdminNetworkPolicy",
    "ClusterNetworkPolicy",
    "Namespace",
    "Pod",
)
MAX_GRID = 30


def run_matrix(
    state: ClusterState,
    namespaces: list[str],
    output: str,
    console: Console,
    max_pairs: int = MAX_PAIRS,
) -> int:
    """Print the allowed connections between the workloads of `namespaces` (all when empty),
    streamed; a whole-cluster matrix of more than `max_pairs` pairs is refused before the work."""
    if output not in OUTPUTS:
        raise UsageError(f"--output {output!r}: expected one of {', '.join(OUTPUTS)}")
    check_inputs(state, namespaces)
    matrix = Matrix(state, list(namespaces) or None)
    flows = Flows(state, matrix)
    estimate = flows.estimate()
    if not namespaces and max_pairs and estimate > max_pairs:
        raise UsageError(
            f"the matrix of all {len(state.namespace_names())} namespaces would list up to "
            f"{estimate:,} workload pairs ({len(flows.classes_of):,} workloads and ranges)",
            fix="name the namespaces to show (kexplore matrix NS [NS...]), or raise "
            "--max-pairs (0: no limit)",
        )
    if output == "connlist":
        _write_lines(console, flows.connections())
    elif output == "json":
        _write_json(console, state, matrix, flows)
    else:
        render_grid(state, matrix, flows, console)
    return 0


def check_inputs(state: ClusterState, namespaces: list[str]) -> None:
    """A matrix needs every policy kind readable and the named namespaces to exist."""
    scope = tuple(namespaces or state.namespace_names())
    lost = unreadable(state, *POLICY_KINDS, namespaces=scope)
    if lost:
        what, why = next(iter(lost.items()))
        raise SourceError(
            f"{what} not in the data ({why}): a matrix without it would be wrong",
            fix=how_to_add(state, what),
        )
    known = set(state.namespace_names())
    missing = [n for n in namespaces if n not in known]
    if missing:
        raise NotFoundError(
            f"NAMESPACE {missing[0]!r}: no such namespace in the data",
            fix=f"list them with: {kubectl('get', 'namespaces')}",
        )


def _write_lines(console: Console, conns: Iterable[Connection]) -> None:
    """One plain line per pair, straight to the console's file as they come: a big cluster has
    millions of pairs, and rich's per-print rendering (about 0.1 ms each) would take minutes."""
    out = console.file
    for chunk in _batched(conns, 10_000):
        out.write("".join(strip_controls(c.line()) + "\n" for c in chunk))
    out.flush()


def warnings(state: ClusterState) -> list[str]:
    """What the matrix could not take into account."""
    out = []
    cni = state.cni_policies()
    if cni:
        out.append(
            f"{len(cni)} CNI policy object(s) (Cilium/Calico) were not evaluated: "
            "traffic shown as allowed may still be blocked"
        )
    signs = cilium_signs(state)
    if signs and any(direction_ranges(state, d) for d in (INGRESS, EGRESS)):
        out.append(
            f"Cilium is detected ({signs}): ipBlocks are matched against pod IPs as the "
            "NetworkPolicy API says, but Cilium's CIDR rules do not select cluster endpoints "
            "by default"
        )
    return out


def _write_json(console: Console, state: ClusterState, matrix: Matrix, flows: Flows) -> None:
    """np-guard's connlist JSON (src, dst, conn) plus port ranges, classes and warnings, the
    connections written as they come."""
    out = console.file
    namespaces = sorted({p.namespace for p in matrix.peers if not p.external})
    classes = [
        {"class": p.label(), "pods": [f"{q.namespace}/{q.name}" for q in p.pods]}
        for p in matrix.peers
        if not p.external
    ]
    out.write('{\n  "namespaces": ' + json.dumps(namespaces) + ',\n  "connections": [')
    for index, chunk in enumerate(_batched(flows.connections(), 10_000)):
        items = (json.dumps(_connection_json(c)) for c in chunk)
        out.write(("," if index else "") + "\n    " + ",\n    ".join(items))
    out.write('\n  ],\n  "classes": ' + json.dumps(classes))
    out.write(',\n  "warnings": ' + json.dumps(warnings(state)) + "\n}\n")
    out.flush()


def _batched(items: Iterable[Connection], size: int) -> Iterator[list[Connection]]:
    """Lists of `size` items (the last shorter) as the iterable yields them."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _connection_json(c: Connection) -> dict[str, Any]:
    return {"src": c.source, "dst": c.target, "conn": c.conn.describe(), "ports": c.conn.to_json()}


def render_grid(state: ClusterState, matrix: Matrix, flows: Flows, console: Console) -> None:
    """A truth table: rows are sources, columns destinations, cells the allowed traffic."""
    for warning in warnings(state):
        console.print(Text(f"warning: {strip_controls(warning)}", style="yellow"))
    if len(flows.classes_of) > MAX_GRID:
        console.print(
            Text(
                f"{len(flows.classes_of)} workloads and ranges: too many for a grid; "
                "the allowed pairs:"
            )
        )
        _write_lines(console, flows.connections())
        return
    conns = list(flows.connections())
    peers = grid_peers(state, matrix, conns)
    cells = {(c.source, c.target): c.conn for c in conns}
    table = Table(title="allowed connections (row → column)", show_lines=False)
    table.add_column("from \\ to", no_wrap=True)
    for index in range(len(peers)):
        table.add_column(str(index + 1), justify="center", no_wrap=True)
    for index, src in enumerate(peers):
        row = [Text(f"{index + 1} {strip_controls(src)}")]
        for dst in peers:
            row.append(_cell(cells, src, dst))
        table.add_row(*row)
    _print_unsquashed(table, console)


def grid_peers(state: ClusterState, matrix: Matrix, conns: list[Connection]) -> list[str]:
    """The grid's rows and columns: workloads by name, then the external ranges."""
    names = sorted(workload_groups(state, matrix))
    externals = sorted({c.source for c in conns if "[External]" in c.source})
    externals += sorted({c.target for c in conns if "[External]" in c.target} - set(externals))
    return names + externals


def _print_unsquashed(table: Table, console: Console) -> None:
    """At its natural width: squeezed into a narrow console (80 columns when piped) the
    cells would be cut to nothing."""
    natural = Measurement.get(console, console.options.update(max_width=10**6), table).maximum
    width = console.width
    console.width = max(width, natural)
    try:
        console.print(table, crop=False)
    finally:
        console.width = width


def _cell(cells: dict[tuple[str, str], Any], src: str, dst: str) -> Text:
    if src == dst:
        return Text("=", style="dim")
    conn = cells.get((src, dst))
    if conn is None:
        return Text("·", style="dim")
    if conn.is_all():
        return Text("all", style="green")
    return Text(conn.describe(), style="yellow")
