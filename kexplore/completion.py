"""Shell completion: the bash, zsh and fish scripts (argcomplete), and the names they offer
(contexts, namespaces, SOURCE and TARGET) read from the line's source within a time bound."""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from kexplore.model.state import ClusterState

SHELLS = ("bash", "zsh", "fish")
INSTALL = {
    "bash": 'eval "$(kexplore completion bash)"    # in ~/.bashrc',
    "zsh": 'eval "$(kexplore completion zsh)"     # in ~/.zshrc, after compinit',
    "fish": "kexplore completion fish > ~/.config/fish/completions/kexplore.fish",
}
LIVE_SECONDS = 3.0  # a live cluster's names, connection included; then nothing is offered
FILE_SECONDS = 5.0  # a snapshot read for its names
# what a kind segment of SOURCE may be, offered as `NS/KIND/`
SOURCE_KINDS = ("deploy", "sts", "ds", "job", "cronjob", "svc")
NAMED_AS_NS_NAME = ("Pod", "Deployment", "StatefulSet", "DaemonSet")
_SAFE = re.compile(r"^[A-Za-z0-9._:/@+=,%~-]+$")  # nothing a shell or terminal reads specially

# (namespace or "" for the namespace list, kinds) -> the objects read
Fetch = Callable[[str, tuple[str, ...]], "ClusterState"]
Candidates = dict[str, str]  # candidate -> what it is (shown by zsh and fish)


def script(shell: str) -> str:
    """The completion script of one shell; it calls kexplore back for every completion."""
    from argcomplete.shell_integration import shellcode

    return shellcode(["kexplore"], shell=shell)


