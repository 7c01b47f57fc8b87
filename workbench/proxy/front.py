"""The proxy's side toward the platform, written by hand: HTTP/1.1 requests parsed by httptools, answers framed here.

Why by hand: an aiohttp server took 0.4-0.5 ms from a request's last byte to its handler on this
machine, half of what issue 16 gives the whole proxy (benchmarks/README.md, `bench_proxy.py`).
llhttp (through httptools) does the parsing, strictly: a request with both Content-Length and
Transfer-Encoding, a bad chunk size or a bare LF is refused, as request smuggling needs.

What each connection does:
- a request is handed to the handler as soon as its head is in (`Incoming`); its body comes as
  the platform sends it, up to the body cap, and `100 Continue` goes out only when the handler
  asks for the body (after the front door's key check);
- requests on one connection are answered in order (pipelined ones wait their turn);
- the answer (`Answer`) carries the endpoint's headers as they came, plus a Date when there is
  none (RFC 9110 §6.6.1), framed by the endpoint's Content-Length, else chunked (HTTP/1.1), else
  by closing (HTTP/1.0); nothing else is added (no Server, no Content-Type);
- a platform that hangs up cancels its handler at once (the endpoint's stream is then closed);
- a connection that has not sent a whole request head for KEEP_ALIVE_S (idle, or a head trickling
  in: slowloris) is closed, and a body that has not come whole within BODY_S is answered 408.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Protocol

import httptools

from workbench import wire
from workbench.http_date import http_date

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# An idle keep-alive connection is closed after this long (aiohttp's server default).
KEEP_ALIVE_S = 75.0
# The longest request head read (aiohttp refused lines over 8 KiB; this bounds the whole head).
MAX_HEAD = 64 << 10
# The longest a refused connection is read (and dropped) for, so its answer is not lost to a reset.
LINGER_S = 2.0
# The longest a request body may take to arrive once its head is in.
BODY_S = 60.0
# Requests parsed ahead of the one being answered before the socket is no longer read.
PIPELINED = 4
Header = tuple[str, str]


class BodyTimeout(Exception):
    """The platform sent a head and then too little of its body for too long (a 408 follows)."""


class Incoming:
    """One request from the platform, from its head on.

    Made for every request before anything is forwarded, so it holds only what came: the length
    is read from the headers when asked, and a future to wait on is made only when the body is
    not whole yet when the handler asks for it.
    """

    __slots__ = ("_connection", "_continued", "_cut", "_waiter", "_whole", "begun", "body_bytes", "keep_alive",
                 "method", "raw_headers", "raw_path", "too_large", "version")

    def __init__(self, connection: FrontConnection, method: str, raw_path: str, version: tuple[int, int],
                 raw_headers: list[tuple[bytes, bytes]], keep_alive: bool) -> None:
        self._connection = connection
        self.method, self.raw_path, self.version = method, raw_path, version
        self.raw_headers = raw_headers
        self.keep_alive = keep_alive
        self.body_bytes = bytearray()
        self.too_large = False  # more body came than the cap: it is read and dropped
        self._waiter: asyncio.Future[None] | None = None  # the handler waiting for the rest of the body
        self._continued = False
        self._whole = False  # the body has been read to its end
        self._cut = False  # the platform went away before it had
        self.begun: Begun | None = None  # taken by the handler (and perhaps sent on) before its turn came

    @property
    def content_length(self) -> int | None:
        length = self.header("content-length")
        return int(length) if length and length.isdigit() else None

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), as text."""
        wanted = name.lower().encode()
        for key, value in self.raw_headers:
            if key.lower() == wanted:
                return value.decode("utf-8", "replace")
        return None

    @property
    def complete(self) -> bool:
        """The whole request has been read (its body to the end)."""
        return self._whole

    @property
    def expects_continue(self) -> bool:
        return self.version == (1, 1) and (self.header("expect") or "").lower() == "100-continue"

    async def body(self) -> bytes | None:
        """The whole body (after `100 Continue`, when the platform waits for it); None when over the cap."""
        if not self._whole:
            if self.expects_continue and not self._continued:
                self._continued = True
                self._connection.write(CONTINUE)
            if self._cut:
                raise ConnectionResetError("the platform closed the connection mid-request")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(BODY_S):
                    await self._waiter
            except TimeoutError:
                raise BodyTimeout(f"the request body did not arrive whole within {BODY_S:g} s") from None
            finally:
                self._waiter = None
        return None if self.too_large else bytes(self.body_bytes)

    # ---- fed by the connection ------------------------------------------------------------------

    def take(self, data: bytes, cap: int) -> None:
        if self.too_large:
            return
        if len(self.body_bytes) + len(data) > cap:
            self.too_large = True
            self.body_bytes = bytearray()
            return
        self.body_bytes += data

    def ended(self) -> None:
        self._whole = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def cut(self) -> None:
        """The platform went away before the body was whole."""
        self._cut = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionResetError("the platform closed the connection mid-request"))
            waiter.exception()  # retrieved: a handler already cancelled must not be logged


