"""The proxy's way to the endpoint (workbench/proxy/http1.py): HTTPS verified as the client verifies it,
connections kept and reused (and a kept one the endpoint closed retried on a new one), a HEAD, a 1xx
before the final head, and an environment proxy still honoured (through aiohttp's session).

Endpoints here are tiny asyncio servers on loopback that count their connections and write their
replies by hand, so each test sees exactly what crossed the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import openai
import pytest
from _tls_certs import make_certificates

from workbench.target import Target

ASK = [{"role": "user", "content": "hi"}]
JSON_REPLY = (b'{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,'
              b'"message":{"role":"assistant","content":"kept alive"},"finish_reason":"stop"}]}')
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
              "no_proxy")
Reply = Callable[[bytes], Awaitable[bytes | None]]  # a request's bytes -> the reply (None: close instead)


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


class Endpoint:
    """An HTTP/1.1 endpoint answering every request on a connection with `reply`; counts connections."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                answer = await self.reply(request)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def endpoint(reply: Reply, tls=None) -> AsyncIterator[tuple[Endpoint, int]]:
    served = Endpoint(reply)
    server = await asyncio.start_server(served.serve, "127.0.0.1", 0, ssl=tls)
    try:
        yield served, server.sockets[0].getsockname()[1]
    finally:
        server.close()


def whole(body: bytes = JSON_REPLY, extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + extra
            + b"content-length: %d\r\n\r\n" % len(body) + body)


async def answer(request: bytes) -> bytes:
    return whole()


async def _ask(base_url: str) -> str:
    async with openai.AsyncOpenAI(base_url=base_url, api_key="sk-upstream-0123456789", max_retries=0) as sdk:
        reply = await sdk.chat.completions.create(model="m", messages=ASK)
    return reply.choices[0].message.content or ""


async def test_https_is_verified_with_the_profiles_ca_bundle(tmp_path: Path, proxy_to) -> None:
    certs = make_certificates(tmp_path)
    async with endpoint(answer, tls=certs.server_context("private-ca")) as (_, port):
        base = f"https://127.0.0.1:{port}/v1"
        trusted = Target(base_url=base, model="m", ca_bundle=str(certs.ca_file))
        async with proxy_to(base, upstream=trusted) as proxy:
            assert await _ask(proxy.base_url) == "kept alive"
            done = await proxy.wait_for(1)
        assert done[0].exchange.status == 200 and done[0].verdict == "passed"
        async with proxy_to(base) as proxy:  # the system's CAs: the private CA is unknown to them
            with pytest.raises(openai.APIStatusError) as caught:
                await _ask(proxy.base_url)
            refused = await proxy.wait_for(1)
    assert caught.value.status_code == 502
    assert [f.id for f in refused[0].findings] == ["reachability.tls"]
    assert "could not be verified" in refused[0].findings[0].message


async def test_connections_are_kept_and_one_the_endpoint_closed_is_replaced(proxy_to) -> None:
    served_count = 0

    async def close_after_two(request: bytes) -> bytes | None:
        nonlocal served_count
        served_count += 1
        return whole()

    async with endpoint(close_after_two) as (served, port), proxy_to(f"http://127.0.0.1:{port}/v1") as proxy:
        for _ in range(3):
            assert await _ask(proxy.base_url) == "kept alive"
        assert served.connections == 1  # three requests, one kept-alive connection
        for writer in served.writers:  # the endpoint ends its idle keep-alive connection
            writer.close()
        await asyncio.sleep(0.05)
        assert await _ask(proxy.base_url) == "kept alive"  # a new connection, no error for the platform
        done = await proxy.wait_for(4)
    assert served.connections == 2 and served_count == 4
    assert [p.exchange.status for p in done] == [200, 200, 200, 200]


async def test_a_head_request_and_an_interim_103_are_relayed_as_the_endpoint_sent_them(proxy_to) -> None:
    async def early_hints(request: bytes) -> bytes:
        if request.startswith(b"HEAD "):  # a HEAD's head announces a length no body follows
            return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 999\r\n\r\n"
        return b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>\r\n\r\n" + whole()

    async with endpoint(early_hints) as (_, port), proxy_to(f"http://127.0.0.1:{port}/v1") as proxy:
        async with httpx.AsyncClient(timeout=10) as http:
            head = await http.head(proxy.base_url + "/models")
            after = await http.post(proxy.base_url + "/chat/completions", json={"model": "m", "messages": ASK})
        done = await proxy.wait_for(2)
    assert head.status_code == 200 and head.headers["content-length"] == "999" and head.content == b""
    assert after.status_code == 200 and after.json()["choices"][0]["message"]["content"] == "kept alive"
    assert [p.exchange.status for p in done] == [200, 200]


async def test_an_http_proxy_in_the_environment_is_still_used(monkeypatch: pytest.MonkeyPatch, proxy_to) -> None:
    seen: list[bytes] = []

    async def forward_proxy(request: bytes) -> bytes:
        seen.append(request.split(b"\r\n")[0])
        return whole(b'{"choices":[{"index":0,"message":{"role":"assistant","content":"via the proxy"},'
                     b'"finish_reason":"stop"}]}')

    async with endpoint(answer) as (_, port), endpoint(forward_proxy) as (_, via_port):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{via_port}")
        async with proxy_to(f"http://127.0.0.1:{port}/v1") as proxy, httpx.AsyncClient(trust_env=False) as http:
            # The platform's own client must not take the environment's proxy too: only the proxy's side should.
            reply = await http.post(proxy.base_url + "/chat/completions", json={"model": "m", "messages": ASK})
    assert reply.json()["choices"][0]["message"]["content"] == "via the proxy"
    assert seen == [f"POST http://127.0.0.1:{port}/v1/chat/completions HTTP/1.1".encode()]
