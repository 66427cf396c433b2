"""Which tools a container has (detected once) and the argv each probe runs with them.

Cluster-provided strings (names, IPs, ports) only ever become separate argv elements after
validation; the shell scripts below are constants that read them as positional parameters.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kexplore.probes.base import L7Spec
from kexplore.probes.l7 import classify_grpc, classify_http
from kexplore.probes.parse import (
    classify_connect,
    classify_listen,
    classify_lookup,
    dns_server_answered,
    parse_socket_table,
    tool_missing,
)

# Everything a probe may use, asked of the container in one exec.
TOOLS = (
    "getent",
    "nslookup",
    "dig",
    "nc",
    "bash",
    "python3",
    "python",
    "curl",
    "wget",
    "cat",
    "timeout",
    "grpc_health_probe",
    "grpcurl",
)
DETECT_SCRIPT = 'for t in "$@"; do command -v "$t" >/dev/null 2>&1 && echo "$t"; done; true'
DETECT_COMMAND = ["sh", "-c", DETECT_SCRIPT, "sh", *TOOLS]

BASH_CONNECT = 'exec 3<>"/dev/tcp/$0/$1" && echo connected'
PY_CONNECT = (
    "import socket,sys\n"
    "h,p,t=sys.argv[1],int(sys.argv[2]),float(sys.argv[3])\n"
    "s=socket.socket(socket.AF_INET6 if ':' in h else socket.AF_INET)\n"
    "s.settimeout(t)\n"
    "try:\n s.connect((h,p));print('connected')\n"
    "except socket.timeout:\n print('timed out');sys.exit(124)\n"
    "except OSError as e:\n print(e.strerror or e);sys.exit(1)\n"
)
PY_LOOKUP = (
    "import socket,sys\n"
    "try:\n print('\\n'.join(sorted(set(a[4][0] for a in socket.getaddrinfo(sys.argv[1],None)))))\n"
    "except socket.gaierror as e:\n"
    " print('socket.gaierror: [Errno %s] %s'%(e.args[0],e.args[1]));sys.exit(1)\n"
)
# A name any cluster DNS answers for (NXDOMAIN counts: the server replied).
DNS_TEST_NAME = "kubernetes.default.svc.cluster.local"
SOCKET_TABLES = ["/proc/net/tcp", "/proc/net/tcp6"]
RESOLV_CONF = "/etc/resolv.conf"
RESOLV_CONF_COMMAND = ["cat", RESOLV_CONF]  # read after a lookup: the resolver it used

LOOKUP_TOOLS = ("getent", "nslookup", "dig", "python3", "python")
CONNECT_TOOLS = ("nc", "bash", "python3", "python", "curl", "wget")
_DNS_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})")

Judge = Callable[[str, int, str], str]


@dataclass
class Strategy:
    """The tools one container has; `tools` None when it has no shell to ask (try each)."""

    tools: frozenset[str] | None
    missing: set[str] = field(default_factory=set)

    def has(self, tool: str) -> bool:
        """Worth trying: detected (or undetectable) and not found missing since."""
        return tool not in self.missing and (self.tools is None or tool in self.tools)

    def describe(self) -> str:
        if self.tools is None:
            return "no shell to detect tools with"
        found = sorted(t for t in self.tools if t not in self.missing)
        return "tools: " + (", ".join(found) if found else "none")


def strategy_from_detection(exit_code: int, output: str) -> Strategy:
    """The strategy from DETECT_COMMAND's result (no `sh`: tools unknown, try them in turn)."""
    if tool_missing(exit_code, output):
        return Strategy(None)
    found = {line.strip() for line in output.splitlines()}
    return Strategy(frozenset(found & set(TOOLS)))


@dataclass(frozen=True)
class Attempt:
    """One way to run a probe: the tool, its argv, and how to classify what it printed."""

    tool: str
    argv: list[str]
    judge: Judge
    note: str = ""


class BadTarget(ValueError):
    """A probe target that is not a valid IP:port or DNS name (never sent to a container)."""


def split_address(target: str) -> tuple[str, int]:
    """`10.0.0.3:8080` or `[fd00::3]:8080` → (ip, port), validated."""
    host, sep, port = target.rpartition(":")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError as e:
        raise BadTarget(f"{target!r} is not an IP:port") from e
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise BadTarget(f"{target!r} has no valid port")
    return host, int(port)


def check_name(name: str) -> str:
    """A DNS name as dialed (no leading dash: it would read as an option)."""
    if not _DNS_NAME.fullmatch(name):
        raise BadTarget(f"{name!r} is not a DNS name")
    return name


def attempts(
    kind: str, target: str, strategy: Strategy, timeout: float, l7: L7Spec | None = None
) -> list[Attempt]:
    """The ways to run one probe in a container, best first, with the tools it has."""
    if kind in ("http", "grpc"):
        build = _http if kind == "http" else _grpc
        found = build(target, l7 or L7Spec(), strategy, timeout)
    else:
        builders = {"dns": _lookups, "tcp": _connects, "udp": _udp, "listen": _listen}
        found = builders[kind](target, strategy, timeout)
    return [a for a in found if strategy.has(a.tool)]


