"""Command-line argument errors: one line naming the argument, exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from kexplore.checks.edge import parse_target
from kexplore.cli import main
from kexplore.errors import UsageError


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["check", "--demo", "shop/frontend"], "TARGET"),
        (["check", "--demo", "shop/frontend", "cart:8080", "--protocol", "ICMP"], "--protocol"),
        (["check", "--demo", "--snapshot", "x", "a/b", "c:1"], "--demo and --snapshot"),
        (["check", "--demo", "shop/frontend", "cart:99999"], "out of range"),
        (["check", "--demo", "shop/frontend", "cart"], "no port"),
        (["check", "--demo", "shop/frontend", "bad_name!:80"], "not a valid DNS name"),
        (["frobnicate"], "frobnicate"),
        (["check", "--demo", "shop/frontend", "cart", "--port", "0"], "--port '0'"),
        (["check", "--demo", "shop/frontend", "cart:80", "--port", "70000"], "--port '70000'"),
        # an explicit object reference that does not exist is bad input, not a DNS finding
        (["check", "--demo", "shop/deploy/frontend", "data/svc/nope:6379"], "no Service 'nope'"),
        (["check", "--demo", "shop/deploy/frontend", "shop/nope-0:80"], "no Pod 'nope-0'"),
    ],
)
def test_usage_errors_are_one_line(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "kind", "host", "port", "namespace"),
    [
        ("cart:8080", "DNS", "cart", 8080, ""),
        ("cart.shop.svc.cluster.local:http", "DNS", "cart.shop.svc.cluster.local", "http", ""),
        ("shop/svc/cart:8080", "Service", "cart", 8080, "shop"),
        ("shop/cart-0:9000", "Pod", "cart-0", 9000, "shop"),
        ("10.0.0.5:80", "IP", "10.0.0.5", 80, ""),
        ("[fd00::5]:443", "IP", "fd00::5", 443, ""),
        ("Cart.Shop.:80", "DNS", "cart.shop", 80, ""),
    ],
)
def test_parse_target_forms(
    text: str, kind: str, host: str, port: int | str, namespace: str
) -> None:
    spec = parse_target(text)
    assert (spec.kind, spec.host, spec.port, spec.namespace) == (kind, host, port, namespace)


def test_an_unbracketed_ipv6_target_says_how_to_write_the_port() -> None:
    with pytest.raises(UsageError, match=r"\[ADDRESS\]:PORT"):
        parse_target("fd00::5:443")
    assert parse_target("fd00::5", default_port=443).host == "fd00::5"
    # the report shows what is dialed, port included, however the port was given
    assert parse_target("fd00::5", default_port=443).dialed == "[fd00::5]:443"
    assert parse_target("cart", default_port=80).dialed == "cart:80"
    assert parse_target("cart:8080", default_port=8080).dialed == "cart:8080"


def test_default_port_fills_a_missing_port() -> None:
    assert parse_target("cart", default_port=80).port == 80
    with pytest.raises(UsageError, match="TARGET"):
        parse_target("a/b/c/d:80")


def test_port_flag_conflicting_with_the_target_port_is_refused() -> None:
    with pytest.raises(UsageError, match="--port 9"):
        parse_target("cart:8080", default_port=9)
    assert parse_target("cart:8080", default_port=8080).port == 8080


BROKEN = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: shop}
spec: {ports: "not a list"}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: shop}
spec: {ports: 7}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: f, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"""


def test_input_warnings_are_one_line_and_quiet_silences_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.yaml").write_text(BROKEN)
    assert main(["edges", "--snapshot", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("warning: 3 problems in the input")
    assert "app.yaml:5: Service shop/a skipped" in err and "(+1 more)" in err
    assert "ServiceAccount" not in err
    assert main(["edges", "--snapshot", str(tmp_path), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["--quiet", "matrix", "--snapshot", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "argv",
    [
        # a TARGET naming a missing object, echoed in the error line
        ["check", "--demo", "shop/deploy/frontend", "shop/svc/x\x1b]0;owned\x07\x1b[2J:80"],
        # a file name in the snapshot path
        ["check", "--snapshot", "/nonexistent/\x1b[31mred\x1b[0m\u202e.yaml", "a/b", "c:1"],
    ],
)
def test_the_error_line_carries_no_terminal_escapes(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("kexplore: ") and err.count("\n") == 1
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
