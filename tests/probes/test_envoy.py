"""Envoy's account: access-log lines in Istio's default format (HTTP and TCP, with and without
CONNECTION_TERMINATION_DETAILS) and its JSON encoding, flags decoded; the cluster view."""

from __future__ import annotations

import json

from kexplore.probes.envoy import (
    cluster_lines,
    destination_tls,
    edge_log,
    lines_for,
    parse_access_log,
    parse_clusters,
    parse_json_line,
    parse_text_line,
    tls_lines,
)

# Istio's documentation example (default format, Istio 1.9+: with CONNECTION_TERMINATION_DETAILS).
DOC_LINE = (
    '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 '
    '"-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" '
    '"10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 '
    "10.0.45.184:8000 10.44.1.23:46520 - default"
)
UF_TLS = (
    '[2026-03-18T10:41:20.512Z] "GET / HTTP/1.1" 503 UF upstream_reset_before_response_started'
    "{connection_failure,TLS_error:_268435581:SSL_routines:OPENSSL_internal:"
    'CERTIFICATE_VERIFY_FAILED} - "TLS_error:_268435581:SSL_routines:OPENSSL_internal:'
    'CERTIFICATE_VERIFY_FAILED" 0 190 3 - "-" "curl/8.5.0" "3c1f" "ledger:8080" '
    '"10.244.190.40:8080" outbound|8080||ledger.mesh-demo.svc.cluster.local - '
    "10.96.201.20:8080 10.244.171.110:41990 - default"
)
# An older proxy (no CONNECTION_TERMINATION_DETAILS field), a TCP connection refused.
OLD_TCP = (
    '[2021-05-02T08:00:01.000Z] "- - -" 0 UF - "-" 0 0 1000 - "-" "-" "-" "-" '
    '"10.244.1.5:6379" outbound|6379||redis.data.svc.cluster.local - 10.96.33.9:6379 '
    "10.244.1.3:40212 - -"
)
INBOUND_NR = (
    '[2026-03-18T10:41:35.002Z] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" "-" '
    '"-" "-" - - 10.244.190.41:8080 10.244.171.111:40412 - -'
)
RBAC = (
    '[2026-03-18T10:41:21.004Z] "GET /v1/accounts/42 HTTP/1.1" 403 - '
    "rbac_access_denied_matched_policy[ns[mesh-demo]-policy[accounts-deny-web]-rule[0]] - "
    '"-" 0 19 0 - "-" "web/1.4.0" "8d2e" "accounts:8080" "-" inbound|8080|| - '
    "10.244.190.41:8080 10.244.171.110:52360 outbound_.8080_.v1_.accounts.mesh-demo.svc - "
)


def test_the_documented_default_format_line_is_read_field_by_field() -> None:
    line = parse_text_line(DOC_LINE)
    assert line is not None
    assert (line.code, line.flags, line.details) == ("418", (), "via_upstream")
    assert line.authority == "httpbin:8000" and line.upstream_host == "10.44.1.27:80"
    assert line.upstream_cluster == "outbound|8000||httpbin.foo.svc.cluster.local"
    assert line.downstream_local == "10.0.45.184:8000"
    assert line.downstream_remote == "10.44.1.23:46520"
    assert not line.failed


def test_uf_with_a_tls_failure_points_at_the_mesh_and_a_refused_tcp_uf_does_not() -> None:
    tls = parse_text_line(UF_TLS)
    assert tls is not None and tls.failed and tls.flags == ("UF",)
    assert "CERTIFICATE_VERIFY_FAILED" in tls.transport_failure
    assert [(f, layer) for f, _, layer in tls.decoded()] == [("UF", "mesh")]
    old = parse_text_line(OLD_TCP)
    assert old is not None and old.code == "0" and old.flags == ("UF",)
    assert old.upstream_host == "10.244.1.5:6379" and old.downstream_local == "10.96.33.9:6379"
    assert [layer for _, _, layer in old.decoded()] == [""]


def test_rbac_denials_and_filter_chain_not_found_fail_and_are_decoded() -> None:
    rbac = parse_text_line(RBAC)
    assert rbac is not None and rbac.failed and rbac.flag_text() == "RBAC"
    assert rbac.decoded()[0][0] == "RBAC" and "accounts-deny-web" in rbac.decoded()[0][1]
    nr = parse_text_line(INBOUND_NR)
    assert nr is not None and nr.failed and nr.outcome() == "NR (filter_chain_not_found)"


def test_json_encoding_reads_the_same_fields() -> None:
    doc = {
        "start_time": "2026-03-18T10:41:20.512Z",
        "method": "GET",
        "path": "/",
        "protocol": "HTTP/1.1",
        "response_code": 503,
        "response_flags": "UC",
        "response_code_details": "upstream_reset_before_response_started{connection_termination}",
        "upstream_transport_failure_reason": None,
        "authority": "ledger:8080",
        "upstream_host": "10.244.190.40:8080",
        "upstream_cluster": "outbound|8080||ledger.mesh-demo.svc.cluster.local",
        "downstream_local_address": "10.96.201.20:8080",
        "downstream_remote_address": "10.244.171.110:41990",
    }
    line = parse_json_line(json.dumps(doc))
    assert line is not None and line.code == "503" and line.flags == ("UC",)
    assert line.transport_failure == "" and line.failed
    assert line.decoded()[0][2] == "mesh"


