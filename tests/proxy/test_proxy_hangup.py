"""A platform that hangs up mid-stream closes the endpoint's stream at once: the endpoint sees the cancel.

The endpoint here holds its stream open after the first words (as a slow model would) and
notes the moment its own handler is cancelled for a lost connection; the platform reads the
first words and hangs up. Nothing here waits on a clock: the endpoint would hold for a minute.
"""

from __future__ import annotations

import asyncio

import httpx
from aiohttp import web

from workbench import wire
from workbench.mock import MockConfig, MockServer


async def test_a_platform_hang_up_cancels_the_endpoints_stream(proxy_to) -> None:
    cancelled = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(wire.sse_event(wire.chunk("c", "m", 1, {"role": "assistant", "content": "Hello"})))
        try:
            await asyncio.sleep(60)  # a slow model thinking about its next word
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return response

    runner = web.ServerRunner(web.Server(handler, handler_cancellation=True))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"  # type: ignore[union-attr]
    try:
        async with proxy_to(base, platform="vapi") as proxy:
            async with httpx.AsyncClient(timeout=10) as http:
                body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
                async with http.stream("POST", proxy.base_url + "/chat/completions", json=body) as reply:
                    async for piece in reply.aiter_raw():
                        if b"Hello" in piece:
                            break  # the caller barged in: the platform closes its stream
            await asyncio.wait_for(cancelled.wait(), 10)
            done = await proxy.wait_for(1)
    finally:
        await runner.cleanup()
    exchange = done[0].exchange
    assert exchange.cancelled and exchange.reply_text == "Hello"
    assert exchange.failure.message.startswith("The platform hung up after")
    found = done[0].findings
    assert [(f.id, f.severity) for f in found] == [("latency.platform-hung-up", "info")]
    assert "Vapi closed the stream" in found[0].message and done[0].verdict == "passed"


async def test_a_hang_up_before_the_first_token_is_an_error_and_the_mock_sees_it(proxy_to) -> None:
    """The mock stalls before its first token; the platform gives up; the mock logs the client closing.

    (The mock notices a closed connection when it next writes, after its stall: long enough that a
    loaded machine still sees the hang-up first, short enough to wait for.)
    """
    async with MockServer(MockConfig(fault="stall", stall_s=2)) as mock, proxy_to(mock.base_url) as proxy:
        async with httpx.AsyncClient(timeout=10) as http:
            body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
            async with http.stream("POST", proxy.base_url + "/chat/completions", json=body) as reply:
                async for piece in reply.aiter_raw():
                    if b"assistant" in piece:
                        break  # only the role chunk came: the platform's patience ran out
        done = await proxy.wait_for(1)
        for _ in range(1000):  # the mock logs the request when its handler ends
            if mock.requests:
                break
            await asyncio.sleep(0.01)
    assert [(f.id, f.severity) for f in done[0].findings] == [("latency.platform-hung-up", "error")]
    assert "before the first token" in done[0].findings[0].message
    assert mock.requests and mock.requests[0].error == "the client closed the stream"  # in the mock's own log
