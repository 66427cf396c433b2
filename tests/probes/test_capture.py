"""Packet captures as tcpdump -nn -X prints them, summarised as a human reads them."""

from __future__ import annotations

import struct

from kexplore.probes.capture import (
    DROPPED,
    ESTABLISHED,
    NO_PACKETS,
    RESET,
    TLS_ALERT,
    UNREACHABLE,
    capture_argv,
    parse_capture,
    summarise,
)

HEAD = [
    "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode",
    "listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes",
]
TAIL = ["", "4 packets captured", "4 packets received by filter", "0 packets dropped by kernel"]
CLIENT, SERVER = "10.244.171.71", "10.244.171.90"


def line(when: str, src: str, dst: str, rest: str, iface: str = "eth0  Out ") -> str:
    return f"{when} {iface}IP {src} > {dst}: {rest}"


def syn(when: str) -> str:
    options = "options [mss 1410,sackOK,TS val 3411 ecr 0,nop,wscale 7]"
    rest = f"Flags [S], seq 2841177131, win 64860, {options}, length 0"
    return line(when, f"{CLIENT}.43822", f"{SERVER}.6379", rest)


def hexdump(data: bytes) -> list[str]:
    """tcpdump -X's layout: offset, eight 16-bit words, ASCII."""
    out = []
    for i in range(0, len(data), 16):
        chunk = data[i : i + 16]
        words = " ".join(chunk[j : j + 2].hex() for j in range(0, len(chunk), 2))
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"\t0x{i:04x}:  {words:<40} {text}")
    return out


def segment(payload: bytes) -> bytes:
    """An IPv4 header (no options) and a TCP header with 12 bytes of options, then payload."""
    tcp = struct.pack("!HHIIBBHHH", 6379, 43822, 1, 1, 0x80, 0x18, 509, 0, 0) + bytes(12)
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(tcp) + len(payload),
        1,
        0x4000,
        64,
        6,
        0,
        bytes(4),
        bytes(4),
    )
    return ip + tcp + payload


def test_syns_without_a_syn_ack_are_dropped_packets() -> None:
    text = "\n".join([*HEAD, syn("10:35:24.118240"), syn("10:35:25.131377"), *TAIL])
    kind, reading = summarise(text, f"{SERVER}:6379")
    assert kind == DROPPED and reading.startswith("2 SYN to 10.244.171.90.6379, no SYN-ACK")
    assert len(parse_capture(text)) == 2


def test_a_rst_to_the_syn_is_refused_and_after_the_handshake_a_reset() -> None:
    rst = line(
        "10:35:24.118301",
        f"{SERVER}.6379",
        f"{CLIENT}.43822",
        "Flags [R.], seq 0, ack 2841177132, win 0, length 0",
        "eth0  In  ",
    )
    kind, reading = summarise("\n".join([syn("10:35:24.118240"), rst]), f"{SERVER}:6379")
    assert kind == RESET and "to the SYN" in reading
    synack = line(
        "10:35:24.118290",
        f"{SERVER}.6379",
        f"{CLIENT}.43822",
        "Flags [S.], seq 1, ack 2841177132, win 65160, length 0",
    )
    kind, reading = summarise("\n".join([syn("10:35:24.118240"), synack, rst]), f"{SERVER}:6379")
    assert kind == RESET and "after the handshake" in reading


def test_icmp_unreachable_is_named() -> None:
    icmp = line(
        "10:35:24.120000",
        "10.244.171.1",
        CLIENT,
        "ICMP host 10.244.171.90 unreachable - admin prohibited filter, length 68",
        "eth0  In  ",
    )
    kind, reading = summarise("\n".join([syn("10:35:24.118240"), icmp]), f"{SERVER}:6379")
    assert kind == UNREACHABLE and "admin prohibited" in reading


def test_a_tls_alert_is_read_from_the_hex_dump() -> None:
    alert = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])  # fatal protocol_version
    reply = line(
        "10:35:24.130000",
        f"{SERVER}.6379",
        f"{CLIENT}.43822",
        "Flags [P.], seq 1:8, ack 518, win 508, length 7",
        "eth0  In  ",
    )
    synack = line(
        "10:35:24.118290",
        f"{SERVER}.6379",
        f"{CLIENT}.43822",
        "Flags [S.], seq 0, ack 1, win 65160, length 0",
    )
    text = "\n".join([syn("10:35:24.118240"), synack, reply, *hexdump(segment(alert))])
    kind, reading = summarise(text, f"{SERVER}:6379")
    assert kind == TLS_ALERT and "protocol_version" in reading


def test_a_completed_handshake_and_an_empty_capture() -> None:
    synack = line(
        "10:35:24.118290",
        f"{SERVER}.6379",
        f"{CLIENT}.43822",
        "Flags [S.], seq 0, ack 1, win 65160, length 0",
    )
    assert (
        summarise("\n".join([syn("10:35:24.118240"), synack]), f"{SERVER}:6379")[0] == ESTABLISHED
    )
    assert summarise("\n".join([*HEAD, *TAIL]), f"{SERVER}:6379")[0] == NO_PACKETS


def test_the_capture_is_bounded_and_its_filter_is_separate_words() -> None:
    argv = capture_argv("10.96.33.9:6379")
    assert argv[:2] == ["timeout", "8"] and argv[argv.index("-c") + 1] == "20"
    assert argv[-5:] == ["host", "10.96.33.9", "and", "port", "6379"]
