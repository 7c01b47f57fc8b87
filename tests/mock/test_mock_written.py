"""Replies the mock writes itself (workbench/mock/written.py) are the bytes aiohttp would have written.

A paced stream's head goes out with its first chunk, written by the pacer, not by aiohttp's
StreamResponse. These tests hold its head equal to aiohttp's (an upgrade that changes the
headers fails here), and drive paced streams with the openai SDK, one after another on a
kept-alive connection, with HTTP/1.0, and with a client that asks to close.
"""

from __future__ import annotations

import asyncio
import json
import time

import openai
import pytest
from aiohttp import web

from workbench.mock import MockConfig, MockServer
from workbench.mock.written import stream_head

pytestmark = pytest.mark.usefixtures("no_proxy")

BODY = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "one two"}]}).encode()


async def raw_exchange(port: int, request: bytes) -> bytes:
    """Everything the server sends for `request` until it closes (or a chunked body ends)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    data = b""
    while not data.endswith(b"0\r\n\r\n"):
        piece = await asyncio.wait_for(reader.read(65536), 10)
        if not piece:
            break
        data += piece
    writer.close()
    return data


def post(version: str = "1.1", extra: str = "") -> bytes:
    return (f"POST /v1/chat/completions HTTP/{version}\r\nHost: x\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(BODY)}\r\n\r\n").encode() + BODY


def without_date(head: bytes) -> list[bytes]:
    return [line for line in head.split(b"\r\n") if not line.startswith(b"Date: ")]


async def test_the_paced_stream_head_is_the_one_aiohttp_writes() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        await response.write(b"data: x\n\n")
        await response.write_eof()
        return response

    runner = web.ServerRunner(web.Server(handler))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        theirs = (await raw_exchange(port, post())).split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    finally:
        await runner.cleanup()
    ours = stream_head("text/event-stream", time.time())
    assert without_date(ours) == without_date(theirs)
    assert b"\r\nDate: " in ours


async def test_a_paced_stream_over_http_1_1_is_written_whole_by_the_mock() -> None:
    async with MockServer(MockConfig(ttft_ms=20, tokens_per_s=200)) as server:
        reply = await raw_exchange(server.port, post())  # type: ignore[arg-type]
    head, body = reply.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Transfer-Encoding: chunked" in head
    assert body.count(b"data: ") == 7 and body.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n")  # role, 4 words, stop, DONE


@pytest.mark.parametrize(("version", "extra"), [("1.0", ""), ("1.1", "Connection: close\r\n")])
async def test_a_paced_stream_the_mock_cannot_keep_alive_goes_through_aiohttp(version: str, extra: str) -> None:
    async with MockServer(MockConfig(ttft_ms=20, tokens_per_s=200)) as server:
        reply = await raw_exchange(server.port, post(version, extra))  # type: ignore[arg-type]
    assert reply.startswith(f"HTTP/{version} 200 OK\r\n".encode())
    assert reply.count(b"data: ") == 7 and b"data: [DONE]" in reply


async def test_the_sdk_reads_paced_streams_one_after_another_on_one_connection() -> None:
    async with MockServer(MockConfig(ttft_ms=20, tokens_per_s=200)) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-not-checked", max_retries=0)
        texts = []
        for word in ("first", "second", "third"):
            stream = await client.chat.completions.create(
                model="m", stream=True, messages=[{"role": "user", "content": word}])
            texts.append("".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]))
        await client.close()
    assert texts == ["You said: first", "You said: second", "You said: third"]
    assert len(server.requests) == 3 and all(record.status == 200 for record in server.requests)


async def test_a_kept_alive_connection_carries_paced_stream_after_paced_stream() -> None:
    async with MockServer(MockConfig(ttft_ms=20, tokens_per_s=200)) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        replies = []
        for _ in range(3):
            writer.write(post())
            data = b""
            while not data.endswith(b"0\r\n\r\n"):
                piece = await asyncio.wait_for(reader.read(65536), 10)
                assert piece, "the mock closed a keep-alive connection after a paced stream"
                data += piece
            replies.append(data)
        writer.close()
    assert all(reply.startswith(b"HTTP/1.1 200 OK\r\n") and reply.count(b"data: ") == 7 for reply in replies)
