"""The proxy's way to the endpoint, written by hand: HTTP/1.1 on keep-alive connections, parsed by httptools.

Why by hand: on the way there, an aiohttp client cost the first token about 0.3 ms more than a
hop that frames HTTP/1.1 itself (benchmarks/README.md, `bench_proxy.py`), and issue 16 gives the
whole proxy 1 ms. The parsing is llhttp's (Node's parser, through httptools: the one uvicorn
uses), so only the framing is written here: a request head and its body out, a response head
and its body in, one request at a time on a connection, connections kept for the next one.

Used for every request that goes straight to the endpoint, http or https; a request that must go
through an environment proxy (HTTPS_PROXY, HTTP_PROXY) goes through aiohttp's session instead,
which knows CONNECT tunnels and proxy credentials (`upstream.py`).

Failures are raised as the httpx exceptions that mean the same (httpx.ConnectError with the OS or
TLS error as its cause, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError), so the
client's Diagnosis words them exactly as `workbench check` does.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from urllib.parse import urlsplit

import httptools
import httpx
from yarl import URL

Header = tuple[str, str]
# Read buffer per connection: past this much unread body, the endpoint's socket is not read
# until the platform has taken some (a slow platform then slows the endpoint, as TCP would).
READ_BUFFER = 64 << 10
# The longest response head read: past it the endpoint is refused as the client refuses it (h11's
# "Receive buffer too long", which Diagnosis words). llhttp itself has no limit.
MAX_HEAD = 100 << 10
# Methods a body-less request is sent without a Content-Length for (what aiohttp's client did too).
NO_LENGTH_WHEN_EMPTY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class Reply:
    """One response from the endpoint: its head, then its body piece by piece (`piece()`, b"" at the end)."""

    __slots__ = (
        "_connection",
        "_ended",
        "_error",
        "_head",
        "_pieces",
        "_waiter",
        "buffered",
        "got_bytes",
        "raw_headers",
        "read_s",
        "reason",
        "reused",
        "status",
        "until_close",
        "version",
    )

    def __init__(self, connection: Connection, read_s: float) -> None:
        self._connection = connection
        self.read_s = read_s
        self.status = 0
        self.reason = ""
        self.version = ""
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.until_close = False  # the body ends when the endpoint closes the connection
        self.got_bytes = False
        self.reused = False  # sent on a kept connection (which the endpoint may have closed meanwhile)
        self.buffered = 0
        self._head: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pieces: collections.deque[bytes] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._ended = False
        self._error: BaseException | None = None

    # ---- read by the round trip ---------------------------------------------------------------

    async def head(self) -> None:
        """Wait for the response head; a stall of the read timeout raises httpx.ReadTimeout."""
        await self._within_read_timeout(self._head, "no response head within")

    async def piece(self) -> bytes:
        """The body that came since the last call (all of it, joined), b"" at its end."""
        while not self._pieces:
            if self._error is not None:
                raise self._error
            if self._ended:
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._within_read_timeout(self._waiter, "no data for")
            finally:
                self._waiter = None
        pieces = self._pieces
        data = pieces.popleft() if len(pieces) == 1 else b"".join(pieces)
        pieces.clear()
        self.buffered = 0
        if self._connection.reply is self:
            self._connection.drained()
        return data

    async def _within_read_timeout(self, future: asyncio.Future[None], stalled: str) -> None:
        """Wait for `future`; past the read timeout the connection is closed and httpx.ReadTimeout raised."""
        try:
            async with asyncio.timeout(self.read_s):
                await future
        except TimeoutError:
            self.close()
            raise httpx.ReadTimeout(f"{stalled} {self.read_s:g} s") from None

    def close(self) -> None:
        """Done with this reply: mid-body, the endpoint's connection is closed (it sees the cancel)."""
        if self._connection.reply is self:  # not once the connection has gone back to the pool
            self._connection.abort()

    # ---- fed by the connection ------------------------------------------------------------------

    def opened(self) -> None:
        if not self._head.done():
            self._head.set_result(None)

    def take(self, data: bytes) -> None:
        self._pieces.append(data)
        self.buffered += len(data)
        self._wake()

    def end(self) -> None:
        self._ended = True
        self._wake()

    def fail(self, error: BaseException) -> None:
        if self._ended and self._error is None:
            return
        self._error = error
        if not self._head.done():
            self._head.set_exception(error)
            self._head.exception()  # retrieved: a head nobody awaits any more must not be logged
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Sending:
    """A request on its way to the endpoint; `head()` waits for the reply's head (sending first if it
    could not go at once), and sends once more on a new connection when a kept one turns out closed."""

    __slots__ = ("data", "head_only", "pool", "reply")

    def __init__(self, pool: Pool, data: bytes, head_only: bool) -> None:
        self.pool, self.data, self.head_only = pool, data, head_only
        self.reply: Reply | None = None

    def cancel(self) -> None:
        """Never mind: a request already written has its connection closed (the endpoint sees the cancel)."""
        if self.reply is not None:
            self.reply.close()

    async def head(self) -> Reply:
        for attempt in range(2):
            reply, self.reply = self.reply, None
            if reply is None:
                reply = await self.pool._send_later(self)
            try:
                await reply.head()
            except httpx.RemoteProtocolError:
                reply.close()
                if reply.reused and not reply.got_bytes and attempt == 0:
                    continue  # the endpoint had closed the kept connection before reading this
                raise
            except BaseException:  # a timeout, or the platform hung up: the endpoint sees the cancel
                reply.close()
                raise
            return reply
        raise AssertionError("unreachable")  # pragma: no cover


