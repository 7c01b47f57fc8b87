"""The proxy is transparent: what the platform gets through it is what the endpoint answered, as it answered.

The official `openai` SDK gets the same replies through the proxy as directly (streamed and
not); the bytes, status line and headers are the endpoint's; request headers, path, query and
body reach the endpoint as the platform sent them (hop-by-hop headers aside); a gzip reply is
forwarded compressed; and a stream is forwarded piece by piece, never held back.
"""

from __future__ import annotations

import asyncio
import gzip
import json

import httpx
import openai
from aiohttp import web

from workbench import wire

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say something about trains."}]


def _steady(data: dict) -> dict:
    """A reply without what differs from one request to the next (its id and creation time)."""
    return {k: v for k, v in data.items() if k not in ("id", "created")}


async def test_the_openai_sdk_gets_the_same_replies_through_the_proxy(mock_server, proxied_mock) -> None:
    replies = {}
    for name, base in (("direct", mock_server.base_url), ("proxy", proxied_mock.base_url)):
        async with openai.AsyncOpenAI(base_url=base, api_key="sk-transparent-0123456789", max_retries=0) as sdk:
            whole = await sdk.chat.completions.create(model="mock-model", messages=MESSAGES)
            stream = await sdk.chat.completions.create(model="mock-model", messages=MESSAGES, stream=True,
                                                       stream_options={"include_usage": True})
            chunks = [_steady(chunk.model_dump()) async for chunk in stream]
            models = await sdk.models.list()
        replies[name] = (_steady(whole.model_dump()), chunks, [m.id for m in models.data])
    assert replies["proxy"] == replies["direct"]
    assert replies["proxy"][0]["choices"][0]["message"]["content"] == "You said: Say something about trains."
    done = await proxied_mock.wait_for(3)
    assert [p.exchange.status for p in done] == [200, 200, 200]
    assert done[1].exchange.reply_text == "You said: Say something about trains."
    assert [p.verdict for p in done] == ["passed", "passed", "passed"]


