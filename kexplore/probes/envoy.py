"""Envoy's own account of a request: access-log lines (Istio's default text format and its
JSON encoding) decoded by response flag, and the proxy's cluster view (`pilot-agent request
GET clusters`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

LOG_WINDOW = 300  # seconds of a proxy's log read for an edge
LOG_BYTES = 512 << 10  # at most this much of it
CLUSTERS_COMMAND = ["pilot-agent", "request", "GET", "clusters"]
KEPT_LINES = 50  # access-log lines for the edge kept from one read

# Response flag → (what happened, the layer of the ladder that explains it).
FLAGS: dict[str, tuple[str, str]] = {
    "UF": ("the proxy could not connect to the upstream (refused, timed out or TLS failed)", ""),
    "UC": ("the upstream closed the connection before answering", "mesh"),
    "URX": ("retries exhausted: every attempt failed to connect or was reset", ""),
    "UH": ("no healthy upstream: the cluster has no ready endpoint", "service"),
    "NR": (
        "no route or filter chain matched (unknown host, subset, or plaintext to STRICT)",
        "mesh",
    ),
    "NC": ("no cluster: the route points at a cluster the proxy does not have", "mesh"),
    "UO": ("circuit breaker overflow (DestinationRule connectionPool)", "mesh"),
    "UT": ("upstream request timeout (VirtualService timeout, or a slow app)", "health"),
    "UR": ("the upstream reset the stream", "ports"),
    "LR": ("the proxy reset the connection locally", "mesh"),
    "DC": ("the client closed the connection first (not a path failure)", ""),
    "UPE": ("upstream protocol error: the app does not speak the port's declared protocol", "mesh"),
    "DPE": ("downstream protocol error: the client does not speak the port's protocol", "mesh"),
    "UAEX": ("denied by the external authorizer (AuthorizationPolicy CUSTOM)", "mesh"),
    "RL": ("rate limited", "mesh"),
    "FI": ("aborted by fault injection (VirtualService fault)", "mesh"),
    "DI": ("delayed by fault injection (VirtualService fault)", "mesh"),
    "DF": ("the proxy could not resolve the upstream's DNS name", "dns"),
    "SI": ("stream idle timeout", "health"),
    "LH": ("the local app failed its health check", "health"),
    "OM": ("rejected by the proxy's overload manager", "cluster"),
    "RBAC": ("denied by an AuthorizationPolicy (rbac_access_denied)", "mesh"),
}
# A connect failure's layer depends on why it failed (UPSTREAM_TRANSPORT_FAILURE_REASON).
_UF_LAYER = (("tls", "mesh"), ("certificate", "mesh"), ("refused", "ports"), ("timeout", ""))
OK_FLAGS = frozenset({"-", "DC"})
_TOKENS = re.compile(r'\[[^\]]*\]|"[^"]*"|\S+')


@dataclass
class AccessLine:
    """One access-log entry, with the fields the ladder reads."""

    raw: str
    code: str = "-"
    flags: tuple[str, ...] = ()
    details: str = "-"
    transport_failure: str = ""
    authority: str = "-"
    upstream_host: str = "-"
    upstream_cluster: str = "-"
    downstream_local: str = "-"
    downstream_remote: str = "-"
    request: str = "-"

    @property
    def failed(self) -> bool:
        """A denial or a flag other than DC (or a 5xx with none)."""
        if self.rbac_denied or any(f not in OK_FLAGS for f in self.flags):
            return True
        return self.code.startswith("5")

    @property
    def rbac_denied(self) -> bool:
        return "rbac_access_denied" in self.details

    def decoded(self) -> list[tuple[str, str, str]]:
        """(flag, meaning, layer) for each response flag and an RBAC denial."""
        out = []
        for flag in self.flags:
            if flag in FLAGS:
                out.append((flag, FLAGS[flag][0], self._layer(flag)))
        if self.rbac_denied:
            out.append(("RBAC", f"{FLAGS['RBAC'][0]}: {self.details}", "mesh"))
        return out

    def _layer(self, flag: str) -> str:
        if flag not in ("UF", "URX"):
            return FLAGS[flag][1]
        reason = f"{self.transport_failure} {self.details}".lower()
        return next((layer for words, layer in _UF_LAYER if words in reason), "")

    def flag_text(self) -> str:
        """`UF`, `UC,URX`, `RBAC` (a denial), or `-`."""
        return ",".join(self.flags) or ("RBAC" if self.rbac_denied else "-")

    def short(self) -> str:
        """`503 UF`, `200 -`, `NR` (a TCP entry has no status code)."""
        code = f"{self.code} " if self.code not in ("0", "-") else ""
        return f"{code}{self.flag_text()}"

    def outcome(self) -> str:
        """`503 UF (upstream_reset_before_response_started{…})`, `NR (filter_chain_not_found)`."""
        details = f" ({self.details})" if self.details not in ("-", "via_upstream") else ""
        return f"{self.short()}{details}"

    def destinations(self) -> set[str]:
        """The IPs the request went to: upstream host, original destination, authority."""
        fields = (self.upstream_host, self.downstream_local, self.authority)
        return {_ip_of(f) for f in fields if f not in ("-", "")}


def _ip_of(address: str) -> str:
    host, sep, port = address.rpartition(":")
    return host.strip("[]") if sep and port.isdigit() else address


def _unquote(token: str) -> str:
    token = token.strip('"')
    return "" if token == "-" else token


def parse_text_line(line: str) -> AccessLine | None:
    """Istio's default TEXT format (`[START_TIME] "METHOD PATH PROTO" CODE FLAGS DETAILS …
    "AUTHORITY" "UPSTREAM_HOST" CLUSTER UPSTREAM_LOCAL DOWNSTREAM_LOCAL DOWNSTREAM_REMOTE SNI
    ROUTE`), with or without CONNECTION_TERMINATION_DETAILS (older proxies)."""
    tokens = _TOKENS.findall(line.strip())
    if len(tokens) < 14 or not tokens[0].startswith("[") or not tokens[1].startswith('"'):
        return None
    if not tokens[2].isdigit():
        return None
    quoted_after = [t for t in tokens[5:8] if t.startswith('"')]
    return AccessLine(
        raw=line.strip(),
        code=tokens[2],
        flags=tuple(f for f in tokens[3].split(",") if f != "-"),
        details=tokens[4],
        transport_failure=_unquote(quoted_after[0]) if quoted_after else "",
        authority=tokens[-8].strip('"'),
        upstream_host=tokens[-7].strip('"'),
        upstream_cluster=tokens[-6],
        downstream_local=tokens[-4],
        downstream_remote=tokens[-3],
        request=tokens[1].strip('"'),
    )


def parse_json_line(line: str) -> AccessLine | None:
    """Istio's JSON access-log encoding (`accessLogEncoding: JSON`)."""
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "response_code" not in doc:
        return None

    def get(key: str) -> str:
        value = doc.get(key)
        return "-" if value in (None, "") else str(value)

    flags = get("response_flags")
    method, path, proto = get("method"), get("path"), get("protocol")
    return AccessLine(
        raw=line.strip(),
        code=get("response_code"),
        flags=tuple(f for f in flags.split(",") if f != "-"),
        details=get("response_code_details"),
        transport_failure=_unquote(get("upstream_transport_failure_reason")),
        authority=get("authority"),
        upstream_host=get("upstream_host"),
        upstream_cluster=get("upstream_cluster"),
        downstream_local=get("downstream_local_address"),
        downstream_remote=get("downstream_remote_address"),
        request=f"{method} {path} {proto}",
    )


def parse_access_log(text: str) -> list[AccessLine]:
    """Every access-log entry in a proxy's log (its other lines skipped)."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        entry = parse_json_line(stripped) if stripped.startswith("{") else None
        entry = entry or parse_text_line(stripped)
        if entry is not None:
            out.append(entry)
    return out


def lines_for(
    entries: list[AccessLine], ips: set[str], host: str = "", inbound: bool = False
) -> list[AccessLine]:
    """The entries of one edge: in a server proxy, those from one of the edge's sources
    (`ips`); in a client proxy, those to one of its destinations or to its host."""
    if inbound:
        return [e for e in entries if _ip_of(e.downstream_remote) in ips]
    name = host.split(":")[0].lower()
    out = []
    for entry in entries:
        authority = entry.authority.split(":")[0].lower()
        if entry.destinations() & ips or (name and authority == name):
            out.append(entry)
    return out


def edge_log(text: str, peers: tuple[str, ...], host: str, inbound: bool) -> str:
    """The access-log lines of one edge in a proxy's log (the last KEPT_LINES), as printed."""
    entries = lines_for(parse_access_log(text), set(peers), host, inbound)
    kept = [e.raw for e in entries[-KEPT_LINES:]]
    total = len(text.splitlines())
    note = f"[kexplore kept {len(kept)} access-log lines for this edge of {total} lines read]"
    return "\n".join([*kept, note]) + "\n"


# --- the cluster view ----------------------------------------------------------------------
@dataclass
class ClusterView:
    """One outbound cluster in the proxy (`outbound|PORT|SUBSET|FQDN`): its endpoints and
    their health flags."""

    name: str
    endpoints: dict[str, str] = field(default_factory=dict)

    def healthy(self) -> list[str]:
        return sorted(a for a, h in self.endpoints.items() if h == "healthy")


def parse_clusters(text: str, fqdn: str, port: int) -> list[ClusterView]:
    """The clusters for FQDN:PORT (every subset) in `pilot-agent request GET clusters`."""
    prefix = f"outbound|{port}|"
    found: dict[str, ClusterView] = {}
    for line in text.splitlines():
        parts = line.strip().split("::")
        if len(parts) < 2 or not parts[0].startswith(prefix) or not parts[0].endswith(f"|{fqdn}"):
            continue
        view = found.setdefault(parts[0], ClusterView(parts[0]))
        if len(parts) >= 4 and parts[2] == "health_flags":
            view.endpoints[parts[1]] = parts[3]
    return list(found.values())


def cluster_lines(text: str, fqdn: str, port: int) -> str:
    """The lines of the clusters dump for this destination (the rest is not kept)."""
    prefix = f"outbound|{port}|"
    keep = [
        line
        for line in text.splitlines()
        if line.startswith(prefix) and line.split("::")[0].endswith(f"|{fqdn}")
    ]
    return "\n".join(keep) + ("\n" if keep else "")


# --- the cluster's TLS (config_dump) -------------------------------------------------------
CONFIG_COMMAND = ["pilot-agent", "request", "GET", "config_dump?resource=dynamic_active_clusters"]


def _clusters_in(text: str) -> list[dict[str, Any]]:
    """Clusters of a config_dump (`{"configs": [{"cluster": …}]}`) or one JSON cluster a line."""
    try:
        docs: list[Any] = [json.loads(text)]
    except ValueError:
        docs = [json.loads(ln) for ln in text.splitlines() if ln.startswith("{") and _json(ln)]
    out = []
    for doc in docs:
        configs = doc.get("configs", [doc]) if isinstance(doc, dict) else []
        out += [c.get("cluster", c) for c in configs if isinstance(c, dict)]
    return [c for c in out if isinstance(c, dict) and "name" in c]


def _json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def tls_mode(cluster: dict[str, Any]) -> str:
    """What the proxy sends on this cluster: auto mTLS, Istio mTLS, TLS, or plaintext."""
    matches = [m.get("name", "") for m in cluster.get("transport_socket_matches") or []]
    if "tlsMode-istio" in matches:
        return "auto mTLS (Istio mTLS to pods with a sidecar, plaintext to others)"
    socket = cluster.get("transport_socket") or {}
    if "tls" not in str(socket.get("name", "")):
        return "plaintext (no TLS transport socket)"
    if "istio" in json.dumps(socket):
        return "ISTIO_MUTUAL (Istio certificates)"
    return "TLS originated by the proxy (DestinationRule SIMPLE/MUTUAL)"


def destination_tls(text: str, fqdn: str, port: int) -> dict[str, str]:
    """Cluster name → TLS mode, for FQDN:PORT's clusters (every subset)."""
    prefix = f"outbound|{port}|"
    return {
        c["name"]: tls_mode(c)
        for c in _clusters_in(text)
        if c["name"].startswith(prefix) and c["name"].endswith(f"|{fqdn}")
    }


def tls_lines(text: str, fqdn: str, port: int) -> str:
    """The destination's clusters from a config_dump, one JSON line each, only the fields
    that decide TLS (the rest of the dump is not kept)."""
    prefix = f"outbound|{port}|"
    keep = ("name", "transport_socket", "transport_socket_matches")
    lines = [
        json.dumps({k: c[k] for k in keep if k in c}, sort_keys=True)
        for c in _clusters_in(text)
        if c["name"].startswith(prefix) and c["name"].endswith(f"|{fqdn}")
    ]
    return "\n".join(lines) + ("\n" if lines else "")