def first_attempt(
    kind: str, target: str, strategy: Strategy | None, timeout: float, l7: L7Spec | None = None
) -> Attempt:
    """The argv a probe would run first (for plans shown before consent)."""
    found = attempts(kind, target, strategy or Strategy(None), timeout, l7)
    return found[0] if found else attempts(kind, target, Strategy(None), timeout, l7)[0]


def possible_argvs(
    kind: str, target: str, strategy: Strategy | None, timeout: float, l7: L7Spec | None = None
) -> list[list[str]]:
    """Every argv a probe may run, fallbacks included, for the consent that lists them: with
    the tools detected, or (not detected yet) with any tool, `timeout`-bounded or not; a DNS
    lookup also reads /etc/resolv.conf."""
    if strategy is not None:
        variants = [strategy]
    else:
        everything = frozenset(TOOLS)
        variants = [Strategy(everything), Strategy(everything - {"timeout"})]
    tries = zip(*(attempts(kind, target, s, timeout, l7) for s in variants), strict=True)
    out = [attempt.argv for same_tool in tries for attempt in same_tool]
    if kind == "dns" and any(s.has("cat") for s in variants):
        out.append(RESOLV_CONF_COMMAND)
    return list({tuple(argv): argv for argv in out}.values())


def _bounded(argv: list[str], strategy: Strategy, seconds: float) -> list[str]:
    """Prefix `timeout N` when the container has it (the exec has its own deadline too)."""
    if strategy.tools is not None and strategy.has("timeout"):
        return ["timeout", _secs(seconds), *argv]
    return argv


def _secs(seconds: float) -> str:
    return str(max(1, round(seconds)))


def _lookups(name: str, strategy: Strategy, timeout: float) -> list[Attempt]:
    name = check_name(name)
    t = _secs(timeout)
    budget = timeout * 3  # the search path makes several queries
    return [
        Attempt("getent", _bounded(["getent", "hosts", name], strategy, budget), classify_lookup),
        Attempt("nslookup", _bounded(["nslookup", name], strategy, budget), classify_lookup),
        Attempt(
            "dig",
            ["dig", "+search", f"+time={t}", "+tries=2", name],
            classify_lookup,
        ),
        *(
            Attempt(py, _bounded([py, "-c", PY_LOOKUP, name], strategy, budget), classify_lookup)
            for py in ("python3", "python")
        ),
    ]


def _url(host: str, port: int, path: str = "/", scheme: str = "http") -> str:
    where = f"[{host}]" if ":" in host else host
    return f"{scheme}://{where}:{port}{path}"


def _connects(target: str, strategy: Strategy, timeout: float) -> list[Attempt]:
    host, port = split_address(target)
    t, p = _secs(timeout), str(port)
    overall = timeout + 2
    return [
        Attempt("nc", ["nc", "-zv", "-w", t, host, p], classify_connect),
        Attempt(
            "bash",
            _bounded(["bash", "-c", BASH_CONNECT, host, p], strategy, timeout),
            classify_connect,
        ),
        *(
            Attempt(py, [py, "-c", PY_CONNECT, host, p, t], classify_connect)
            for py in ("python3", "python")
        ),
        Attempt(
            "curl",
            [
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "--connect-timeout",
                t,
                "-m",
                _secs(overall),
                _url(host, port),
            ],
            classify_connect,
        ),
        Attempt(
            "wget",
            _bounded(["wget", "-O", "/dev/null", "-T", t, _url(host, port)], strategy, overall),
            classify_connect,
        ),
    ]


def _udp(target: str, strategy: Strategy, timeout: float) -> list[Attempt]:
    """UDP has no handshake: a DNS query shows a DNS server answers; otherwise nc can only see
    an ICMP port-unreachable (refused)."""
    host, port = split_address(target)
    t, p = _secs(timeout), str(port)
    out = [
        Attempt(
            "dig",
            ["dig", f"@{host}", "-p", p, "+notcp", f"+time={t}", "+tries=1", DNS_TEST_NAME],
            dns_server_answered,
            "a DNS query over UDP: any answer (even NXDOMAIN) shows the server is reachable",
        )
    ]
    if port == 53:
        out.append(
            Attempt(
                "nslookup",
                _bounded(["nslookup", DNS_TEST_NAME, host], strategy, timeout + 1),
                dns_server_answered,
                "a DNS query over UDP: any answer (even NXDOMAIN) shows the server is reachable",
            )
        )
    out.append(
        Attempt(
            "nc",
            ["nc", "-zuv", "-w", t, host, p],
            _udp_judge,
            "UDP has no handshake: only an ICMP port-unreachable (refused) is conclusive",
        )
    )
    return out


