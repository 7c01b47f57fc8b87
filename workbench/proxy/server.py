"""ProxyServer: start and stop the proxy in-process (async), or in a thread for sync code and the TUI.

    async with ProxyServer(ProxyConfig(to="http://127.0.0.1:8000/v1", port=0)) as proxy:
        proxy.base_url                        # http://127.0.0.1:PORT/v1: give this to the platform
        proxy.subscribe(callback)             # callback(Proxied) as each round trip ends

    handle = ProxyServer.start_in_thread(config)   # its own loop in a daemon thread
    ...; handle.stop()

Each round trip ends in `_done`: written to the --log file and handed to every subscriber, on
the proxy's loop. The proxy keeps none itself (a subscriber keeps what it shows): memory stays
flat however long it runs, and the garbage collector has no growing heap to walk.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future

from workbench.mock.server import _listen_error
from workbench.proxy.config import ProxyConfig
from workbench.proxy.front import FrontConnection
from workbench.proxy.front_door import FrontDoor
from workbench.proxy.log import ProxyLog
from workbench.proxy.round_trip import Forwarder
from workbench.proxy.upstream import Upstream
from workbench.proxy.verdict import Proxied
from workbench.redact import remember

# How long open streams get to end on their own when the proxy stops, before they are closed.
SHUTDOWN_TIMEOUT_S = 1.0


class ProxyServer:
    """One recording proxy. A bad log path fails in `start`, before it listens."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        upstream = config.upstream
        credential = upstream.auth_headers() if upstream is not None else None
        self.front_door = FrontDoor(config.front_key, credential, upstream.api_key if upstream else None)
        remember(config.front_key)
        self._log = ProxyLog(config.log_path) if config.log_path else None
        self._subscribers: list[Callable[[Proxied], None]] = []
        self._refusal_subscribers: list[Callable[[str], None]] = []
        self._listener: asyncio.Server | None = None
        self._connections: set[FrontConnection] = set()
        self._upstream: Upstream | None = None
        self._forwarder: Forwarder | None = None
        self.port: int | None = None

    # ---- addresses ------------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the proxy is not running yet")
        host = self.config.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The base URL to give the platform (through the tunnel): the endpoint's path on the proxy."""
        return self.root_url + self.config.base_path

    @property
    def running(self) -> bool:
        return self._listener is not None

    def round_trips_open(self) -> bool:
        """A request is being answered now: a pause of the process would hold its chunks back."""
        return any(connection.busy for connection in self._connections)

    # ---- who hears about round trips --------------------------------------------------------

    def subscribe(self, callback: Callable[[Proxied], None]) -> Callable[[], None]:
        """`callback(proxied)` as each round trip ends (on the proxy's loop); returns unsubscribe."""
        return _add(self._subscribers, callback)

    def subscribe_refusals(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """`callback(sentence)` for each request the proxy refused itself (wrong key, too large)."""
        return _add(self._refusal_subscribers, callback)

    def _done(self, proxied: Proxied) -> None:
        if self._log is not None:
            try:
                self._log.write(proxied)
            except OSError as error:  # a full disk must not stop the proxy
                print(f"proxy: could not write the log: {error.strerror or error}", file=sys.stderr)
        _tell(self._subscribers, proxied)

    def _refused(self, sentence: str) -> None:
        _tell(self._refusal_subscribers, sentence)

    # ---- start and stop ---------------------------------------------------------------------

    async def start(self) -> ProxyServer:
        if self._listener is not None:
            return self
        if self._log is not None:
            self._log.open()
        loop = asyncio.get_running_loop()
        self._upstream = Upstream(self.config)
        self._forwarder = Forwarder(self.config, self._upstream, self.front_door, self._done, self._refused)
        forwarder, cap, connections = self._forwarder, self.config.body_cap, self._connections

        def connection() -> FrontConnection:
            return FrontConnection(forwarder, cap, connections, self._refused)

        try:
            self._listener = await loop.create_server(connection, self.config.host, self.config.port, backlog=1024)
        except OSError as error:
            await self._close_session()
            raise _listen_error(self.config, error) from None  # type: ignore[arg-type]
        self.port = self._listener.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening; open round trips end (recorded as stopped by the proxy); close the log."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        assert self._forwarder is not None
        self._forwarder.stopping = True
        listener.close()
        await self._end_connections()
        await self._close_session()
        if self._log is not None:
            self._log.close()

    async def _end_connections(self) -> None:
        """Open round trips get SHUTDOWN_TIMEOUT_S to end on their own; then every connection is closed
        (which cancels what is still running: recorded as stopped by the proxy)."""
        for connection in list(self._connections):
            connection.stop()
        running = [c.task for c in self._connections if c.busy and c.task is not None]
        if running:
            await asyncio.wait(running, timeout=SHUTDOWN_TIMEOUT_S)
        left = [c.task for c in self._connections if c.task is not None and not c.task.done()]
        for connection in list(self._connections):
            connection.abort()
        if left:
            await asyncio.wait(left, timeout=SHUTDOWN_TIMEOUT_S)

    async def _close_session(self) -> None:
        if self._upstream is not None:
            await self._upstream.close()
            self._upstream = None

    async def __aenter__(self) -> ProxyServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @classmethod
    def start_in_thread(cls, config: ProxyConfig) -> ProxyThread:
        """Run a proxy on its own event loop in a daemon thread; returns once it listens."""
        return ProxyThread(cls(config))


class ProxyThread:
    """A ProxyServer on its own loop in a background thread (the TUI's, and sync tests')."""

    def __init__(self, server: ProxyServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        started: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name="workbench-proxy", daemon=True)
        self._thread.start()
        started.result()  # re-raises a start-up error (port in use, bad log path) here

    def _run(self, started: Future[None]) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as error:
            started.set_exception(error)
            self._loop.close()
            return
        started.set_result(None)
        self._loop.run_forever()
        self._loop.run_until_complete(self.server.stop())
        self._loop.close()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the proxy (open streams end at once) and wait for the thread to end."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)

    def __enter__(self) -> ProxyThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _add(subscribers: list, callback: Callable) -> Callable[[], None]:  # type: ignore[type-arg]
    subscribers.append(callback)

    def unsubscribe() -> None:
        if callback in subscribers:
            subscribers.remove(callback)

    return unsubscribe


def _tell(subscribers: list, item: object) -> None:  # type: ignore[type-arg]
    for callback in list(subscribers):
        try:
            callback(item)
        except Exception as error:  # a broken subscriber must not break the proxy
            print(f"proxy: a subscriber failed: {type(error).__name__}: {error}", file=sys.stderr)
