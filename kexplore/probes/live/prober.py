"""LiveProber: probes in real pods by exec (tools detected once), ephemeral debug containers
(with consent) and port-forward, after an RBAC check; and the CLI's prober and confirm."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from kexplore.model.pods import Pod
from kexplore.model.recorded import RecordedProbe
from kexplore.model.state import ClusterState
from kexplore.probes.base import ProbeRequest, ProbeResult
from kexplore.probes.capture import CAPTURE_IMAGE, capture_argv, summarise
from kexplore.probes.commands import (
    capture_command,
    forward_command,
    planned_command,
    possible_commands,
    reader_argv,
    reader_command,
)
from kexplore.probes.envoy import LOG_BYTES, LOG_WINDOW, cluster_lines, edge_log, tls_lines
from kexplore.probes.live.debug import (
    DEFAULT_IMAGE,
    DebugContainerError,
    add_debug_container,
    consent_message,
)
from kexplore.probes.live.exec import ExecOutcome, run_exec, run_port_forward
from kexplore.probes.live.rbac import (
    EPHEMERAL,
    EXEC,
    LOGS,
    PORT_FORWARD,
    Permissions,
    denied_message,
)
from kexplore.probes.parse import (
    LISTEN_STATE,
    TIMEOUT_EXIT,
    classify_listen,
    parse_socket_table,
    tool_missing,
    tool_unusable,
)
from kexplore.probes.strategy import (
    DETECT_COMMAND,
    RESOLV_CONF,
    RESOLV_CONF_COMMAND,
    Attempt,
    BadTarget,
    Strategy,
    attempts,
    split_address,
    strategy_from_detection,
)
from kexplore.sources.live.client import Connection, HttpFailure, connect, get_bytes

Confirm = Callable[[str], bool]
MESH_PROXIES = frozenset({"istio-proxy", "linkerd-proxy"})
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
MAX_OUTPUT = 1 << 20  # bytes read from one exec
KEPT_OUTPUT = 16 << 10  # bytes of raw output kept in a result
READERS = frozenset({"envoy-log", "envoy-clusters", "envoy-tls", "flows"})


@dataclass
class ProbeSettings:
    """Bounds and choices of a probing session."""

    timeout: float = 5.0
    debug_image: str = DEFAULT_IMAGE
    confirm: Confirm | None = None  # None: never add a debug container
    max_output: int = MAX_OUTPUT
    settle: float = 1.0  # quiet seconds after which a port-forward counts as accepted
    exec_grace: float = 5.0  # seconds an exec may run past its own bound before it is cut
    debug_wait: float = 60.0
    capture_image: str = CAPTURE_IMAGE
    capture_warmup: float = 1.0  # seconds tcpdump gets to start before the connect
    on_result: Callable[[ProbeResult], None] | None = None  # e.g. the TUI's probe pane


@dataclass
class _Where:
    """The container a probe runs in, or why it cannot run there."""

    namespace: str
    pod: str
    container: str
    failure: str = ""
    message: str = ""
    notes: list[str] = field(default_factory=list)


class LiveProber:
    """Runs probes in a live cluster; thread-safe, with per-container tool detection cached."""

    basis = "probe"

    def __init__(
        self,
        conn: Connection,
        state: ClusterState | None = None,
        settings: ProbeSettings | None = None,
    ) -> None:
        self.conn = conn
        self.state = state
        self.settings = settings or ProbeSettings()
        self.permissions = Permissions(conn)
        self._strategies: dict[tuple[str, str, str], Strategy] = {}
        self._debug: dict[tuple[str, str, str], str] = {}
        self._lock = threading.Lock()
        self.history: list[ProbeResult] = []

    # --- entry point ----------------------------------------------------------------------
    def run(
        self, request: ProbeRequest, cancel: threading.Event | None = None
    ) -> ProbeResult | None:
        """Run one probe; mechanism failures come back as forbidden/not-running/no-tool/error.
        Every result is kept in `history` and passed to `settings.on_result`."""
        try:
            if request.probe == "port-forward":
                result = self._forward(request)
            elif request.probe == "capture":
                result = self._capture(request, cancel)
            elif request.probe in READERS:
                result = self._read(request, cancel)
            else:
                result = self._exec_probe(request, cancel)
        except BadTarget as e:
            result = _result_of(request, "error", f"refusing to probe: {e}", [], [])
        with self._lock:
            self.history.append(result)
        if self.settings.on_result is not None:
            self.settings.on_result(result)
        return result

    def strategy_of(self, namespace: str, pod: str, container: str) -> Strategy | None:
        """The tools detected in a container so far (None: not asked yet)."""
        with self._lock:
            return self._strategies.get((namespace, pod, container))

    # --- exec probes ----------------------------------------------------------------------
    def _exec_probe(self, request: ProbeRequest, cancel: threading.Event | None) -> ProbeResult:
        attempts(request.probe, request.target, Strategy(None), 1, request.l7)  # validate first
        if self.permissions.allowed(EXEC, request.namespace) is False:
            return self._failed(request, "forbidden", denied_message(EXEC, request.namespace))
        where = self.container_for(request)
        if where.failure:
            return self._failed(request, where.failure, where.message)
        result = self._in_container(request, where, cancel)
        if result.result != "no-tool":
            return result
        debug = self._debug_container(request)
        if debug.failure == "declined":
            result.output = result.output.rstrip("\n") + f"; {debug.message}\n"
            return result
        if debug.failure:
            return self._failed(request, debug.failure, debug.message)
        return self._in_container(request, debug, cancel)

    def container_for(self, request: ProbeRequest) -> _Where:
        """The container to exec in: the requested one, else the pod's default app container
        (not a mesh proxy for client probes: its traffic bypasses the mesh), if running."""
        where = _Where(request.namespace, request.pod, request.container)
        pod = self.state.get("Pod", request.namespace, request.pod) if self.state else None
        if not isinstance(pod, Pod):
            return where
        if not where.container:
            where.container = _default_container(pod, client=request.probe != "listen")
        status = pod.container_status(where.container)
        if status is not None and status.state.running is None:
            waiting = status.state.waiting or status.state.terminated
            why = f" ({waiting.reason})" if waiting is not None and waiting.reason else ""
            where.failure = "not-running"
            where.message = (
                f"container {where.container} of pod {request.namespace}/{request.pod} "
                f"is not running{why}"
            )
        return where

    def _in_container(
        self, request: ProbeRequest, where: _Where, cancel: threading.Event | None
    ) -> ProbeResult:
        strategy = self._detect(where, cancel)
        if isinstance(strategy, ExecOutcome):
            return self._failed(request, strategy.failure, strategy.output.strip(), where)
        tried: list[str] = []
        timeout = self.settings.timeout
        for attempt in attempts(request.probe, request.target, strategy, timeout, request.l7):
            outcome = self._exec(where, attempt.argv, cancel)
            if outcome.failure:
                return self._failed(request, outcome.failure, outcome.output.strip(), where)
            if tool_missing(outcome.exit_code, outcome.output) or tool_unusable(
                outcome.exit_code, outcome.output
            ):
                with self._lock:
                    strategy.missing.add(attempt.tool)
                tried.append(f"{attempt.tool}: unusable (exit {outcome.exit_code})")
                continue
            result = self._judged(request, where, attempt, outcome, tried)
            if request.probe == "dns" and strategy.has("cat"):
                result.notes.append(self._resolv_conf(where, cancel))
            return result
        message = (
            f"no tool for a {request.probe} probe in container {where.container or '(default)'} "
            f"of pod {where.namespace}/{where.pod} ({strategy.describe()})"
        )
        return self._failed(request, "no-tool", "\n".join([*tried, message]), where)

    def _judged(
        self,
        request: ProbeRequest,
        where: _Where,
        attempt: Attempt,
        outcome: ExecOutcome,
        tried: list[str],
    ) -> ProbeResult:
        exit_code = TIMEOUT_EXIT if outcome.timed_out else outcome.exit_code
        result = attempt.judge(attempt.tool, exit_code, outcome.output)
        notes = [*where.notes, *tried]
        if attempt.note:
            notes.append(attempt.note)
        output = outcome.output
        if request.probe == "listen":
            output = _listen_lines(output)
            notes.append(_listen_detail(output, request.target))
        return ProbeResult(
            replace(request, container=where.container),
            attempt.argv,
            _kept(output),
            result,
            exit_code,
            outcome.duration_ms,
            "probe",
            _now(),
            notes,
        )

    def _resolv_conf(self, where: _Where, cancel: threading.Event | None) -> str:
        """The resolver setup the lookup used (search path, nameserver, ndots), one line."""
        outcome = self._exec(where, RESOLV_CONF_COMMAND, cancel)
        lines = [ln.strip() for ln in outcome.stdout.splitlines()]
        kept = [ln for ln in lines if ln and not ln.startswith(("#", ";"))]
        if outcome.failure or outcome.exit_code != 0 or not kept:
            return f"{RESOLV_CONF}: not readable ({outcome.output.strip()[:120]})"
        return f"{RESOLV_CONF}: " + "; ".join(kept)

    def _detect(self, where: _Where, cancel: threading.Event | None) -> Strategy | ExecOutcome:
        key = (where.namespace, where.pod, where.container)
        with self._lock:
            known = self._strategies.get(key)
        if known is not None:
            return known
        outcome = self._exec(where, DETECT_COMMAND, cancel)
        if outcome.failure:
            return outcome
        strategy = strategy_from_detection(outcome.exit_code, outcome.output)
        with self._lock:
            return self._strategies.setdefault(key, strategy)

    def _exec(self, where: _Where, argv: list[str], cancel: threading.Event | None) -> ExecOutcome:
        return run_exec(
            self.conn,
            where.namespace,
            where.pod,
            where.container,
            argv,
            deadline=self.settings.timeout * 3 + self.settings.exec_grace,
            max_bytes=self.settings.max_output,
            cancel=cancel,
        )

    # --- readers of the data plane's own account ----------------------------------------
    def _read(self, request: ProbeRequest, cancel: threading.Event | None) -> ProbeResult:
        """A proxy's access log (its lines for the edge), its cluster view (the lines for the
        destination), or Hubble's flows, read as `kubectl logs` / `kubectl exec` would."""
        if request.probe == "envoy-log":
            return self._proxy_log(request)
        if self.permissions.allowed(EXEC, request.namespace) is False:
            return self._failed(request, "forbidden", denied_message(EXEC, request.namespace))
        where = self.container_for(request)
        if where.failure:
            return self._failed(request, where.failure, where.message)
        outcome = self._exec(where, reader_argv(request), cancel)
        if outcome.failure or outcome.exit_code != 0:
            failure = outcome.failure or "error"
            return self._failed(request, failure, outcome.output.strip() or "no output", where)
        if request.probe == "flows":
            return self._read_result(request, outcome.stdout, outcome.duration_ms)
        fqdn, _, port = request.target.rpartition(":")
        keep = tls_lines if request.probe == "envoy-tls" else cluster_lines
        kept = keep(outcome.stdout, fqdn, int(port))
        total = len(outcome.stdout.splitlines())
        note = f"[kexplore kept the lines for {request.target} of {total} lines]\n"
        return self._read_result(request, kept + note, outcome.duration_ms)

    def _proxy_log(self, request: ProbeRequest) -> ProbeResult:
        if self.permissions.allowed(LOGS, request.namespace) is False:
            return self._failed(request, "forbidden", denied_message(LOGS, request.namespace))
        path = f"/api/v1/namespaces/{request.namespace}/pods/{request.pod}/log"
        query: list[tuple[str, str | int]] = [
            ("container", request.container),
            ("sinceSeconds", LOG_WINDOW),
            ("limitBytes", LOG_BYTES),
        ]
        started = datetime.now(UTC)
        try:
            data = get_bytes(self.conn, self.conn.client(), path, query, "text/plain")
        except HttpFailure as e:
            failure = "forbidden" if e.status == 403 else "error"
            return self._failed(request, failure, str(e))
        except Exception as e:  # a transport error: nothing was learned about the edge
            return self._failed(request, "error", f"{type(e).__name__}: {e}")
        text = data.decode("utf-8", "replace")
        took = (datetime.now(UTC) - started).total_seconds() * 1000
        return self._read_result(
            request, edge_log(text, request.l7.peers, request.l7.host, request.l7.inbound), took
        )

    def _read_result(self, request: ProbeRequest, output: str, took: float) -> ProbeResult:
        return ProbeResult(
            request,
            reader_command(request),
            _kept(output),
            "read",
            0,
            round(took, 1),
            "probe",
            _now(),
        )

    # --- packet capture ------------------------------------------------------------------
    def _capture(self, request: ProbeRequest, cancel: threading.Event | None) -> ProbeResult:
        """tcpdump in a debug container of the source pod (consent names the image) while the
        connect is made again from the app container; the capture is bounded by count and
        seconds."""
        argv = capture_argv(request.target)
        image = self.settings.capture_image
        debug = self._debug_container(request, image, argv)
        if debug.failure:
            failure = "no-tool" if debug.failure == "declined" else debug.failure
            return self._failed(request, failure, debug.message)
        outcome: list[ExecOutcome] = []
        dump = threading.Thread(target=lambda: outcome.append(self._exec(debug, argv, cancel)))
        dump.start()
        time.sleep(self.settings.capture_warmup)
        self._exec_probe(replace(request, probe="tcp"), cancel)
        dump.join()
        done = outcome[0]
        if done.failure:
            return self._failed(request, done.failure, done.output.strip(), debug)
        kind, _ = summarise(done.output, request.target)
        notes = [*debug.notes, "the connect was made again from the app container meanwhile"]
        ran_in = replace(request, container=debug.container)
        return ProbeResult(
            ran_in,
            capture_command(request, image),
            _kept(done.output),
            kind,
            done.exit_code,
            done.duration_ms,
            "probe",
            _now(),
            notes,
        )

    # --- debug containers -----------------------------------------------------------------
    def _debug_container(
        self, request: ProbeRequest, image: str = "", runs: list[str] | None = None
    ) -> _Where:
        """A running debug container in the pod (one per image), added once and only with
        consent; `runs` is the command it is added for, shown in the consent."""
        image = image or self.settings.debug_image
        key = (request.namespace, request.pod, image)
        where = _Where(request.namespace, request.pod, "")
        with self._lock:
            where.container = self._debug.get(key, "")
        if where.container:
            return where
        if self.settings.confirm is None:
            where.failure, where.message = "declined", _NO_CONSENT
            return where
        if self.permissions.allowed(EPHEMERAL, request.namespace) is False:
            where.failure = "forbidden"
            where.message = denied_message(EPHEMERAL, request.namespace)
            return where
        consent = consent_message(request.namespace, request.pod, image, runs)
        if not self.settings.confirm(consent):
            where.failure, where.message = "declined", "a debug container was declined"
            return where
        try:
            name = add_debug_container(
                self.conn, request.namespace, request.pod, image, wait=self.settings.debug_wait
            )
        except DebugContainerError as e:
            where.failure, where.message = "error", str(e)
            return where
        with self._lock:
            self._debug[key] = name
        where.container = name
        where.notes.append(f"ran in ephemeral debug container {name} (image {image})")
        return where

    # --- commands -------------------------------------------------------------------------
    def planned_command(self, request: ProbeRequest, container: str = "") -> list[str]:
        """The command a probe runs, as a user would type it (`kubectl exec … -- argv` with
        the best tool known for that container, or `kubectl port-forward`)."""
        strategy = self.strategy_of(request.namespace, request.pod, container)
        return planned_command(request, container, strategy, self.settings.timeout)

    def possible_commands(self, request: ProbeRequest, container: str = "") -> list[list[str]]:
        """Every command the probe may run there, fallbacks included (see possible_commands)."""
        strategy = self.strategy_of(request.namespace, request.pod, container)
        return possible_commands(request, container, strategy, self.settings.timeout)

    def _failed(
        self, request: ProbeRequest, result: str, message: str, where: _Where | None = None
    ) -> ProbeResult:
        """A mechanism failure, recorded with the command that could not run."""
        container = where.container if where is not None else request.container
        notes = list(where.notes) if where is not None else []
        command = self.planned_command(request, container)
        ran_in = replace(request, container=container)
        return _result_of(ran_in, result, message, command, notes)

    # --- port-forward ---------------------------------------------------------------------
    def _forward(self, request: ProbeRequest) -> ProbeResult:
        _, port = split_address(request.target)
        argv = forward_command(request)
        if self.permissions.allowed(PORT_FORWARD, request.namespace) is False:
            return self._failed(
                request, "forbidden", denied_message(PORT_FORWARD, request.namespace)
            )
        outcome = run_port_forward(
            self.conn, request.namespace, request.pod, port, settle=self.settings.settle
        )
        notes = ["connected through the API's portforward stream (kubectl port-forward equivalent)"]
        return ProbeResult(
            request,
            argv,
            outcome.output,
            outcome.result,
            0 if outcome.result == "forwarded" else 1,
            outcome.duration_ms,
            "probe",
            _now(),
            notes,
        )


