"""Runs kexplore's completion in-process as a completion script calls it: the candidates."""

from __future__ import annotations

from kexplore.cli import build_parser
from kexplore.completion import candidates_for


def candidates(line: str, described: bool = False) -> list[str]:
    """What TAB at the end of `line` offers (whole words, one each, unquoted; `described`:
    `WORD<tab>WHAT`)."""
    return candidates_for(build_parser(), line, described)