def test_lines_of_an_edge_by_direction() -> None:
    text = "\n".join(
        ["2026-03-18T10:12:03Z\twarn\txds\tpush failed", DOC_LINE, UF_TLS, INBOUND_NR, RBAC]
    )
    entries = parse_access_log(text)
    assert len(entries) == 4  # the proxy's own log line is skipped
    client = lines_for(entries, {"10.96.201.20", "10.244.190.40"}, "ledger:8080")
    assert [e.raw for e in client] == [UF_TLS]
    by_name = lines_for(entries, set(), "httpbin:8000")
    assert [e.raw for e in by_name] == [DOC_LINE]
    server = lines_for(entries, {"10.244.171.111"}, inbound=True)
    assert [e.raw for e in server] == [INBOUND_NR]
    kept = edge_log(text, ("10.244.171.110",), "", True)  # both lines come from that client
    assert kept.splitlines()[:2] == [UF_TLS, RBAC.strip()]
    assert (
        kept.splitlines()[2] == "[kexplore kept 2 access-log lines for this edge of 5 lines read]"
    )


CLUSTERS = """\
outbound|8080||web.mesh-demo.svc.cluster.local::observability_name::outbound|8080||web.mesh-demo.svc.cluster.local
outbound|8080||web.mesh-demo.svc.cluster.local::default_priority::max_connections::4294967295
outbound|8080||web.mesh-demo.svc.cluster.local::10.244.171.99:8080::cx_connect_fail::14
outbound|8080||web.mesh-demo.svc.cluster.local::10.244.171.99:8080::health_flags::healthy
outbound|8080|v1|web.mesh-demo.svc.cluster.local::10.244.171.98:8080::health_flags::/failed_outlier_check
outbound|9090||web.mesh-demo.svc.cluster.local::10.244.171.99:9090::health_flags::healthy
outbound|8080||webhook.mesh-demo.svc.cluster.local::10.244.171.7:8080::health_flags::healthy
inbound|8080||::127.0.0.6:8080::health_flags::healthy
"""


def test_the_cluster_view_of_one_destination() -> None:
    views = parse_clusters(CLUSTERS, "web.mesh-demo.svc.cluster.local", 8080)
    assert [(v.name, v.endpoints) for v in views] == [
        ("outbound|8080||web.mesh-demo.svc.cluster.local", {"10.244.171.99:8080": "healthy"}),
        (
            "outbound|8080|v1|web.mesh-demo.svc.cluster.local",
            {"10.244.171.98:8080": "/failed_outlier_check"},
        ),
    ]
    assert views[1].healthy() == []
    kept = cluster_lines(CLUSTERS, "web.mesh-demo.svc.cluster.local", 8080)
    assert len(kept.splitlines()) == 5 and "webhook" not in kept and "9090" not in kept
    assert parse_clusters(CLUSTERS, "ledger.mesh-demo.svc.cluster.local", 8080) == []


TLS_SOCKET = {
    "name": "envoy.transport_sockets.tls",
    "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        "sni": "outbound_.8080_._.ledger.mesh-demo.svc.cluster.local",
        "common_tls_context": {"alpn_protocols": ["istio-peer-exchange", "istio"]},
    },
}
SIMPLE_SOCKET = {
    "name": "envoy.transport_sockets.tls",
    "typed_config": {"sni": "api.example.com", "common_tls_context": {}},
}
AUTO = [{"name": "tlsMode-istio", "transport_socket": TLS_SOCKET}, {"name": "tlsMode-disabled"}]


def test_the_tls_mode_of_a_destinations_clusters_from_a_config_dump() -> None:
    ledger = "ledger.mesh-demo.svc.cluster.local"
    dump = {
        "configs": [
            {"@type": "x.DynamicCluster", "cluster": {"name": f"outbound|8080||{ledger}"}},
            {"cluster": {"name": f"outbound|8080|v1|{ledger}", "transport_socket": TLS_SOCKET}},
            {"cluster": {"name": f"outbound|8080|auto|{ledger}", "transport_socket_matches": AUTO}},
            {"cluster": {"name": f"outbound|8080|ext|{ledger}", "transport_socket": SIMPLE_SOCKET}},
            {"cluster": {"name": "outbound|8080||web.mesh-demo.svc.cluster.local"}},
        ]
    }
    modes = destination_tls(json.dumps(dump), ledger, 8080)
    assert [m.split(" ")[0] for m in modes.values()] == ["plaintext", "ISTIO_MUTUAL", "auto", "TLS"]
    kept = tls_lines(json.dumps(dump), ledger, 8080)
    assert len(kept.splitlines()) == 4 and "web.mesh-demo" not in kept
    assert destination_tls(kept, ledger, 8080) == modes  # the kept lines read the same
