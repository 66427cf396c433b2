"""Connection to a live API server: kubeconfig resolved like kubectl, raw GETs, faults as errors."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import random
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kexplore.errors import (
    ApiForbiddenError,
    ApiUnreachableError,
    CredentialsError,
    InputError,
    SourceError,
    UsageError,
)
from kexplore.inputs import MIB, read_regular

SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
Query = Sequence[tuple[str, str | int]]


class TlsError(SourceError):
    """The TLS handshake with the API server failed (unknown CA, wrong host or port)."""

    title = "TLS"


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: to connect, for a reply, and for a watch to end on its own."""

    connect: float = 5.0
    read: float = 30.0
    watch: int = 240
    exec_plugin: float = 60.0  # a credential plugin (a login may open a browser)


@dataclass(frozen=True)
class RetryPolicy:
    """How often to retry 429 / 5xx / network failures, with exponential backoff."""

    attempts: int = 4
    base: float = 0.25
    cap: float = 10.0

    def backoff(self, attempt: int) -> float:
        """Seconds before retry `attempt` (1-based): exponential with jitter, capped."""
        wait: float = min(self.cap, self.base * 2 ** (attempt - 1))
        return wait * (0.75 + random.random() / 2)


@dataclass
class HttpFailure(Exception):
    """A non-2xx reply: its status, the Status reason and message, and Retry-After."""

    status: int
    reason: str
    message: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"


@dataclass
class Connection:
    """What one kubeconfig context resolves to; `client()` makes an ApiClient per thread."""

    configuration: Any
    context: str
    namespace: str
    server: str
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def client(self) -> Any:
        """A new ApiClient (never share one between threads)."""
        return k8s("client").ApiClient(configuration=self.configuration)


def k8s(module: str) -> Any:
    """A kubernetes client module, imported on first use (the import costs about a second)."""
    return importlib.import_module(f"kubernetes.{module}")


# --- kubeconfig -----------------------------------------------------------------------------
def kubeconfig_paths(kubeconfig: str | None) -> list[Path]:
    """The kubeconfig files kubectl reads: --kubeconfig, else $KUBECONFIG, else ~/.kube/config."""
    if kubeconfig:
        return [Path(kubeconfig).expanduser()]
    env = os.environ.get("KUBECONFIG", "")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def _current_context(paths: list[Path]) -> str:
    """kubectl's current-context: the first file that sets one wins."""
    for path in paths:
        if path.is_file():
            doc = yaml.safe_load(path.read_text()) or {}
            if isinstance(doc, dict) and doc.get("current-context"):
                return str(doc["current-context"])
    return ""


def list_contexts(kubeconfig: str | None = None) -> tuple[list[str], str]:
    """Context names of the merged kubeconfig and the current one (for a context switcher)."""
    config = k8s("config")
    paths = [p for p in kubeconfig_paths(kubeconfig) if p.is_file()]
    if not paths:
        return [], ""
    for path in paths:
        _check_yaml(path)
    try:
        contexts, _ = config.list_kube_config_contexts(os.pathsep.join(map(str, paths)))
    except (config.ConfigException, OSError) as e:
        raise InputError(f"cannot read kubeconfig: {_one_line(e)}", _KUBECONFIG_FIX) from e
    return [str(c["name"]) for c in contexts], _current_context(paths)


def _check_yaml(path: Path) -> None:
    """A kubeconfig that is not a YAML mapping is bad input: name the file (and line)."""
    try:
        doc = yaml.safe_load(read_regular(path, KUBECONFIG_MAX))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(e, "problem", None) or "not valid YAML"
        raise InputError(f"kubeconfig {where}: {problem}", _KUBECONFIG_FIX) from e
    except InputError as e:
        raise InputError(f"kubeconfig {e.message}", _KUBECONFIG_FIX) from e
    if doc is not None and not isinstance(doc, dict):
        raise InputError(
            f"kubeconfig {path}: a YAML {type(doc).__name__}, not a kubeconfig "
            "(a mapping with clusters, users and contexts)",
            _KUBECONFIG_FIX,
        )


KUBECONFIG_MAX = 64 * MIB  # far above any real kubeconfig
_KUBECONFIG_FIX = "check the file with `kubectl config view`, or pass --kubeconfig"


