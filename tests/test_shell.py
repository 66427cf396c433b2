"""Pasteable commands: built from argv by one function, each part shell-quoted."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from builders import container_status, edge, healthy_dns, pod, service, state
from hypothesis import given
from hypothesis import strategies as st

import kexplore
from kexplore.checks import health, pods
from kexplore.shell import is_canonical, kubectl, pasteable

HOSTILE = "web$(touch${IFS}x)`id`;rm -rf ~ 'q' \"d\""


@pytest.mark.parametrize(
    "name", [HOSTILE, "a b", "it's", "-n", "$HOME", "x\ny", "[/]", "*", "~root", ""]
)
def test_each_part_stays_one_literal_argument(name: str) -> None:
    command = kubectl("logs", "-n", "shop", name)
    assert shlex.split(command) == ["kubectl", "logs", "-n", "shop", name]


def test_control_sequences_never_reach_the_pasted_line() -> None:
    line = pasteable(["kubectl", "logs", "web\x1b[201~\x03touch x\r\n", "\u202eevil"])
    assert "\x1b" not in line and "\x03" not in line and "\r" not in line
    assert "\u202e" not in line
    assert shlex.split(line) == ["kubectl", "logs", "webtouch x\n", "evil"]


def _hostile_crash_loop() -> list[str]:
    crashing = [container_status("app", ready=False, waiting="CrashLoopBackOff")]
    st = state(
        pod("shop", "web", labels={"app": "web"}, ip="10.0.0.2"),
        pod("shop", HOSTILE, labels={"app": "cart"}, ip="10.0.0.3", ready=False, statuses=crashing),
        service("shop", "cart", selector={"app": "cart"}, ports=[{"port": 80}]),
        *healthy_dns(),
    )
    ctx = edge(st, "shop/web", "cart:80")
    out: list[str] = []
    for result in (pods.check(ctx), health.check(ctx)):
        out += [*result.commands, result.hint or ""]
        out += [e.detail for e in result.evidence]
    return out


def test_hints_evidence_and_commands_quote_a_hostile_pod_name() -> None:
    texts = _hostile_crash_loop()
    embedded = [m for t in texts for m in re.findall(r"kubectl logs .*?--previous", t)]
    assert embedded, texts
    for command in [*embedded, *(t for t in texts if t.startswith("kubectl "))]:
        assert HOSTILE not in command or shlex.quote(HOSTILE) in command
    assert any(HOSTILE in shlex.split(c) for c in embedded)


def test_no_kubectl_or_istioctl_command_is_built_by_string_formatting() -> None:
    # an interpolation in a command's own words (prose that merely names kubectl, with a
    # parenthesis before the value, is not a command)
    formatted = re.compile(r"""f["'][^"'\n]*\b(kubectl|istioctl) [a-z-]+ [^"'\n(){}]*\{""")
    found = [
        f"{path.name}:{n}"
        for path in Path(kexplore.__file__).parent.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if formatted.search(line)
    ]
    assert found == []


def _round_trips(command: str) -> bool:
    try:
        return shlex.join(shlex.split(command)) == command
    except ValueError:
        return False


_SHELLY = st.text(alphabet="ab -'\"$;#\\\n\t=./é`(){}", max_size=12)


@given(st.one_of(_SHELLY, st.lists(_SHELLY, max_size=4).map(shlex.join)))
def test_canonical_is_exactly_what_shlex_gives_back(command: str) -> None:
    """The one-pass check the ladder runs on every command agrees with a parse and re-quote:
    argv joined by pasteable() passes, anything the shell would read differently does not."""
    assert is_canonical(command) == _round_trips(command)


@pytest.mark.parametrize(
    "command",
    ["kubectl logs web$(id)", "kubectl logs 'web", "kubectl  logs", "'abc'", "a'b c'", "x '"],
)
def test_shell_syntax_is_not_canonical(command: str) -> None:
    assert not is_canonical(command)


def test_pasteable_commands_are_canonical() -> None:
    assert is_canonical(kubectl("logs", "-n", "shop", HOSTILE))
    assert is_canonical(pasteable(["bash", "-c", "exec 3<>/dev/tcp/$0/$1", "it's"]))
