"""Mistyped namespaces and names get a suggestion, on the command line and in `:` commands."""

from __future__ import annotations

import pytest

from kexplore.checks.suggest import did_you_mean
from kexplore.cli import main


@pytest.mark.parametrize(
    ("source", "target", "said"),
    [
        (
            "shpo/deploy/frontend",
            "cart:8080",
            "namespace 'shpo' does not exist — did you mean 'shop'?",
        ),
        (
            "shop/deploy/frontnd",
            "cart:8080",
            "no Deployment 'frontnd' in namespace 'shop' — did you mean 'frontend'?",
        ),
        ("shop/frontnd", "cart:8080", "did you mean 'frontend'?"),
        (
            "shop/frontend",
            "shop/svc/crat:8080",
            "no Service 'crat' in namespace 'shop' — did you mean 'cart'?",
        ),
        (
            "shop/frontend",
            "shpo/svc/cart:8080",
            "namespace 'shpo' does not exist — did you mean 'shop'?",
        ),
    ],
)
def test_check_suggests_the_close_name(
    source: str, target: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--demo", source, target]) == 2
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1


def test_nothing_close_suggests_nothing() -> None:
    assert did_you_mean("zzzz", ["shop", "data"]) == ""
    assert did_you_mean("dat", ["shop", "data"]) == " — did you mean 'data'?"
