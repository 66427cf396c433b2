"""Probe output parsers: lookups, connects and kernel-formatted /proc/net/tcp{,6} tables."""

from __future__ import annotations

import ipaddress

import pytest

from kexplore.probes.parse import (
    classify_connect,
    classify_listen,
    classify_lookup,
    dns_server_answered,
    listeners,
    lookup_addresses,
    parse_socket_table,
    tool_missing,
    tool_unusable,
)

TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode"
)
TCP6_HEADER = (
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
)


def v4(sl: int, local: str, remote: str = "00000000:0000", st: str = "0A") -> str:
    return (
        f"  {sl:2}: {local} {remote} {st} 00000000:00000000 00:00000000 00000000     0        0 "
        f"2345{sl} 1 0000000000000000 100 0 0 10 0"
    )


def v6(sl: int, local: str, st: str = "0A") -> str:
    remote = "00000000000000000000000000000000:0000"
    return (
        f"  {sl:2}: {local} {remote} {st} 00000000:00000000 00:00000000 00000000  1000        0 "
        f"4567{sl} 1 0000000000000000 100 0 0 10 0"
    )


def table(*lines: str, six: tuple[str, ...] = ()) -> str:
    return "\n".join([TCP_HEADER, *lines, TCP6_HEADER, *six]) + "\n"


def test_socket_table_decodes_little_endian_addresses_and_hex_ports() -> None:
    text = table(
        v4(0, "00000000:1F90"),
        v4(1, "0100007F:0CEA"),
        v4(2, "0A00000A:1F90", "0200000A:C8F4", st="01"),
        six=(
            v6(0, "00000000000000000000000000000000:0050"),
            v6(1, "00000000000000000000000001000000:0CEA"),
            v6(2, "0000000000000000FFFF00000100007F:2382"),
        ),
    )
    sockets = parse_socket_table(text)
    got = [(str(s.address), s.port, s.listening) for s in sockets]
    assert got == [
        ("0.0.0.0", 8080, True),
        ("127.0.0.1", 3306, True),
        ("10.0.0.10", 8080, False),
        ("::", 80, True),
        ("::1", 3306, True),
        ("::ffff:7f00:1", 9090, True),
    ]
    assert sockets[5].address == ipaddress.IPv6Address("::ffff:127.0.0.1")


@pytest.mark.parametrize(
    ("lines", "six", "port", "expected"),
    [
        ([v4(0, "00000000:1F90")], [], 8080, "listening"),
        ([v4(0, "0A00000A:1F90")], [], 8080, "listening"),  # bound to the pod IP
        ([], [v6(0, "00000000000000000000000000000000:1F90")], 8080, "listening"),  # :: dual
        ([v4(0, "0100007F:1F90")], [], 8080, "loopback-only"),
        ([], [v6(0, "00000000000000000000000001000000:1F90")], 8080, "loopback-only"),
        ([], [v6(0, "0000000000000000FFFF00000100007F:1F90")], 8080, "loopback-only"),
        (
            [v4(0, "0100007F:1F90")],
            [v6(0, "00000000000000000000000001000000:1F90")],
            8080,
            "loopback-only",
        ),
        ([], [v6(0, "000080FD000000000000000005000000:1F90")], 8080, "ipv6-only"),
        ([v4(0, "00000000:1F91")], [], 8080, "not-listening"),  # another port
        ([v4(0, "0A00000A:1F90", "0200000A:C8F4", st="01")], [], 8080, "not-listening"),
        ([v4(0, "0B00000A:1F90")], [], 8080, "not-listening"),  # another address
    ],
)
def test_listen_classification(lines: list[str], six: list[str], port: int, expected: str) -> None:
    result, detail = classify_listen(
        parse_socket_table(table(*lines, six=tuple(six))), "10.0.0.10", port
    )
    assert result == expected, detail


def test_listen_detail_names_the_bound_address() -> None:
    sockets = parse_socket_table(table(v4(0, "0100007F:1F90")))
    assert classify_listen(sockets, "10.0.0.10", 8080) == (
        "loopback-only",
        "bound to 127.0.0.1:8080 only: other pods cannot connect",
    )


def test_ipv4_any_does_not_take_ipv6_clients() -> None:
    sockets = parse_socket_table(table(v4(0, "00000000:1F90")))
    assert classify_listen(sockets, "fd00::a", 8080)[0] == "not-listening"


def test_junk_lines_are_skipped() -> None:
    assert parse_socket_table("cat: /proc/net/tcp6: No such file\n  0: zz:1 x 0A\n") == []


