"""The recording client against the real mock over loopback: replies, timings, recording, masking, cancel."""

from __future__ import annotations

import asyncio
import json
import re
import ssl

import pytest

from workbench import errors, wire
from workbench.chat import shape_turn
from workbench.client import Client
from workbench.mock import MockConfig, MockServer
from workbench.target import Target, Timeouts

KEY = "sk-canary-7d1e4f0b9a3c5e2d9f3a"
PROXY_VARS = (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
)


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the developer's environment must not reroute loopback tests."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def target_for(server: MockServer, **changes: object) -> Target:
    return Target(base_url=server.base_url, model="mock-model").with_(**changes)


def body(target: Target, text: str = "hello there world", *, stream: bool = True) -> dict:
    return shape_turn(target, [wire.message("user", text)], stream=stream).body


async def test_streamed_reply_is_assembled_as_it_arrives_with_ordered_timings() -> None:
    async with MockServer(MockConfig()) as server:
        target = target_for(server)
        async with Client(target) as client:
            call = client.chat(body(target))
            pieces = [text async for text in call]
    exchange = call.exchange
    assert "".join(pieces) == "You said: hello there world"
    assert len(pieces) > 1  # word by word, not one lump
    assert exchange.reply_text == "You said: hello there world"
    assert exchange.status == 200 and exchange.is_sse and exchange.failure is None
    assert exchange.stream_requested
    t = exchange.timings
    assert t.headers_ms is not None and t.first_event_ms is not None and t.first_token_ms is not None
    assert 0 <= t.headers_ms <= t.first_event_ms <= t.first_token_ms <= t.total_ms
    content = [e for e in exchange.events if e.text]
    assert len(t.chunk_gaps_ms) == len(content) - 1
    assert [e.t_ms for e in exchange.events] == sorted(e.t_ms for e in exchange.events)
    # Every event keeps its raw framing and its parsed JSON.
    assert all(e.raw.startswith("data: ") for e in exchange.events)
    assert exchange.events[-1].is_done and exchange.events[-1].parsed is None
    assert exchange.events[0].parsed["object"] == "chat.completion.chunk"
    assert isinstance(exchange.body, bytes) and exchange.body.endswith(wire.SSE_DONE)


async def test_non_streamed_reply_comes_as_one_piece_of_text() -> None:
    async with MockServer(MockConfig()) as server:
        target = target_for(server)
        async with Client(target) as client:
            call = client.chat(body(target, stream=False))
            pieces = [text async for text in call]
    exchange = call.exchange
    assert pieces == ["You said: hello there world"]
    assert exchange.events == [] and not exchange.stream_requested
    assert exchange.json()["object"] == "chat.completion"
    assert exchange.timings.headers_ms <= exchange.timings.first_byte_ms <= exchange.timings.total_ms


async def test_first_token_time_follows_the_injected_delay() -> None:
    async with MockServer(MockConfig(ttft_ms=200)) as server:
        target = target_for(server)
        async with Client(target) as client:
            exchange = await client.chat(body(target)).run()
    assert exchange.timings.first_token_ms >= 150  # a loose lower bound; never an upper one


@pytest.mark.parametrize(("auth", "header"), [("bearer", "Authorization"), ("x-api-key", "x-api-key")])
async def test_request_is_recorded_as_sent_with_the_key_masked(auth: str, header: str) -> None:
    async with MockServer(MockConfig(api_key=KEY)) as server:
        target = target_for(server, auth=auth, api_key=KEY, headers={"X-Trace": f"trace {KEY}"})
        async with Client(target) as client:
            exchange = await client.chat(body(target)).run()
        received = server.requests[-1]
    assert exchange.status == 200
    names = [name.lower() for name, _ in exchange.request.headers]
    for added_by_httpx in ("host", "user-agent", "content-length", "content-type", "accept"):
        assert added_by_httpx in names
    sent = {name.lower(): value for name, value in exchange.request.headers}
    expected = "Bearer sk-…9f3a" if auth == "bearer" else "sk-…9f3a"
    assert sent[header.lower()] == expected
    assert sent["x-trace"] == "trace sk-…9f3a"
    assert set(exchange.request.secret_headers) == {header.lower(), "x-trace"}
    assert int(sent["content-length"]) == len(exchange.request.body)
    assert json.loads(exchange.request.body) == json.loads(received.body)
    assert KEY not in json.dumps(exchange.to_dict(), ensure_ascii=False)


async def test_a_key_the_server_echoes_back_is_scrubbed_from_the_recording() -> None:
    async with MockServer(MockConfig(api_key=KEY)) as server:
        target = target_for(server, auth="bearer", api_key=KEY)
        async with Client(target) as client:
            call = client.chat(body(target, f"my key is {KEY} ok"))
            live = "".join([text async for text in call])
    assert KEY in live  # the caller asked for the reply; the recording is what must stay clean
    dumped = json.dumps(call.exchange.to_dict(), ensure_ascii=False)
    assert KEY not in dumped and "sk-…9f3a" in dumped
    assert "sk-…9f3a" in call.exchange.reply_text


