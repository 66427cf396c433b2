"""Text that leaves the program: terminal controls stripped, pasteable commands shell-quoted."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, C1 controls,
# C0 controls other than tab and newline, and Unicode bidirectional overrides and isolates
# (they reorder what follows on screen: "Trojan Source" text that reads differently than it is).
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
    r"|[\u202a-\u202e\u2066-\u2069]"
)


def strip_controls(text: str) -> str:
    """Remove terminal control sequences and control characters (keeps tab and newline)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


# What shlex.join writes for one argument: safe characters bare, anything else in single quotes
# (a quote inside as '"'"'), a quoted argument holding at least one unsafe character (or
# nothing: ''). A command matching _CANONICAL is exactly one that shlex.join(shlex.split(c))
# gives back unchanged, checked in one pass instead of a parse and a re-quote. Each part is
# split one way only (safe runs, then one unsafe unit), so a failed match never backtracks far.
_SAFE = r"[\w@%+=:,./-]"
_UNSAFE = r"(?:[^'\w@%+=:,./-]|'\"'\"')"
_ARG = rf"(?:{_SAFE}+|'(?:(?:{_SAFE}*{_UNSAFE})+{_SAFE}*)?')"
_CANONICAL = re.compile(rf"(?:{_ARG}(?: {_ARG})*)?", re.ASCII)


def is_canonical(command: str) -> bool:
    """Whether the command is its own shlex quoting (what pasteable() builds): pasted, every
    word reaches the program literally; nothing in it is shell syntax."""
    return _CANONICAL.fullmatch(command) is not None


def pasteable(argv: Iterable[str]) -> str:
    """argv as a command a user can paste into a shell: terminal controls dropped, each part
    quoted (a pod named `web$(touch x)` stays one literal argument; a script's newlines stay
    inside its quotes)."""
    return shlex.join(strip_controls(part) for part in argv)


def kubectl(*args: str) -> str:
    """`kubectl ARGS…` shell-quoted: every pasteable kubectl command is built here."""
    return pasteable(["kubectl", *args])


def istioctl(*args: str) -> str:
    """`istioctl ARGS…` shell-quoted, like kubectl()."""
    return pasteable(["istioctl", *args])
