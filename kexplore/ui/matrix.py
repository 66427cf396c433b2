"""`:matrix`: the NetworkPolicy connectivity matrix of some namespaces in a virtualised table
(rows are sources, columns destinations, cells the allowed ports), computed in a worker."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from kexplore.analysis.netpol.matrix import Matrix
from kexplore.analysis.netpol.matrix_workloads import connlist
from kexplore.analysis.netpol.ports import PortSet
from kexplore.errors import KexploreError
from kexplore.graph import node_id
from kexplore.model.state import ClusterState
from kexplore.render.matrix_out import check_inputs, grid_peers, warnings
from kexplore.ui.style import plain


@dataclass(frozen=True)
class Grid:
    """The matrix folded to workloads: `cells[(source, destination)]` is the allowed traffic."""

    namespaces: list[str]
    peers: list[str]
    cells: dict[tuple[str, str], PortSet]
    warnings: list[str]


def policy_grid(state: ClusterState, namespaces: list[str]) -> Grid:
    """The `kexplore matrix` data for `namespaces` (all when empty); KexploreError as the CLI."""
    check_inputs(state, namespaces)
    matrix = Matrix(state, list(namespaces) or None)
    conns = connlist(state, matrix=matrix)
    cells = {(c.source, c.target): c.conn for c in conns}
    return Grid(namespaces, grid_peers(state, matrix, conns), cells, warnings(state))


def cell(grid: Grid, source: str, destination: str) -> Text:
    """`=` itself, `·` nothing allowed, `all`, else the allowed ports (meaning without colour)."""
    if source == destination:
        return Text("=", "dim")
    conn = grid.cells.get((source, destination))
    if conn is None:
        return Text("·", "dim")
    if conn.is_all():
        return Text("all", "green")
    return plain(conn.describe(), "yellow")


def workload_node(peer: str) -> str | None:
    """The graph node of a row (`shop/frontend[Deployment]` → Deployment:shop/frontend)."""
    if not peer.endswith("]") or "[External]" in peer:
        return None
    name, _, kind = peer[:-1].rpartition("[")
    namespace, _, name = name.partition("/")
    return node_id(kind, namespace, name)


@dataclass
class GridReady(Message, bubble=False):
    """The matrix is computed (or could not be: `error`)."""

    grid: Grid | None
    error: str = ""


class ConnectivityScreen(ModalScreen[str | None]):
    """The connectivity matrix; enter on a row shows that workload in the graph."""

    BINDINGS = [Binding("escape,q", "dismiss(None)", "close")]

    def __init__(self, state: ClusterState, namespaces: list[str]) -> None:
        super().__init__()
        self.state = state
        self.namespaces = namespaces
        self.grid: Grid | None = None

    def compose(self) -> ComposeResult:
        where = ", ".join(self.namespaces) or "all namespaces"
        with Vertical(id="matrix"):
            yield Static(plain(f"NetworkPolicy connectivity: {where} (row → column)", "bold"))
            yield Static(Text("computing the matrix…", "italic"), id="matrix-note")
            yield DataTable(cursor_type="row", fixed_columns=1, id="matrix-table")

    def on_mount(self) -> None:
        self.compute()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def compute(self) -> None:
        try:
            self.post_message(GridReady(policy_grid(self.state, self.namespaces)))
        except KexploreError as e:
            self.post_message(GridReady(None, e.one_line()))

    def on_grid_ready(self, message: GridReady) -> None:
        note = self.query_one("#matrix-note", Static)
        if message.grid is None:
            note.update(plain(message.error, "bold"))
            return
        grid = self.grid = message.grid
        lines = [f"warning: {w}" for w in grid.warnings]
        lines.append("cells: '=' the same workload   '·' nothing allowed   'all' every port")
        note.update(plain("\n".join(lines)))
        table = self.query_one(DataTable)
        table.add_column("from \\ to", key="from")
        for index, peer in enumerate(grid.peers):
            table.add_column(plain(peer), key=str(index))
        for index, source in enumerate(grid.peers):
            row = [cell(grid, source, destination) for destination in grid.peers]
            table.add_row(plain(source), *row, key=str(index))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if self.grid is not None:
            self.dismiss(workload_node(self.grid.peers[int(event.row_key.value or 0)]))
