"""When each request's bytes arrived, so latency shaping counts from arrival, not from when a busy loop got to it.

With 200 requests landing at once, the last handler starts tens of milliseconds after its
request came; a ttft counted from the handler's start would drift by that much. aiohttp
keeps no arrival time, so each connection's protocol is wrapped in ArrivalStamp, which
notes the time.monotonic() of the latest bytes and forwards every call unchanged. HTTP/1.1 clients
send one request at a time on a connection, so "latest bytes" is the current request's end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class ArrivalStamp(asyncio.Protocol):
    """Stands in front of one aiohttp connection handler and stamps `arrivals[handler]`."""

    __slots__ = ("handler", "arrivals", "clock")

    def __init__(self, handler: Any, arrivals: dict[Any, float], clock: Callable[[], float]) -> None:
        self.handler = handler
        self.arrivals = arrivals
        self.clock = clock

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.arrivals[self.handler] = self.clock()
        self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received()

    def connection_lost(self, exc: BaseException | None) -> None:
        self.arrivals.pop(self.handler, None)
        self.handler.connection_lost(exc)

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()
