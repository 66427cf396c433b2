"""Runs kexplore's completion in-process as a shell script would call it: the candidates."""

from __future__ import annotations

import io

import pytest

from kexplore.cli import build_parser
from kexplore.completion import complete_if_asked


class Exited(Exception):
    """The completion finished (argcomplete calls its exit method)."""


def candidates(line: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What TAB at the end of `line` offers (as fish asks: one a line, whole words, unquoted)."""
    for name, value in {
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_SHELL": "fish",  # fish is given whole words: no wordbreak trimming
        "_ARGCOMPLETE_IFS": "\n",
        "_ARGCOMPLETE_SUPPRESS_SPACE": "1",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()

    def leave(code: int) -> None:
        raise Exited(code)

    with pytest.raises(Exited):
        complete_if_asked(build_parser(), exit_method=leave, output_stream=out)
    return [c for c in out.getvalue().split("\n") if c]