def complete_if_asked(
    parser: argparse.ArgumentParser,
    exit_method: Callable[[int], object] = os._exit,
    output_stream: TextIO | None = None,
) -> None:
    """When a completion script called kexplore, print the candidates and exit; else nothing."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    from argcomplete import io as argcomplete_io
    from argcomplete.finders import CompletionFinder

    class Finder(CompletionFinder):
        def _init_debug_stream(self) -> None:
            """fd 9 (the scripts' debug stream) only when asked for: it may be another file."""
            if os.environ.get("_ARC_DEBUG"):
                super()._init_debug_stream()  # type: ignore[no-untyped-call]
            else:
                argcomplete_io.debug_stream = sys.stderr

    attach(parser)
    Finder()(
        parser,
        always_complete_options=False,
        exit_method=exit_method,
        output_stream=output_stream,
    )


class _Done(Exception):
    """argcomplete finished (it calls an exit method)."""


def _done(code: int) -> None:
    raise _Done(code)


def candidates_for(
    parser: argparse.ArgumentParser, line: str, described: bool = False
) -> list[str]:
    """What TAB at the end of `line` offers, asked as fish asks: whole words, one a line,
    unquoted, no space added; `described`: each as `WORD<tab>WHAT` when it says what it
    is (the environment is restored after)."""
    asked = {
        "_ARGCOMPLETE_DFS": "\t" if described else "",
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_SHELL": "fish",
        "_ARGCOMPLETE_IFS": "\n",
        "_ARGCOMPLETE_SUPPRESS_SPACE": "1",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    saved = {name: os.environ.get(name) for name in asked}
    os.environ.update(asked)
    out = io.StringIO()
    try:
        complete_if_asked(parser, exit_method=_done, output_stream=out)
    except _Done:
        pass
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return [c.removesuffix("\t") for c in out.getvalue().split("\n") if c]


def kubectl_directive(found: list[str]) -> int:
    """cobra's ShellCompDirective for kubectl: no file names (kexplore offers its own), and
    no space after a candidate that goes on (`shop/`, `cart:`)."""
    no_space, no_file = 2, 4
    words = [c.split("\t", 1)[0] for c in found]
    return no_file | (no_space if any(w.endswith(("/", ":", "=")) for w in words) else 0)


def attach(parser: argparse.ArgumentParser) -> None:
    """Give the arguments that take names their completer, in every subcommand."""
    by_dest: dict[str, Callable[..., Candidates]] = {
        "context": contexts,
        "namespace": namespaces,
        "namespaces": namespaces,
        "source": sources,
        "target": targets,
    }
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                attach(sub)
        elif action.dest in by_dest:
            action.completer = by_dest[action.dest]  # type: ignore[attr-defined]  # argcomplete reads it


def within(seconds: float, work: Callable[[], Candidates]) -> Candidates:
    """`work`'s candidates if it finishes in time without an error; else none (a stuck read
    is left behind: the completing process exits right after)."""
    found: list[Candidates] = []

    def run() -> None:
        try:
            found.append(work())
        except Exception:  # any failure to read names: no candidates, never a traceback
            return

    worker = threading.Thread(target=run, name="complete", daemon=True)
    worker.start()
    worker.join(seconds)
    return {c: said for c, said in found[0].items() if _SAFE.match(c)} if found else {}


def _fetch(args: argparse.Namespace) -> tuple[Fetch, float]:
    """How to read names from the source the line names, and the time allowed for it."""
    if getattr(args, "demo", False):
        from kexplore.sources.demo import load_demo

        return _whole(load_demo), FILE_SECONDS
    snapshot = getattr(args, "snapshot", None)
    if snapshot:
        from kexplore.inputs import DEFAULT_MAX_MB, MIB
        from kexplore.sources.files.reader import read_snapshot

        limit = (getattr(args, "max_input_mb", None) or DEFAULT_MAX_MB) * MIB
        return _whole(lambda: read_snapshot(*snapshot, max_bytes=limit)), FILE_SECONDS
    from kexplore.sources.live.names import read_names

    context, kubeconfig = getattr(args, "context", None), getattr(args, "kubeconfig", None)
    return (lambda ns, kinds: read_names(context, kubeconfig, ns, kinds)), LIVE_SECONDS


def _whole(read: Callable[[], ClusterState]) -> Fetch:
    """A file source: read once, whatever is asked."""
    state: list[ClusterState] = []

    def fetch(namespace: str, kinds: tuple[str, ...]) -> ClusterState:
        if not state:
            state.append(read())
        return state[0]

    return fetch


def _bounded(candidates: Callable[[str, Fetch], Candidates]) -> Callable[..., Candidates]:
    """An argcomplete completer from a function of (prefix, fetch)."""

    def completer(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> Candidates:
        fetch, seconds = _fetch(parsed_args)
        return within(seconds, lambda: candidates(prefix, fetch))

    return completer


def namespace_list(fetch: Fetch) -> list[str]:
    return sorted(fetch("", ("Namespace",)).namespace_names())


def _named(state: ClusterState, namespace: str, kinds: Iterable[str]) -> dict[str, str]:
    """The names of objects of these kinds in a namespace, each with its kinds ("pod")."""
    found: dict[str, list[str]] = {}
    for kind in kinds:
        for ns, name in state.objects.get(kind, {}):
            if ns == namespace:
                found.setdefault(name, []).append(kind.lower())
    return {name: ", ".join(found[name]) for name in sorted(found)}


def source_candidates(prefix: str, fetch: Fetch) -> Candidates:
    """SOURCE: `NS/`, then `NS/POD`, `NS/NAME` (a workload) and `NS/KIND/`, then
    `NS/KIND/NAME`."""
    from kexplore.checks.edge import KIND_ALIASES  # only when completing: cli stays light

    parts = prefix.split("/")
    if len(parts) == 1:
        return {f"{ns}/": "namespace" for ns in namespace_list(fetch)}
    ns = parts[0]
    if len(parts) == 2:
        kinds = {f"{ns}/{k}/": f"{KIND_ALIASES[k].lower()}s" for k in SOURCE_KINDS}
        named = _named(fetch(ns, NAMED_AS_NS_NAME), ns, NAMED_AS_NS_NAME)
        return kinds | {f"{ns}/{name}": said for name, said in named.items()}
    kind = KIND_ALIASES.get(parts[1].lower())
    if len(parts) > 3 or kind is None:
        return {}
    named = _named(fetch(ns, (kind,)), ns, (kind,))
    return {f"{ns}/{parts[1]}/{name}": said for name, said in named.items()}


def target_candidates(prefix: str, fetch: Fetch) -> Candidates:
    """TARGET: `NS/`, then `NS/svc/` and `NS/POD:`, then `NS/svc/NAME:`, then the port
    numbers and names after the colon."""
    from kexplore.checks.edge import KIND_ALIASES  # only when completing: cli stays light

    if ":" in prefix:
        head = prefix.rsplit(":", 1)[0]
        return {f"{head}:{port}": said for port, said in _ports(head, fetch).items()}
    parts = prefix.split("/")
    if len(parts) == 1:
        return {f"{ns}/": "namespace" for ns in namespace_list(fetch)}
    ns = parts[0]
    if len(parts) == 2:
        pods = _named(fetch(ns, ("Pod",)), ns, ("Pod",))
        return {f"{ns}/svc/": "services"} | {f"{ns}/{pod}:": "pod" for pod in pods}
    if len(parts) > 3 or KIND_ALIASES.get(parts[1].lower()) != "Service":
        return {}
    services = _named(fetch(ns, ("Service",)), ns, ("Service",))
    return {f"{ns}/{parts[1]}/{svc}:": "service" for svc in services}


def _ports(head: str, fetch: Fetch) -> dict[str, str]:
    """The port numbers, then names, of `NS/svc/NAME` or `NS/POD`, each described."""
    from kexplore.checks.edge import KIND_ALIASES
    from kexplore.model.pods import Pod
    from kexplore.model.services import Service

    parts = head.split("/")
    if len(parts) == 3 and KIND_ALIASES.get(parts[1].lower()) == "Service":
        svc = fetch(parts[0], ("Service",)).get("Service", parts[0], parts[2])
        ports = (
            [(p.port, p.name, p.protocol) for p in svc.spec.ports]
            if isinstance(svc, Service)
            else []
        )
    elif len(parts) == 2:
        pod = fetch(parts[0], ("Pod",)).get("Pod", parts[0], parts[1])
        containers = pod.spec.containers if isinstance(pod, Pod) else ()
        ports = [(p.container_port, p.name, p.protocol) for c in containers for p in c.ports]
    else:
        return {}
    numbers = {str(n): f"port {name or n}/{proto}" for n, name, proto in ports}
    return numbers | {name: f"port {n}/{proto}" for n, name, proto in ports if name}


def kubeconfig_contexts(kubeconfig: str | None) -> Candidates:
    """The contexts of the kubeconfig files kubectl would read, the current one said so (no
    API call)."""
    import yaml

    from kexplore.inputs import read_regular
    from kexplore.sources.live.client import KUBECONFIG_MAX, kubeconfig_paths

    names: list[str] = []
    current = ""
    for path in kubeconfig_paths(kubeconfig):
        if Path(path).is_file():
            doc = yaml.safe_load(read_regular(path, KUBECONFIG_MAX)) or {}
            names += [str(c["name"]) for c in doc.get("contexts") or [] if c.get("name")]
            current = current or str(doc.get("current-context") or "")
    return {n: "current context" if n == current else "context" for n in sorted(set(names))}


def contexts(parsed_args: argparse.Namespace, **_: Any) -> Candidates:
    kubeconfig = getattr(parsed_args, "kubeconfig", None)
    return within(FILE_SECONDS, lambda: kubeconfig_contexts(kubeconfig))


namespaces = _bounded(lambda prefix, fetch: dict.fromkeys(namespace_list(fetch), "namespace"))
sources = _bounded(source_candidates)
targets = _bounded(target_candidates)