async def test_auth_overrides_send_no_key_or_a_wrong_one_and_the_401_is_a_recorded_reply() -> None:
    wrong = "sk-wrong-0000000000001234"
    async with MockServer(MockConfig(api_key=KEY)) as server:
        target = target_for(server, auth="bearer", api_key=KEY)
        async with Client(target) as client:
            bare = await client.chat(body(target), auth="none").run()
            bad = await client.chat(body(target), api_key=wrong).run()
            other = await client.chat(body(target), auth="x-api-key").run()
    assert bare.status == 401 and bare.failure is None
    assert not any(name.lower() == "authorization" for name, _ in bare.request.headers)
    assert bad.status == 401 and ("Authorization", "Bearer sk-…1234") in bad.request.headers
    assert wrong not in json.dumps(bad.to_dict())
    assert other.status == 200 and ("x-api-key", "sk-…9f3a") in other.request.headers


async def test_general_request_joins_paths_onto_the_base_url() -> None:
    async with MockServer(MockConfig()) as server:
        target = target_for(server)
        async with Client(target) as client:
            models = await client.request("GET", "/models", label="models").run()
    assert models.request.url == server.base_url + "/models"
    assert models.status == 200 and models.label == "models"
    assert models.json()["data"][0]["id"] == "mock-model"


async def test_error_statuses_are_recorded_replies_not_failures() -> None:
    async with MockServer(MockConfig(fault="rate-limit")) as server:
        target = target_for(server)
        async with Client(target) as client:
            exchange = await client.chat(body(target)).run()  # does not raise
    assert exchange.status == 429 and exchange.failure is None and not exchange.ok
    assert exchange.header("retry-after") == "1"
    assert exchange.json()["error"]["message"]


async def test_a_failure_is_raised_typed_by_default_and_recorded_either_way() -> None:
    async with MockServer(MockConfig(fault="drop-mid-stream")) as server:
        target = target_for(server)
        async with Client(target) as client:
            call = client.chat(body(target, "one two three four five six seven eight"))
            pieces: list[str] = []
            with pytest.raises(errors.ConnectionReset) as raised:
                async for text in call:
                    pieces.append(text)
            quiet = await client.chat(body(target), raise_on_failure=False).run()
    assert call.exchange.failure.kind == "connection-reset"
    assert raised.value.message == call.exchange.failure.message and raised.value.hint
    assert "".join(pieces) == call.exchange.reply_text and pieces  # the partial text is kept
    assert quiet.failure is not None and quiet.failure.kind == "connection-reset"


async def test_cancel_from_the_consuming_loop_keeps_what_arrived() -> None:
    async with MockServer(MockConfig(tokens_per_s=40)) as server:
        target = target_for(server)
        async with Client(target) as client:
            call = client.chat(body(target, "a b c d e f g h i j k l m n o p"))
            pieces = []
            async for text in call:
                pieces.append(text)
                if len(pieces) == 2:
                    call.cancel()
            exchange = await call.run()  # already over: returns the same record
    assert len(pieces) == 2
    assert exchange.cancelled and exchange.failure.kind == "cancelled"
    assert exchange.reply_text.startswith("".join(pieces))
    assert exchange.timings.total_ms is not None
    assert not exchange.events[-1].is_done


async def test_cancel_from_another_task_interrupts_a_waiting_read() -> None:
    async with MockServer(MockConfig(tokens_per_s=5)) as server:
        target = target_for(server)
        async with Client(target) as client:
            call = client.chat(body(target, "a b c d e f g h i j k l m n o p"))
            running = asyncio.create_task(call.run())
            while not call.exchange.reply_text:
                await asyncio.sleep(0.01)
            call.cancel()
            exchange = await asyncio.wait_for(running, 5)
    assert exchange.cancelled and exchange.reply_text
    assert exchange.failure.kind == "cancelled"


async def test_cancelling_the_task_propagates_and_the_exchange_keeps_what_arrived() -> None:
    async with MockServer(MockConfig(tokens_per_s=5)) as server:
        target = target_for(server)
        async with Client(target) as client:
            call = client.chat(body(target, "a b c d e f g h i j k l m n o p"))
            running = asyncio.create_task(call.run())
            while not call.exchange.reply_text:
                await asyncio.sleep(0.01)
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
    exchange = call.exchange
    assert exchange.cancelled and exchange.reply_text and call.done
    assert "task running it was cancelled" in exchange.failure.message


async def test_breaking_off_and_closing_releases_the_call() -> None:
    async with MockServer(MockConfig(tokens_per_s=40)) as server:
        target = target_for(server)
        async with Client(target) as client:
            call = client.chat(body(target, "a b c d e f g h"))
            async for _ in call:
                break
            await call.aclose()
            after = await client.chat(body(target)).run()  # the pool still works
    assert call.done and call.exchange.cancelled
    assert after.reply_text == "You said: hello there world"