def connect(
    context: str | None = None,
    namespace: str | None = None,
    kubeconfig: str | None = None,
    timeouts: Timeouts | None = None,
) -> Connection:
    """Resolve a context as kubectl does; in a pod without kubeconfig, use in-cluster config."""
    config = k8s("config")
    timeouts = timeouts or Timeouts()
    paths = [p for p in kubeconfig_paths(kubeconfig) if p.is_file()]
    cfg = k8s("client").Configuration()
    if not paths:
        if kubeconfig:
            what = "is a directory" if Path(kubeconfig).is_dir() else "does not exist"
            raise UsageError(f"kubeconfig {kubeconfig} {what}", "pass an existing file")
        return _in_cluster(cfg, namespace, timeouts)
    names, current = list_contexts(kubeconfig)
    chosen = context or current
    if not chosen:
        raise UsageError("the kubeconfig sets no current-context", "pass --context NAME")
    if chosen not in names:
        known = ", ".join(names) or "none"
        raise UsageError(
            f"context {chosen!r} is not in the kubeconfig (known: {known})",
            "pick one from `kubectl config get-contexts`",
        )
    fix = "check the user entry (token, certificate, exec plugin) with `kubectl config view`"
    try:
        with _logged_errors() as logged:
            _within(
                timeouts.exec_plugin,
                lambda: config.load_kube_config(
                    config_file=os.pathsep.join(map(str, paths)),
                    context=chosen,
                    client_configuration=cfg,
                    persist_config=False,
                ),
            )
    except TimeoutError as e:
        plugin = _exec_plugin(paths, chosen) or "the credential plugin"
        raise CredentialsError(
            f"context {chosen!r}: credential plugin {plugin!r} did not answer in "
            f"{timeouts.exec_plugin:g} s",
            "run it by hand to see what it waits for (a login prompt, a browser, the network)",
        ) from e
    except (config.ConfigException, OSError, ValueError) as e:
        raise CredentialsError(f"context {chosen!r}: {_one_line(e)}", fix) from e
    plugin = _exec_plugin(paths, chosen)
    if plugin and logged:  # the client logs a failed exec plugin and goes on without a token
        if shutil.which(plugin) is None:
            raise CredentialsError(
                f"context {chosen!r}: credential plugin {plugin!r} not found",
                "install it, or fix users[].user.exec.command in the kubeconfig",
            )
        raise CredentialsError(
            f"context {chosen!r}: credential plugin {plugin!r} failed: {_one_line(logged[0])}",
            "log in again with your provider's CLI, then retry",
        )
    cfg.retries = False  # kexplore retries itself, with backoff it can report
    if not cfg.verify_ssl:  # said once, by the loader, instead of urllib3's warning per request
        import urllib3

        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    ctx_namespace = _context_namespace(paths, chosen)
    return Connection(cfg, chosen, namespace or ctx_namespace or "default", cfg.host, timeouts)


def _within(seconds: float, work: Callable[[], object]) -> None:
    """Run `work` (which may run a credential plugin that never returns) for at most
    `seconds`; TimeoutError after that (the stuck thread is left to die with the process)."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as e:  # handed to the caller's thread
            failure.append(e)

    worker = threading.Thread(target=run, name="kubeconfig", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError
    if failure:
        raise failure[0]


def _exec_plugin(paths: list[Path], context: str) -> str:
    """The command of the context's exec credential plugin, as the kubeconfig names it."""
    docs = [yaml.safe_load(p.read_text()) or {} for p in paths]
    contexts = {
        c.get("name"): c.get("context") or {} for d in docs for c in d.get("contexts") or []
    }
    user = contexts.get(context, {}).get("user")
    for d in docs:
        for entry in d.get("users") or []:
            if entry.get("name") == user:
                return str(((entry.get("user") or {}).get("exec") or {}).get("command", ""))
    return ""


