"""`Expect: 100-continue`: the go-ahead goes out only when the mock is about to read the body, after the key check.

A client that sends `Expect: 100-continue` waits for `100 Continue` before it uploads its body
(curl does for bodies over 1 KiB). Sending it before the handler runs, as aiohttp's router
does, invites a client without the key to upload (issue 13 row 11). So the chat handler
reads the body through `read_body`, which sends the go-ahead first; a request turned away
before its body is read (401, 307, 413, 404, 405, 429) gets its final status and no
invitation, and its connection is closed after the reply: the client may or may not send
the body next, and reading on would be guessing which.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def expectation_supported(request: web.BaseRequest) -> bool:
    """False for an expectation other than 100-continue over HTTP/1.1 (a 417 follows)."""
    return request.version != (1, 1) or request.headers.get("Expect", "").lower() == "100-continue"


async def read_body(request: web.BaseRequest, limit: int) -> bytes:
    """The request body (at most `limit` bytes, else HTTPRequestEntityTooLarge), after `100 Continue` when the
    client waits for it."""
    content = request.content
    if content.is_eof():  # the usual request: its body came with its head, nothing to wait for or copy
        body = content.read_nowait()
        if len(body) > limit:  # a compressed body can be bigger than its Content-Length said
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))
        return body
    await go_ahead(request)
    return await request.read()


async def go_ahead(request: web.BaseRequest) -> None:
    """`100 Continue` to a client that waits for it before sending its body: call it just before reading."""
    if request.version == (1, 1) and "Expect" in request.headers and not request.content.is_eof():
        await request.writer.write(CONTINUE)
        request.writer.output_size = 0  # the reply proper has not started


async def answer_expecting(handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
                           request: web.BaseRequest) -> web.StreamResponse:
    """`handler`'s reply to a request that came with `Expect: 100-continue`; closing if its body was never asked for."""
    response = await handler(request)
    if not request.content.is_eof():  # turned away before its body was asked for
        response.force_close()  # `Connection: close`: the client need not send it
        await response.prepare(request)
        await response.write_eof()
        # Closed now: aiohttp would otherwise wait up to 10 s for a body that was never invited.
        request.protocol.force_close()
    return response
