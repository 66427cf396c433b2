"""The drill-down pane: tabs for describe, YAML, logs, events, probes, policy and evidence."""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Log, Static, TabbedContent, TabPane

from kexplore.checks.result import EdgeReport, LayerResult, Status
from kexplore.model.pods import Pod
from kexplore.model.policies import NetworkPolicy
from kexplore.model.recorded import RecordedLog, RecordedProbe
from kexplore.model.services import Service
from kexplore.probes.base import ProbeResult
from kexplore.render.sanitize import strip_controls
from kexplore.shell import kubectl, pasteable
from kexplore.ui.drill.describe import (
    Decision,
    deciding_rules,
    describe,
    event_rows,
    policy_lines,
    to_yaml,
)
from kexplore.ui.explorer import Explorer
from kexplore.ui.style import badge, plain

TABS = ("describe", "yaml", "logs", "events", "probes", "policy", "evidence")
TAB_LABELS = {"describe": "desc"}
# One key per tab, a letter of its label (bracketed there); none clashes with the app's.
DRILL_KEYS = {
    "describe": "d",
    "yaml": "m",
    "logs": "l",
    "events": "e",
    "probes": "b",
    "policy": "c",
    "evidence": "v",
}


def tab_label(tab: str, bracketed: bool = True) -> Content:
    """The tab's label with its key bold in brackets (`[l]ogs`, `ya[m]l`: read without colour),
    or underlined when the pane is too narrow for the brackets."""
    label = TAB_LABELS.get(tab, tab)
    at = label.index(DRILL_KEYS[tab])
    if not bracketed:
        return Content(label).stylize("underline", at, at + 1)
    key = Content(f"[{label[at]}]").stylize("bold", 1, 2)
    return Content(label[:at]) + key + Content(label[at + 1 :])


# Columns the tab row needs with bracketed keys (each tab has one column of padding).
BRACKETED_WIDTH = sum(len(tab_label(tab).plain) + 1 for tab in TABS)


LOG_LINES = 5000
MARK = "▶ "  # a log line that concerns the edge shown
TROUBLE = re.compile(
    r"(?i)\b(error|refused|denied|forbidden|timeout|timed out|reset|unreachable|"
    r"no route|40[13]|50[234])\b"
)


class LogView(Vertical):
    """A bounded log buffer (only visible lines are rendered) with `/` search."""

    BINDINGS = [Binding("slash", "search", "search logs")]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self.empty = "<no log lines>"

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search logs", id="log-search")
        yield Log(max_lines=LOG_LINES, auto_scroll=False, id="log-lines")

    def set_lines(self, lines: list[str], empty: str = "<no log lines>") -> None:
        self.lines = [strip_controls(line) for line in lines[-LOG_LINES:]]
        self.empty = empty
        self._show()

    def mark(self, concerns: Callable[[str], bool]) -> int:
        """Prefix `▶ ` to the lines that concern the edge; how many were marked."""
        marked = [MARK + line if concerns(line) else "  " + line for line in self.lines]
        self.lines = marked
        self._show()
        return sum(1 for line in marked if line.startswith(MARK))

    def _show(self) -> None:
        needle = self.query_one("#log-search", Input).value.lower()
        shown = [line for line in self.lines if needle in line.lower()] if needle else self.lines
        log = self.query_one("#log-lines", Log)
        log.clear()
        log.write_lines(shown or [self.empty if not needle else f"<no line has {needle!r}>"])
        log.scroll_end(animate=False)

    def action_search(self) -> None:
        box = self.query_one("#log-search", Input)
        box.display = True
        self.screen.set_focus(box)  # at once: the keys typed next go into it

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show()


