"""Command-line parsing: picks a source and runs the TUI or a headless command."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from kexplore import __version__
from kexplore.completion import (
    INSTALL,
    SHELLS,
    candidates_for,
    complete_if_asked,
    kubectl_directive,
    script,
)
from kexplore.config import KEYS, apply_config, bad_setting, load_config
from kexplore.errors import InputError, KexploreError, SourceError, UsageError
from kexplore.inputs import DEFAULT_MAX_MB, MAX_PAIRS, MIB
from kexplore.shell import kubectl

if TYPE_CHECKING:  # the engine is imported by the commands that run it: the TUI's first
    # frame waits for no more than the model and Textual
    from kexplore.checks.edge import TargetSpec
    from kexplore.model.state import ClusterState
    from kexplore.ui.loading import Background

OUTPUTS_CHECK = ("text", "json", "markdown")
EPILOG = f"""\
shell completion (subcommands, flags, contexts, namespaces, object names):
  {INSTALL["bash"]}
  {INSTALL["zsh"]}
  {INSTALL["fish"]}
settings file: $XDG_CONFIG_HOME/kexplore/config.yaml (default ~/.config/kexplore/config.yaml),
  or --config FILE; flags win over it. One `key: value` a line, keys:
  {", ".join(KEYS[:4])},
  {", ".join(KEYS[4:])}
  e.g.  theme: textual-light"""
OUTPUTS_MATRIX = ("text", "json", "connlist")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _add_source_flags(parser: argparse.ArgumentParser, sub: bool, live_only: bool = False) -> None:
    """Source flags; on a subcommand they default to absent so the top level's values stand."""
    group = parser.add_argument_group("source (exactly one; default: the current kubeconfig)")
    unset: dict[str, Any] = {"default": argparse.SUPPRESS} if sub else {}
    if not live_only:
        group.add_argument("--demo", action="store_true", help="the bundled demo cluster", **unset)
        group.add_argument(
            "--snapshot",
            metavar="PATH",
            action="append",
            help="dir, file or .tar.gz (repeat to merge: a dump and the kinds it lacks)",
            **unset,
        )
        group.add_argument(
            "--max-input-mb",
            metavar="MB",
            type=_positive_int("--max-input-mb"),
            help=f"refuse a snapshot file, or a tar's files together, over MB (default "
            f"{DEFAULT_MAX_MB})",
            **unset,
        )
    group.add_argument("--context", metavar="C", help="kubeconfig context (live)", **unset)
    group.add_argument("--kubeconfig", metavar="F", help="kubeconfig file (live)", **unset)
    group.add_argument(
        "-n", "--namespace", metavar="N", action="append", help="namespace (live)", **unset
    )
    group.add_argument("--read-only", action="store_true", help="forbid every probe", **unset)
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no warnings about the input", **unset
    )
    _add_config_flag(parser, sub)


def _add_config_flag(parser: argparse.ArgumentParser, sub: bool) -> None:
    unset: dict[str, Any] = {"default": argparse.SUPPRESS} if sub else {}
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="settings file (default: $XDG_CONFIG_HOME/kexplore/config.yaml, else "
        "~/.config/kexplore/config.yaml); flags win over it",
        **unset,
    )


def _positive_int(flag: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) == 0:
            raise UsageError(f"{flag} {text!r}: expected a positive whole number")
        return int(text)

    return parse


