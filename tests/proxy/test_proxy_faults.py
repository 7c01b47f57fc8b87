"""Faults on the path: every mock fault through the proxy gets the finding the check gives it, and a broken
endpoint gives the platform a sane answer (502/504 in the OpenAI envelope, or the stream closed as the
endpoint closed it) with a finding that says why.
"""

from __future__ import annotations

import asyncio

import httpx
import openai
import pytest
from aiohttp import web

from workbench.checks.single import judge_exchange
from workbench.client import Client
from workbench.mock import FAULTS, MockConfig, MockServer
from workbench.target import Target

ASK = [{"role": "user", "content": "hello there, how are you today?"}]


async def _direct(base_url: str, stream: bool):
    async with Client(Target(base_url=base_url, model="mock-model")) as client:
        body = {"model": "mock-model", "stream": stream, "messages": ASK}
        return await client.chat(body, raise_on_failure=False).run()


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_every_mock_fault_gets_the_checks_finding_through_the_proxy(fault: str, stream: bool, proxy_to) -> None:
    async with MockServer(MockConfig(fault=fault, stall_s=0.2)) as mock, proxy_to(mock.base_url) as proxy:
        direct = judge_exchange(await _direct(mock.base_url, stream), "openai")
        through = await _direct(proxy.base_url, stream)  # the platform's side of the proxy
        done = await proxy.wait_for(1)
    assert sorted(f.id for f in done[0].findings) == sorted(f.id for f in direct)
    # And the platform saw what it would have seen without the proxy.
    assert sorted(f.id for f in judge_exchange(through, "openai")) == sorted(f.id for f in direct)


async def test_an_endpoint_that_is_down_gets_a_502_in_the_openai_envelope(proxy_to, unused_tcp_port) -> None:
    async with proxy_to(f"http://127.0.0.1:{unused_tcp_port}/v1") as proxy:
        async with openai.AsyncOpenAI(base_url=proxy.base_url, api_key="sk-down-0123456789", max_retries=0) as sdk:
            with pytest.raises(openai.APIStatusError) as caught:
                await sdk.chat.completions.create(model="m", messages=ASK)
        done = await proxy.wait_for(1)
    assert caught.value.status_code == 502
    error = caught.value.body
    assert error["code"] == "connection-refused" and error["type"] == "proxy_error"
    assert "Connection refused by 127.0.0.1" in error["message"]
    assert [f.id for f in done[0].findings] == ["reachability.refused"]
    assert done[0].exchange.status is None and done[0].verdict == "failed"


async def test_an_endpoint_that_answers_too_late_gets_a_504(proxy_to) -> None:
    from _hostile_server import HostileServer

    async with HostileServer("silent") as endpoint, proxy_to(endpoint.base_url, timeout_s=0.3) as proxy:
        async with httpx.AsyncClient(timeout=10) as http:
            reply = await http.post(proxy.base_url + "/chat/completions", json={"model": "m", "messages": ASK})
        done = await proxy.wait_for(1)
    assert reply.status_code == 504 and reply.json()["error"]["code"] == "read-timeout"
    assert [f.id for f in done[0].findings] == ["reachability.read-timeout"]
    assert "No reply from 127.0.0.1" in done[0].findings[0].message


async def test_a_stream_cut_by_the_endpoint_is_cut_for_the_platform_too(proxy_to) -> None:
    async with MockServer(MockConfig(fault="drop-mid-stream")) as mock, proxy_to(mock.base_url) as proxy:
        outcomes = []
        for base in (mock.base_url, proxy.base_url):
            async with openai.AsyncOpenAI(base_url=base, api_key="sk-cut-0123456789", max_retries=0) as sdk:
                stream = await sdk.chat.completions.create(model="m", messages=ASK, stream=True)
                with pytest.raises(openai.APIConnectionError) as caught:
                    async for _ in stream:
                        pass
                outcomes.append(type(caught.value.__cause__))
        done = await proxy.wait_for(1)
    assert outcomes[0] is outcomes[1]  # the SDK fails the same way through the proxy as without it
    assert [f.id for f in done[0].findings] == ["stream.dropped"]
    assert done[0].exchange.failure.kind == "connection-reset"