class DrillPane(Vertical):
    """What the selection is made of; `commands[tab]` is the kubectl command for that tab."""

    ALLOW_MAXIMIZE = True  # z

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.commands: dict[str, str] = {}
        self.live_probes: list[ProbeResult] = []  # run in this session, newest last

    def compose(self) -> ComposeResult:
        with TabbedContent(id="drill-tabs"):
            for tab in TABS:
                with TabPane(tab_label(tab), id=f"tab-{tab}"):
                    if tab == "logs":
                        yield LogView(id="drill-logs")
                    else:
                        with VerticalScroll():
                            yield Static(id=f"drill-{tab}")

    def on_resize(self) -> None:
        """Bracketed keys when the tabs fit with them, else underlined ones: no tab is cut."""
        bracketed = self.content_size.width >= BRACKETED_WIDTH
        tabs = self.query_one("#drill-tabs", TabbedContent)
        for tab in TABS:
            tabs.get_tab(f"tab-{tab}").label = tab_label(tab, bracketed)

    def _set(self, tab: str, content: RenderableType, command: str = "") -> None:
        self.query_one(f"#drill-{tab}", Static).update(content)
        self.commands[tab] = command

    @property
    def active_tab(self) -> str:
        return (self.query_one("#drill-tabs", TabbedContent).active or "tab-describe")[4:]

    def open(self, tab: str) -> None:
        self.query_one("#drill-tabs", TabbedContent).active = f"tab-{tab}"

    def command(self) -> str:
        """The kubectl command for what the active tab shows."""
        return self.commands.get(self.active_tab, "")

    # -- filling ----------------------------------------------------------------------
    def show_object(self, ex: Explorer, node: str) -> None:
        """Describe, YAML, logs, events and probes of one object."""
        if self.active_tab == "evidence":
            self.open("describe")
        obj = ex.obj(node)
        kind, _, rest = node.partition(":")
        ns, _, name = rest.partition("/")
        res = {"Deployment": "deploy", "NetworkPolicy": "networkpolicy"}.get(kind, kind.lower())
        where = ["-n", ns] if ns and kind != "Namespace" else []
        if kind == "Namespace":
            name = rest
        if obj is None:
            self._set("describe", plain(f"{kind} {rest}: not in the data (a name as dialed)"))
            self._set("yaml", Text(""))
        else:
            self._set(
                "describe", plain(describe(ex.state, obj)), kubectl("describe", res, *where, name)
            )
            self._set("yaml", plain(to_yaml(obj)), kubectl("get", res, *where, name, "-o", "yaml"))
        pods = ex.pods_of(node)
        self._show_logs(ex.state.logs, {(p.namespace, p.name) for p in pods}, ns)
        events = ex.state.events_for(kind, ns, name) if kind != "Namespace" else []
        for pod in pods[:10]:
            events = [*events, *ex.state.events_for("Pod", pod.namespace, pod.name)]
        self._set(
            "events",
            plain(
                "\n".join(event_rows(events))
                if events
                else f"no events in the data for {kind} {rest} or its pods"
            ),
            kubectl("get", "events", *where, "--field-selector", f"involvedObject.name={name}"),
        )
        keys = {(p.namespace, p.name) for p in pods}
        self._show_probes(
            [p for p in ex.state.recorded_probes if (p.namespace, p.pod) in keys],
            [r for r in self.live_probes if (r.request.namespace, r.request.pod) in keys],
        )
        if isinstance(obj, NetworkPolicy):
            self._show_policies([(obj, None)])

    def show_edge(
        self, ex: Explorer, report: EdgeReport, layer: LayerResult | None, keep: bool = False
    ) -> None:
        """The target's describe/logs (lines about the edge marked), this edge's probes first,
        its deciding policy, the chosen layer's evidence (the evidence tab comes forward
        unless the user is reading logs, events or probes, or with `keep`: new data)."""
        tab = self.active_tab
        log = self.query_one("#log-lines", Log)
        reading = keep and log.scroll_y < log.max_scroll_y  # scrolled up: stay there
        kept_y = log.scroll_y
        tgt = report.target
        target = f"{tgt.kind}:{tgt.namespace}/{tgt.name}"
        if ex.obj(target) is not None:
            self.show_object(ex, target)
        self._mark_logs(ex, report)
        self._edge_probes(ex, report)
        self._edge_policy(ex, report)
        self.show_layer(ex, report, layer or _first_interesting(report))
        self.open(tab if keep else "evidence" if tab in ("describe", "yaml") else tab)
        if reading:  # after the log's own move to its end, which waits for the refresh
            log.call_after_refresh(log.scroll_to, y=kept_y, animate=False)

    def _mark_logs(self, ex: Explorer, report: EdgeReport) -> None:
        """Mark the target's log lines that name the source (pod, workload or IP), the
        target's port, or an error."""
        src = report.source
        words = {src.name, *src.pods}
        for pod_name in src.pods:
            pod = ex.state.get("Pod", src.namespace, pod_name)
            words.update(pod.ips() if isinstance(pod, Pod) else [])
        port = str(report.target.port or "")
        port_re = re.compile(rf"[:\s]{re.escape(port)}\b") if port else None

        def concerns(line: str) -> bool:
            return (
                any(w and w in line for w in words)
                or bool(port_re and port_re.search(line))
                or bool(TROUBLE.search(line))
            )

        self.query_one(LogView).mark(concerns)

    def _edge_probes(self, ex: Explorer, report: EdgeReport) -> None:
        """Probes of this source → target first; then other probes of these pods, labelled."""
        tgt = report.target
        src_pods = {(report.source.namespace, p) for p in report.source.pods}
        addresses = target_addresses(ex, report)

        def dials(target: str) -> bool:
            host = target.rsplit(":", 1)[0] if target.count(":") == 1 else target
            return tgt.name in target or tgt.dialed in target or host in addresses

        def this_edge(namespace: str, pod: str, target: str) -> bool:
            return (namespace, pod) in src_pods and dials(target)

        def related(namespace: str, pod: str, target: str) -> bool:
            return (namespace, pod) in src_pods or dials(target)

        recorded = ex.state.recorded_probes
        live = [(r, _where(r)) for r in self.live_probes]
        self._show_probes(
            [p for p in recorded if this_edge(p.namespace, p.pod, p.target)],
            [r for r, where in live if this_edge(*where)],
            others=[
                p
                for p in recorded
                if related(p.namespace, p.pod, p.target)
                and not this_edge(p.namespace, p.pod, p.target)
            ],
        )

    def _edge_policy(self, ex: Explorer, report: EdgeReport) -> None:
        """The policy rule that decided the edge, or why no policy is shown."""
        layer = next((r for r in report.layers if r.id == "networkpolicy"), None)
        if layer is None or not self._decisions(ex, layer):
            why = layer.summary if layer is not None else "the networkpolicy layer did not run"
            self._set("policy", plain(f"no NetworkPolicy decided this edge: {why}", "dim"))

    def show_layer(self, ex: Explorer, report: EdgeReport, layer: LayerResult | None) -> None:
        """Evidence, hint and commands of one layer; the deciding policy rule when there is one."""
        if layer is None:
            return
        parts: list[RenderableType] = [
            Text.assemble(plain(layer.id, "bold"), " ", badge(self.app, layer.status)),
            plain(layer.summary),
        ]
        if layer.explained_by:
            parts.append(Text(f"explained by: {layer.explained_by}", "italic"))
        for ev in layer.evidence:
            parts.append(
                Text("• ") + plain(ev.ref, "bold") + plain(f": {ev.detail}" if ev.detail else "")
            )
        if layer.hint:
            parts.append(Text("hint: ", "bold") + plain(layer.hint))
        parts += [plain(f"$ {cmd}", "italic") for cmd in layer.commands]
        parts.append(Text(f"basis: {layer.basis}", "dim"))
        self._set("evidence", Group(*parts), layer.commands[0] if layer.commands else "")
        self._decisions(ex, layer)

    def _decisions(self, ex: Explorer, layer: LayerResult) -> bool:
        """Show the policies whose rules decided a layer, if any did."""
        decisions = deciding_rules([(ev.ref, ev.detail) for ev in layer.evidence])
        shown: list[tuple[NetworkPolicy, Decision | None]] = []
        for decision in decisions:
            ns, _, name = decision.policy.partition("/")
            policy = ex.state.get("NetworkPolicy", ns, name)
            if isinstance(policy, NetworkPolicy):
                shown.append((policy, decision))
        if shown:
            self._show_policies(shown)
        return bool(shown)

    def _show_policies(self, policies: list[tuple[NetworkPolicy, Decision | None]]) -> None:
        """Each deciding policy with what decided highlighted (▶ and reverse video)."""
        text = Text()
        for policy, decision in policies:
            text.append_text(plain(f"networkpolicy {policy.namespace}/{policy.name}\n", "bold"))
            for line, hot in policy_lines(policy, decision):
                text.append_text(
                    plain(("▶ " if hot else "  ") + line + "\n", "reverse" if hot else "")
                )
        first = policies[0][0]
        cmd = kubectl("get", "networkpolicy", "-n", first.namespace, first.name, "-o", "yaml")
        self._set("policy", text, cmd)

    def _show_logs(self, logs: list[RecordedLog], pods: set[tuple[str, str]], ns: str) -> None:
        lines: list[str] = []
        first: RecordedLog | None = None
        for log in logs:
            if (log.namespace, log.pod) in pods:
                first = first or log
                prev = " (previous)" if log.previous else ""
                lines.append(f"==> {log.pod}/{log.container}{prev} <==")
                lines.extend(log.text.splitlines())
        if not pods:
            empty = "<no pods here, so no logs>"
        else:
            empty = f"<no logs in the data for {len(pods)} pod(s) here>"
        self.query_one(LogView).set_lines(lines, empty)
        self.commands["logs"] = (
            kubectl("logs", "-n", first.namespace, first.pod, "-c", first.container, "--tail=200")
            if first
            else ""
        )

    def show_live_probe(self, result: ProbeResult) -> None:
        """A probe that just ran in the cluster: kept, and the probes tab shows this session's."""
        self.live_probes.append(result)
        self._show_probes([], self.live_probes)
        self.open("probes")

    def _show_probes(
        self,
        probes: list[RecordedProbe],
        live: list[ProbeResult],
        others: list[RecordedProbe] | None = None,
    ) -> None:
        """Each probe's command, raw output, exit code and duration (newest live ones first);
        `others`: probes of the same pods or target but another edge, labelled as such."""
        others = others or []
        if not probes and not live and not others:
            self._set(
                "probes", Text("no probe output for this selection (p probes an edge)", "dim")
            )
            return
        from kexplore.probes.live.prober import (
            as_recorded,  # live results exist only in live sessions
        )

        shown = [as_recorded(r) for r in reversed(live)] + probes
        parts: list[RenderableType] = []
        for p, basis in zip(shown, ["live"] * len(live) + ["recorded"] * len(probes), strict=True):
            parts += _probe_parts(p, basis)
        if others:
            note = "other probes of these pods or this target (not this edge):"
            if not shown:
                note = "no probe of this edge (p probes it); " + note
            parts.append(Text(note, "italic dim"))
            for p in others:
                parts += _probe_parts(p, "other edge: recorded")
        first = (shown or others)[0]
        self._set("probes", Group(*parts), pasteable(_kubectl_form(first)) if shown else "")


