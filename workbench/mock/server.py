"""MockServer: start and stop the fake LLM in-process (async), or in a thread for sync code.

    async with MockServer(MockConfig()) as server:        # port 0 -> a free port
        server.base_url                                   # http://127.0.0.1:PORT/v1

    handle = MockServer.start_in_thread(MockConfig())     # its own loop in a daemon thread
    ...; handle.stop()
"""

from __future__ import annotations

import asyncio
import errno
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from aiohttp import web

from workbench.errors import WorkbenchError
from workbench.mock.app import MockApp
from workbench.mock.arrival import stamping_handler_class
from workbench.mock.config import MockConfig, check_fault_name, check_fault_rate
from workbench.mock.connections import ConnectionGuard, counting_handler_class
from workbench.mock.event_loop import loop_factory
from workbench.mock.faults import FaultPicker
from workbench.mock.replies import ReplyScript
from workbench.mock.request_log import RequestLog, RequestRecord

# Connections the kernel may hold before the mock accepts them. asyncio's default, 100, is far
# below the 1,000 clients a load test opens at once: past it the kernel drops a handshake and
# the client tries again a second later. The kernel caps it at net.core.somaxconn.
LISTEN_BACKLOG = 4096
# A safety net only: open streams are cancelled before the runner shuts down.
SHUTDOWN_TIMEOUT_S = 1.0


class MockServer:
    """One fake LLM server. Bad settings (reply file, log path) fail here, before it listens."""

    def __init__(self, config: MockConfig | None = None) -> None:
        self.config = config or MockConfig()
        reply_file = self.config.reply_file
        script = ReplyScript.load(reply_file) if reply_file not in (None, "", "echo") else ReplyScript()
        self._log = RequestLog(self.config.log_path)
        self._picker = FaultPicker(self.config.fault, self.config.fault_rate, self.config.seed)
        self._app = MockApp(self.config, script, self._log, self._picker)
        self._runner: web.ServerRunner | None = None
        self._listener: asyncio.Server | None = None
        self.port: int | None = None
        # Open connections and the cap on them, once started.
        self.connections: ConnectionGuard | None = None

    # ---- addresses ------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the mock server is not running yet")
        host = self.config.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"  # listening everywhere: this machine's loopback is the one to paste
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    @property
    def running(self) -> bool:
        return self._runner is not None

    def replies_waiting(self) -> bool:
        """A reply is being paced or delayed now: a pause of the process would make it late."""
        return bool(self._app.waiting)

    # ---- run-time controls ------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request answered, oldest first (the latest 1,000 at least are kept)."""
        return self._log.records

    def subscribe(self, callback: Callable[[RequestRecord], None]) -> Callable[[], None]:
        """Call `callback(record)` as each request completes (on the server's loop); returns unsubscribe."""
        return self._log.subscribe(callback)

    def set_fault(self, name: str | None, rate: float = 1.0) -> None:
        """Switch the injected fault (None: behave) while running; raises UsageError for unknown names."""
        check_fault_name(name)
        check_fault_rate(rate)
        self._picker.set(name, rate)

    @property
    def fault(self) -> str | None:
        return self._picker.fault

    @property
    def fault_rate(self) -> float:
        return self._picker.rate

    @property
    def auth_summary(self) -> str:
        """How auth is set, in words, for the ready line (never the key itself)."""
        config = self.config
        if config.persona == "polyant":
            key = ("Authorization: Bearer <key>" if config.api_key
                   else "open (no key; /v1/models needs any Bearer token)")
            return f"auth: {key}; persona polyant, models: {', '.join(config.models)}"
        if not config.api_key:
            return "auth: open (no API key required)"
        accepted = {
            "any": "x-api-key: <key> or Authorization: Bearer <key>",
            "x-api-key": "x-api-key: <key> only",
            "bearer": "Authorization: Bearer <key> only",
        }[config.auth_header]
        return f"auth: {accepted}"

    # ---- start and stop ---------------------------------------------------------------

    async def start(self) -> MockServer:
        if self._runner is not None:
            return self
        self._log.open()
        loop = asyncio.get_running_loop()
        max_body = self.config.max_body

        def request(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> web.BaseRequest:
            return web.BaseRequest(message, payload, protocol, writer, task, loop, client_max_size=max_body)

        # aiohttp's keep-alive timer closes a connection still waiting for a request head when it
        # fires: with it set to the header timeout, stalled clients are closed (connections.py).
        server = web.Server(self._app.build(), request_factory=request, access_log=None,
                            keepalive_timeout=self.config.header_timeout_s)
        runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        handlers = runner.server
        assert handlers is not None
        guard = self.connections = ConnectionGuard(self.config.max_connections, self._app.refusal_bytes)
        # Our error replies (parse_errors.py), arrival times (arrival.py) and the connection
        # count (connections.py), on aiohttp's handler.
        handler_class = counting_handler_class(stamping_handler_class(self._app.handler_class, self._app.arrivals),
                                               guard)

        def connection() -> asyncio.Protocol:
            if guard.full():
                return guard.refuse()
            guard.count += 1
            handler = handlers()
            handler.__class__ = handler_class  # the same layout: no new slots
            return handler

        try:
            # Our own listener instead of TCPSite, so each connection's handler is of our class.
            self._listener = await loop.create_server(connection, self.config.host, self.config.port,
                                                      backlog=LISTEN_BACKLOG)
        except OSError as error:
            await runner.cleanup()
            self._log.close()
            raise _listen_error(self.config, error) from None
        self._runner = runner
        self.port = self._listener.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening, end open streams and pending replies now, close the log file."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        assert self._listener is not None
        self._listener.close()
        self._app.close_waiting()
        await runner.cleanup()
        self._log.close()

    async def __aenter__(self) -> MockServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @classmethod
    def start_in_thread(cls, config: MockConfig | None = None) -> MockThread:
        """Run a mock on its own event loop in a daemon thread; returns once it listens."""
        return MockThread(cls(config))


class MockThread:
    """A MockServer running in a background thread, for sync code and the sync openai client."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self._loop = loop_factory()()
        started: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name="workbench-mock", daemon=True)
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
        if self.server.connections is not None:  # the loop is the mock's own: out of descriptors is one line
            self._loop.set_exception_handler(self.server.connections.exception_handler)
        started.set_result(None)
        self._loop.run_forever()
        self._loop.run_until_complete(self.server.stop())
        self._loop.close()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def root_url(self) -> str:
        return self.server.root_url

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RequestRecord]:
        """The request log once it holds at least `count` records.

        A streamed reply is logged when its handler returns, just after the last bytes leave,
        so a client in another thread can read `[DONE]` before the record is there.
        """
        deadline = time.monotonic() + timeout
        while len(self.server.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the mock logged {len(self.server.requests)} request(s) in {timeout} s, not {count}")
            time.sleep(0.002)
        return self.server.requests

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (open streams are closed at once) and wait for the thread to end."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)

    def __enter__(self) -> MockThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listen_error(config: MockConfig, error: OSError) -> WorkbenchError:
    where = f"{config.host}:{config.port}"
    if error.errno == errno.EADDRINUSE:
        return WorkbenchError(f"cannot listen on {where}: the port is already in use.",
                              "stop the other server, or pick another --port (0 picks a free one).")
    if error.errno == errno.EACCES:
        return WorkbenchError(f"cannot listen on {where}: permission denied.", "use a port above 1024.")
    return WorkbenchError(f"cannot listen on {where}: {error.strerror or error}.", "check --host and --port.")