def _exact_endpoint(seen: list[web.BaseRequest], bodies: list[bytes]):
    """An endpoint with an odd head: a reason phrase of its own, repeated headers, a Server of its own."""

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        bodies.append(await request.read())
        seen.append(request)
        response = web.StreamResponse(status=203, reason="Fine Thanks")
        for name, value in (("X-Custom", "A"), ("x-custom", "b"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                            ("Connection", "X-Hop"), ("X-Hop", "hidden"), ("Keep-Alive", "timeout=5"),
                            ("Content-Type", "application/json; charset=utf-8"), ("Server", "endpoint/1.0")):
            response.headers.add(name, value)
        response.content_length = 12
        await response.prepare(request)
        await response.write(b'{"odd":true}')
        return response

    return handler


async def _serve(handler) -> tuple[web.ServerRunner, str]:
    runner = web.ServerRunner(web.Server(handler))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/v1"


def _without_server_stamps(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The headers a reply carries, less the time it was sent and the connection's own."""
    return [(k, v) for k, v in headers.multi_items() if k.lower() not in ("date", "connection")]


async def test_status_line_headers_and_body_come_back_as_the_endpoint_sent_them(proxy_to) -> None:
    seen: list[web.BaseRequest] = []
    bodies: list[bytes] = []
    runner, base = await _serve(_exact_endpoint(seen, bodies))
    try:
        async with proxy_to(base) as proxy, httpx.AsyncClient(timeout=10) as http:
            direct = await http.get(base + "/odd")
            through = await http.get(proxy.base_url + "/odd")
            assert (through.status_code, through.reason_phrase) == (203, "Fine Thanks")
            assert through.content == direct.content == b'{"odd":true}'
            assert _without_server_stamps(through.headers) == [
                (k, v) for k, v in _without_server_stamps(direct.headers) if k.lower() not in ("x-hop", "keep-alive")]
            assert through.headers.get_list("x-custom") == ["A", "b"]
            assert through.headers.get_list("set-cookie") == ["a=1", "b=2"]
            assert "x-hop" not in through.headers and "keep-alive" not in through.headers  # hop-by-hop: stopped
            assert through.headers.get_list("server") == ["endpoint/1.0"]
            done = await proxy.wait_for(1)
            assert done[0].exchange.status == 203 and done[0].exchange.reason == "Fine Thanks"
    finally:
        await runner.cleanup()


async def test_the_proxy_adds_no_server_or_content_type_of_its_own(proxy_to) -> None:
    """An HTTP/1.0 endpoint that sends only a Content-Type: the platform gets no Server header the
    endpoint did not send (a Date is added, as RFC 9110 asks of a proxy when the endpoint sent none)."""
    from _hostile_server import HostileServer

    async with HostileServer("http-1.0") as endpoint, proxy_to(endpoint.base_url) as proxy:
        async with httpx.AsyncClient(timeout=10) as http:
            reply = await http.post(proxy.base_url + "/chat/completions",
                                    json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert reply.json()["choices"][0]["message"]["content"] == "old school"
    assert "server" not in reply.headers and reply.headers.get_list("content-type") == ["application/json"]
    assert reply.headers["date"]


async def test_the_request_reaches_the_endpoint_as_the_platform_sent_it(proxy_to) -> None:
    seen: list[web.BaseRequest] = []
    bodies: list[bytes] = []
    runner, base = await _serve(_exact_endpoint(seen, bodies))
    body = b'{"model":"m",  "messages":[{"role":"user","content":"caf\xc3\xa9"}], "stream":false}'
    try:
        async with proxy_to(base) as proxy, httpx.AsyncClient(timeout=10) as http:
            headers = [("Authorization", "Bearer sk-platform-credential-42"), ("X-Trace", "one"), ("x-trace", "two"),
                       ("Content-Type", "application/json"), ("User-Agent", "OpenAI/JS 4.0"),
                       ("Connection", "keep-alive, X-Drop-Me"), ("X-Drop-Me", "1"), ("TE", "trailers"),
                       ("Proxy-Authorization", "Basic c2VjcmV0"), ("Keep-Alive", "timeout=5")]
            await http.post(proxy.base_url + "/chat/completions?api-version=2024-02&path=a%2Fb", content=body,
                            headers=headers)
    finally:
        await runner.cleanup()
    request = seen[0]
    assert request.raw_path == "/v1/chat/completions?api-version=2024-02&path=a%2Fb"
    assert bodies[0] == body
    raw = [(k.decode(), v.decode()) for k, v in request.raw_headers]
    assert [h for h in raw if h[0].lower() in ("authorization", "x-trace", "content-type", "user-agent")] == [
        ("Authorization", "Bearer sk-platform-credential-42"), ("X-Trace", "one"), ("X-Trace", "two"),
        ("Content-Type", "application/json"), ("User-Agent", "OpenAI/JS 4.0")]  # a repeat keeps the first spelling
    names = {k.lower() for k, _ in raw}
    assert not names & {"x-drop-me", "te", "proxy-authorization", "keep-alive"}
    assert {k.lower(): v for k, v in raw}["accept"] == "*/*"  # httpx's, as it came; the proxy adds none
    assert {k.lower(): v for k, v in raw}["host"] == base.split("//")[1].split("/")[0]


async def test_a_gzip_reply_is_forwarded_compressed_and_recorded_inflated(proxy_to) -> None:
    events = (b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"}}]}\n\n'
              b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
    packed = gzip.compress(events)

    async def handler(request: web.BaseRequest) -> web.Response:
        await request.read()
        return web.Response(body=packed, headers={"Content-Type": "text/event-stream", "Content-Encoding": "gzip"})

    runner, base = await _serve(handler)
    try:
        async with proxy_to(base) as proxy, httpx.AsyncClient(timeout=10) as http:
            request = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
            async with http.stream("POST", proxy.base_url + "/chat/completions", json=request) as reply:
                raw = b"".join([piece async for piece in reply.aiter_raw()])
            assert raw == packed  # the endpoint's bytes, not re-encoded
            done = await proxy.wait_for(1)
    finally:
        await runner.cleanup()
    exchange = done[0].exchange
    assert exchange.body == events and exchange.reply_text == "Hello" and exchange.events[-1].is_done


async def test_a_stream_is_forwarded_as_it_arrives_not_held_back(proxy_to) -> None:
    """The endpoint sends its second event only once the platform has the first: a proxy that buffered would hang."""
    platform_has_first = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(wire.sse_event(wire.chunk("c", "m", 1, {"role": "assistant", "content": "first"})))
        await asyncio.wait_for(platform_has_first.wait(), 10)
        await response.write(wire.sse_event(wire.chunk("c", "m", 1, {}, "stop")) + wire.SSE_DONE)
        return response

    runner, base = await _serve(handler)
    try:
        async with proxy_to(base) as proxy, httpx.AsyncClient(timeout=10) as http:
            request = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
            async with http.stream("POST", proxy.base_url + "/chat/completions", json=request) as reply:
                received = b""
                async for piece in reply.aiter_raw():
                    received += piece
                    if b"first" in received:
                        platform_has_first.set()
            assert received.endswith(wire.SSE_DONE)
            done = await proxy.wait_for(1)
    finally:
        await runner.cleanup()
    assert done[0].exchange.reply_text == "first" and len(done[0].exchange.events) == 3


async def test_a_redirect_reaches_the_platform_unfollowed_and_other_paths_pass_too(mock_server, proxied_mock) -> None:
    mock_server.set_fault("redirect")
    async with httpx.AsyncClient(timeout=10) as http:
        moved = await http.post(proxied_mock.base_url + "/chat/completions",
                                json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        health = await http.get(proxied_mock.base_url.removesuffix("/v1") + "/health")
        missing = await http.get(proxied_mock.base_url + "/nowhere")
    assert moved.status_code == 307 and moved.headers["location"].startswith("/moved/")
    assert health.json() == {"status": "ok"}
    assert missing.status_code == 404 and "Unknown request URL" in missing.json()["error"]["message"]
    done = await proxied_mock.wait_for(3)
    assert [f.id for f in done[0].findings] == ["reachability.redirect"]
    assert done[1].call is None and done[1].findings == []  # /health is not a chat request


async def test_a_request_body_is_forwarded_byte_for_byte_even_when_it_is_not_json(proxy_to) -> None:
    seen: list[web.BaseRequest] = []
    bodies: list[bytes] = []
    runner, base = await _serve(_exact_endpoint(seen, bodies))
    try:
        async with proxy_to(base) as proxy, httpx.AsyncClient(timeout=10) as http:
            await http.post(proxy.base_url + "/chat/completions", content=b"\xff\x00not json{")
            done = await proxy.wait_for(1)
    finally:
        await runner.cleanup()
    assert bodies == [b"\xff\x00not json{"]
    assert done[0].platform == "openai" and done[0].call is None
    assert json.loads(json.dumps(done[0].to_log()))["proxy"]["call"] is None