@contextlib.contextmanager
def _logged_errors() -> Iterator[list[str]]:
    """Collect the ERROR messages logged meanwhile (the client logs exec plugin failures)."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collect(logging.ERROR)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield messages
    finally:
        root.removeHandler(handler)


def _context_namespace(paths: list[Path], context: str) -> str:
    for path in paths:
        doc = yaml.safe_load(path.read_text()) or {}
        for entry in doc.get("contexts") or []:
            if isinstance(entry, dict) and entry.get("name") == context:
                return str((entry.get("context") or {}).get("namespace") or "")
    return ""


def _in_cluster(cfg: Any, namespace: str | None, timeouts: Timeouts) -> Connection:
    config = k8s("config")
    if not os.environ.get("KUBERNETES_SERVICE_HOST"):
        raise CredentialsError(
            "no kubeconfig found ($KUBECONFIG unset, ~/.kube/config missing) and not in a pod",
            "pass --kubeconfig FILE, set KUBECONFIG, or use --snapshot / --demo",
        )
    try:
        config.load_incluster_config(client_configuration=cfg)
    except config.ConfigException as e:
        raise CredentialsError(f"in-cluster config: {_one_line(e)}", _KUBECONFIG_FIX) from e
    cfg.retries = False
    ns_file = SA_DIR / "namespace"
    own = ns_file.read_text().strip() if ns_file.is_file() else ""
    return Connection(cfg, "in-cluster", namespace or own or "default", cfg.host, timeouts)


# --- requests -------------------------------------------------------------------------------
def _send(
    api: Any, method: str, path: str, query: Query, body: Any, accept: str, timeout: Any
) -> Any:
    headers = {"Accept": accept}
    if body is not None:
        headers["Content-Type"] = "application/json"
    req = api.param_serialize(
        method,
        path,
        query_params=list(query),
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    resp = api.call_api(*req, _request_timeout=timeout)
    if not 200 <= resp.status <= 299:
        raise _failure(resp.status, resp.reason or "", resp.read(), resp.headers)
    return resp


def _failure(status: int, reason: str, data: bytes, headers: Any) -> HttpFailure:
    message, status_reason = "", reason
    try:
        doc = yaml.safe_load(data.decode("utf-8", "replace")) if data else None
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, dict):
        message = str(doc.get("message") or "")
        status_reason = str(doc.get("reason") or reason)
    elif data:
        message = data.decode("utf-8", "replace")[:200]
    retry_after = None
    raw = headers.get("Retry-After") if headers is not None else None
    if raw and str(raw).strip().isdigit():
        retry_after = float(str(raw).strip())
    return HttpFailure(status, status_reason, _one_line(message), retry_after)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, HttpFailure):
        return exc.status == 429 or exc.status >= 500
    return _is_transport(exc) and not _is_tls(exc)


def with_retries(
    conn: Connection, attempt_fn: Callable[[], Any], sleep: Callable[[float], None] = time.sleep
) -> Any:
    """Run `attempt_fn`, retrying 429 (after Retry-After), 5xx and network errors with backoff."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return attempt_fn()
        except Exception as e:
            if attempt >= conn.retry.attempts or not _retryable(e):
                raise
            wait = conn.retry.backoff(attempt)
            if isinstance(e, HttpFailure) and e.retry_after is not None:
                wait = min(max(e.retry_after, wait), conn.retry.cap * 3)
            sleep(wait)


def get_bytes(
    conn: Connection, api: Any, path: str, query: Query = (), accept: str = "application/json"
) -> bytes:
    """GET a path and return the body; HttpFailure or a transport error after retries."""
    timeout = (conn.timeouts.connect, conn.timeouts.read)

    def attempt() -> bytes:
        return bytes(_send(api, "GET", path, query, None, accept, timeout).read())

    return bytes(with_retries(conn, attempt))


def post_json(conn: Connection, api: Any, path: str, body: dict[str, Any]) -> bytes:
    """POST a JSON body (access reviews) and return the reply body."""
    timeout = (conn.timeouts.connect, conn.timeouts.read)

    def attempt() -> bytes:
        return bytes(_send(api, "POST", path, (), body, "application/json", timeout).read())

    return bytes(with_retries(conn, attempt))


def open_stream(
    conn: Connection,
    api: Any,
    path: str,
    query: Query,
    read_timeout: float | None,
    accept: str = "application/json",
) -> Any:
    """Start a streaming GET (watch, log follow); returns the unread urllib3 response."""
    timeout = (conn.timeouts.connect, read_timeout)
    return _send(api, "GET", path, query, None, accept, timeout).response


def interrupt(resp: Any) -> None:
    """Unblock a thread reading a streaming reply: shut its socket down both ways."""
    conn = getattr(resp, "connection", None)
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


# --- faults ---------------------------------------------------------------------------------
def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:300]


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out:
        out.append(current)
        reason = getattr(current, "reason", None)
        current = (
            reason
            if isinstance(reason, BaseException)
            else current.__cause__ or current.__context__
        )
    return out


