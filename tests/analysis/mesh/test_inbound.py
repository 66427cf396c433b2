"""The server side of the mTLS matrix against Istio's inbound simulation.

CALLS is transcribed from Istio's TestPeerAuthenticationPassthrough
(pilot/pkg/networking/core/peer_authentication_simulation_test.go): a workload app=foo with
a sidecar and a workload-selector PeerAuthentication receives HTTP calls on a port, in
plaintext (a client without a sidecar) or mTLS (a client sidecar with ISTIO_MUTUAL).
Istio's results map to kexplore's as: ErrNoFilterChain = rejected (connection reset),
ErrProtocolError = mTLS into a plaintext HTTP chain (503 UC), a matched cluster = accepted.

Where Istio's port is not a service port ("passthrough"), the proxy's passthrough chain
accepts mTLS bytes on a DISABLE port and hands them to the application; kexplore judges the
edge as the user experiences it (a plaintext app cannot read them), so those calls are
expected as failures here — see PASSTHROUGH_DIFFERS.
"""

from __future__ import annotations

import pytest
from mesh_builders import peer_auth, pod, state_of

from kexplore.analysis.mesh.dataplane import dataplane_of
from kexplore.analysis.mesh.peerauth import effective_mtls
from kexplore.analysis.mesh.symptoms import RESET, UC_URX, ClientSide, ServerSide, tls_issue
from kexplore.analysis.mesh.tls import ClientTls
from kexplore.model.pods import Pod

ACCEPTED, REJECTED, PROTOCOL = "accepted", "ErrNoFilterChain", "ErrProtocolError"

# name -> (workload mode, {port: mode})
POLICIES = {
    "global disable": ("DISABLE", {}),
    "global strict": ("STRICT", {}),
    "global permissive": ("PERMISSIVE", {}),
    "global disable and port 9000 strict": ("DISABLE", {9000: "STRICT"}),
    "global strict and port 9000 plaintext": ("STRICT", {9000: "DISABLE"}),
    "global plaintext and port 9000 permissive": ("DISABLE", {9000: "PERMISSIVE"}),
}