def prober_from_args(args: argparse.Namespace, state: ClusterState) -> LiveProber:
    """The prober of `kexplore check --probe`: the source's kubeconfig context, the
    --probe-timeout and --debug-image bounds, and consent to a debug container from --yes,
    else asked on a terminal, else refused."""
    confirm: Confirm | None = None
    if getattr(args, "yes", False):
        confirm = _agree
    elif sys.stdin.isatty():
        confirm = terminal_confirm
    settings = ProbeSettings(timeout=args.probe_timeout, confirm=confirm)
    if args.debug_image:
        settings.debug_image = args.debug_image
    if getattr(args, "capture_image", None):
        settings.capture_image = args.capture_image
    return LiveProber(connect(args.context, None, args.kubeconfig), state, settings)


def _agree(message: str) -> bool:
    return True


def terminal_confirm(message: str) -> bool:
    """Ask on the terminal (stderr): only an explicit yes agrees."""
    print(f"{message} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


_NO_CONSENT = (
    "a debug container needs consent: rerun on a terminal to be asked, or pass --yes "
    "(it adds an ephemeral container that cannot be removed)"
)


def as_recorded(result: ProbeResult) -> RecordedProbe:
    """A live result in the form snapshots record (and the TUI's probe pane lists)."""
    req = result.request
    return RecordedProbe(
        probe=req.probe,
        namespace=req.namespace,
        pod=req.pod,
        target=req.target,
        command=list(result.command),
        output=result.output,
        result=result.result,
        container=req.container,
        exit_code=result.exit_code,
        duration_ms=result.duration_ms,
        time=result.time,
    )


def _default_container(pod: Pod, client: bool) -> str:
    names = [c.name for c in pod.spec.containers]
    chosen = pod.metadata.annotations.get(DEFAULT_CONTAINER, "")
    if chosen in names:
        return chosen
    apps = [n for n in names if n not in MESH_PROXIES] if client else names
    return (apps or names or [""])[0]


def _result_of(
    request: ProbeRequest, result: str, message: str, command: list[str], notes: list[str]
) -> ProbeResult:
    """A probe whose mechanism failed; the message's last line is the reason shown."""
    return ProbeResult(
        request, command, _kept(message + "\n"), result, -1, 0.0, "probe", _now(), notes
    )


def _listen_lines(output: str) -> str:
    """The socket tables with only their LISTEN sockets (the others are counted); any other
    line (the header, an error from cat) is kept."""
    kept: list[str] = []
    omitted = 0
    for line in output.splitlines():
        fields = line.split()
        is_socket = len(fields) > 3 and fields[0].endswith(":") and fields[0][:-1].isdigit()
        if is_socket and fields[3] != LISTEN_STATE:
            omitted += 1
        else:
            kept.append(line)
    if omitted:
        kept.append(f"[{omitted} sockets not in LISTEN state omitted by kexplore]")
    return "\n".join(kept) + "\n"


def _listen_detail(output: str, target: str) -> str:
    ip, port = split_address(target)
    return classify_listen(parse_socket_table(output), ip, port)[1]


def _kept(text: str) -> str:
    if len(text) <= KEPT_OUTPUT:
        return text
    return text[:KEPT_OUTPUT] + f"\n[{len(text) - KEPT_OUTPUT} more bytes not kept]\n"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
