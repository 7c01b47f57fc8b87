"""The mock's commonest replies to an HTTP/1.1 keep-alive request, written by the mock itself.

A 200 JSON body is written in one piece; a paced stream's head goes out with its first chunk
(`stream_head`, written by pacer.PacedWriter).

aiohttp's Response builds a header multidict, a payload object, and goes through prepare,
the header serialiser and write_eof: about a sixth of the instructions the mock spent on a
plain chat completion (callgrind, benchmarks/bench_mock_instructions.py). The bytes here are
the ones aiohttp writes for `web.Response(body=..., headers={"Content-Type": ...})`: status
line, Content-Type, Content-Length, Date, Server. Any other request (HTTP/1.0, `Connection:
close`, a client already gone) takes aiohttp's way.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE

from workbench.http_date import http_date

_TAIL = f"\r\nServer: {SERVER_SOFTWARE}\r\n\r\n".encode()


class Written:
    """What a handler returns for a reply it already wrote: aiohttp's finish_response finds nothing left to do."""

    __slots__ = ("keep_alive", "status")

    def __init__(self) -> None:
        self.status = 200
        self.keep_alive = True

    async def prepare(self, request: web.BaseRequest) -> None:
        return None

    async def write_eof(self, data: bytes = b"") -> None:
        return None

    def force_close(self) -> None:
        self.keep_alive = False


def writable(request: web.BaseRequest) -> bool:
    """An HTTP/1.1 keep-alive request whose client is still there: the mock may write the reply itself."""
    transport = request.transport
    return request.version == (1, 1) and request.keep_alive and transport is not None and not transport.is_closing()


def json_reply(request: web.BaseRequest, body: bytes, now: float) -> web.StreamResponse:
    """A 200 with this JSON `body`, written now when the request allows, else aiohttp's Response."""
    transport = request.transport
    if not writable(request) or transport is None:
        return web.Response(body=body, headers={"Content-Type": "application/json"})
    transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nDate: %b%b%b"
                    % (len(body), http_date(now), _TAIL, body))
    return Written()  # type: ignore[return-value]


def stream_head(content_type: str, now: float) -> bytes:
    """The head aiohttp writes for a streamed 200 with `Content-Type` and `Cache-Control: no-cache`.

    For `writable` requests only; the paced writer sends it with the first chunk, in one write.
    aiohttp's StreamResponse (its prepare, write and write_eof) was a third of the Python a paced
    request cost, and when 1,000 requests land together that cost decides how late the last
    of their first tokens go out.
    """
    return (b"HTTP/1.1 200 OK\r\nContent-Type: %b\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
            b"Date: %b%b" % (content_type.encode(), http_date(now), _TAIL))