def target_addresses(ex: Explorer, report: EdgeReport) -> set[str]:
    """The IPs a probe of the edge's target dials: the service's and its pods'."""
    tgt = report.target
    node = f"{tgt.kind}:{tgt.namespace}/{tgt.name}"
    obj = ex.obj(node)
    out = {ip for pod in ex.pods_of(node) for ip in pod.ips()}
    if isinstance(obj, Service):
        out.update(ip for ip in (obj.spec.cluster_ip, *obj.spec.cluster_ips) if ip)
    return out


def _probe_parts(p: RecordedProbe, basis: str) -> list[RenderableType]:
    head = f"{basis} {p.probe} from {p.namespace}/{p.pod} → {p.target}: {p.result}"
    return [
        plain(head, "bold"),
        plain("$ " + pasteable(_kubectl_form(p)), "italic"),
        Text(f"exit {p.exit_code}, {p.duration_ms:.0f} ms", "dim"),
        plain(p.output or "<no output>"),
    ]


def _kubectl_form(probe: RecordedProbe) -> list[str]:
    """The command as a user would type it: argv run in a pod as `kubectl exec … -- argv`."""
    if probe.command[:1] == ["kubectl"]:
        return list(probe.command)
    from kexplore.probes.commands import kubectl_exec  # the probe tools: loaded late

    return kubectl_exec(probe.namespace, probe.pod, probe.container, list(probe.command))


def _where(result: ProbeResult) -> tuple[str, str, str]:
    req = result.request
    return req.namespace, req.pod, req.target


def _first_interesting(report: EdgeReport) -> LayerResult | None:
    for status in (Status.FAIL, Status.UNKNOWN, Status.WARN):
        for layer in report.layers:
            if layer.status is status:
                return layer
    return report.layers[0] if report.layers else None