def _count(flag: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isdigit():
            raise UsageError(f"{flag} {text!r}: expected a whole number (0: no limit)")
        return int(text)

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The whole command line of DESIGN §1."""
    parser = _Parser(
        prog="kexplore",
        description="Keyboard-driven terminal explorer for Kubernetes connectivity triage.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kexplore {__version__}")
    parser.add_argument(
        "--transcript",
        metavar="FILE",
        help="record the session in FILE, a new file (JSONL, mode 0600; default: a new file "
        "under $XDG_STATE_HOME/kexplore, else ~/.local/state/kexplore)",
    )
    parser.add_argument(
        "--theme", metavar="NAME", help="TUI colour theme, e.g. textual-light (default: dark)"
    )
    _add_source_flags(parser, sub=False)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    check = sub.add_parser("check", help="run the ladder for one edge SOURCE → TARGET")
    check.add_argument("source", metavar="SOURCE", help="NS/POD, NS/KIND/NAME or NS/NAME")
    check.add_argument("target", metavar="TARGET", help="NS/svc/NAME:PORT, NAME:PORT, IP:PORT…")
    check.add_argument("--port", help="port when TARGET has none (number or name)")
    check.add_argument("--protocol", default="TCP", help="TCP, UDP or SCTP (default TCP)")
    check.add_argument("--probe", action="store_true", help="run live probes (acts on the cluster)")
    check.add_argument("--probe-timeout", metavar="SECONDS", type=float, help="per probe (5)")
    check.add_argument("--debug-image", metavar="IMAGE", help="image of a debug container")
    check.add_argument(
        "--capture-image",
        metavar="IMAGE",
        help="image with tcpdump for a packet capture after a failed probe (nicolaka/netshoot)",
    )
    check.add_argument(
        "--yes", action="store_true", help="agree to add a debug container to a pod without tools"
    )
    check.add_argument(
        "--l7",
        choices=("http", "grpc", "none"),
        help="application probe after the TCP connect (default: from the port's appProtocol, "
        "Istio port-name prefix or a well-known port)",
    )
    check.add_argument("--path", help="HTTP path the application probe asks for (/)")
    check.add_argument("-o", "--output", choices=OUTPUTS_CHECK, default="text")
    check.add_argument("--fix-out", metavar="DIR", help="write the proposed patches to DIR")
    check.add_argument(
        "--what-if",
        metavar="FILE",
        action="append",
        default=[],
        help="apply a patch (from --fix-out) or manifest to a scratch copy first (repeatable)",
    )
    _add_source_flags(check, sub=True)

    matrix = sub.add_parser("matrix", help="allowed connections between workloads")
    matrix.add_argument("namespaces", metavar="NAMESPACE", nargs="*")
    matrix.add_argument("-o", "--output", choices=OUTPUTS_MATRIX, default="text")
    matrix.add_argument(
        "--max-pairs",
        metavar="N",
        type=_count("--max-pairs"),
        default=MAX_PAIRS,
        help=f"refuse a matrix of all namespaces listing more than N pairs (default {MAX_PAIRS:,}"
        "; 0: no limit)",
    )
    _add_source_flags(matrix, sub=True)

    edges = sub.add_parser("edges", help="the inferred talks-to edges (and their ladders)")
    edges.add_argument("namespaces", metavar="NAMESPACE", nargs="*")
    edges.add_argument("--check", action="store_true", help="run the ladder on every edge")
    edges.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _add_source_flags(edges, sub=True)

    snap = sub.add_parser("snapshot", help="save the live cluster for offline triage")
    snap.add_argument("out_dir", metavar="OUT", help="a new or empty directory, or a new .tar.gz")
    _add_source_flags(snap, sub=True, live_only=True)

    diff = sub.add_parser("diff", help="edges whose verdict changed between two states, and why")
    diff.add_argument("a", metavar="SNAPSHOT_A")
    diff.add_argument("b", metavar="SNAPSHOT_B", nargs="?", help="omit with --live")
    diff.add_argument("edge", metavar="SOURCE TARGET", nargs="*", help="one edge only")
    diff.add_argument("--live", action="store_true", help="compare SNAPSHOT_A with the cluster")
    diff.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _add_source_flags(diff, sub=True, live_only=True)

    verify = sub.add_parser("verify", help="re-check a saved session's edges: fixed or not")
    verify.add_argument("session", metavar="SESSION.jsonl")
    verify.add_argument("-o", "--output", choices=("text", "json"), default="text")
    verify.add_argument(
        "--no-append", action="store_true", help="do not append the result to the session"
    )
    _add_source_flags(verify, sub=True)

    tr = sub.add_parser("transcript", help="show or export a saved session")
    tr.add_argument("action", choices=("show", "export"))
    tr.add_argument("file", metavar="FILE")
    tr.add_argument("--output", choices=("markdown", "html", "json"), default="markdown")
    tr.add_argument(
        "-o", dest="out", metavar="OUT", help="export: write to OUT (and say where), not stdout"
    )
    _add_config_flag(tr, sub=True)

    comp = sub.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh or fish)",
        epilog="install:\n  "
        + "\n  ".join(INSTALL.values())
        + "\nkubectl kexplore <TAB> (kubectl 1.26+) runs kubectl_complete-kexplore, installed too",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    comp.add_argument("shell", choices=SHELLS)
    return parser


def load_state(args: argparse.Namespace, in_play: Sequence[str] = ()) -> ClusterState:
    """Read the one source the flags name; a live read that may not list cluster-wide reads
    the `in_play` namespaces one by one (with --namespace: those too)."""
    live = bool(args.context or args.kubeconfig)
    chosen = [f for f, on in (("--demo", args.demo), ("--snapshot", args.snapshot)) if on]
    if live:
        chosen.append("--context/--kubeconfig")
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)}: choose exactly one source")
    if args.demo:
        from kexplore.sources.demo import load_demo

        return load_demo()
    if args.snapshot:
        from kexplore.sources.files.reader import read_snapshot

        return read_snapshot(*args.snapshot, max_bytes=args.max_input_mb * MIB)
    from kexplore.sources.live.source import load_live

    restricted = list(dict.fromkeys([*args.namespace, *in_play])) if args.namespace else []
    return load_live(
        context=args.context, kubeconfig=args.kubeconfig, namespaces=restricted, in_play=in_play
    )


def _check_args(args: argparse.Namespace) -> TargetSpec:
    """Validate check's arguments before any data is read (fail fast on a typo)."""
    from kexplore.checks.edge import parse_target
    from kexplore.probes.strategy import BadTarget, check_path

    if args.probe and args.read_only:
        raise UsageError("--probe and --read-only: --read-only forbids every probe")
    if args.probe and (args.demo or args.snapshot):
        raise UsageError(
            "--probe needs a live cluster: recorded probes in a snapshot or the demo are "
            "replayed without it"
        )
    if args.probe_timeout <= 0:
        raise UsageError(f"--probe-timeout {args.probe_timeout:g}: expected a positive number")
    try:
        check_path(args.path)
    except BadTarget as e:
        raise bad_setting(args, "path", str(e), "") from e
    default_port = None
    if args.port is not None:
        if not str(args.port).isdigit() or not 1 <= int(args.port) <= 65535:
            raise UsageError(f"--port {args.port!r}: expected a number from 1 to 65535")
        default_port = int(args.port)
    return parse_target(args.target, args.protocol, default_port)


def run_check(args: argparse.Namespace) -> int:
    """`kexplore check`: exit 0 no layer fails, 1 a layer fails (after --what-if edits)."""
    target = _check_args(args)
    from kexplore.checks.edge import namespaces_in_play, resolve_source
    from kexplore.checks.ladder import require_named_target, run_ladder
    from kexplore.checks.result import Status
    from kexplore.fixes.edits import read_edits

    edits = [edit for path in args.what_if for edit in read_edits(path)]
    default_ns = (args.namespace or [""])[0]
    state = load_state(args, namespaces_in_play(args.source, target, default_ns))
    source = resolve_source(state, args.source, default_ns or state.meta.namespace)
    require_named_target(state, target)
    prober = None
    if args.probe:
        from kexplore.probes.live.prober import prober_from_args

        prober = prober_from_args(args, state)
    report = run_ladder(state, source, target, prober=prober, l7=args.l7 or "", path=args.path)
    _print_warnings(state, args.quiet)
    if source.unreadable and all(
        r.status in (Status.UNKNOWN, Status.SKIPPED) for r in report.layers
    ):
        raise SourceError(
            f"nothing about this edge could be read: {source.unreadable}",
            "ask for list on pods and services in the namespaces of SOURCE and TARGET "
            f"(check: {kubectl('auth', 'can-i', 'list', 'pods', '-n', source.namespace)})",
        )
    what_if = None
    if edits:
        report, what_if, state = _what_if(args, state, edits, target.port)
    _attach_fixes(args, state, report, target.port)
    try:
        _print_check(args, report, what_if)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head -1`: the reader has what it wanted; the verdict stands
        _silence_stdout()
    return 1 if report.verdict is Status.FAIL else 0


def _silence_stdout() -> None:
    """After a closed pipe: later writes (and the flush at exit) go nowhere, quietly."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _edge_spec(args: argparse.Namespace, state: ClusterState, port: object) -> Any:
    from kexplore.fixes.whatif import EdgeSpec, canonical

    default = int(args.port) if args.port is not None else None
    return canonical(state, EdgeSpec(args.source, args.target, args.protocol.upper(), default))


def _what_if(
    args: argparse.Namespace, state: ClusterState, edits: list[Any], port: object
) -> tuple[Any, Any, ClusterState]:
    """The edge on the scratch copy (the report shown), the what-if, and the scratch state."""
    from kexplore.fixes.edits import PatchError
    from kexplore.fixes.whatif import what_if

    try:
        result = what_if(state, edits, _edge_spec(args, state, port))
    except PatchError as e:
        raise InputError(f"--what-if: {e}", "regenerate the patch against this data") from e
    assert result.focus is not None
    if result.focus.after is None:
        raise InputError(
            f"--what-if: the edge {args.source} → {args.target} no longer exists after the edits",
            "check the edits",
        )
    return result.focus.after, result, result.scratch.state


def _attach_fixes(args: argparse.Namespace, state: ClusterState, report: Any, port: object) -> None:
    from kexplore.fixes.propose import CONFIG_LAYERS, attach_fixes
    from kexplore.render.fixes_out import write_fix_files

    if report.failing_layer not in CONFIG_LAYERS:
        return
    attach_fixes(state, report, _edge_spec(args, state, port))
    if args.fix_out:
        for path in write_fix_files(report, args.fix_out):
            print(f"wrote {path}", file=sys.stderr)


def _print_check(args: argparse.Namespace, report: Any, what_if: Any) -> None:
    from kexplore.fixes.propose import CONFIG_LAYERS, NO_PATCH
    from kexplore.render.fixes_out import what_if_json, what_if_lines
    from kexplore.render.markdown import report_markdown
    from kexplore.render.text import render_text, stdout_console

    no_patch = report.failing_layer is not None and report.failing_layer not in CONFIG_LAYERS
    if args.output == "json":
        data = report.to_json()
        if what_if is not None:
            data["what_if"] = what_if_json(what_if)
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    lines = what_if_lines(what_if) if what_if is not None else []
    if args.output == "markdown":
        if lines:
            print("> " + "\n> ".join(lines) + "\n")
        print(report_markdown(report), end="")
        if no_patch:
            print(f"\n{NO_PATCH}.")
        return
    console = stdout_console()
    for line in lines:
        console.print(
            line, markup=False, soft_wrap=True, style="bold yellow" if line is lines[0] else ""
        )
    if lines:
        console.print()
    render_text(report, console)
    if no_patch:
        console.print(f"\n{NO_PATCH}", markup=False, style="dim")


def _print_warnings(state: ClusterState, quiet: bool) -> None:
    """What in the input could change a verdict (objects skipped or not evaluated), in one
    line on stderr (stdout stays parseable); nothing with --quiet."""
    from kexplore.render.sanitize import strip_controls

    if quiet or not state.warnings:
        return
    shown = "; ".join(strip_controls(w).replace("\n", " ") for w in state.warnings[:2])
    more = len(state.warnings) - 2
    tail = f" (+{more} more)" if more > 0 else ""
    head = "warning: " if len(state.warnings) == 1 else f"warning: {len(state.warnings)} "
    if len(state.warnings) > 1:
        head += "problems in the input could change a verdict: "
    print(f"{head}{shown}{tail} (--quiet hides this)", file=sys.stderr)


def run_transcript(args: argparse.Namespace) -> int:
    """`kexplore transcript show|export FILE`."""
    from kexplore.render.session_html import session_html
    from kexplore.render.text import render_text, stdout_console
    from kexplore.render.transcript_out import session_json, session_markdown
    from kexplore.transcript import read_transcript, write_private

    session = read_transcript(args.file)
    if args.action == "show":
        console = stdout_console()
        reports = session.reports()
        if not reports:
            console.print(f"{args.file}: no checks in this session", markup=False)
        for report in reports:
            render_text(report, console)
            console.print()
        return 0
    exporters = {"markdown": session_markdown, "html": session_html, "json": session_json}
    text = exporters[args.output](session)
    if not args.out:
        sys.stdout.write(text)
        return 0
    try:
        write_private(Path(args.out), text)
    except OSError as e:
        raise InputError(f"-o {args.out}: {e.strerror or e}", fix="choose a writable path") from e
    print(f"wrote {args.output} export of {args.file} to {Path(args.out).resolve()}")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    """`kexplore diff A B [SOURCE TARGET]` (or `A --live`)."""
    from kexplore.fixes.diff import diff_states
    from kexplore.fixes.whatif import EdgeSpec, canonical
    from kexplore.render.proof_out import diff_json, diff_lines
    from kexplore.sources.files.reader import read_snapshot

    names = [args.a, *([args.b] if args.b else []), *args.edge]
    if args.live:
        names.insert(1, "--live")
    first, second, edge = names[0], names[1] if len(names) > 1 else None, names[2:]
    if second is None or len(edge) not in (0, 2):
        raise UsageError("diff takes SNAPSHOT_A SNAPSHOT_B|--live [SOURCE TARGET]")
    state_a = read_snapshot(first)
    if second == "--live":
        from kexplore.sources.live.source import load_live

        state_b = load_live(
            context=args.context, kubeconfig=args.kubeconfig, namespaces=args.namespace or ()
        )
    else:
        state_b = read_snapshot(second)
    edges = [canonical(state_a, EdgeSpec(edge[0], edge[1]))] if edge else None
    result = diff_states(state_a, state_b, edges)
    if args.output == "json":
        print(json.dumps(diff_json(result), indent=2, ensure_ascii=False))
    else:
        print("\n".join(diff_lines(result, first, second)))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """`kexplore verify SESSION.jsonl`: exit 0 when nothing regressed, 1 otherwise."""
    from kexplore.fixes.verify import exit_code, summary, verify
    from kexplore.render.proof_out import verify_lines
    from kexplore.transcript import Transcript, read_transcript

    session = read_transcript(args.session)
    if not session.reports():
        raise InputError(
            f"{args.session}: no checks in this session, nothing to verify",
            "verify a transcript of a session that checked edges (the TUI's --transcript)",
        )
    state = load_state(args)
    _print_warnings(state, args.quiet)
    results = verify(session, state)
    code = exit_code(results)
    if args.output == "json":
        data = {"results": [v.to_json() for v in results], "summary": summary(results)}
        print(json.dumps({**data, "exit": code}, indent=2, ensure_ascii=False))
    else:
        print("\n".join(verify_lines(results, args.session)))
    if not args.no_append:
        meta = state.meta
        log = Transcript(args.session, source=meta.source, context=meta.context, append=True)
        log.record(
            "verify",
            summary=summary(results),
            exit=code,
            results=[v.to_json() for v in results],
        )
        log.close()
    return code


def run_matrix_cmd(args: argparse.Namespace) -> int:
    """`kexplore matrix [NAMESPACE ...]`."""
    from kexplore.render.matrix_out import run_matrix
    from kexplore.render.text import stdout_console

    state = load_state(args)
    _print_warnings(state, args.quiet)
    return run_matrix(
        state, list(args.namespaces), args.output, stdout_console(), max_pairs=args.max_pairs
    )


def run_edges_cmd(args: argparse.Namespace) -> int:
    """`kexplore edges [NAMESPACE ...] [--check]`: exit 1 when a checked edge fails."""
    from kexplore.render.edges_out import run_edges
    from kexplore.render.text import stdout_console

    state = load_state(args)
    _print_warnings(state, args.quiet)
    return run_edges(state, list(args.namespaces), args.check, args.output, stdout_console())


def run_snapshot(args: argparse.Namespace) -> int:
    """`kexplore snapshot OUT`: save the cluster in the format --snapshot reads (OUT: a new
    or empty directory, or a new .tar.gz). A live cluster is written kind by kind as each
    is read, so the whole cluster is never held at once."""
    from kexplore.sources.record import SnapshotWriter

    writer = SnapshotWriter(args.out_dir)  # refuses a non-empty OUT before any download
    try:
        state = _read_for_snapshot(args, writer)
        out = writer.close(state)
    except BaseException:
        writer.abandon()
        raise
    print(f"saved {sum(writer.counts.values())} objects to {out}")
    for kind, reason in sorted(state.meta.unreadable.items()):
        print(f"not saved: {kind}: {reason}", file=sys.stderr)
    for kind, read in sorted(state.meta.read_in.items()):
        only = ", ".join(sorted(read)) or "none"
        print(
            f"not saved: {kind}: forbidden in all namespaces (read only in: {only})",
            file=sys.stderr,
        )
    for kind, per_ns in sorted(state.meta.forbidden_in.items()):
        for ns, reason in sorted(per_ns.items()):
            print(f"not saved: {kind} in namespace {ns}: {reason}", file=sys.stderr)
    return 0


def _read_for_snapshot(args: argparse.Namespace, writer: Any) -> ClusterState:
    """The state to save; a live cluster's objects go to `writer` as they are decoded
    (never kept: memory does not grow with the cluster)."""
    if args.demo or args.snapshot:
        state = load_state(args)
        for key in sorted(state.objects):
            writer.kind(key, state.objects[key].values())
        return state
    from kexplore.sources.live.load import KindResult, LoadObserver
    from kexplore.sources.live.source import LiveSource

    def on_kind(result: KindResult) -> None:
        if result.error is None and not result.unreadable:
            writer.finish(result.target.key)
        else:
            writer.discard(result.target.key)

    source = LiveSource(args.context, None, args.kubeconfig, args.namespace or ())
    return source.load(LoadObserver(on_kind=on_kind, interner=None, sink_for=writer.stream))


def run_tui(args: argparse.Namespace) -> int:
    """The TUI on the chosen source; a live source is watched and can switch context."""
    app, stop = tui_app(args)
    _run_app(app, stop)
    if app.loader.error is not None:
        raise app.loader.error
    return 0


def _run_app(app: Any, stop: Callable[[], None]) -> None:
    """Run the TUI, naming its session file before and after (the screen is cleared between)."""
    print(f"kexplore: this session is recorded in {app.transcript.path}", file=sys.stderr)
    try:
        app.run()
    finally:
        stop()
        print(f"kexplore: session saved to {app.transcript.path}", file=sys.stderr)


def app_options(args: argparse.Namespace) -> dict[str, Any]:
    """What every TUI takes from the command line and the settings file: the session file
    (--transcript, else a new one in the settings' transcript-dir, else the default
    folder), the theme, --read-only, the HTTP probe's path."""
    from kexplore.transcript import new_session_path
    from kexplore.ui.style import theme_names

    if args.theme is not None and args.theme not in theme_names():
        use = "use one of " + ", ".join(theme_names())
        raise bad_setting(args, "theme", f"no theme {args.theme!r}", use)
    path = args.transcript
    if path is None and args.transcript_dir is not None:
        folder = Path(args.transcript_dir).expanduser()
        try:
            path = new_session_path(folder)
        except OSError as e:
            problem = f"{folder}: {e.strerror or e}"
            raise bad_setting(args, "transcript_dir", problem, "name a folder") from e
    return {
        "transcript_path": path,
        "theme": args.theme,
        "read_only": args.read_only,
        "l7_path": args.path,
    }


def tui_app(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    """The TUI app for the chosen source, and what to call once it has exited (the bench
    drives the same app headless). Snapshots and live clusters are read after the first
    frame, in the app's worker, while it shows their progress."""
    from kexplore.ui.app import make_app

    if args.demo:
        app = make_app(load_state(args), **app_options(args))
        return app, lambda: None
    if args.snapshot:
        return _snapshot_tui_app(args), lambda: None
    return _live_tui_app(args)


def _snapshot_tui_app(args: argparse.Namespace) -> Any:
    from kexplore.model.state import ClusterState, SourceMeta
    from kexplore.ui.app import make_app

    start = ClusterState(SourceMeta(source=f"snapshot {', '.join(args.snapshot)}"))
    background = snapshot_background(args.snapshot, args.max_input_mb * MIB)
    return make_app(start, background=background, **app_options(args))


def snapshot_background(paths: Sequence[str], limit: int) -> Background:
    """The TUI's read of a snapshot after the first frame (the reader is imported then)."""
    from kexplore.ui.loading import Background

    def load(first: Callable[[ClusterState], None]) -> ClusterState:
        from kexplore.sources.files.reader import ReadObserver, read_snapshot

        observer = ReadObserver(background.progress, first)
        return read_snapshot(*paths, observer=observer, max_bytes=limit)

    background = Background(load, pause=True)
    return background


def _live_tui_app(args: argparse.Namespace) -> tuple[Any, Callable[[], None]]:
    from kexplore.model.state import ClusterState, SourceMeta
    from kexplore.sources.live.load import KindResult, LoadObserver
    from kexplore.sources.live.source import LiveSession, LiveSource
    from kexplore.ui.app import make_app
    from kexplore.ui.loading import Background
    from kexplore.ui.messages import StateUpdated

    session = LiveSession(LiveSource(args.context, None, args.kubeconfig, args.namespace or ()))
    context = session.source.context

    def load(first: Callable[[ClusterState], None]) -> ClusterState:
        def on_kind(result: KindResult) -> None:
            if result.target.key == "Namespace" and result.objects:
                namespaces = ClusterState(SourceMeta(source="live", context=context))
                namespaces.add_all(result.objects)
                first(namespaces)

        return session.load(LoadObserver(background.progress, on_kind))

    def on_change(new_state: ClusterState) -> None:
        app.post_message(StateUpdated(new_state))

    background = Background(load, then=lambda _: session.watch(on_change))

    def on_error(error: KexploreError) -> None:
        app.call_from_thread(app.tell, error.one_line(), severity="error")

    def switch(context: str) -> None:
        session.switch_context(context, on_error=on_error)

    def prober(confirm: Callable[[str], bool], on_result: Callable[[Any], None]) -> Any:
        from kexplore.probes.live.prober import LiveProber, ProbeSettings
        from kexplore.sources.live.client import connect

        settings = ProbeSettings(args.probe_timeout, confirm=confirm, on_result=on_result)
        settings.debug_image = args.debug_image or settings.debug_image
        settings.capture_image = args.capture_image or settings.capture_image
        return LiveProber(connect(args.context, None, args.kubeconfig), app.ex.state, settings)

    app = make_app(
        ClusterState(SourceMeta(source="live", context=context)),
        **app_options(args),
        freshness=session.freshness,
        contexts=lambda: session.source.contexts()[0],
        switch_context=switch,
        open_namespace=session.open_namespace,
        prober_factory=None if args.read_only else prober,
        background=background,
        changes=session.changes,
    )
    return app, session.stop


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, completed by the settings file (flags win); a completion script's
    call prints the candidates and exits here."""
    parser = build_parser()
    complete_if_asked(parser)
    args, extra = parser.parse_known_args(argv)
    if extra and (args.command != "diff" or any(e.startswith("-") for e in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:  # `diff A --live SOURCE TARGET`: positionals after the flag
        args.edge = [*args.edge, *extra]
    if args.command != "completion":
        config = load_config(getattr(args, "config", None))
        for warning in config.warnings:
            _print_error(warning)
        apply_config(args, config)
    return args


def run(argv: Sequence[str] | None = None) -> int:
    """Parse and dispatch; errors propagate as KexploreError."""
    args = parse_args(argv)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "check": run_check,
        "transcript": run_transcript,
        "diff": run_diff,
        "verify": run_verify,
        "matrix": run_matrix_cmd,
        "snapshot": run_snapshot,
        "edges": run_edges_cmd,
        "completion": run_completion,
    }
    return commands.get(args.command or "", run_tui)(args)


def kubectl_complete(argv: Sequence[str] | None = None) -> int:
    """`kubectl_complete-kexplore ARG… WORD`, which kubectl (1.26+) runs for `kubectl
    kexplore <TAB>`: one candidate a line, then cobra's `:DIRECTIVE` line."""
    words = list(sys.argv[1:] if argv is None else argv) or [""]
    line = " ".join(["kexplore", *map(shlex.quote, words[:-1]), words[-1]])
    found = candidates_for(build_parser(), line, described=True)
    print("\n".join([*found, f":{kubectl_directive(found)}"]))
    return 0


def run_completion(args: argparse.Namespace) -> int:
    """`kexplore completion SHELL`: the script to source."""
    sys.stdout.write(script(args.shell))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: one-line errors, exit codes per DESIGN §1."""
    try:
        return run(argv)
    except KexploreError as e:
        _print_error(e.one_line())
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as e:
        if os.environ.get("KEXPLORE_DEBUG"):
            raise
        _print_error(
            f"kexplore: internal error: {type(e).__name__}: {e} "
            "(a bug: rerun with KEXPLORE_DEBUG=1 for the traceback and report it)"
        )
        return 70


def _print_error(line: str) -> None:
    """The one line an error prints: names and messages from the data carry no escapes."""
    from kexplore.shell import strip_controls

    print(strip_controls(line).replace("\n", " ").replace("\t", " "), file=sys.stderr)