class Answer:
    """The answer to one Incoming: `start` (the head), `write` (the body, framed), then `end` or `cut`."""

    __slots__ = ("_chunked", "_connection", "_no_body", "close", "ended", "incoming", "started")

    def __init__(self, connection: FrontConnection, incoming: Incoming) -> None:
        self._connection = connection
        self.incoming = incoming
        self.started = False
        self.ended = False
        self.close = not incoming.keep_alive
        self._chunked = False
        self._no_body = False

    def start(self, status: int, reason: str, headers: list[Header]) -> None:
        incoming = self.incoming
        self.started = True
        self._no_body = incoming.method == "HEAD" or status in (204, 304) or 100 <= status < 200
        framed = any(name.lower() == "content-length" for name, _ in headers)
        if not incoming.complete:  # turned away before its body was read: reading on would be guessing
            self.close = True
        lines = [f"HTTP/{incoming.version[0]}.{incoming.version[1]} {status} {reason}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if not any(name.lower() == "date" for name, _ in headers):
            lines.append(f"Date: {date_now()}")
        if not framed and not self._no_body:
            if incoming.version >= (1, 1):
                self._chunked = True
                lines.append("Transfer-Encoding: chunked")
            else:
                self.close = True  # HTTP/1.0: the body ends when the connection does
        if self.close:
            lines.append("Connection: close")
        self._connection.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    async def write(self, data: bytes) -> None:
        if self._no_body or not data:
            return
        self._connection.write(b"%x\r\n%b\r\n" % (len(data), data) if self._chunked else data)
        await self._connection.drain()

    def end(self) -> None:
        if self._chunked:
            self._connection.write(b"0\r\n\r\n")
        self.ended = True
        self._connection.answered(self)

    def cut(self) -> None:
        """End the connection with no clean end of body: the platform sees what the endpoint did."""
        self._connection.abort()

    def error(self, status: int, message: str, code: str) -> None:
        """The proxy's own answer (a refusal, a gateway error), in the OpenAI error envelope."""
        self.whole(status, HTTPStatus(status).phrase, error_body(message, code), [("Content-Type", "application/json")])

    def whole(self, status: int, reason: str, body: bytes, headers: list[Header]) -> None:
        """A complete answer with a body (the proxy's own: refusals and gateway errors)."""
        self.start(status, reason, [*headers, ("Content-Length", str(len(body)))])
        if not self._no_body:
            self._connection.write(body)
        self.end()


class Begun(Protocol):
    """A request the handler has taken: perhaps already sent on (from the parser's callback)."""

    async def run(self, answer: Answer) -> None: ...

    def abandon(self) -> None: ...


class Handler(Protocol):
    def begin(self, incoming: Incoming) -> Begun:
        """Take a request; forward it at once if it can go (called from the parser's callback when
        its body is whole and nothing is being answered, else from the connection's task)."""
        ...


class FrontConnection(asyncio.Protocol):
    """One platform connection: parses its requests, runs the handler for each in turn, writes the answers."""

    def __init__(self, handler: Handler, body_cap: int, connections: set[FrontConnection],
                 refused: Callable[[str], None]) -> None:
        self.handler = handler
        self.body_cap = body_cap
        self.connections = connections
        self.refused = refused
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.queue: collections.deque[Incoming] = collections.deque()
        self.task: asyncio.Task[None] | None = None  # `_serve`, for as long as the connection lasts
        self.wakeup: asyncio.Future[None] | None = None  # what `_serve` waits on while there is no request
        self.busy = False  # a request is being answered
        self.closing = False  # the proxy is stopping: no request after the one being answered
        self.reading: Incoming | None = None  # the request whose head or body is being read
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.in_head = False  # a request head has begun and is not complete
        self.head_bytes = 0  # of that head, counted from whole reads that were all head
        self.lost = False
        self.discarding = False  # a request could not be read: what follows is read and dropped until the close
        self.paused_reading = False
        self.writable: asyncio.Future[None] | None = None  # set while the socket's buffer is full
        self.idle: asyncio.TimerHandle | None = None

    # ---- the socket ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.connections.add(self)
        # One task for the connection's life, woken for each request: making a task for every
        # request (a Task, its name, its registration) cost the way there tens of microseconds.
        self.task = asyncio.get_running_loop().create_task(self._serve())

    def data_received(self, data: bytes) -> None:
        if self.discarding:
            return
        was_in_head = self.in_head
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._bad_request("this proxy does not switch protocols (Upgrade, CONNECT)")
            return
        except httptools.HttpParserError as error:
            self._bad_request(f"the request could not be read as HTTP/1.1 ({error})")
            return
        if was_in_head and self.in_head:  # all of it was head, and the head is not over yet: bound it
            self.head_bytes += len(data)
        if self.head_bytes > MAX_HEAD:
            self._bad_request(f"the request head is over {MAX_HEAD >> 10} KiB", status=431)

    def eof_received(self) -> bool:
        return False  # a half-closed platform is a gone platform: close, and cancel its handler

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.connections.discard(self)
        if self.idle is not None:
            self.idle.cancel()
        for incoming in (*self.queue, *([self.reading] if self.reading else [])):
            incoming.cut()
            if incoming.begun is not None:  # sent on, never answered: the endpoint is told
                incoming.begun.abandon()
        if self.task is not None and not self.task.done():
            self.task.cancel()  # the platform hung up: the round trip closes the endpoint's stream
        self._wake_writer()

    def pause_writing(self) -> None:
        if self.writable is None:
            self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        self._wake_writer()

    def _wake_writer(self) -> None:
        writable, self.writable = self.writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def drain(self) -> None:
        if self.lost:
            raise ConnectionResetError("the platform closed the connection")
        if self.writable is not None:
            await self.writable
            if self.lost:
                raise ConnectionResetError("the platform closed the connection")

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # ---- httptools' callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.in_head, self.head_bytes = True, 0

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        version = parser.get_http_version()
        incoming = Incoming(self, parser.get_method().decode("ascii", "replace"), self.url.decode("latin-1"),
                            (1, 0) if version == "1.0" else (1, 1), self.headers, parser.should_keep_alive())
        self.url, self.headers, self.in_head = b"", [], False
        if self.idle is not None:  # the idle clock runs until a whole head is in: a head sent a byte a
            self.idle.cancel()     # minute (slowloris) is closed like an idle connection
            self.idle = None
        self.reading = incoming
        self.queue.append(incoming)
        wakeup = self.wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)
        if len(self.queue) > PIPELINED and self.transport is not None:
            self.paused_reading = True
            self.transport.pause_reading()

    def on_body(self, body: bytes) -> None:
        if self.reading is not None:
            self.reading.take(body, self.body_cap)

    def on_message_complete(self) -> None:
        incoming = self.reading
        if incoming is None:
            return
        incoming.ended()
        self.reading = None
        if not self.busy and self.queue and self.queue[0] is incoming:
            # Its turn, and whole: forwarded from here, before the task wakes (a loop turn saved).
            incoming.begun = self.handler.begin(incoming)

    # ---- answering ------------------------------------------------------------------------------

    async def _serve(self) -> None:
        """Answer the connection's requests in turn, for as long as it lasts."""
        loop = asyncio.get_running_loop()
        while not self.lost and not self.closing:
            if not self.queue:
                self._idle_from_now()
                self.wakeup = loop.create_future()
                await self.wakeup
                continue
            if not self._answer_one(await self._answered(self.queue[0])):
                return
        if self.closing and not self.busy:
            self.abort()

    async def _answered(self, incoming: Incoming) -> Answer:
        answer = Answer(self, incoming)
        self.busy = True
        try:
            begun, incoming.begun = incoming.begun or self.handler.begin(incoming), None
            await begun.run(answer)
        except Exception as error:  # a bug must cost one request, not the proxy
            self._failed(answer, error)
        finally:
            self.busy = False
            if self.queue and self.queue[0] is incoming:
                self.queue.popleft()
        return answer

    def _answer_one(self, answer: Answer) -> bool:
        """After an answer: False when the connection ends with it."""
        if answer.close or not answer.ended:
            if not answer.close:
                self.abort()
            return False
        if self.paused_reading and len(self.queue) <= PIPELINED and self.transport is not None:
            self.paused_reading = False
            self.transport.resume_reading()
        return True

    def stop(self) -> None:
        """The proxy is stopping: an idle connection closes now, a busy one after its answer."""
        self.closing = True
        if not self.busy:
            self.abort()

    def answered(self, answer: Answer) -> None:
        """An answer is complete: close now if it said so (lingering when its request's body was never read)."""
        if not answer.close:
            return
        if answer.incoming.complete:
            self.abort()
        else:
            self._linger()

    def _failed(self, answer: Answer, error: Exception) -> None:
        print(f"proxy: a request failed inside the proxy: {type(error).__name__}: {error}", file=sys.stderr)
        if answer.started:
            self.abort()
            return
        answer.close = True
        answer.error(500, f"the proxy failed on this request ({type(error).__name__}).", "proxy_failure")

    def _idle_from_now(self) -> None:
        self.idle = asyncio.get_running_loop().call_later(KEEP_ALIVE_S, self.abort)

    def _bad_request(self, why: str, status: int = 400) -> None:
        """A request that cannot be read: answered in the OpenAI envelope, then the connection is closed."""
        self.refused(f"a request that could not be read -> {status} (not forwarded): {why}.")
        if not self.busy:  # nothing is being answered: the answer can go out now
            body = error_body(f"{why}.", "bad_request")  # no Answer: there is no request it could be read as
            head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\nDate: {date_now()}\r\n\r\n")
            self.write(head.encode() + body)
        self._linger()

    def _linger(self) -> None:
        """Close after the answer, without losing it: closing a socket with unread bytes sends a reset,
        which can reach the platform before the answer does. So the sending side ends now, what still
        comes is read and dropped, and the socket closes when the platform closes its side (or after
        LINGER_S)."""
        self.discarding = True
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if transport.can_write_eof():
            transport.write_eof()
        if self.paused_reading:
            transport.resume_reading()
        asyncio.get_running_loop().call_later(LINGER_S, self.abort)


def error_body(message: str, code: str) -> bytes:
    """The OpenAI error envelope the platforms all read, saying it is the proxy's own answer."""
    return wire.dumps(wire.error_envelope(f"workbench proxy: {message}", "proxy_error", code=code)).encode()


def date_now() -> str:
    """Now as a Date header's value (the one maker, shared with the mock)."""
    return http_date(time.time()).decode("ascii")
