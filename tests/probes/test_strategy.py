"""Tool detection and the argv each probe runs: best tool first, bounded, argv only."""

from __future__ import annotations

import pytest

from kexplore.probes.strategy import (
    DETECT_COMMAND,
    BadTarget,
    Strategy,
    attempts,
    check_name,
    split_address,
    strategy_from_detection,
)


def tools(kind: str, target: str, strategy: Strategy) -> list[str]:
    return [a.tool for a in attempts(kind, target, strategy, 3)]


def test_detection_reads_the_tools_it_asked_for() -> None:
    found = strategy_from_detection(0, "nc\ncat\ntimeout\nsomething-else\n")
    assert found.tools == frozenset({"nc", "cat", "timeout"})
    assert DETECT_COMMAND[:2] == ["sh", "-c"] and DETECT_COMMAND[3:5] == ["sh", "getent"]


def test_without_a_shell_every_tool_is_worth_a_try() -> None:
    distroless = strategy_from_detection(126, 'exec: "sh": executable file not found in $PATH')
    assert distroless.tools is None
    assert tools("tcp", "10.0.0.3:80", distroless) == [
        "nc",
        "bash",
        "python3",
        "python",
        "curl",
        "wget",
    ]
    assert distroless.describe() == "no shell to detect tools with"


def test_order_and_fallback_follow_the_tools_found() -> None:
    strategy = Strategy(frozenset({"wget", "python3", "nslookup", "getent"}))
    assert tools("tcp", "10.0.0.3:80", strategy) == ["python3", "wget"]
    assert tools("dns", "cart", strategy) == ["getent", "nslookup", "python3"]
    strategy.missing.add("getent")
    assert tools("dns", "cart", strategy) == ["nslookup", "python3"]
    assert tools("listen", "10.0.0.3:80", strategy) == []  # no cat


def test_timeout_wraps_commands_only_when_the_container_has_it() -> None:
    with_timeout = Strategy(frozenset({"getent", "timeout", "bash"}))
    without = Strategy(frozenset({"getent", "bash"}))
    assert attempts("dns", "cart", with_timeout, 3)[0].argv == [
        "timeout",
        "9",
        "getent",
        "hosts",
        "cart",
    ]
    assert attempts("dns", "cart", without, 3)[0].argv == ["getent", "hosts", "cart"]
    bash = attempts("tcp", "10.0.0.3:8080", with_timeout, 3)[0].argv
    assert bash[:4] == ["timeout", "3", "bash", "-c"] and bash[-2:] == ["10.0.0.3", "8080"]


def test_cluster_strings_stay_separate_argv_elements() -> None:
    for attempt in attempts("tcp", "[fd00::3]:8080", Strategy(None), 3):
        assert "fd00::3" in attempt.argv or "http://[fd00::3]:8080/" in attempt.argv
        assert all("fd00" not in arg for arg in attempt.argv if arg.startswith(("exec", "import")))


def test_udp_to_dns_asks_a_dns_question_other_udp_only_sees_refused() -> None:
    dns = attempts("udp", "10.96.0.10:53", Strategy(frozenset({"dig", "nslookup", "nc"})), 2)
    assert [a.tool for a in dns] == ["dig", "nslookup", "nc"]
    assert dns[0].argv[:4] == ["dig", "@10.96.0.10", "-p", "53"]
    assert (
        dns[0].judge("dig", 0, ";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 1")
        == "connected"
    )
    other = attempts("udp", "10.0.0.9:5000", Strategy(frozenset({"nslookup", "nc"})), 2)
    assert [a.tool for a in other] == ["nc"]
    assert other[0].judge("nc", 0, "") == "error" and "no handshake" in other[0].note
    assert other[0].judge("nc", 1, "nc: 10.0.0.9 (10.0.0.9:5000): Connection refused") == "refused"


@pytest.mark.parametrize("bad", ["cart:80", "10.0.0.3", "10.0.0.3:0", "10.0.0.3:99999", "$(x):80"])
def test_bad_addresses_are_refused(bad: str) -> None:
    with pytest.raises(BadTarget):
        split_address(bad)


@pytest.mark.parametrize("bad", ["-x", "a b", "cart;reboot", "", "$(id)"])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(BadTarget):
        check_name(bad)


def test_good_names_and_addresses() -> None:
    assert check_name("cart.shop.svc.cluster.local") == "cart.shop.svc.cluster.local"
    assert split_address("[fd00::3]:8080") == ("fd00::3", 8080)
