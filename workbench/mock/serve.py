"""Run the mock in the foreground until Ctrl-C or SIGTERM (what `workbench mock` does), ending cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import TextIO

from workbench.idle_collection import IdleCollector
from workbench.mock.config import MockConfig
from workbench.mock.connections import raise_descriptor_limit
from workbench.mock.event_loop import loop_factory
from workbench.mock.request_log import RequestRecord
from workbench.mock.server import MockServer


def ready_line(server: MockServer) -> str:
    """The one line a user reads at start-up: the base URL to paste, and how auth is set."""
    fault = "none"
    if server.fault:
        fault = server.fault if server.fault_rate >= 1 else f"{server.fault} on {server.fault_rate:.0%} of requests"
    return f"workbench mock ready: base URL {server.base_url} | {server.auth_summary} | fault: {fault} | Ctrl-C stops"


# Lines are gathered this long before one write: system calls are dear under load (in a
# small VM a write costs tens of microseconds), and a person cannot see 50 ms.
CONSOLE_BATCH_S = 0.05


class ConsoleLines:
    """Writes one line per request, gathered for up to CONSOLE_BATCH_S and written at once."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pending: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, record: RequestRecord) -> None:
        if not self.pending:
            if self.loop is None:
                self.loop = asyncio.get_running_loop()
            self.loop.call_later(CONSOLE_BATCH_S, self.flush)
        self.pending.append(record.console_line())

    def flush(self) -> None:
        if self.pending:
            self.pending.append("")
            self.out.write("\n".join(self.pending))
            self.pending.clear()
            self.out.flush()


def serve(config: MockConfig, on_ready: Callable[[MockServer], None], out: TextIO | None = None) -> None:
    """Serve until SIGINT/SIGTERM, a line per request on `out`; open streams close before it returns."""
    raise_descriptor_limit()  # a thousand streams need more than the 1,024 many systems start with
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(_serve(MockServer(config), on_ready, out))


async def _serve(server: MockServer, on_ready: Callable[[MockServer], None], out: TextIO | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console = ConsoleLines(out) if out is not None else None
    collector = IdleCollector(server.replies_waiting)  # no collection pauses a paced stream
    try:
        async with server:
            assert server.connections is not None
            loop.set_exception_handler(server.connections.exception_handler)  # out of descriptors: one line
            if console is not None:
                server.subscribe(console)
            collector.start()
            on_ready(server)
            await stop.wait()
    finally:
        collector.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if console is not None:
            console.flush()