@pytest.mark.parametrize(("behaviour", "status", "finding"), [
    ("huge-headers", 502, "reachability.protocol"),
    ("many-headers", 502, "reachability.protocol"),
    ("garbage-status", 502, "reachability.protocol"),
    ("slow-headers", 504, "reachability.read-timeout"),
    ("close-after-headers", 200, "schema.body-truncated"),
    ("chunked-cut", 200, "stream.dropped"),
    ("bad-chunk-size", 502, "reachability.protocol"),
    ("redirect-loop", 307, "reachability.redirect"),
])
async def test_a_hostile_endpoint_gives_the_platform_a_sane_answer(behaviour, status, finding, proxy_to) -> None:
    from _hostile_server import HostileServer

    stream = behaviour in ("chunked-cut", "bad-chunk-size")
    # Only the behaviour that is about the deadline gets a short one: under load the others must not race it.
    timeout_s = 0.5 if status == 504 else 30.0
    async with HostileServer(behaviour) as endpoint, proxy_to(endpoint.base_url, timeout_s=timeout_s) as proxy:
        async with httpx.AsyncClient(timeout=10) as http:
            body = {"model": "m", "stream": stream, "messages": ASK}
            async with http.stream("POST", proxy.base_url + "/chat/completions", json=body) as reply:
                try:
                    await reply.aread()
                    cut = False
                except httpx.RemoteProtocolError:
                    cut = True
        done = await proxy.wait_for(1)
    assert reply.status_code == status
    if status in (502, 504):
        assert reply.json()["error"]["type"] == "proxy_error"
    assert cut == (status == 200)  # mid-body: the platform's body ends as the endpoint's did, not cleanly
    assert finding in [f.id for f in done[0].findings]


async def test_the_recording_stops_at_the_cap_while_the_platform_gets_everything(proxy_to) -> None:
    """Memory stays bounded: past the body cap the reply is forwarded whole and recorded no more."""
    big = b"x" * 300_000

    async def handler(request: web.BaseRequest) -> web.Response:
        await request.read()
        return web.Response(body=big, content_type="text/plain")

    runner = web.ServerRunner(web.Server(handler))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"  # type: ignore[union-attr]
    try:
        async with proxy_to(base, body_cap=64_000) as proxy, httpx.AsyncClient(timeout=10) as http:
            reply = await http.get(proxy.base_url + "/big")
            done = await proxy.wait_for(1)
    finally:
        await runner.cleanup()
    assert reply.content == big
    exchange = done[0].exchange
    assert len(exchange.body) == 64_000 and exchange.body_truncated
    assert exchange.failure.kind == "body-too-large" and "the platform got all of it" in exchange.failure.message


async def test_an_endless_stream_is_recorded_up_to_the_cap_until_the_platform_hangs_up(proxy_to) -> None:
    from _hostile_server import HostileServer

    async with HostileServer("endless-stream") as endpoint, proxy_to(endpoint.base_url, body_cap=256_000) as proxy:
        async with httpx.AsyncClient(timeout=10) as http:
            body = {"model": "m", "stream": True, "messages": ASK}
            async with http.stream("POST", proxy.base_url + "/chat/completions", json=body) as reply:
                taken = 0
                async for piece in reply.aiter_raw():
                    taken += len(piece)
                    if taken > 2_000_000:
                        break
        done = await proxy.wait_for(1)
        for _ in range(500):  # the endpoint sees the proxy hang up too
            if not endpoint._tasks:
                break
            await asyncio.sleep(0.01)
        assert not endpoint._tasks
    exchange = done[0].exchange
    assert taken > 2_000_000 and len(exchange.body) == 256_000 and exchange.cancelled
