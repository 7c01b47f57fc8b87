"""Run the proxy in the foreground until Ctrl-C or SIGTERM (what `workbench proxy` does), a line per round trip."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import NamedTuple, TextIO

from workbench.idle_collection import IdleCollector
from workbench.mock.serve import ConsoleLines
from workbench.proxy.config import ProxyConfig
from workbench.proxy.console import console_line
from workbench.proxy.server import ProxyServer


class _Line(NamedTuple):
    """A line for the mock's batching console writer (it asks each item for its `console_line`)."""

    text: str

    def console_line(self) -> str:
        return self.text


def serve(config: ProxyConfig, on_ready: Callable[[ProxyServer], None], out: TextIO | None = None) -> None:
    """Serve until SIGINT/SIGTERM; open streams are closed (and recorded) before it returns."""
    asyncio.run(_serve(ProxyServer(config), on_ready, out))


async def _serve(server: ProxyServer, on_ready: Callable[[ProxyServer], None], out: TextIO | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console = ConsoleLines(out) if out is not None else None
    collector = IdleCollector(server.round_trips_open)  # as the mock's own process: no pause mid-stream
    try:
        async with server:
            if console is not None:
                write = console
                server.subscribe(lambda proxied: write(_Line(console_line(proxied))))  # type: ignore[arg-type]
                server.subscribe_refusals(lambda sentence: write(_Line(f"refused: {sentence}")))  # type: ignore[arg-type]
            collector.start()
            on_ready(server)
            await stop.wait()
    finally:
        collector.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if console is not None:
            console.flush()
