"""A raw-socket HTTP server on loopback that misbehaves on purpose, one way per name (hostile-endpoint tests).

    async with HostileServer("gzip-bomb") as server:
        server.base_url            # http://127.0.0.1:PORT/v1

Each connection gets the named behaviour, whatever it asked for (so every probe of a
`workbench check` meets it). Handlers that never end stop when the client hangs up or the
server closes; `server.connections` counts what came, so a test can tell it was reached.
Written with asyncio streams, not a web framework, because frameworks refuse to be this rude.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import zlib
from collections.abc import Awaitable, Callable

from workbench import wire

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "HostileServer"], Awaitable[None]]

SSE_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n"
ONE_MIB = 1 << 20
GZIP_BOMB_GIB = 4  # what the bomb expands to; about 1 MB per GiB goes over the wire
HUGE_LINE_BYTES = 50 * ONE_MIB


def chunk_event(text: str) -> bytes:
    return wire.sse_event(wire.chunk("chatcmpl-hostile", "m", 1700000000, {"content": text}))


ROLE_EVENT = wire.sse_event(wire.chunk("chatcmpl-hostile", "m", 1700000000, {"role": "assistant", "content": ""}))


def gzip_bomb_parts(gib: int = GZIP_BOMB_GIB) -> tuple[bytes, bytes, int]:
    """(gzip header, one segment, how many segments): each segment inflates to 1 MiB of zeros.

    A full flush after each MiB resets the compressor, so every segment is the same ~1 KB of
    bytes and a 4 GiB bomb costs nothing to make. It never sends the trailer: nobody should
    read that far.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = compressor.compress(b"")
    segment = compressor.compress(bytes(ONE_MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head, segment, gib * 1024


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request head and its body (by Content-Length), so the client is not blocked writing."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + (await reader.readexactly(length) if length else b"")


async def send(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


# ---- the behaviours ------------------------------------------------------------------------


async def endless_stream(reader, writer, server) -> None:
    """Valid chunks forever (2 KiB of text each), as fast as the client takes them: only a body cap ends it."""
    await read_request(reader)
    await send(writer, SSE_HEAD + ROLE_EVENT)
    piece = chunk_event("forever " * 256) * 16
    while True:
        await send(writer, piece)


async def endless_trickle(reader, writer, server) -> None:
    """Valid chunks forever, one every 50 ms: never idle long enough for a read timeout."""
    await read_request(reader)
    await send(writer, SSE_HEAD + ROLE_EVENT)
    while True:
        await send(writer, chunk_event("tick "))
        await asyncio.sleep(0.05)


async def byte_a_second(reader, writer, server) -> None:
    """A whole valid reply, one byte at a time, a second apart (status line and headers too)."""
    await read_request(reader)
    reply = SSE_HEAD + ROLE_EVENT + chunk_event("slow") + wire.SSE_DONE
    for index in range(len(reply)):
        await send(writer, reply[index : index + 1])
        await asyncio.sleep(server.interval_s)


async def slow_headers(reader, writer, server) -> None:
    """A status line, then header bytes trickling in forever (a slowloris aimed at the client)."""
    await read_request(reader)
    await send(writer, b"HTTP/1.1 200 OK\r\nx-slow: ")
    while True:
        await send(writer, b"a")
        await asyncio.sleep(0.2)


async def huge_headers(reader, writer, server) -> None:
    """A 1 MiB header value."""
    await read_request(reader)
    await send(writer, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-junk: " + b"j" * ONE_MIB
               + b"\r\ncontent-length: 2\r\n\r\n{}")


async def many_headers(reader, writer, server) -> None:
    """Fifty thousand small headers (each line short, the block huge)."""
    await read_request(reader)
    lines = b"".join(b"x-h%d: v\r\n" % i for i in range(50_000))
    await send(writer,
               b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + lines + b"content-length: 2\r\n\r\n{}")


async def gzip_bomb(reader, writer, server) -> None:
    """Content-Encoding: gzip; ~4 MB on the wire that inflate to 4 GiB of zero bytes."""
    await read_request(reader)
    head, segment, count = gzip_bomb_parts()
    await send(writer, b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\n"
               b"connection: close\r\n\r\n" + head)
    batch = segment * 64
    for _ in range(count // 64):
        await send(writer, batch)
        server.bomb_bytes_sent += len(batch)


async def huge_line(reader, writer, server) -> None:
    """One SSE line of 50 MiB with no line end: a decoder that keeps lines whole keeps 50 MiB."""
    await read_request(reader)
    await send(writer, SSE_HEAD + b"data: ")
    block = b"a" * ONE_MIB
    for _ in range(HUGE_LINE_BYTES // ONE_MIB):
        await send(writer, block)


async def redirect_loop(reader, writer, server) -> None:
    """307 back to the same URL, forever."""
    head = await read_request(reader)
    path = head.split(b" ", 2)[1]
    await send(writer, b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:%d%s\r\n"
               b"content-length: 0\r\n\r\n" % (server.port, path))


async def close_after_headers(reader, writer, server) -> None:
    """Headers promising 5,000 bytes, then the socket closes."""
    await read_request(reader)
    await send(writer, b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n")


async def close_after_stream_headers(reader, writer, server) -> None:
    """An SSE status and headers, one chunk, then the socket closes (no [DONE])."""
    await read_request(reader)
    await send(writer, SSE_HEAD + ROLE_EVENT + chunk_event("cut"))


async def http_10(reader, writer, server) -> None:
    """A valid reply in HTTP/1.0: no Content-Length, no chunking; the end of the body is the close."""
    head = await read_request(reader)
    streamed = b'"stream":true' in head or b'"stream": true' in head
    if streamed:
        body = ROLE_EVENT + chunk_event("old ") + chunk_event("school") + wire.sse_event(
            wire.chunk("chatcmpl-hostile", "m", 1700000000, {}, "stop")) + wire.SSE_DONE
        kind = wire.SSE_CONTENT_TYPE
    else:
        body = wire.dumps(wire.completion("m", "old school", id="chatcmpl-hostile", created=1700000000)).encode()
        kind = wire.JSON_CONTENT_TYPE
    await send(writer, b"HTTP/1.0 200 OK\r\ncontent-type: %s\r\n\r\n" % kind.encode() + body)


async def bad_chunk_size(reader, writer, server) -> None:
    """Transfer-Encoding: chunked with a chunk size that is not hexadecimal."""
    await read_request(reader)
    await send(writer, b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
               b"zz\r\n" + ROLE_EVENT + b"\r\n0\r\n\r\n")


async def chunk_overrun(reader, writer, server) -> None:
    """A chunk longer than its declared size (the size says 5, 60 bytes follow)."""
    await read_request(reader)
    await send(writer, b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
               b"5\r\n" + ROLE_EVENT[:60] + b"\r\n0\r\n\r\n")


async def chunked_cut(reader, writer, server) -> None:
    """Two good chunks, then the close, without the terminating zero-length chunk."""
    await read_request(reader)
    first, second = ROLE_EVENT, chunk_event("half")
    await send(writer, b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
               + b"%x\r\n%s\r\n" % (len(first), first) + b"%x\r\n%s\r\n" % (len(second), second))


async def garbage_status(reader, writer, server) -> None:
    """Not HTTP at all: binary junk where the status line should be."""
    await read_request(reader)
    await send(writer, b"\x00\xffSPDY/9 \xde\xad\xbe\xef what\r\n\r\n")


async def silent(reader, writer, server) -> None:
    """Accepts, reads the request, never answers."""
    await read_request(reader)
    await asyncio.Event().wait()


BEHAVIOURS: dict[str, Behaviour] = {
    "endless-stream": endless_stream,
    "endless-trickle": endless_trickle,
    "byte-a-second": byte_a_second,
    "slow-headers": slow_headers,
    "huge-headers": huge_headers,
    "many-headers": many_headers,
    "gzip-bomb": gzip_bomb,
    "huge-line": huge_line,
    "redirect-loop": redirect_loop,
    "close-after-headers": close_after_headers,
    "close-after-stream-headers": close_after_stream_headers,
    "http-1.0": http_10,
    "bad-chunk-size": bad_chunk_size,
    "chunk-overrun": chunk_overrun,
    "chunked-cut": chunked_cut,
    "garbage-status": garbage_status,
    "silent": silent,
}


class HostileServer:
    """One misbehaving server on 127.0.0.1:0."""

    def __init__(self, behaviour: str, *, interval_s: float = 1.0) -> None:
        self.behaviour = BEHAVIOURS[behaviour]
        self.name = behaviour
        self.interval_s = interval_s  # the pause of byte-a-second
        self.connections = 0
        self.bomb_bytes_sent = 0
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            await self.behaviour(reader, writer, self)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass  # the client hung up (as it should), or the server is closing
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def __aenter__(self) -> HostileServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)


class ServerThread:
    """HostileServers on their own event loop in a thread, so what they send never waits for a busy
    test loop (a Textual app's, painting under load): with the servers on the app's loop, the
    endless trickle could not even send its headers before the chat's 1.6 s limit on a loaded machine.

        with ServerThread() as servers:
            server = servers.start(HostileServer("endless-trickle"))
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="hostile-servers", daemon=True)
        self._started: list[HostileServer] = []

    def __enter__(self) -> ServerThread:
        self._thread.start()
        return self

    def start(self, server: HostileServer) -> HostileServer:
        asyncio.run_coroutine_threadsafe(server.__aenter__(), self.loop).result(10)
        self._started.append(server)
        return server

    def __exit__(self, *exc: object) -> None:
        for server in self._started:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(server.__aexit__(None, None, None), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
