"""The header line fitted to the width: counts and the reconnect countdown are never cut."""

from __future__ import annotations

from rich.style import Style

from kexplore.checks.result import Status
from kexplore.ui.header import header, triage

WHERE = ["live", "prod-eu-west-1", "2026-12-05T05:00:00Z"]
DOWN = (
    "reconnecting in 12 s · data from 2m ago · "
    "cannot connect to https://10.0.0.1:6443 (connection refused)"
)


def test_the_countdown_outlasts_the_rest_at_80_columns() -> None:
    tally = triage(
        dict.fromkeys(Status, 0) | {Status.FAIL: 14, Status.UNKNOWN: 3},
        12,
        40,
        dict.fromkeys(Status, Style()),
    )
    line = header(tally, WHERE, DOWN, "shop/deploy/web", 78)
    assert line.cell_len <= 78
    assert "reconnecting in 12 s" in line.plain
    assert "✗ 14 failing · 3 unknown — ] next" in line.plain  # the tally's extras go first
    assert "prod-eu-west-1" not in line.plain  # where the data comes from goes first


def test_a_wide_header_says_since_when_and_why() -> None:
    tally = triage(
        dict.fromkeys(Status, 0) | {Status.FAIL: 2}, 4, 4, dict.fromkeys(Status, Style())
    )
    wide = header(tally, WHERE, DOWN, None, 158).plain
    assert "reconnecting in 12 s · data from 2m ago · cannot connect to" in wide
    middle = header(tally, WHERE, DOWN, None, 118).plain
    assert "reconnecting in 12 s · data from 2m ago" in middle and len(middle) <= 118


def test_a_live_source_is_not_said_twice() -> None:
    tally = triage(dict.fromkeys(Status, 0), 4, 4, dict.fromkeys(Status, Style()))
    line = header(tally, WHERE, "live", None, 158).plain
    assert line.count("live") == 1 and "prod-eu-west-1" in line
