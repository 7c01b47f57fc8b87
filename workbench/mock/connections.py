"""How many connections the mock holds, and how long: a cap, a header timeout, out of descriptors said once.

Slow or stuck clients must not take the mock down (issue 13 row 10: 300 connections stalled
mid-headers were never closed, and with a low descriptor limit real requests timed out while
stderr filled with one accept() traceback after another).

- Header timeout: a connection that has not sent a whole request head `header_timeout_s`
  after it opened, or after its last reply, is closed (idle keep-alive connections
  included). This is aiohttp's own keep-alive timer, which closes a connection still waiting
  for a request head when it fires, so it costs nothing per request.
- Cap: at most `cap` connections at once, the lower of `max_connections` and what the
  descriptor limit leaves. Past it a new connection gets a 503 in the persona's envelope and
  is closed at once, and the console gets one line saying so (at most once a minute).
- Out of descriptors all the same (EMFILE: other code in the process holds many): one line
  with the fix (raise `ulimit -n`) instead of asyncio's traceback for every accept.
  uvloop never gets that far: libuv accepts and closes the connection it has no room for.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from aiohttp.web_protocol import RequestHandler

from workbench import wire

logger = logging.getLogger("workbench.mock")

# Descriptors kept free for everything but connections (a quarter of a lower limit): the listener, the event loop's own,
# the log file, the standard streams, and what an embedding program (the TUI) opens later.
RESERVED_DESCRIPTORS = 64
# `workbench mock` raises its soft descriptor limit this far (or to the hard limit, if lower).
WANTED_DESCRIPTORS = 65536
# A repeated warning (cap reached, out of descriptors) is said at most once in this many seconds.
REPEAT_AFTER_S = 60.0
# How long a connection turned away at the cap may take to read its 503 before it is closed.
REFUSED_LINGER_S = 1.0
# The fix worded for a person.
ULIMIT_HINT = "raise the limit before starting the mock, e.g. `ulimit -n 65536`"

Report = Callable[[str], None]


def descriptor_limit() -> int | None:
    """The soft limit on open files (RLIMIT_NOFILE), or None where there is none to read (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def raise_descriptor_limit(wanted: int = WANTED_DESCRIPTORS) -> int | None:
    """Raise the soft RLIMIT_NOFILE toward `wanted` (never past the hard limit); the soft limit after.

    For a process of its own (`workbench mock`, a benchmark): many systems start programs at
    1,024 descriptors, fewer than a thousand streams need, while the hard limit allows more.
    """
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):  # macOS refuses more than OPEN_MAX whatever the hard limit says
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(target, 10240), hard))
            except (ValueError, OSError):
                pass
    return descriptor_limit()


def open_descriptors() -> int:
    """How many descriptors this process holds now (0 where it cannot be counted)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder))
        except OSError:
            continue
    return 0


class ConnectionGuard:
    """Counts open connections, turns away those past the cap, and says so once."""

    def __init__(self, max_connections: int, refusal: Callable[[int], bytes], report: Report | None = None) -> None:
        self.count = 0
        self.limit = descriptor_limit()
        reserve = RESERVED_DESCRIPTORS if self.limit is None else min(RESERVED_DESCRIPTORS, self.limit // 4)
        room = None if self.limit is None else max(self.limit - open_descriptors() - reserve, 1)
        self.cap = max_connections if room is None else min(max_connections, room)
        self.by_descriptors = room is not None and room < max_connections
        # Refused connections that may wait to read their 503 (half the descriptors kept free).
        self.lingering = 0
        self.linger_budget = max(reserve // 2, 1)
        self.refusal = refusal(self.cap)  # the whole reply a connection past the cap gets
        self.report = report or logger.warning
        self.refused = 0
        self._said_full_at: float | None = None
        self._said_emfile_at: float | None = None

    def full(self) -> bool:
        """True when a new connection must be turned away; the first time in a while, the console is told."""
        if self.count < self.cap:
            return False
        self.refused += 1
        now = time.monotonic()
        if self._said_full_at is None or now - self._said_full_at > REPEAT_AFTER_S:
            self._said_full_at = now
            self.report(self.full_message())
        return True

    def full_message(self) -> str:
        line = f"mock: {plural(self.count, 'connection')} open, "
        if self.by_descriptors:
            line += (f"as many as the open-file limit allows (ulimit -n is {self.limit}); new connections get a "
                     f"503 and are closed at once until some end. To hold more, {ULIMIT_HINT}.")
        else:
            line += ("the most it holds (max_connections); new connections get a 503 and are closed at once "
                     "until some end.")
        return line

    def refuse(self) -> asyncio.Protocol:
        return _Refused(self)

    def exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The event loop's exception handler: running out of descriptors is one line; the rest as asyncio says it."""
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in (errno.EMFILE, errno.ENFILE):
            now = time.monotonic()
            if self._said_emfile_at is None or now - self._said_emfile_at > REPEAT_AFTER_S:
                self._said_emfile_at = now
                limit = f" (ulimit -n is {self.limit})" if self.limit is not None else ""
                self.report(f"mock: out of file descriptors{limit}: a connection could not be accepted and waits; "
                            f"{plural(self.count, 'connection')} open. To hold more, {ULIMIT_HINT}.")
            return
        loop.default_exception_handler(context)


class _Refused(asyncio.Protocol):
    """A connection past the cap: the 503, then a close.

    Closing at once would reset a client whose request is still on its way (its data reaches
    a closed socket), and it could lose the 503 before reading it. So the mock says it is done
    sending, discards what comes, and closes when the client does or after REFUSED_LINGER_S;
    but only `guard.linger_budget` at a time, so a flood cannot take the descriptors left.
    """

    def __init__(self, guard: ConnectionGuard) -> None:
        self.guard = guard
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.guard.refusal)  # type: ignore[attr-defined]
        if self.guard.lingering >= self.guard.linger_budget:
            transport.close()
            return
        self.guard.lingering += 1
        transport.write_eof()  # type: ignore[attr-defined]
        self.timer = asyncio.get_running_loop().call_later(REFUSED_LINGER_S, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # the request of a client turned away: never read

    def eof_received(self) -> bool:
        return False  # the client is done too: close

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.guard.lingering -= 1


def plural(count: int, noun: str) -> str:
    return f"{count} {noun} is" if count == 1 else f"{count} {noun}s are"


def refusal_bytes(body: dict[str, Any]) -> bytes:
    """A whole HTTP/1.1 503 reply with this JSON body, closing the connection."""
    payload = wire.dumps(body).encode()
    head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
    return head.encode() + payload


def full_sentence(cap: int) -> str:
    """What a client turned away at the cap reads."""
    return f"The mock server holds {cap} connections, its most; try again when one ends."



def counting_handler_class(base: type[RequestHandler], guard: ConnectionGuard) -> type[RequestHandler]:
    """A subclass of `base` (no new slots, so a handler can be switched to it) that tells `guard` when it closes."""

    class CountedRequestHandler(base):  # type: ignore[valid-type, misc]
        __slots__ = ()

        def connection_lost(self, exc: BaseException | None) -> None:
            guard.count -= 1
            super().connection_lost(exc)

    return CountedRequestHandler