class Connection(asyncio.Protocol):
    """One keep-alive connection to the endpoint; the httptools parser calls its `on_*` methods."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.reply: Reply | None = None
        self.head_only = False  # the request was HEAD: the response has no body whatever its head says
        self.interim = False  # a 1xx head is being read: the final one comes after it
        self.paused = False
        self.lost = False
        self.head_bytes = 0  # of the response being read, until its head is complete

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, data: bytes, reply: Reply, head_only: bool) -> None:
        self.reply, self.head_only, self.head_bytes = reply, head_only, 0
        assert self.transport is not None
        self.transport.write(data)

    def abort(self) -> None:
        self.reply = None
        if self.transport is not None:
            self.transport.close()

    def drained(self) -> None:
        if self.paused and self.transport is not None and not self.lost:
            self.paused = False
            self.transport.resume_reading()

    # ---- bytes in ---------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        reply = self.reply
        if reply is None:  # bytes nobody asked for: the connection cannot be trusted for another request
            self.abort()
            return
        reply.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            reply.fail(httpx.RemoteProtocolError("the endpoint switched protocols, which this proxy does not relay"))
            self.abort()
            return
        except httptools.HttpParserError as error:
            reply.fail(httpx.RemoteProtocolError(f"the endpoint's response could not be read as HTTP/1.1: {error}"))
            self.abort()
            return
        if reply.status:
            # Only now: a head whose body's first bytes were bad (in the same read) is refused whole,
            # as a 502, rather than relayed and then cut.
            reply.opened()
        else:
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD:
                reply.fail(httpx.RemoteProtocolError("Receive buffer too long"))
                self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.pool.forget(self)
        reply, self.reply = self.reply, None
        if reply is None:
            return
        if reply.status and reply.until_close and not self.interim:
            reply.end()  # a body delimited by the close: this is its end
        elif not reply.status:
            reply.fail(httpx.RemoteProtocolError("Server disconnected without sending a response."))
        else:
            why = f": {exc}" if exc else ""
            reply.fail(httpx.ReadError(f"peer closed connection without sending complete message body{why}"))

    # ---- httptools' callbacks -------------------------------------------------------------------

    def on_status(self, reason: bytes) -> None:
        if self.reply is not None:
            self.reply.reason += reason.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.reply is not None:
            self.reply.raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        reply = self.reply
        if reply is None:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # 100 Continue, 103 Early Hints: the final head follows
            self.interim = True
            reply.reason, reply.raw_headers = "", []
            return
        reply.status, reply.version = status, f"HTTP/{self.parser.get_http_version()}"
        reply.until_close = not self.head_only and status not in (204, 304) and not any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in reply.raw_headers)
        if self.head_only:  # llhttp would wait for the body a HEAD's Content-Length announces
            reply.end()
            self.abort()

    def on_body(self, body: bytes) -> None:
        reply = self.reply
        if reply is None:
            return
        reply.take(body)
        if reply.buffered > READ_BUFFER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        reply = self.reply
        if reply is None:
            return
        keep = self.parser.should_keep_alive() and not reply.until_close
        self.reply = None
        reply.end()
        if keep and not self.lost:
            self.drained()  # what the reply holds is its own now; the next request's bytes must be read
            self.pool.release(self)
        else:
            self.abort()


class Pool:
    """Keep-alive connections to one origin, at most `limit` requests at once."""

    def __init__(self, origin: str, *, tls: ssl.SSLContext | bool, limit: int, connect_s: float,
                 read_s: float) -> None:
        parts = urlsplit(origin)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.authority = URL(origin).raw_authority.encode()  # the Host the recording says was sent
        self.ssl = _ssl_context(tls) if self.https else None
        self.connect_s, self.read_s = connect_s, read_s
        self.idle: list[Connection] = []
        self.busy: set[Connection] = set()  # each holds one of the `limit` slots until released or lost
        self.free = limit
        self.waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    def start(self, method: str, path: str, headers: list[Header], body: bytes) -> Sending:
        """Send one request (the path as it came): at once on a kept connection when a slot is free
        (no await between the platform's request and this write), else from `Sending.head()`."""
        sending = Sending(self, self._request_bytes(method, path, headers, body), method == "HEAD")
        if self._slot_free() and (connection := self._kept()) is not None:
            self.free -= 1
            sending.reply = self._send_on(connection, sending, reused=True)
        return sending

    async def _send_later(self, sending: Sending) -> Reply:
        """Wait for a slot, take a kept connection or open one, and send."""
        await self._slot()
        try:
            connection, reused = self._kept(), True
            if connection is None:
                connection, reused = await self._connect(), False
        except BaseException:
            self._give_slot()
            raise
        return self._send_on(connection, sending, reused)

    def _send_on(self, connection: Connection, sending: Sending, reused: bool) -> Reply:
        self.busy.add(connection)
        reply = Reply(connection, self.read_s)
        reply.reused = reused
        connection.send(sending.data, reply, sending.head_only)
        return reply

    def _slot_free(self) -> bool:
        """A slot can be taken now (and nobody waits for one before this request)."""
        return self.free > 0 and not self.waiting

    async def _slot(self) -> None:
        if self._slot_free():
            self.free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # given a slot just as it was cancelled: pass it on
                self._give_slot()
            raise

    def _give_slot(self) -> None:
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1

    def _request_bytes(self, method: str, path: str, headers: list[Header], body: bytes) -> bytes:
        lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self.authority]
        lines += [f"{name}: {value}".encode() for name, value in headers]
        if body or method not in NO_LENGTH_WHEN_EMPTY:
            lines.append(b"Content-Length: %d" % len(body))
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def _kept(self) -> Connection | None:
        while self.idle:
            connection = self.idle.pop()
            if not connection.lost and connection.transport is not None and not connection.transport.is_closing():
                return connection
        return None

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_s):
                _, connection = await loop.create_connection(
                    lambda: Connection(self), self.host, self.port, ssl=self.ssl,
                    server_hostname=self.host if self.https else None)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {self.host}:{self.port} within {self.connect_s:g} s") \
                from None
        except OSError as error:  # refused, unreachable, a name that does not resolve, a TLS failure
            raised = httpx.ConnectError(str(error) or type(error).__name__)
            raised.__cause__ = error
            raise raised from error
        return connection

    def release(self, connection: Connection) -> None:
        self._free(connection)
        self.idle.append(connection)

    def forget(self, connection: Connection) -> None:
        self._free(connection)
        if connection in self.idle:
            self.idle.remove(connection)

    def _free(self, connection: Connection) -> None:
        if connection in self.busy:
            self.busy.remove(connection)
            self._give_slot()

    def close(self) -> None:
        for connection in [*self.idle, *self.busy]:
            connection.abort()
        self.idle.clear()


def _ssl_context(tls: ssl.SSLContext | bool) -> ssl.SSLContext:
    """The context the client's settings give (`tls_verify`): theirs, or one that verifies nothing."""
    if isinstance(tls, ssl.SSLContext):
        return tls
    if tls:
        return ssl.create_default_context()
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    return unverified
