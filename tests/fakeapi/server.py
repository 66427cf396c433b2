"""FakeApiServer: the fake API on 127.0.0.1 in a daemon thread, with kubeconfig and scripting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import kmock
import yaml

from . import rbac
from .handler import FakeApiHandler
from .store import FakeCluster

T = TypeVar("T")


class FakeApiServer:
    """Serve `cluster` over real HTTP for synchronous tests: `with FakeApiServer() as api: ...`.

    `api.handler` is the kmock handler: script reactions with its DSL (they win over the
    default API) and inspect the requests it recorded.
    """

    def __init__(
        self,
        cluster: FakeCluster | None = None,
        users: list[rbac.User] | None = None,
        bookmark_interval: float = 0.2,
        port: int | None = None,
    ) -> None:
        self.cluster = cluster or FakeCluster()
        self._port = port  # None: any free port; a stopped server's port: a restart
        self._users = {"admin": rbac.admin(), **{u.name: u for u in users or []}}
        self._bookmark_interval = bookmark_interval
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="fake-api", daemon=True)
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._handler: FakeApiHandler | None = None
        self._failure: BaseException | None = None
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> FakeApiServer:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._failure is not None or not self.url:
            raise RuntimeError("the fake API server did not start") from self._failure
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving (an outage: clients' connections are refused from now on)."""
        if self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as e:  # reported to the test thread by __enter__
            self._failure = e
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self._handler = FakeApiHandler(
            cluster=self.cluster, users=self._users, bookmark_interval=self._bookmark_interval
        )
        async with self._handler, kmock.Server(self._handler, port=self._port) as server:
            self.url = str(server.url).rstrip("/")
            self._ready.set()
            await self._stop.wait()
            self._handler.close()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def handler(self) -> FakeApiHandler:
        assert self._handler is not None, "the server is not running"
        return self._handler

    def on_loop(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the server's loop (needed to change reactions while streams are open)."""

        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout=30)

    # --- users and kubeconfig -------------------------------------------------------------
    def add_user(self, user: rbac.User) -> None:
        self._users[user.name] = user

    def kubeconfig(
        self,
        user: str = "admin",
        context: str = "fake",
        namespace: str | None = None,
        scheme: str = "http",
    ) -> dict[str, Any]:
        """A kubeconfig document whose one context reaches this server as `user` (bearer token)."""
        ctx: dict[str, Any] = {"cluster": f"{context}-cluster", "user": f"{context}-{user}"}
        if namespace:
            ctx["namespace"] = namespace
        server = self.url.replace("http://", f"{scheme}://", 1)
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": context,
            "clusters": [{"name": f"{context}-cluster", "cluster": {"server": server}}],
            "users": [{"name": f"{context}-{user}", "user": {"token": user}}],
            "contexts": [{"name": context, "context": ctx}],
        }

    def write_kubeconfig(self, path: Path, **kwargs: Any) -> Path:
        """Write `kubeconfig(**kwargs)` to `path` and return it."""
        path.write_text(yaml.safe_dump(self.kubeconfig(**kwargs)))
        return path

    # --- scripting ------------------------------------------------------------------------
    def fail(
        self,
        criteria: str,
        code: int,
        *,
        times: int = 1,
        reason: str = "InternalError",
        message: str = "injected failure",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests matching `criteria` (kmock syntax) with a Status."""
        remaining = [times]

        def respond() -> dict[str, Any]:
            if remaining[0] <= 0:
                raise NotImplementedError  # depleted: fall through to the default API
            remaining[0] -= 1
            return {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "reason": reason,
                "message": message,
                "code": code,
            }

        def script() -> None:
            reaction = self.handler[criteria] << code
            if headers:
                reaction = reaction << kmock.headers(headers)
            reaction << respond

        self.on_loop(script)

    def delay(self, criteria: str, seconds: float, *, times: int | None = None) -> None:
        """Hold requests matching `criteria` for `seconds` before the default API answers them."""
        remaining = [times]

        async def hold() -> None:
            if remaining[0] is not None:
                if remaining[0] <= 0:
                    raise NotImplementedError
                remaining[0] -= 1
            await asyncio.sleep(seconds)
            raise NotImplementedError  # now let the default API answer

        self.on_loop(lambda: self.handler[criteria] << hold)

    def hold(self, criteria: str, watch_only: bool = False) -> threading.Event:
        """Make requests matching `criteria` wait until the returned event is set."""
        release = threading.Event()

        async def wait() -> None:
            while not release.is_set():
                await asyncio.sleep(0.01)
            raise NotImplementedError  # released: let the default API answer

        def script() -> None:
            view = self.handler[criteria]
            if watch_only:
                view = view[lambda req: req.params.get("watch") in ("1", "true")]
            view << wait

        self.on_loop(script)
        return release

    def end_watches(self) -> None:
        """Close every open watch stream, as a restarting API server would."""
        self.on_loop(self.handler.end_watches)

    def requests(self, criteria: str) -> list[kmock.Request]:
        """Requests recorded so far that match `criteria` (kmock syntax)."""
        return self.on_loop(lambda: list(self.handler[criteria]))