def _is_tls(exc: BaseException) -> bool:
    import ssl

    api_exception = k8s("client.exceptions").ApiException
    for e in _chain(exc):
        if isinstance(e, ssl.SSLError) or type(e).__name__ == "SSLError":
            return True
        if isinstance(e, api_exception) and e.status == 0 and "SSLError" in str(e.reason):
            return True
    return False


def _timeout_kind(exc: BaseException) -> str:
    """ "read" or "connect" when `exc` is a timeout, else "" (refused is not a timeout)."""
    import urllib3

    errors = urllib3.exceptions
    for e in _chain(exc):
        if isinstance(e, errors.NewConnectionError):
            return ""
        if isinstance(e, errors.ConnectTimeoutError):
            return "connect"
        if isinstance(e, (errors.TimeoutError, TimeoutError)):
            return "read"
    return ""


def _is_transport(exc: BaseException) -> bool:
    import urllib3

    if isinstance(exc, k8s("client.exceptions").ApiException) and exc.status == 0:
        return True
    return any(isinstance(e, (urllib3.exceptions.HTTPError, OSError)) for e in _chain(exc))


def is_api_failure(exc: BaseException) -> bool:
    """Whether `exc` is a failure talking to the API server (HTTP, network or TLS)."""
    return isinstance(exc, HttpFailure) or _is_transport(exc) or _is_tls(exc)


def explain(exc: BaseException, conn: Connection, doing: str = "") -> SourceError:
    """The user-facing error for a failure talking to the API server (one line, with a fix)."""
    where = conn.server
    what = f" while {doing}" if doing else ""
    if isinstance(exc, HttpFailure):
        return _explain_http(exc, conn, what)
    if _is_tls(exc):
        return TlsError(
            f"TLS handshake with {where} failed{what}: {_ssl_reason(exc)}",
            "check the server URL and port, and the cluster's certificate-authority "
            "in the kubeconfig",
        )
    timeout = _timeout_kind(exc)
    if timeout:
        limit = conn.timeouts.read if timeout == "read" else conn.timeouts.connect
        verb = "answer" if timeout == "read" else "accept a connection"
        return ApiUnreachableError(
            f"{where} did not {verb} within {limit:g} s{what}",
            "the API server is slow or unreachable: retry, check the network or VPN, "
            "`kubectl get --raw /readyz`",
        )
    return ApiUnreachableError(
        f"cannot connect to {where}{what} ({_transport_reason(exc)})",
        f"check that the cluster is running and reachable and that context {conn.context!r} "
        "is the right one (`kubectl cluster-info`)",
    )


def _explain_http(exc: HttpFailure, conn: Connection, what: str) -> SourceError:
    where = conn.server
    if exc.status == 401:
        return CredentialsError(
            f"{where} rejected the credentials of context {conn.context!r}{what} "
            "(401 Unauthorized: expired or invalid)",
            "log in again or renew the token (running `kubectl get ns` refreshes exec plugins)",
        )
    if exc.status == 403:
        return ApiForbiddenError(
            f"{exc.message or 'forbidden'}{what}",
            "ask for the permission, or pass --namespace for a namespace you can read",
        )
    if exc.status == 429:
        return ApiUnreachableError(
            f"{where} kept throttling requests{what} (429 Too Many Requests)",
            "the API server is overloaded: wait a minute and retry",
        )
    if exc.status >= 500:
        return ApiUnreachableError(
            f"{where} failed{what}: {exc}",
            "the API server is unhealthy: retry later, check `kubectl get --raw /readyz`",
        )
    return SourceError(f"{where} refused a request{what}: {exc}", "report this as a kexplore bug")


def _ssl_reason(exc: BaseException) -> str:
    for e in _chain(exc):
        text = str(getattr(e, "reason", "") or e)
        if "SSL" in text or "certificate" in text:
            return _one_line(text.replace("SSLError", ""))[:160]
    return _one_line(exc)[:160]


def _transport_reason(exc: BaseException) -> str:
    for e in _chain(exc):
        if isinstance(e, ConnectionRefusedError) or "refused" in str(e).lower():
            return "connection refused"
        if "Name or service not known" in str(e) or "nodename nor servname" in str(e):
            return "unknown host name"
    return _one_line(exc)[:160]
