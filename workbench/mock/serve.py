"""Run the mock in the foreground until Ctrl-C or SIGTERM (what `workbench mock` does), ending cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from workbench.mock.config import MockConfig
from workbench.mock.request_log import RequestRecord
from workbench.mock.server import MockServer


def ready_line(server: MockServer) -> str:
    """The one line a user reads at start-up: the base URL to paste, and how auth is set."""
    fault = "none"
    if server.fault:
        fault = server.fault if server.fault_rate >= 1 else f"{server.fault} on {server.fault_rate:.0%} of requests"
    return f"workbench mock ready: base URL {server.base_url} | {server.auth_summary} | fault: {fault} | Ctrl-C stops"


def serve(config: MockConfig, on_ready: Callable[[MockServer], None],
          on_request: Callable[[RequestRecord], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; open streams are closed before it returns. Start-up errors raise."""
    asyncio.run(_serve(MockServer(config), on_ready, on_request))


async def _serve(server: MockServer, on_ready: Callable[[MockServer], None],
                 on_request: Callable[[RequestRecord], None] | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with server:
            if on_request is not None:
                server.subscribe(on_request)
            on_ready(server)
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