@pytest.mark.parametrize(
    ("tool", "exit_code", "output", "expected"),
    [
        ("getent", 0, "10.96.5.5       cart.shop.svc.cluster.local\n", "resolved"),
        ("getent", 2, "", "nxdomain"),
        ("getent", 124, "", "timeout"),
        (
            "nslookup",
            0,
            "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tcart.shop.svc.cluster.local\n"
            "Address: 10.96.5.5\n",
            "resolved",
        ),
        (
            "nslookup",
            1,
            "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n"
            "** server can't find cart: NXDOMAIN\n",
            "nxdomain",
        ),
        ("nslookup", 1, ";; connection timed out; no servers could be reached\n", "timeout"),
        ("nslookup", 1, "** server can't find cart.shop: SERVFAIL\n", "servfail"),
        (
            "dig",
            0,
            ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4242\n;; ANSWER SECTION:\n"
            "cart.shop.svc.cluster.local. 30 IN A 10.96.5.5\n",
            "resolved",
        ),
        ("dig", 0, ";; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 1\n", "nxdomain"),
        ("dig", 0, ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1\n", "no-address"),
        ("dig", 9, ";; connection timed out; no servers could be reached\n", "timeout"),
        ("python3", 0, "10.96.5.5\n", "resolved"),
        ("python3", 1, "socket.gaierror: [Errno -2] Name or service not known\n", "nxdomain"),
        (
            "python3",
            1,
            "socket.gaierror: [Errno -3] Temporary failure in name resolution\n",
            "timeout",
        ),
    ],
)
def test_lookup_classification(tool: str, exit_code: int, output: str, expected: str) -> None:
    assert classify_lookup(tool, exit_code, output) == expected


def test_nslookup_addresses_skip_the_server() -> None:
    out = "Server:\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tcart\nAddress: 10.96.5.5\n"
    assert lookup_addresses("nslookup", out) == ["10.96.5.5"]


def test_a_dns_server_answering_nxdomain_is_reachable() -> None:
    out = "** server can't find kubernetes.default: NXDOMAIN\n"
    assert dns_server_answered("nslookup", 1, out) == "connected"
    assert (
        dns_server_answered("dig", 9, ";; connection timed out; no servers could be reached")
        == "timeout"
    )


@pytest.mark.parametrize(
    ("tool", "exit_code", "output", "expected"),
    [
        ("nc", 0, "Connection to 10.0.0.3 8080 port [tcp/http-alt] succeeded!\n", "connected"),
        (
            "nc",
            1,
            "nc: connect to 10.0.0.3 port 8080 (tcp) failed: Connection refused\n",
            "refused",
        ),
        (
            "nc",
            1,
            "nc: connect to 10.0.0.3 port 8080 (tcp) timed out: Operation now in progress\n",
            "timeout",
        ),
        ("nc", 1, "nc: connect to 10.0.0.3 port 8080 (tcp) failed: No route to host\n", "no-route"),
        ("nc", 0, "10.0.0.3 (10.0.0.3:8080) open\n", "connected"),  # busybox
        ("nc", 1, "nc: 10.0.0.3 (10.0.0.3:8080): Connection refused\n", "refused"),
        ("nc", 1, "nc: 10.0.0.3 (10.0.0.3:8080): Operation timed out\n", "timeout"),
        ("nc", 1, "Ncat: TIMEOUT.\n", "timeout"),
        ("bash", 0, "connected\n", "connected"),
        (
            "bash",
            1,
            "bash: connect: Connection refused\n"
            "bash: line 1: /dev/tcp/10.0.0.3/8080: Connection refused\n",
            "refused",
        ),
        ("bash", 124, "", "timeout"),
        ("bash", 1, "bash: connect: Connection reset by peer\n", "reset"),
        ("python3", 1, "Network is unreachable\n", "no-route"),
        ("curl", 52, "curl: (52) Empty reply from server\n", "connected"),
        (
            "curl",
            7,
            "curl: (7) Failed to connect to 10.0.0.3 port 8080 after 1 ms: Connection refused\n",
            "refused",
        ),
        ("curl", 28, "curl: (28) Connection timed out after 3001 milliseconds\n", "timeout"),
        (
            "curl",
            28,
            "curl: (28) Operation timed out after 5000 milliseconds with 0 bytes received\n",
            "connected",
        ),
        ("curl", 56, "curl: (56) Recv failure: Connection reset by peer\n", "reset"),
        ("wget", 1, "wget: server returned error: HTTP/1.1 404 Not Found\n", "connected"),
        (
            "wget",
            1,
            "wget: can't connect to remote host (10.0.0.3): Connection refused\n",
            "refused",
        ),
        ("wget", 1, "wget: download timed out\n", "timeout"),
        ("nc", 2, "something unexpected\n", "error"),
    ],
)
def test_connect_classification(tool: str, exit_code: int, output: str, expected: str) -> None:
    assert classify_connect(tool, exit_code, output) == expected


def test_missing_and_unusable_tools() -> None:
    assert tool_missing(127, "sh: nc: not found")
    assert tool_missing(126, "")
    assert tool_missing(1, 'exec: "nc": executable file not found in $PATH')
    assert not tool_missing(1, "nc: connect to 10.0.0.3 port 8080 (tcp) failed: Connection refused")
    assert tool_unusable(1, "nc: invalid option -- 'z'\nBusyBox v1.36.1 multi-call binary.")
    assert not tool_unusable(0, "usage: whatever")


def test_listeners_decodes_every_listening_address() -> None:
    """What the pod does listen on, for a summary that says why nothing answers on the port."""
    loopback = table(v4(0, "0100007F:2382"), v4(1, "0100007F:2382", "0100007F:C1A6", st="06"))
    assert listeners(loopback) == "127.0.0.1:9090"
    both = table(v4(0, "00000000:1F90"), six=(v6(0, "00000000000000000000000000000000:3AFC"),))
    assert listeners(both) == "0.0.0.0:8080, [::]:15100"
    assert listeners(table()) == "none"
