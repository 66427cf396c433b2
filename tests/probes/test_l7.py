"""Application probes: each classification from the output the real tools print (curl -i,
busybox wget -S, the python script run for real, grpc_health_probe, grpcurl)."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from kexplore.probes.base import L7Spec
from kexplore.probes.l7 import (
    APP_ANSWERED,
    MESH_ANSWERED,
    NOT_SERVING,
    SERVING,
    TLS_MISMATCH,
    TRANSPORT_ERROR,
    UNIMPLEMENTED,
    classify_grpc,
    classify_http,
    mesh_flag,
    parse_http,
)
from kexplore.probes.strategy import BadTarget, Strategy, attempts


def curl_i(status: str, headers: list[tuple[str, str]], body: str) -> str:
    """What `curl -sS -i` prints: the status line and headers with CRLF, then the body."""
    return f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n" + body


ENVOY = [("content-type", "text/plain"), ("date", "Wed, 18 Mar 2026 10:41:40 GMT")]
BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers."
UF = f"{BEFORE_HEADERS} reset reason: connection failure"
UC = f"{BEFORE_HEADERS} reset reason: connection termination"
URX = (
    "upstream connect error or disconnect/reset before headers. retried and the latest reset "
    "reason: remote connection failure, transport failure reason: delayed connect error: 113"
)


@pytest.mark.parametrize(
    ("body", "flag"), [(UF, "UF"), (UC, "UC"), (URX, "URX"), ("no healthy upstream", "UH")]
)
def test_an_envoy_local_503_is_the_mesh_answering_with_its_flag(body: str, flag: str) -> None:
    out = curl_i("503 Service Unavailable", [*ENVOY, ("server", "envoy")], body)
    assert classify_http("curl", 0, out) == MESH_ANSWERED
    assert mesh_flag(out) == flag


def test_rbac_403_relayed_by_the_client_sidecar_is_the_mesh() -> None:
    headers = [*ENVOY, ("server", "envoy"), ("x-envoy-upstream-service-time", "2")]
    out = curl_i("403 Forbidden", headers, "RBAC: access denied")
    assert classify_http("curl", 0, out) == MESH_ANSWERED
    assert mesh_flag(out) == "RBAC"


def test_a_404_without_an_upstream_is_envoys_no_route() -> None:
    out = curl_i("404 Not Found", [("date", "x"), ("server", "envoy"), ("content-length", "0")], "")
    assert classify_http("curl", 0, out) == MESH_ANSWERED and mesh_flag(out) == "NR"


def test_the_apps_own_answers_are_app_answered_whatever_the_status() -> None:
    via = [("server", "istio-envoy"), ("x-envoy-upstream-service-time", "4")]
    for status in ("200 OK", "404 Not Found", "503 Service Unavailable"):
        out = curl_i(status, [("content-type", "application/json"), *via], '{"error":"x"}')
        assert classify_http("curl", 0, out) == APP_ANSWERED, status
    plain = curl_i("404 Not Found", [("server", "nginx/1.25.3")], "<html>not found</html>")
    assert classify_http("curl", 0, plain) == APP_ANSWERED
    answer = parse_http(out)
    assert answer is not None and answer.status == 503
    assert answer.envoy_headers() == dict(via) and answer.body == '{"error":"x"}'


def test_busybox_wget_headers_on_stderr_are_read() -> None:
    out = (
        "Connecting to 10.96.201.20:8080 (10.96.201.20:8080)\n"
        "  HTTP/1.1 503 Service Unavailable\n  content-length: 95\n  content-type: text/plain\n"
        "  date: Wed, 18 Mar 2026 10:41:40 GMT\n  server: envoy\n  \n"
        "wget: server returned error: HTTP/1.1 503 Service Unavailable\n"
    )
    assert classify_http("wget", 1, out) == MESH_ANSWERED
    answer = parse_http(out)
    assert answer is not None and answer.server == "envoy" and answer.body == ""


@pytest.mark.parametrize(
    ("tool", "code", "out", "expected"),
    [
        ("curl", 56, "curl: (56) Recv failure: Connection reset by peer\n", "reset"),
        ("curl", 52, "curl: (52) Empty reply from server\n", "reset"),
        (
            "curl",
            7,
            "curl: (7) Failed to connect to 10.0.0.3 port 80: Connection refused\n",
            "refused",
        ),
        (
            "curl",
            28,
            "curl: (28) Operation timed out after 5001 milliseconds with 0 bytes\n",
            "timeout",
        ),
        (
            "curl",
            35,
            "curl: (35) error:0A00010B:SSL routines::wrong version number\n",
            TLS_MISMATCH,
        ),
        ("curl", 1, "curl: (1) Received HTTP/0.9 when not allowed\n", TLS_MISMATCH),
        ("wget", 1, "wget: error getting response: Connection reset by peer\n", "reset"),
        ("wget", 1, "wget: download timed out\n", "timeout"),
    ],
)
def test_no_answer_is_reset_refused_timeout_or_tls_mismatch(
    tool: str, code: int, out: str, expected: str
) -> None:
    assert classify_http(tool, code, out) == expected


def test_go_servers_answer_plaintext_to_a_tls_port_with_a_400_that_says_so() -> None:
    out = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
    assert classify_http("curl", 0, out) == TLS_MISMATCH


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.path.encode() + b" host=" + self.headers["Host"].encode()
        if self.path == "/envoy":
            body = UF.encode()
        self.send_response(503 if self.path == "/envoy" else 200)
        self.send_header("server", "envoy" if self.path == "/envoy" else "demo")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[int]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


def _python_attempt(port: int, path: str) -> list[str]:
    spec = L7Spec(host="cart:80", path=path)
    found = attempts("http", f"127.0.0.1:{port}", Strategy(frozenset({"python3"})), 3, spec)
    assert [a.tool for a in found] == ["python3"]
    return [sys.executable, *found[0].argv[1:]]


def test_the_python_http_script_runs_and_its_output_classifies(server: int) -> None:
    ok = subprocess.run(_python_attempt(server, "/x"), capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and classify_http("python3", 0, ok.stdout) == APP_ANSWERED
    assert "/x host=cart:80" in ok.stdout  # the Host header as dialed
    bad = subprocess.run(
        _python_attempt(server, "/envoy"), capture_output=True, text=True, check=False
    )
    assert (
        classify_http("python3", 0, bad.stdout) == MESH_ANSWERED and mesh_flag(bad.stdout) == "UF"
    )


def test_http_argv_quotes_nothing_and_refuses_bad_paths_and_hosts() -> None:
    spec = L7Spec(host="ledger:8080", path="/v1/x?a=1")
    curl = attempts("http", "10.0.0.3:8080", Strategy(None), 3, spec)[0].argv
    assert curl[-3:] == ["-H", "Host: ledger:8080", "http://10.0.0.3:8080/v1/x?a=1"]
    for bad in (L7Spec(path="/a b"), L7Spec(path="x"), L7Spec(host="-oops:80")):
        with pytest.raises(BadTarget):
            attempts("http", "10.0.0.3:8080", Strategy(None), 3, bad)


GRPC = [
    ("grpc_health_probe", 0, "status: SERVING\n", SERVING),
    ("grpc_health_probe", 4, 'service unhealthy (responded with "NOT_SERVING")\n', NOT_SERVING),
    (
        "grpc_health_probe",
        3,
        "error: this server does not implement the grpc health protocol "
        "(grpc.health.v1.Health): rpc error: code = Unimplemented desc = unknown service "
        "grpc.health.v1.Health\n",
        UNIMPLEMENTED,
    ),
    (
        "grpc_health_probe",
        3,
        "error: health rpc failed: rpc error: code = Unavailable desc = upstream connect error "
        "or disconnect/reset before headers. reset reason: connection failure\n",
        MESH_ANSWERED,
    ),
    (
        "grpc_health_probe",
        2,
        'timeout: failed to connect service "10.0.0.3:7000" within 3s\n',
        "timeout",
    ),
    (
        "grpc_health_probe",
        3,
        "error: health rpc failed: rpc error: code = Unavailable desc = connection error: desc = "
        '"transport: Error while dialing: dial tcp 10.0.0.3:7000: connect: connection refused"\n',
        "refused",
    ),
    (
        "grpc_health_probe",
        3,
        "error: health rpc failed: rpc error: code = Unavailable desc = connection error: desc = "
        '"transport: authentication handshake failed: tls: first record does not look like a '
        'TLS handshake"\n',
        TLS_MISMATCH,
    ),
    ("grpcurl", 0, '{\n  "status": "SERVING"\n}\n', SERVING),
    (
        "grpcurl",
        1,
        "ERROR:\n  Code: PermissionDenied\n  Message: RBAC: access denied\n",
        MESH_ANSWERED,
    ),
    (
        "grpcurl",
        1,
        'Error invoking method "grpc.health.v1.Health/Check": failed to query for service '
        'descriptor "grpc.health.v1.Health": server does not support the reflection API\n',
        UNIMPLEMENTED,
    ),
    (
        "grpcurl",
        1,
        "ERROR:\n  Code: Internal\n  Message: stream terminated by RST_STREAM with error code: "
        "PROTOCOL_ERROR\n",
        TRANSPORT_ERROR,
    ),
]


@pytest.mark.parametrize(("tool", "code", "out", "expected"), GRPC)
def test_grpc_health_classifications(tool: str, code: int, out: str, expected: str) -> None:
    assert classify_grpc(tool, code, out) == expected


def test_grpc_argv_asks_the_health_service_with_the_authority_as_dialed() -> None:
    spec = L7Spec(host="fraud-detector.payments:7000")
    probe, grpcurl = attempts("grpc", "10.0.0.9:7000", Strategy(None), 3, spec)
    assert probe.argv[:2] == ["grpc_health_probe", "-addr=10.0.0.9:7000"]
    assert grpcurl.argv[-4:] == [
        "-authority",
        "fraud-detector.payments:7000",
        "10.0.0.9:7000",
        "grpc.health.v1.Health/Check",
    ]