# (case, policy, port, call, Istio's result); "not in service" cases declare port 8000 only.
CALLS = [
    ("global disable", "global disable", 8000, "mtls", ACCEPTED),
    ("global disable", "global disable", 8000, "plaintext", ACCEPTED),
    ("global strict", "global strict", 8000, "plaintext", REJECTED),
    ("global strict", "global strict", 8000, "mtls", ACCEPTED),
    ("global permissive", "global permissive", 8000, "plaintext", ACCEPTED),
    ("global permissive", "global permissive", 8000, "mtls", ACCEPTED),
    ("disable+9000 strict", "global disable and port 9000 strict", 8000, "plaintext", ACCEPTED),
    ("disable+9000 strict", "global disable and port 9000 strict", 8000, "mtls", ACCEPTED),
    ("disable+9000 strict", "global disable and port 9000 strict", 9000, "plaintext", REJECTED),
    ("disable+9000 strict", "global disable and port 9000 strict", 9000, "mtls", ACCEPTED),
    (
        "disable+9000 strict, in service",
        "global disable and port 9000 strict",
        8000,
        "plaintext",
        ACCEPTED,
    ),
    (
        "disable+9000 strict, in service",
        "global disable and port 9000 strict",
        8000,
        "mtls",
        PROTOCOL,
    ),
    (
        "disable+9000 strict, in service",
        "global disable and port 9000 strict",
        9000,
        "plaintext",
        REJECTED,
    ),
    (
        "disable+9000 strict, in service",
        "global disable and port 9000 strict",
        9000,
        "mtls",
        ACCEPTED,
    ),
    ("strict+9000 plaintext", "global strict and port 9000 plaintext", 8000, "plaintext", REJECTED),
    ("strict+9000 plaintext", "global strict and port 9000 plaintext", 8000, "mtls", ACCEPTED),
    ("strict+9000 plaintext", "global strict and port 9000 plaintext", 9000, "plaintext", ACCEPTED),
    ("strict+9000 plaintext", "global strict and port 9000 plaintext", 9000, "mtls", ACCEPTED),
    (
        "strict+9000 plaintext, in service",
        "global strict and port 9000 plaintext",
        8000,
        "plaintext",
        REJECTED,
    ),
    (
        "strict+9000 plaintext, in service",
        "global strict and port 9000 plaintext",
        8000,
        "mtls",
        ACCEPTED,
    ),
    (
        "strict+9000 plaintext, in service",
        "global strict and port 9000 plaintext",
        9000,
        "plaintext",
        ACCEPTED,
    ),
    (
        "strict+9000 plaintext, in service",
        "global strict and port 9000 plaintext",
        9000,
        "mtls",
        ACCEPTED,
    ),
    (
        "disable+9000 permissive",
        "global plaintext and port 9000 permissive",
        8000,
        "plaintext",
        ACCEPTED,
    ),
    (
        "disable+9000 permissive",
        "global plaintext and port 9000 permissive",
        8000,
        "mtls",
        ACCEPTED,
    ),
    (
        "disable+9000 permissive",
        "global plaintext and port 9000 permissive",
        9000,
        "plaintext",
        ACCEPTED,
    ),
    (
        "disable+9000 permissive",
        "global plaintext and port 9000 permissive",
        9000,
        "mtls",
        ACCEPTED,
    ),
    (
        "disable+9000 permissive, in service",
        "global plaintext and port 9000 permissive",
        8000,
        "plaintext",
        ACCEPTED,
    ),
    (
        "disable+9000 permissive, in service",
        "global plaintext and port 9000 permissive",
        8000,
        "mtls",
        PROTOCOL,
    ),
    (
        "disable+9000 permissive, in service",
        "global plaintext and port 9000 permissive",
        9000,
        "plaintext",
        ACCEPTED,
    ),
    (
        "disable+9000 permissive, in service",
        "global plaintext and port 9000 permissive",
        9000,
        "mtls",
        ACCEPTED,
    ),
]

# Calls where the port is not a service port and Istio's passthrough chain accepts mTLS on a
# DISABLE port: the bytes reach a plaintext application, which fails (503 UC at the client).
PASSTHROUGH_DIFFERS = {
    ("global disable", 8000, "mtls"),
    ("disable+9000 strict", 8000, "mtls"),
    ("strict+9000 plaintext", 9000, "mtls"),
    ("strict+9000 plaintext, in service", 9000, "mtls"),
    ("disable+9000 permissive", 8000, "mtls"),
}


def kexplore_result(policy: str, port: int, call: str) -> str:
    mode, ports = POLICIES[policy]
    state = state_of(
        pod("ns", "foo", {"app": "foo"}, sidecar=True),
        pod("ns", "client-sidecar", {"app": "c"}, sidecar=True),
        pod("ns", "client-plain", {"app": "p"}),
        peer_auth("ns", "default", mode, {"app": "foo"}, dict(ports)),
    )
    by_name = {p.name: p for p in state.pods}
    server: Pod = by_name["foo"]
    composed = effective_mtls(state, server, "istio-system")
    if call == "mtls":
        client = ClientSide(
            dataplane_of(state, by_name["client-sidecar"]), ClientTls("ISTIO_MUTUAL", True)
        )
    else:
        client = ClientSide(dataplane_of(state, by_name["client-plain"]))
    issue = tls_issue(
        client, ServerSide(dataplane_of(state, server), composed.mode_for(port)), port
    )
    if issue is None:
        return ACCEPTED
    return {RESET: REJECTED, UC_URX: PROTOCOL}.get(issue.symptom, issue.symptom)


@pytest.mark.parametrize(
    ("case", "policy", "port", "call", "istio"), CALLS, ids=[f"{c[0]}:{c[2]}:{c[3]}" for c in CALLS]
)
def test_inbound_call(case: str, policy: str, port: int, call: str, istio: str) -> None:
    expected = PROTOCOL if (case, port, call) in PASSTHROUGH_DIFFERS else istio
    assert kexplore_result(policy, port, call) == expected
