"""A bounded packet capture (`tcpdump -nn -X -c N host IP and port P`) and what a human reads
from it: SYN without SYN-ACK (dropped), RST (refused or reset), ICMP unreachable, TLS alert."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kexplore.probes.strategy import split_address

CAPTURE_IMAGE = "nicolaka/netshoot:v0.13"
PACKETS = 20  # at most this many packets
SECONDS = 8  # for at most this long

DROPPED, RESET, UNREACHABLE, TLS_ALERT = "dropped", "reset", "unreachable", "tls-alert"
ESTABLISHED, NO_PACKETS = "established", "no-packets"

_PACKET = re.compile(
    r"^(?P<time>\d\d:\d\d:\d\d\.\d+)\s+(?:\S+\s+(?:In|Out|M|B|P)\s+)?IP6?\s+"
    r"(?P<src>\S+) > (?P<dst>\S+?):\s+(?P<rest>.*)$"
)
_FLAGS = re.compile(r"Flags \[([^\]]*)\]")
_HEX = re.compile(r"^\s+0x[0-9a-f]{4}:\s+((?:[0-9a-f]{2,4}\s?)+)")
_UNREACHABLE = re.compile(r"ICMP6? .*unreachable[^,]*", re.I)
ALERTS = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    40: "handshake_failure",
    42: "bad_certificate",
    46: "certificate_unknown",
    48: "unknown_ca",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    80: "internal_error",
    112: "unrecognized_name",
    116: "certificate_required",
}


def capture_argv(target: str, packets: int = PACKETS, seconds: int = SECONDS) -> list[str]:
    """tcpdump bounded by count and time, on every interface, for one IP and port."""
    ip, port = split_address(target)
    return [
        "timeout",
        str(seconds),
        "tcpdump",
        "-nn",
        "-X",
        "-i",
        "any",
        "-c",
        str(packets),
        "host",
        ip,
        "and",
        "port",
        str(port),
    ]


@dataclass
class Packet:
    """One captured packet: its line, endpoints, TCP flags and payload bytes (from -X)."""

    line: str
    src: str
    dst: str
    flags: str = ""
    icmp: str = ""
    data: bytearray = field(default_factory=bytearray)

    def tls_alert(self) -> str:
        """The TLS alert this TCP segment carries (`handshake_failure`), or ""."""
        payload = _tcp_payload(bytes(self.data))
        if len(payload) >= 7 and payload[0] == 0x15 and payload[1] == 0x03:
            return ALERTS.get(payload[6], f"alert {payload[6]}")
        return ""


def _tcp_payload(data: bytes) -> bytes:
    if len(data) < 20 or data[0] >> 4 != 4 or data[9] != 6:
        return b""
    ihl = (data[0] & 0x0F) * 4
    if len(data) < ihl + 13:
        return b""
    offset = (data[ihl + 12] >> 4) * 4
    return data[ihl + offset :]


def parse_capture(text: str) -> list[Packet]:
    """The packets tcpdump printed (its own status lines skipped), hex dumps attached."""
    packets: list[Packet] = []
    for line in text.splitlines():
        match = _PACKET.match(line)
        if match is not None:
            flags = _FLAGS.search(match["rest"])
            icmp = _UNREACHABLE.search(match["rest"])
            packets.append(
                Packet(
                    line.strip(),
                    match["src"],
                    match["dst"],
                    flags.group(1) if flags else "",
                    icmp.group(0) if icmp else "",
                )
            )
            continue
        hexes = _HEX.match(line)
        if hexes is not None and packets:
            packets[-1].data += bytes.fromhex("".join(hexes.group(1).split()))
    return packets


def summarise(text: str, target: str) -> tuple[str, str]:
    """(classification, what a human reads) for a capture of traffic to target (IP:port)."""
    ip, port = split_address(target)
    server = f"{ip}.{port}"
    packets = parse_capture(text)
    syns = [p for p in packets if p.flags == "S" and p.dst == server]
    synacks = [p for p in packets if p.flags == "S." and p.src == server]
    resets = [p for p in packets if "R" in p.flags and p.src == server]
    icmp = [p for p in packets if p.icmp]
    alerts = [(p, p.tls_alert()) for p in packets if p.src == server and p.tls_alert()]
    if alerts:
        return TLS_ALERT, f"the server sent a TLS alert ({alerts[0][1]}): {alerts[0][0].line}"
    if icmp:
        return UNREACHABLE, f"{icmp[0].icmp}: a router or the node refuses the packets"
    if resets:
        when = "after the handshake" if synacks else "to the SYN"
        return RESET, f"{server} answered with RST {when} (refused, or reset by a proxy)"
    if syns and not synacks:
        return DROPPED, (
            f"{len(syns)} SYN to {server}, no SYN-ACK: the packets are dropped on the way "
            "(a policy, a firewall) or the host is gone"
        )
    if synacks:
        return ESTABLISHED, f"the handshake completed ({len(packets)} packets)"
    return NO_PACKETS, f"no packet to or from {server} was captured"
