"""Output into a closed pipe (`kexplore check … | head -1`): quiet, with the verdict's code."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("target", "output", "code"),
    [("cart:8080", "text", 0), ("search:8080", "text", 1), ("cart:8080", "json", 0)],
)
def test_a_closed_pipe_exits_quietly_with_the_verdicts_code(
    target: str, output: str, code: int
) -> None:
    argv = [sys.executable, "-m", "kexplore", "check", "--demo", "shop/deploy/frontend", target]
    proc = subprocess.Popen([*argv, "-o", output], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == code
    assert err == ""
