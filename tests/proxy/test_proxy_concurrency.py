"""The proxy holds at least 200 streams at once.

The endpoint keeps every stream open (its first words sent) until all 200 have reached it,
and only then lets them finish: a proxy that could not hold 200 at once would never see them
all arrive, and the test would time out. No clock is read.
"""

from __future__ import annotations

import asyncio

import httpx
from aiohttp import web

from workbench import wire

STREAMS = 200


async def test_two_hundred_streams_at_once(proxy_to) -> None:
    arrived = 0
    all_in = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        nonlocal arrived
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(wire.sse_event(wire.chunk("c", "m", 1, {"role": "assistant", "content": "Hi"})))
        arrived += 1
        if arrived == STREAMS:
            all_in.set()
        await asyncio.wait_for(all_in.wait(), 60)
        await response.write(wire.sse_event(wire.chunk("c", "m", 1, {"content": " there"}, None)))
        await response.write(wire.sse_event(wire.chunk("c", "m", 1, {}, "stop")) + wire.SSE_DONE)
        return response

    runner = web.ServerRunner(web.Server(handler))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"  # type: ignore[union-attr]
    limits = httpx.Limits(max_connections=STREAMS + 10, max_keepalive_connections=STREAMS + 10)
    try:
        async with proxy_to(base) as proxy, httpx.AsyncClient(timeout=60, limits=limits) as http:
            async def one(number: int) -> bytes:
                body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": f"caller {number}"}]}
                reply = await http.post(proxy.base_url + "/chat/completions", json=body)
                return reply.content

            replies = await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(STREAMS))), 120)
            done = await proxy.wait_for(STREAMS, timeout=60)
    finally:
        await runner.cleanup()
    assert all(reply.endswith(wire.SSE_DONE) for reply in replies)
    assert len(done) == STREAMS and {p.exchange.reply_text for p in done} == {"Hi there"}
    assert {p.call for p in done} == set(range(1, STREAMS + 1))  # 200 callers, 200 calls
    assert all(p.verdict != "failed" for p in done)
