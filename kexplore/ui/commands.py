"""Command mode (`:`), the command palette's entries, copy, export, help, edges and matrix."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.widgets import Input

from kexplore.checks.suggest import did_you_mean
from kexplore.graph import namespace_of, node_id, units
from kexplore.shell import pasteable
from kexplore.transcript import read_transcript, write_private
from kexplore.ui.changes import window_minutes
from kexplore.ui.navigator import Navigator
from kexplore.ui.screens import ContextScreen, EdgesScreen, HelpScreen

if TYPE_CHECKING:
    from kexplore.ui.app import KexploreApp

KIND_WORDS = {
    "pod": ("Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet"),
    "deploy": ("Deployment",),
    "sts": ("StatefulSet",),
    "ds": ("DaemonSet",),
    "svc": ("Service",),
    "netpol": ("NetworkPolicy",),
    "obj": (),
}
# k9s's resource words: `:svc` alone lists services in the navigator.
LISTS = {
    "pods": ("Pod",),
    "pod": ("Pod",),
    "po": ("Pod",),
    "svc": ("Service",),
    "services": ("Service",),
    "deploy": ("Deployment",),
    "deployments": ("Deployment",),
    "sts": ("StatefulSet",),
    "ds": ("DaemonSet",),
    "ns": ("Namespace",),
    "namespaces": ("Namespace",),
    "netpol": ("NetworkPolicy",),
    "networkpolicies": ("NetworkPolicy",),
}
PANE_NAMES = {"nav": "navigator", "graph": "graph", "ladder": "ladder", "drill": "drill-down"}
# Textual's bindings that help leaves out: mouse-selected text is not the way here (y copies).
TEXTUAL_NOISE = {"screen.copy_text"}
CLIPBOARD_TOOLS = (["wl-copy"], ["xclip", "-selection", "clipboard"], ["pbcopy"])


class Commands:
    """The app's command line, palette entries, copy, export and modal screens."""

    def __init__(self, app: KexploreApp) -> None:
        self.app = app

    def palette_commands(self) -> Iterator[SystemCommand]:
        """Every action, for ctrl+p."""
        entries = [
            ("Overview", "all namespaces and the edges between them (o)", self.app.action_overview),
            ("Back", "where the view was before (esc)", self.app.action_back),
            ("Radius +", "a wider neighbourhood (+)", lambda: self.app.action_radius(1)),
            ("Radius -", "a narrower neighbourhood (-)", lambda: self.app.action_radius(-1)),
            (
                "Next failing edge",
                "jump to the next failing edge (])",
                lambda: self.app.action_failing(1),
            ),
            ("Previous failing edge", "jump back ([)", lambda: self.app.action_failing(-1)),
            ("Mark source", "mark the selected node as a source (s)", self.app.action_mark_source),
            (
                "Mark target and check",
                "check marked source → selected (t)",
                self.app.action_mark_target,
            ),
            ("Re-check edge", "run the selected edge's ladder again (r)", self.app.action_recheck),
            (
                "Probe this edge",
                "run its probes in the cluster after showing the commands (p)",
                self.app.action_probe,
            ),
            ("Copy kubectl command", "for the drill-down tab shown (y)", self.copy),
            ("Fixes", "checked fixes for the failing layer (f)", self.app.action_fix),
            ("Zoom pane", "maximize the focused pane, or restore it (z)", self.app.action_zoom),
            ("Filter", "filter the navigator (/)", self.app.action_filter),
            ("Command line", ":ns :pod :check :matrix :edges :export :ctx (:)", self.command_line),
            (
                "Matrix",
                "NetworkPolicy connectivity of this namespace (:matrix [NS...])",
                self.matrix,
            ),
            ("Edges", "every edge and its verdict, failing first (! or :edges)", self.edges),
            (
                "Recent changes",
                "live: what changed on the edge's objects in the last 15 min (h, :changes 30m)",
                self.app.action_changes,
            ),
            ("Export transcript", "write the session as Markdown and HTML (:export)", self.export),
            ("Contexts", "list kubeconfig contexts (:ctx)", self.contexts),
            ("Keys", "help for the focused view (?)", self.help),
        ]
        for title, help_text, callback in entries:
            yield SystemCommand(title, help_text, callback)

    def command_line(self) -> None:
        """`:` opens the command line, focused at once: the keys typed right after it go
        into the line (`box.focus()` waits its turn behind them, and they act as shortcuts)."""
        box = self.app.query_one("#cmdline", Input)
        box.display = True
        box.value = ""
        self.app.screen.set_focus(box)

    def submitted(self, event: Input.Submitted) -> None:
        """The command line was submitted."""
        event.input.display = False
        self.app.action_focus_pane("graph")
        self.execute(event.value)

    def namespace(self, name: str) -> None:
        """Go to a namespace; one not read yet (cluster-wide lists forbidden) is read first."""
        meta = self.app.ex.state.meta
        if name in self.app.ex.state.namespace_names():
            self.app.go(node_id("Namespace", "", name))
        elif meta.read_in and self.app.open_namespace is not None:
            self.app.open_namespace(name)
            self.app.tell(f"reading namespace {name} (cluster-wide lists are forbidden)")
        else:
            hint = did_you_mean(name, self.app.ex.state.namespace_names())
            self.app.tell(f"no namespace {name!r}{hint}", severity="error")

    def execute(self, text: str) -> None:
        """Run one command-mode line (`ns shop`, `check shop/frontend cart:8080`, ...)."""
        try:
            words = shlex.split(text.strip().lstrip(":"))
        except ValueError as e:
            self.app.tell(f"{text}: {e}", severity="error")
            return
        if not words:
            return
        verb, args = words[0].lower(), words[1:]
        self.app.transcript.record("command", text=text)
        if verb in ("ns", "namespace") and len(args) == 1:
            self.namespace(args[0])
        elif verb in LISTS and not args:
            self.resource_list(verb)
        elif verb in KIND_WORDS and len(args) == 1:
            self.goto_object(args[0], KIND_WORDS[verb])
        elif verb == "check" and len(args) == 2:
            self.app.run_adhoc(args[0], args[1])
        elif verb == "matrix":
            self.matrix(*args)
        elif verb == "changes" and len(args) <= 1:
            self.changes(*args)
        else:
            simple = {
                "edges": self.edges,
                "export": lambda: self.export(*args[:1]),
                "ctx": self.contexts,
                "overview": self.app.action_overview,
                "help": self.help,
                "q": self.app.exit,
                "quit": self.app.exit,
            }
            if verb in simple and (len(args) == 0 or verb == "export"):
                simple[verb]()
            else:
                self.app.tell(
                    f"unknown command {text!r}: try :pods :svc :deploy :ns :netpol, :ns NAME, "
                    ":pod NAME, :check SOURCE TARGET, :matrix [NS...], :edges, :changes [N]m, "
                    ":export, :ctx",
                    severity="error",
                )

    def changes(self, window: str = "") -> None:
        """`:changes [N]m`: the live changes on the selected edge's objects (default 15m)."""
        minutes = window_minutes(window) if window else None
        if window and minutes is None:
            self.app.tell(f":changes {window}: give a window like 15m, 90 or 2h", severity="error")
            return
        self.app.changes.show(minutes)

    def resource_list(self, word: str) -> None:
        """`:pods`, `:svc`, `:ns`…: that kind's list in the navigator (esc: back to all)."""
        kinds = LISTS[word]
        self.app.query_one(Navigator).show_kinds(kinds, f"1 :{word}  (esc: all objects)")
        self.app.action_focus_pane("nav")

    def goto_object(self, name: str, kinds: tuple[str, ...]) -> None:
        """Focus the graph on an object by name (a pod's workload when the pod is folded in)."""
        ns = namespace_of(self.app.focus_node) if self.app.focus_node else ""
        found = self.app.ex.find(name, kinds, ns)
        if found is None and "Pod" in kinds:
            pods = [p for p in self.app.ex.state.pods if p.name == name or p.name.startswith(name)]
            if pods:
                found = units(self.app.ex.state).get(
                    node_id("Pod", pods[0].namespace, pods[0].name)
                )
        if found is None:
            names = [d["name"] for _, d in self.app.ex.view.nodes(data=True)]
            hint = did_you_mean(name.rsplit("/", 1)[-1], names)
            self.app.tell(f"nothing named {name!r}{hint}", severity="error")
            return
        self.app.go(found)

    def copy(self) -> None:
        """`y`: on the ladder, its layer's first command; else the kubectl command for the
        drill-down tab shown. Through a clipboard tool, or OSC 52."""
        command = self.ladder_command() if self.app.pane_of(self.app.focused) == "ladder" else ""
        command = command or self.app.drill.command()
        if not command:
            edge = self.app.graph_view.selected_edge()
            texts = self.app.ex.edge_texts(edge.ident) if edge else None
            command = pasteable(["kexplore", "check", *texts]) if texts else ""
        if not command:
            self.app.tell("nothing to copy here")
            return
        for tool in CLIPBOARD_TOOLS:
            if shutil.which(tool[0]):
                try:
                    subprocess.run(tool, input=command.encode(), timeout=2, check=True)
                    break
                except (OSError, subprocess.SubprocessError):
                    continue
        else:
            self.app.copy_to_clipboard(command)  # OSC 52: works over ssh in most terminals
        self.app.transcript.record("copy", command=command)
        self.app.tell(f"copied: {command}")

    def ladder_command(self) -> str:
        """The first command of the highlighted layer, else of the failing layer."""
        ladder = self.app.ladder
        layer = ladder.selected_layer()
        if (layer is None or not layer.commands) and ladder.report is not None:
            failing = ladder.report.failing_layer
            layer = next((r for r in ladder.report.layers if r.id == failing), None)
        return layer.commands[0] if layer is not None and layer.commands else ""

    def export(self, target: str = "") -> None:
        """Write the session transcript as Markdown and HTML beside it (or at PATH)."""
        from kexplore.render.session_html import session_html  # the renderers load the engine
        from kexplore.render.transcript_out import session_markdown

        session = read_transcript(self.app.transcript.path)
        base = Path(target) if target else self.app.transcript.path.with_suffix("")
        md, html = (Path(os.path.abspath(base.with_suffix(s))) for s in (".md", ".html"))
        try:
            write_private(md, session_markdown(session))
            write_private(html, session_html(session))
        except OSError as e:
            self.app.tell(f"export failed: {md}: {e.strerror or e}", severity="error")
            return
        self.app.transcript.record("export", markdown=str(md), html=str(html))
        self.app.tell(f"exported {md} and {html}")

    def help(self) -> None:
        """`?`: the keys of the focused pane, then the app's, titled by the pane."""
        app = self.app
        rows: list[tuple[str, str]] = []
        node: Any = app.focused
        first = {k for b in _bindings(app) if b.priority for k in b.key.split(",")}
        while node is not None:
            for b in _bindings(node):
                if b.action in TEXTUAL_NOISE:
                    continue
                for key in b.key.split(","):
                    if node is not app and key.strip() in first:
                        continue  # the app's key wins (ctrl+c quits, never copies)
                    display = b.key_display or app.get_key_display(b.with_key(key.strip()))
                    rows.append((display, b.description))
            node = node.parent if node is not app else None
        pane = PANE_NAMES.get(app.pane_of(app.focused) or "", "everywhere")
        app.push_screen(HelpScreen(pane, rows))

    def matrix(self, *namespaces: str) -> None:
        """`:matrix [NS...]`: the NetworkPolicy connectivity of the namespaces named, else of
        the namespace in view (all namespaces from the overview)."""
        from kexplore.ui.matrix import ConnectivityScreen  # the netpol engine: loaded late

        focus = self.app.focus_node
        chosen = list(namespaces)
        if not chosen and focus is not None:
            chosen = [namespace_of(focus)]
        self.app.transcript.record("matrix", namespaces=chosen)
        self.app.push_screen(ConnectivityScreen(self.app.ex.state, chosen), self._matrix_row)

    def _matrix_row(self, node: str | None) -> None:
        if node is not None and node in self.app.ex.view:
            self.app.go(node)

    def edges(self) -> None:
        """`:edges`: every inferred edge with its verdict; enter jumps to it."""
        rows = []
        for key in self.app.ex.talks():
            texts = self.app.ex.edge_texts(key)
            report = self.app.ex.reports.get(key)
            if texts is not None:
                rows.append((key, texts[0], texts[1], report))
        self.app.push_screen(EdgesScreen(rows), self._edge_chosen)

    def _edge_chosen(self, key: Any) -> None:
        if key is not None:
            self.app.go(key[0], ("edge", key))

    def contexts(self) -> None:
        if self.app.contexts is None:
            meta = self.app.ex.state.meta
            self.app.tell(
                f"this session reads {meta.source or 'one source'}; contexts need the live source",
            )
            return
        self.app.push_screen(
            ContextScreen(self.app.contexts(), self.app.ex.state.meta.context), self._ctx_chosen
        )

    def _ctx_chosen(self, context: str | None) -> None:
        if context and self.app.switch_context is not None:
            self.app.transcript.record("context", context=context)
            self.app.switch_context(context)


def _bindings(node: Any) -> list[Any]:
    out = []
    for b in getattr(node, "BINDINGS", []):
        if hasattr(b, "description") and b.description:
            out.append(b)
    return out