def _udp_judge(tool: str, exit_code: int, output: str) -> str:
    result = classify_connect(tool, exit_code, output)
    return result if result in ("refused", "no-route") else "error"


def _listen(target: str, strategy: Strategy, timeout: float) -> list[Attempt]:
    ip, port = split_address(target)

    def judge(tool: str, exit_code: int, output: str) -> str:
        if "local_address" not in output:
            return "error"
        return classify_listen(parse_socket_table(output), ip, port)[0]

    return [Attempt("cat", ["cat", *SOCKET_TABLES], judge)]


# --- application protocols ----------------------------------------------------------------
PY_HTTP = (
    "import http.client,socket,ssl,sys\n"
    "h,p,host,path,t,tls=sys.argv[1],int(sys.argv[2]),sys.argv[3],sys.argv[4],"
    "float(sys.argv[5]),sys.argv[6]=='1'\n"
    "try:\n"
    " c=(http.client.HTTPSConnection(h,p,timeout=t,context=ssl._create_unverified_context())"
    " if tls else http.client.HTTPConnection(h,p,timeout=t))\n"
    " c.request('GET',path,headers={'Host':host})\n"
    " r=c.getresponse()\n"
    " print('HTTP/%d.%d %d %s'%(r.version//10,r.version%10,r.status,r.reason))\n"
    " [print('%s: %s'%kv) for kv in r.getheaders()]\n"
    " print();sys.stdout.write(r.read(512).decode('utf-8','replace'))\n"
    "except http.client.RemoteDisconnected:\n print('empty reply from server');sys.exit(52)\n"
    "except socket.timeout:\n print('timed out');sys.exit(124)\n"
    "except ssl.SSLError as e:\n print('SSL error: %s'%e);sys.exit(35)\n"
    "except http.client.BadStatusLine as e:\n print('bad status line: %r'%e);sys.exit(8)\n"
    "except OSError as e:\n print(e.strerror or e);sys.exit(1)\n"
)
_PATH = re.compile(r"/[!-~]{0,2047}")
HEALTH_METHOD = "grpc.health.v1.Health/Check"


def check_path(path: str) -> str:
    """An HTTP path: starts with /, printable ASCII, no spaces."""
    if not _PATH.fullmatch(path):
        raise BadTarget(f"{path!r} is not an HTTP path (/…, printable, no spaces)")
    return path


def _host_header(l7: L7Spec, ip: str, port: int) -> str:
    """The Host header as dialed (`name:port`), else the address dialed."""
    if not l7.host:
        return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
    name, _, dialed_port = l7.host.rpartition(":")
    if dialed_port.isdigit() and name:
        check_name(name.strip("[]"))
        return l7.host
    return check_name(l7.host)


def _http(target: str, l7: L7Spec, strategy: Strategy, timeout: float) -> list[Attempt]:
    ip, port = split_address(target)
    host, path = _host_header(l7, ip, port), check_path(l7.path or "/")
    url = _url(ip, port, path, "https" if l7.tls else "http")
    t, overall = _secs(timeout), timeout + 2
    insecure = ["-k"] if l7.tls else []
    no_check = ["--no-check-certificate"] if l7.tls else []
    curl = ["curl", "-sS", "-i", *insecure, "--connect-timeout", t, "-m", _secs(overall)]
    wget = ["wget", "-S", "-O", "-", "-T", t, *no_check]
    return [
        Attempt("curl", [*curl, "-H", f"Host: {host}", url], classify_http),
        Attempt(
            "wget",
            _bounded([*wget, "--header", f"Host: {host}", url], strategy, overall),
            classify_http,
        ),
        *(
            Attempt(
                py,
                [py, "-c", PY_HTTP, ip, str(port), host, path, t, "1" if l7.tls else "0"],
                classify_http,
            )
            for py in ("python3", "python")
        ),
    ]


def _grpc(target: str, l7: L7Spec, strategy: Strategy, timeout: float) -> list[Attempt]:
    """The gRPC health-checking protocol (grpc.health.v1.Health/Check)."""
    ip, port = split_address(target)
    host, t = _host_header(l7, ip, port), _secs(timeout)
    tls = ["-tls", "-tls-no-verify"] if l7.tls else []
    grpcurl_tls = ["-insecure"] if l7.tls else ["-plaintext"]
    return [
        Attempt(
            "grpc_health_probe",
            [
                "grpc_health_probe",
                f"-addr={target}",
                f"-connect-timeout={t}s",
                f"-rpc-timeout={t}s",
                *tls,
            ],
            classify_grpc,
        ),
        Attempt(
            "grpcurl",
            [
                "grpcurl",
                *grpcurl_tls,
                "-connect-timeout",
                t,
                "-max-time",
                _secs(timeout + 2),
                "-authority",
                host,
                target,
                HEALTH_METHOD,
            ],
            classify_grpc,
        ),
    ]
