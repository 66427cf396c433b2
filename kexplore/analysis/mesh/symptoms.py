"""What a user sees for each mesh misconfiguration: the mTLS matrix, denials and bad routes."""

from __future__ import annotations

from dataclasses import dataclass, field

from kexplore.analysis.mesh.common import Fact
from kexplore.analysis.mesh.dataplane import AMBIENT, NONE, SIDECAR, Dataplane
from kexplore.analysis.mesh.peerauth import DISABLE, PERMISSIVE, STRICT
from kexplore.analysis.mesh.tls import ISTIO_MUTUAL, ClientTls

FAIL, WARN, INFO = "fail", "warn", "info"

RESET = "connection reset by peer (curl: (56) Recv failure: Connection reset by peer)"
UC_URX = "HTTP 503 from the client's sidecar with response flags UC/URX (upstream reset)"
UF_TLS = (
    "HTTP 503 UF: upstream connect error or disconnect/reset before headers, "
    "transport failure reason: TLS error"
)
UF_CERT = "HTTP 503 UF: the TLS handshake fails (the server expects Istio mTLS certificates)"
RBAC_HTTP = "HTTP 403 `RBAC: access denied`"
RBAC_TCP = "the connection is closed right after it opens (TCP RBAC denial; curl exit 56)"
NO_ROUTE = "HTTP 503 NR (no route: the subset or host has no cluster)"
NO_HEALTHY = "HTTP 503 UH (no healthy upstream: the subset selects no pods)"
BLACKHOLE = "HTTP 502 or connection reset: the client's sidecar sends it to BlackHoleCluster"
TLS_PASSTHROUGH = "works only if the application itself terminates TLS"


@dataclass
class MeshIssue:
    """One problem on the edge: how bad, what the user sees, and the objects that decided."""

    severity: str
    title: str
    symptom: str
    facts: list[Fact] = field(default_factory=list)
    hint: str = ""


@dataclass(frozen=True)
class ClientSide:
    """The caller: its data plane and (with a sidecar) the TLS it originates."""

    plane: Dataplane
    tls: ClientTls | None = None

    def sends(self, server_in_mesh: bool = True) -> str:
        """ISTIO_MUTUAL (sidecar mTLS or ztunnel HBONE), DISABLE, SIMPLE or MUTUAL; ztunnel
        sends HBONE only to pods in the mesh and plaintext to the rest."""
        if self.plane.mode == AMBIENT:
            return ISTIO_MUTUAL if server_in_mesh else DISABLE
        if self.plane.mode == SIDECAR and self.tls is not None:
            return self.tls.mode
        return DISABLE


@dataclass(frozen=True)
class ServerSide:
    """The callee pod: its data plane and its PeerAuthentication mode on the port."""

    plane: Dataplane
    mode: str | None = None
    facts: tuple[Fact, ...] = ()


def tls_issue(client: ClientSide, server: ServerSide, port: int | None) -> MeshIssue | None:
    """The mTLS matrix: client sidecar/ambient/none and its TLS × server mode on the port."""
    sends = client.sends(server.plane.in_mesh)
    facts = list(client.tls.facts) if client.tls is not None else []
    facts += list(server.facts)
    where = server.plane.label() + (f" port {port}" if port else "")
    if server.plane.mode == NONE:
        if sends == ISTIO_MUTUAL:
            title = f"the client sends Istio mTLS to {where}, which has no sidecar to accept it"
            hint = "inject a sidecar into the server or set tls.mode DISABLE in the DestinationRule"
            return MeshIssue(FAIL, title, UF_TLS, facts, hint)
        if sends != DISABLE:
            title = f"the client originates {sends} TLS to {where} (no sidecar there)"
            return MeshIssue(INFO, title, TLS_PASSTHROUGH, facts)
        return None
    return _meshed_server(client, server, sends, where, facts)


def _meshed_server(
    client: ClientSide, server: ServerSide, sends: str, where: str, facts: list[Fact]
) -> MeshIssue | None:
    mode = server.mode or PERMISSIVE
    if mode == STRICT and sends == DISABLE:
        if client.plane.mode == NONE:
            who = client.plane.pod
            title = (  # each client pod is judged: name the one without a sidecar (a canary)
                f"STRICT mTLS on {where} rejects plaintext from a client without a sidecar "
                f"(pod {who.namespace}/{who.name})"
            )
            hint = (
                "give the client a sidecar (enable injection for it, then restart it) or add a "
                "PERMISSIVE PeerAuthentication for the server's workload"
            )
            return MeshIssue(FAIL, title, RESET, facts, hint)
        title = f"STRICT mTLS on {where}, but the client's sidecar sends plaintext"
        rules = [" ".join(f.ref.split()[:2]) for f in facts if f.ref.startswith("destinationrule ")]
        rule = rules[0] if rules else "the client's DestinationRule"
        hint = (
            f"remove tls.mode DISABLE from {rule} (delete its tls block for auto mTLS, or set "
            "mode ISTIO_MUTUAL)"
        )
        return MeshIssue(FAIL, title, UC_URX, facts, hint)
    if mode == STRICT and sends != ISTIO_MUTUAL:
        title = f"STRICT mTLS on {where}, but the client originates {sends} TLS with its own certs"
        hint = "use tls.mode ISTIO_MUTUAL for in-mesh destinations"
        return MeshIssue(FAIL, title, UF_CERT, facts, hint)
    if mode == DISABLE and sends == ISTIO_MUTUAL and client.plane.mode == SIDECAR:
        title = f"PeerAuthentication DISABLE on {where}, but the client's sidecar sends mTLS"
        hint = "drop tls.mode ISTIO_MUTUAL for this host or enable mTLS on the server"
        return MeshIssue(FAIL, title, UC_URX, facts, hint)
    if sends not in (ISTIO_MUTUAL, DISABLE):
        title = f"the client originates {sends} TLS to {where}; its sidecar passes it through"
        return MeshIssue(WARN, title, TLS_PASSTHROUGH, facts)
    return None
