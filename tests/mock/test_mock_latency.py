"""Latency shaping: --ttft-ms and --tokens-per-s delay streams and whole replies (order and presence only)."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest

from workbench.mock import MockConfig, MockServer

BODY = {"model": "m", "messages": [{"role": "user", "content": "one two three"}]}  # 5 reply tokens


pytestmark = pytest.mark.usefixtures("no_proxy")


async def arrivals(loopback_http: httpx.AsyncClient, server: MockServer) -> list[tuple[float, bytes]]:
    started = time.perf_counter()
    out = []
    async with loopback_http.stream("POST", server.base_url + "/chat/completions",
                                    json={**BODY, "stream": True}) as response:
        async for piece in response.aiter_raw():
            out.append((time.perf_counter() - started, piece))
    return out


def first_at(pieces: list[tuple[float, bytes]], needle: bytes) -> float:
    return next(t for t, piece in pieces if needle in piece)


async def test_ttft_delays_the_first_token_not_the_role_chunk(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig(ttft_ms=200)) as server:
        pieces = await arrivals(loopback_http, server)
    role_at = first_at(pieces, b'"role":"assistant"')
    token_at = first_at(pieces, b'"content":"You "')
    assert token_at >= 0.15  # never before the injected ttft (a loose floor; no upper bound)
    assert role_at < token_at  # the role chunk went out first, on its own


async def test_tokens_per_s_spaces_the_tokens(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig(tokens_per_s=20)) as server:  # one token every 50 ms
        pieces = await arrivals(loopback_http, server)
    first = first_at(pieces, b'"content":"You "')
    last = first_at(pieces, b'"content":"three"')
    assert last - first >= 0.15  # four gaps of 50 ms, floor taken loosely
    assert b"".join(p for _, p in pieces).endswith(b"data: [DONE]\n\n")


async def test_no_paced_token_comes_before_its_slot(loopback_http: httpx.AsyncClient) -> None:
    """Token k is due at ttft + k / tokens_per_s from the request's arrival, which is after it was sent."""
    async with MockServer(MockConfig(ttft_ms=60, tokens_per_s=40)) as server:  # slots 60, 85, 110, 135, 160 ms
        pieces = await arrivals(loopback_http, server)
    seen = [(at, token) for at, piece in pieces for token in re.findall(rb'"delta":\{"content":"([^"]*)"', piece)]
    assert [token for _, token in seen] == [b"You ", b"said: ", b"one ", b"two ", b"three"]
    for index, (at, _) in enumerate(seen):
        assert at >= 0.060 + index * 0.025, f"token {index} came at {at * 1000:.1f} ms, before its slot"


async def test_unpaced_stream_goes_out_in_one_write(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig()) as server:
        pieces = await arrivals(loopback_http, server)
    joined = b"".join(p for _, p in pieces)
    assert joined.count(b"data: ") == 8 and joined.endswith(b"data: [DONE]\n\n")  # role, 5 words, finish, DONE


async def test_non_streamed_reply_waits_the_same_total(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig(ttft_ms=100, tokens_per_s=20)) as server:
        started = time.perf_counter()
        response = await loopback_http.post(server.base_url + "/chat/completions", json=BODY)
        took = time.perf_counter() - started
    assert response.json()["choices"][0]["message"]["content"] == "You said: one two three"
    assert took >= 0.25  # ttft 100 ms + 4 gaps of 50 ms = 300 ms, floor taken loosely


def test_the_stamping_handler_notes_each_arrival_then_hands_the_bytes_on() -> None:
    from workbench.mock.arrival import stamping_handler_class

    calls: list[tuple[str, object]] = []

    class Handler:  # stands in for aiohttp's RequestHandler: the two methods the subclass wraps
        __slots__ = ()

        def data_received(self, data: bytes) -> None:
            calls.append(("data", data))

        def connection_lost(self, exc: BaseException | None) -> None:
            calls.append(("lost", exc))

    arrivals: dict[object, float] = {}
    handler = stamping_handler_class(Handler, arrivals)()  # type: ignore[arg-type]
    before = time.monotonic()
    handler.data_received(b"GET / HTTP/1.1\r\n")
    first = arrivals[handler]
    handler.data_received(b"\r\n")
    assert before <= first <= arrivals[handler] <= time.monotonic()  # the latest bytes: the request's end
    handler.connection_lost(None)
    assert arrivals == {}
    assert calls == [("data", b"GET / HTTP/1.1\r\n"), ("data", b"\r\n"), ("lost", None)]


async def test_arrivals_are_kept_per_open_connection_only(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig()) as server:
        before = time.monotonic()
        await loopback_http.post(server.base_url + "/chat/completions", json=BODY)
        arrivals = list(server._app.arrivals.values())
        assert len(arrivals) == 1 and before <= arrivals[0] <= time.monotonic()  # the keep-alive connection
        await loopback_http.aclose()
        for _ in range(100):  # the server notices the close on its next loop turns
            if not server._app.arrivals:
                break
            await asyncio.sleep(0.01)
        assert server._app.arrivals == {}
