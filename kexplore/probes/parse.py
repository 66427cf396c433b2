"""Pure parsers of probe output: name lookups, connects, and /proc/net/tcp{,6} socket tables."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# Classifications (see ProbeResult.result).
RESOLVED, NXDOMAIN, NO_ADDRESS, SERVFAIL = "resolved", "nxdomain", "no-address", "servfail"
CONNECTED, REFUSED, TIMEOUT, RESET, NO_ROUTE = (
    "connected",
    "refused",
    "timeout",
    "reset",
    "no-route",
)
LISTENING, NOT_LISTENING, LOOPBACK_ONLY = "listening", "not-listening", "loopback-only"
IPV6_ONLY = "ipv6-only"
ERROR = "error"

# Exit codes of `timeout` (expired) and of a command the container does not have.
TIMEOUT_EXIT = 124
_MISSING_EXITS = (126, 127)
_MISSING_TEXT = re.compile(
    r"executable file not found|exec: .*no such file or directory|: not found|command not found",
    re.IGNORECASE,
)
_USAGE_TEXT = re.compile(
    r"invalid option|unrecognized option|illegal option|unknown option|^usage:", re.I | re.M
)


def tool_missing(exit_code: int, output: str) -> bool:
    """The command could not start: the tool is not in the container (try the next one)."""
    if exit_code in _MISSING_EXITS:
        return True
    return exit_code != 0 and bool(_MISSING_TEXT.search(output))


def tool_unusable(exit_code: int, output: str) -> bool:
    """The tool exists but rejected the options (another flavour, e.g. a minimal busybox nc)."""
    return exit_code != 0 and bool(_USAGE_TEXT.search(output))


# --- name lookups -------------------------------------------------------------------------
_ADDR_LINE = re.compile(r"^Address(?:es)?(?: \d+)?:\s*(\S+)", re.MULTILINE)
_DIG_STATUS = re.compile(r"status: ([A-Z]+)")
_DIG_ANSWER = re.compile(r"^\S+\s+\d+\s+IN\s+(?:A|AAAA)\s+(\S+)\s*$", re.MULTILINE)


def lookup_addresses(tool: str, output: str) -> list[str]:
    """The addresses a lookup printed (the server's own address excluded for nslookup)."""
    if tool == "dig":
        return _DIG_ANSWER.findall(output)
    if tool == "nslookup":
        _, _, answers = output.partition("Name:")
        return [a.split("#")[0] for a in _ADDR_LINE.findall(answers)]
    out: list[str] = []
    for line in output.splitlines():
        first = line.split()[0] if line.split() else ""
        if _is_ip(first):
            out.append(first)
    return out


def classify_lookup(tool: str, exit_code: int, output: str) -> str:
    """resolved / nxdomain / no-address / servfail / timeout / error for getent, nslookup, dig
    and python's getaddrinfo (see strategy.LOOKUP_COMMANDS)."""
    text = output.lower()
    if exit_code == TIMEOUT_EXIT or "timed out" in text or "no servers could be reached" in text:
        return TIMEOUT
    if lookup_addresses(tool, output):
        return RESOLVED
    if tool == "dig":
        status = _DIG_STATUS.search(output)
        if status is None:
            return ERROR
        return {"NXDOMAIN": NXDOMAIN, "NOERROR": NO_ADDRESS}.get(status.group(1), SERVFAIL)
    if "nxdomain" in text or "name or service not known" in text or "errno -2" in text:
        return NXDOMAIN
    if "servfail" in text or "refused" in text:
        return SERVFAIL
    if "temporary failure" in text or "errno -3" in text:
        return TIMEOUT
    if "no answer" in text or "errno -5" in text or "no address" in text:
        return NO_ADDRESS
    if tool == "getent" and exit_code == 2:
        return NXDOMAIN  # getent: "key not found"
    return ERROR


def dns_server_answered(tool: str, exit_code: int, output: str) -> str:
    """A query sent to one DNS server (the UDP probe): any answer, even NXDOMAIN, connects."""
    result = classify_lookup(tool, exit_code, output)
    if result in (RESOLVED, NXDOMAIN, NO_ADDRESS, SERVFAIL):
        return CONNECTED
    return TIMEOUT if result == TIMEOUT else classify_connect(tool, exit_code, output)


# --- connects -----------------------------------------------------------------------------
def classify_connect(tool: str, exit_code: int, output: str) -> str:
    """connected / refused / timeout / reset / no-route / error for nc (OpenBSD, busybox,
    ncat), bash /dev/tcp, python, curl and wget."""
    text = output.lower()
    if "refused" in text:
        return REFUSED
    if "no route to host" in text or "unreachable" in text:
        return NO_ROUTE
    if "reset by peer" in text or "connection reset" in text:
        return RESET
    if tool == "curl":
        return _classify_curl(exit_code, text)
    answered = "server returned error" in text or "error getting response" in text
    if tool == "wget" and (answered or exit_code == 8):
        return CONNECTED  # an HTTP answer (or a non-HTTP peer) came from a connected socket
    if exit_code == TIMEOUT_EXIT or "timed out" in text or "timeout" in text:
        return TIMEOUT
    if exit_code == 0:
        return CONNECTED
    return ERROR


def _classify_curl(exit_code: int, text: str) -> str:
    # 52 empty reply, 1 HTTP/0.9 refused, 8 weird reply, 22 HTTP error: all after a connect.
    if exit_code in (0, 1, 8, 22, 52) or "bytes received" in text:
        return CONNECTED
    if exit_code in (7, 28) or "timed out" in text or "timeout" in text:
        return TIMEOUT
    return ERROR


# --- socket tables ------------------------------------------------------------------------
LISTEN_STATE = "0A"


@dataclass(frozen=True)
class Socket:
    """One line of /proc/net/tcp or tcp6: local address and port, and the TCP state (hex)."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int
    state: str
    line: str

    @property
    def listening(self) -> bool:
        return self.state == LISTEN_STATE


def _hex_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The kernel prints addresses as 32-bit words in host (little-endian) byte order."""
    raw = bytes.fromhex(text)
    swapped = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(raw) == 4:
        return ipaddress.IPv4Address(swapped)
    return ipaddress.IPv6Address(swapped)


def parse_socket_table(text: str) -> list[Socket]:
    """Every socket line of /proc/net/tcp and /proc/net/tcp6 (header and junk lines skipped)."""
    out: list[Socket] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or not fields[0].endswith(":") or ":" not in fields[1]:
            continue
        addr, _, port = fields[1].partition(":")
        try:
            out.append(Socket(_hex_address(addr), int(port, 16), fields[3].upper(), line.strip()))
        except ValueError:
            continue
    return out


def _plain(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def classify_listen(sockets: list[Socket], ip: str, port: int) -> tuple[str, str]:
    """Whether a client dialing ip:port finds a listener: listening / loopback-only /
    ipv6-only / not-listening, with the addresses bound to that port."""
    bound = [s for s in sockets if s.listening and s.port == port]
    if not bound:
        return NOT_LISTENING, f"no socket in LISTEN state on port {port}"
    where = ", ".join(sorted({_show(s) for s in bound}))
    target = ipaddress.ip_address(ip) if _is_ip(ip) else None
    if any(_accepts(s, target) for s in bound):
        return LISTENING, f"listening on {where}"
    if all(_plain(s.address).is_loopback for s in bound):
        return LOOPBACK_ONLY, f"bound to {where} only: other pods cannot connect"
    if (
        target is not None
        and target.version == 4
        and all(_plain(s.address).version == 6 for s in bound)
    ):
        return IPV6_ONLY, f"bound to {where} (IPv6 only): IPv4 clients cannot connect"
    return NOT_LISTENING, f"bound to {where}, not to {ip}"


def listeners(output: str) -> str:
    """Every address in LISTEN state in a socket table, decoded: `127.0.0.1:9090, [::]:8080`."""
    bound = sorted({_show(s) for s in parse_socket_table(output) if s.listening})
    return ", ".join(bound) or "none"


def _accepts(sock: Socket, target: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    """A client dialing `target` reaches this listener (`::` takes IPv4 too, 0.0.0.0 not IPv6)."""
    addr = _plain(sock.address)
    if target is None:
        return not addr.is_loopback
    if addr.is_unspecified:
        return not (addr.version == 4 and target.version == 6)
    return addr == target


def _show(sock: Socket) -> str:
    addr = sock.address
    return f"[{addr}]:{sock.port}" if addr.version == 6 else f"{addr}:{sock.port}"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
