"""When each request's bytes arrived, so latency shaping counts from arrival, not from when a busy loop got to it.

With 200 requests landing at once, the last handler starts tens of milliseconds after its
request came; a ttft counted from the handler's start would drift by that much. aiohttp
keeps no arrival time, so each connection's handler is of a subclass that notes the
time.monotonic() of its latest bytes in `arrivals` before aiohttp parses them. HTTP/1.1 clients
send one request at a time on a connection, so "latest bytes" is the current request's end.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp.web_protocol import RequestHandler


def stamping_handler_class(base: type[RequestHandler], arrivals: dict[Any, float]) -> type[RequestHandler]:
    """A subclass of `base` (no new slots, so a handler can be switched to it) that fills `arrivals[handler]`."""
    clock = time.monotonic

    class StampingRequestHandler(base):  # type: ignore[valid-type, misc]
        __slots__ = ()

        def data_received(self, data: bytes) -> None:
            arrivals[self] = clock()
            super().data_received(data)

        def resume_reading(self, resume_parser: bool = True) -> None:
            # aiohttp calls this after every body read, and it feeds the parser b"" (a second
            # data_received a request, re-stamping the arrival with the time of the read) even
            # when reading was never paused. Only a paused connection has anything to resume.
            if self._reading_paused or self._buffer_paused:
                super().resume_reading(resume_parser)

        def connection_lost(self, exc: BaseException | None) -> None:
            arrivals.pop(self, None)
            super().connection_lost(exc)

    return StampingRequestHandler