async def test_first_token_deadline_counts_from_sending_and_ends_a_stall() -> None:
    async with MockServer(MockConfig(fault="stall", stall_s=30)) as server:
        target = target_for(server, timeouts=Timeouts(connect=2, read=10, first_token=0.4))
        async with Client(target) as client:
            call = client.chat(body(target))
            with pytest.raises(errors.FirstTokenTimeout) as raised:
                await call.run()
    exchange = call.exchange
    assert "0.4 s" in raised.value.message and "none with content text" in raised.value.message
    assert exchange.status == 200 and len(exchange.events) == 1  # the role chunk, then nothing
    assert exchange.timings.total_ms >= 350  # it waited for the deadline (no upper bound asserted)
    assert not exchange.cancelled


async def test_a_bad_url_is_a_failure_on_the_call_not_an_exception_from_request() -> None:
    target = Target(base_url="ftp://example.invalid/v1", model="m")
    async with Client(target) as client:
        call = client.chat({"model": "m", "messages": [], "stream": False})
        with pytest.raises(errors.ProtocolFailure, match="not an http:// or https:// URL"):
            await call.run()
    assert call.exchange.failure.kind == "protocol"


async def test_a_key_with_a_stray_newline_fails_worded_without_leaking_the_key() -> None:
    broken = KEY + "\n"
    async with MockServer(MockConfig()) as server:
        target = target_for(server, auth="bearer", api_key=broken)
        async with Client(target) as client:
            call = client.chat(body(target), raise_on_failure=False)
            exchange = await call.run()
    assert exchange.failure.kind == "protocol" and "newline" in exchange.failure.hint
    assert KEY not in json.dumps(exchange.to_dict()) and KEY not in str(call.error)


async def test_a_cookie_one_reply_sets_is_not_sent_with_the_next_request(chat_endpoint) -> None:
    # Platforms call statelessly; a check's probes must stay independent of each other.
    from aiohttp import web

    seen: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie"))
        response = web.json_response(wire.completion("m", "hi"))
        response.set_cookie("session", "abc123", path="/")
        return response

    async with chat_endpoint(handler) as base_url:
        async with Client(Target(base_url=base_url, model="m")) as client:
            for _ in range(2):
                exchange = await client.chat(wire.chat_request("m", [wire.message("user", "hi")])).run()
                assert exchange.status == 200 and exchange.header("set-cookie")
    assert seen == [None, None]


async def test_a_key_echoed_split_across_two_events_leaves_no_run_of_it_in_the_recording(chat_endpoint) -> None:
    """Issue 13 row 2: `...Bearer s` in one event and `k-canary...` in the next, from an endpoint that
    echoes headers."""
    from aiohttp import web

    async def handler(request: web.Request) -> web.StreamResponse:
        said = request.headers["Authorization"]
        response = web.StreamResponse(headers={"Content-Type": wire.SSE_CONTENT_TYPE})
        await response.prepare(request)
        for piece in (f"Authorization={said[:8]}", said[8:], " ok"):
            await response.write(wire.sse_event(wire.chunk("chatcmpl-1", "m", 1, {"content": piece})))
        await response.write(wire.SSE_DONE)
        return response

    async with chat_endpoint(handler) as base_url:
        target = Target(base_url=base_url, model="m", auth="bearer", api_key=KEY)
        async with Client(target) as client:
            call = client.chat(body(target))
            live = "".join([text async for text in call])
    assert KEY in live  # the caller asked for the reply; the recording is what must stay clean
    exchange = call.exchange
    assert exchange.reply_text == "Authorization=Bearer sk-…9f3a ok"
    views = {
        "body": exchange.body.decode(),
        "raw": "".join(e.raw for e in exchange.events),
        "data": "".join(e.data or "" for e in exchange.events),
        "parsed": json.dumps([e.parsed for e in exchange.events], ensure_ascii=False),
        "text": "".join(e.text for e in exchange.events),
        "saved": json.dumps(exchange.to_dict(), ensure_ascii=False),
    }
    for view, text in views.items():
        unmasked = re.sub(r"sk-(…|\\+u2026)9f3a", "", text)  # the mask, however deeply escaped, shows the last 4
        runs = [KEY[i : i + 4] for i in range(len(KEY) - 3) if KEY[i : i + 4] in unmasked]
        assert runs == [], view


async def test_clients_share_one_default_tls_context() -> None:
    from workbench.client.pool import _default_ssl_context

    first = Client(Target(base_url="https://127.0.0.1:9/v1", model="m"))._tls_verify()
    second = Client(Target(base_url="https://127.0.0.1:9/v1", model="m"))._tls_verify()
    assert first is second and first.verify_mode == ssl.CERT_REQUIRED
    assert _default_ssl_context.cache_info().hits >= 1
