"""The mock under hostile input and load: fuzzed requests, 500 idle and slow connections, a stop with streams open.

tests/mock/test_mock_bad_input.py fuzzes chat bodies; here the whole HTTP surface is fuzzed
(methods, paths, headers, bodies of any JSON type per field, compressed bodies) against a
real MockServer, and every answer must be the persona's error envelope or a real reply,
never a 500 that was not injected. Load: connections held open and idle, clients sending
their body a byte at a time, while ordinary requests still get answered. Memory growth under
load is a benchmark (benchmarks/bench_mock_load.py), not a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import wire
from workbench.mock import MockConfig, MockServer, MockThread

KEY = "sk-mock-hardening-0123456789"
# CI runs 60 examples a test; WORKBENCH_FUZZ_EXAMPLES=2000 searches harder.
FUZZ = settings(max_examples=int(os.environ.get("WORKBENCH_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def mocks() -> Iterator[dict[str, MockThread]]:
    """One mock per persona, with a key, shared by the fuzz examples (starting one per example is slow)."""
    configs = {
        "openai": MockConfig(api_key=KEY, max_body=64 << 10),
        "open": MockConfig(max_body=64 << 10),
        "polyant": MockConfig(api_key=KEY, persona="polyant", polyant_requests_per_minute=1_000_000),
    }
    handles = {name: MockServer.start_in_thread(config) for name, config in configs.items()}
    yield handles
    for handle in handles.values():
        handle.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def is_envelope(persona: str, body: Any, status: int) -> bool:
    """The error shape of the persona: OpenAI's {"error": {message, type, param, code}}, or NestJS's."""
    if persona == "polyant":
        return (isinstance(body, dict) and body.get("statusCode") == status and isinstance(body.get("message"), str)
                and isinstance(body.get("error"), str))
    error = body.get("error") if isinstance(body, dict) else None
    return (isinstance(error, dict) and isinstance(error.get("message"), str) and error["message"]
            and isinstance(error.get("type"), str) and {"param", "code"} <= error.keys())


def assert_answer(persona: str, method: str, response: httpx.Response) -> None:
    """A real reply, or the persona's error envelope; never an uninjected 500, never a traceback."""
    assert response.status_code != 500 and response.status_code < 600, response.text[:300]
    assert "Traceback" not in response.text
    if method == "HEAD":
        assert response.content == b""
        return
    if response.status_code >= 400:
        assert response.headers.get("content-type", "").startswith("application/json"), response.headers
        assert is_envelope(persona, response.json(), response.status_code), response.text[:300]
    elif response.status_code == 200 and response.headers.get("content-type", "").startswith(wire.SSE_CONTENT_TYPE):
        assert response.text.endswith("data: [DONE]\n\n")
    elif response.status_code == 200:
        json.loads(response.content)


# ---- what a fuzzer sends -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
FIELDS = ["model", "messages", "stream", "stream_options", "temperature", "top_p", "frequency_penalty",
          "presence_penalty", "max_tokens", "max_completion_tokens", "n", "seed", "tools", "tool_choice", "stop",
          "user", "logprobs", "response_format", "metadata"]
message = st.fixed_dictionaries({}, optional={"role": st.sampled_from(sorted(wire.ROLES)) | json_values,
                                              "content": st.text(max_size=20) | json_values,
                                              "name": json_values, "tool_calls": json_values})
valid_core = st.fixed_dictionaries({"model": st.just("mock-model"),
                                    "messages": st.lists(message, min_size=1, max_size=3)})
# Any field may hold any JSON type: a fuzzer's body.
bodies = st.builds(lambda core, extra: {**core, **extra}, valid_core,
                   st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5))
raw_bodies = (bodies.map(lambda b: json.dumps(b).encode())
              | json_values.map(lambda v: json.dumps(v).encode())
              | st.binary(max_size=64)
              | st.sampled_from([b"", b"{", b"[" * 5000 + b"]" * 5000, b'{"model": "m", "messages": ' + b"[" * 3000,
                                 b"\xef\xbb\xbf{}",
                                 json.dumps({"model": "m",
                                             "messages": [{"role": "user", "content": "x" * 70_000}]}).encode()]))
PATHS = ["/v1/chat/completions", "/chat/completions", "/v1/models", "/models", "/v1/models/mock-model",
         "/v1/models/%ff%00", "/health", "/", "/v1", "/v1/chat/completions/", "//v1//chat/completions",
         "/moved/v1/chat/completions", "/v1/chat/completions?stream=true", "/v1/%2e%2e/etc/passwd",
         "/v1/chat/completions%00", "/v1/models/" + "a" * 2000]
# Methods the HTTP parser knows; one it does not know is answered by aiohttp itself (see the xfail below).
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "PURGE"]
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip)
headers = st.dictionaries(
    st.sampled_from(["authorization", "x-api-key", "content-type", "accept", "accept-encoding", "user-agent",
                     "x-request-id", "openai-organization", "cookie", "expect"]),
    header_text | st.sampled_from([f"Bearer {KEY}", KEY, "Bearer", "bearer  " + KEY, "Basic Zm9vOmJhcg==",
                                   "application/json; charset=latin-1", "text/event-stream", "gzip"]),
    max_size=4)


@FUZZ
@given(persona=st.sampled_from(["openai", "open", "polyant"]), method=st.sampled_from(METHODS),
       path=st.sampled_from(PATHS), sent_headers=headers, body=raw_bodies)
def test_any_request_gets_a_reply_or_the_error_envelope_never_a_500(
    mocks: dict[str, MockThread], http: httpx.Client, persona: str, method: str, path: str,
    sent_headers: dict[str, str], body: bytes,
) -> None:
    sent_headers.pop("expect", None)  # httpx does not do 100-continue; a raw-socket test below does
    response = http.request(method, mocks[persona].root_url + path, headers=sent_headers,
                            content=body if method not in ("GET", "HEAD") else None)
    assert_answer("polyant" if persona == "polyant" else "openai", method, response)


@FUZZ
@given(body=bodies, stream=st.booleans())
def test_any_type_in_any_field_is_a_400_naming_the_field_or_a_reply(
    mocks: dict[str, MockThread], http: httpx.Client, body: dict[str, Any], stream: bool
) -> None:
    body.setdefault("stream", stream)
    response = http.post(mocks["open"].base_url + "/chat/completions", content=json.dumps(body).encode())
    assert_answer("openai", "POST", response)
    if response.status_code == 400:
        param = response.json()["error"]["param"]
        assert param is None or param.split(".")[0].split("[")[0] in body, (param, body)


# ---- HTTP that is not HTTP, and clients that go away ----------------------------------------------


async def raw_exchange(port: int, data: bytes, wait_s: float = 10.0) -> bytes:
    """Send raw bytes, read until the server closes (or `wait_s` passes: a safety net)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        chunks = []
        with contextlib.suppress(ConnectionError):
            while chunk := await asyncio.wait_for(reader.read(65536), wait_s):
                chunks.append(chunk)
        return b"".join(chunks)
    finally:
        writer.close()


MALFORMED = {
    "unknown method": b"FOO /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n",
    "request line over 8 KiB": b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "control byte in a header": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n",
    "header over 8 KiB": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
    "TLS on the plain port": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40),
    "HTTP/9.9": b"GET /health HTTP/9.9\r\n\r\n",
    "bad chunk size": b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "two Content-Lengths": (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Length: 5\r\nContent-Length: 7\r\n\r\nhello"),
}


async def test_malformed_http_is_refused_with_a_4xx_and_the_mock_serves_on() -> None:
    async with MockServer(MockConfig()) as server:
        replies = await asyncio.gather(*(raw_exchange(server.port, data) for data in MALFORMED.values()))
        for (what, _), reply in zip(MALFORMED.items(), replies, strict=True):
            status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else None
            assert status is not None and 400 <= status < 500, (what, reply[:120])
            assert b"Traceback" not in reply, what
        async with httpx.AsyncClient() as client:
            ok = await client.post(server.base_url + "/chat/completions",
                                   json={"model": "m", "messages": [{"role": "user", "content": "still here?"}]})
        assert ok.status_code == 200 and "still here?" in ok.text


async def test_malformed_http_is_answered_with_the_error_envelope() -> None:
    async with MockServer(MockConfig()) as server:
        reply = await raw_exchange(server.port, MALFORMED["unknown method"])
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower() and is_envelope("openai", json.loads(body), 400)


def test_malformed_http_prints_no_traceback_on_the_mock_console() -> None:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "workbench", "mock", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        ready = process.stdout.readline() if process.stdout else ""
        port = int(ready.split("base URL http://127.0.0.1:")[1].split("/")[0])
        for data in MALFORMED.values():
            asyncio.run(raw_exchange(port, data))
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "Traceback" not in err, err[-2000:]


async def test_a_client_hanging_up_mid_body_is_not_a_server_error(caplog: pytest.LogCaptureFixture) -> None:
    async with MockServer(MockConfig()) as server:
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"model\"")
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()
        for _ in range(100):  # until the mock has noticed
            if server.requests:
                break
            await asyncio.sleep(0.02)
    assert server.requests and server.requests[-1].status != 500
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_compressed_request_body_is_read_and_a_compressed_bomb_is_a_413() -> None:
    async with MockServer(MockConfig(max_body=64 << 10)) as server:
        small = gzip.compress(json.dumps({"model": "m", "messages": [{"role": "user", "content": "zipped"}]}).encode())
        bomb = gzip.compress(bytes(60 << 20), 9)  # 60 KiB on the wire, 60 MiB inflated
        assert len(bomb) < server.config.max_body
        async with httpx.AsyncClient() as client:
            fine = await client.post(server.base_url + "/chat/completions", content=small,
                                     headers={"content-encoding": "gzip", "content-type": "application/json"})
            refused = await client.post(server.base_url + "/chat/completions", content=bomb,
                                        headers={"content-encoding": "gzip", "content-type": "application/json"})
    assert fine.status_code == 200 and "zipped" in fine.text
    assert refused.status_code == 413 and is_envelope("openai", refused.json(), 413)


async def test_expect_100_continue_gets_a_continue_then_the_reply() -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "continue"}]}).encode()
    async with MockServer(MockConfig()) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        await writer.drain()
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.write(body)
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    assert interim.startswith(b"HTTP/1.1 100")
    assert reply.startswith(b"HTTP/1.1 200") and b"You said: continue" in reply


@pytest.mark.parametrize("key_header", [b"", b"x-api-key: sk-wrong-key-000\r\n"], ids=["no-key", "wrong-key"])
async def test_expect_100_continue_without_the_key_gets_a_401_and_no_invitation_to_upload(key_header: bytes) -> None:
    # Issue 13 row 11: the key is checked before the client is told to send its body.
    async with MockServer(MockConfig(api_key="sk-right-key-123")) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" + key_header
                     + b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 10)  # the body was never sent: the mock closes after its 401
        writer.close()
        logged = server.requests[-1]
    assert reply.startswith(b"HTTP/1.1 401") and b"100 Continue" not in reply
    assert logged.status == 401 and logged.body == ""


async def test_expect_100_continue_with_the_key_gets_the_invitation_then_the_reply() -> None:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "keyed"}]}).encode()
    async with MockServer(MockConfig(api_key="sk-right-key-123")) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n"
                     b"x-api-key: sk-right-key-123\r\nContent-Length: %d\r\n\r\n" % len(body))
        await writer.drain()
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.write(body)
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    assert interim.startswith(b"HTTP/1.1 100")
    assert reply.startswith(b"HTTP/1.1 200") and b"You said: keyed" in reply


async def test_an_expectation_other_than_100_continue_is_a_417_in_the_envelope() -> None:
    async with MockServer(MockConfig()) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n"
                     b"Content-Length: 2\r\n\r\n{}")
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        logged = server.requests[-1]
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 417")
    error = json.loads(body)["error"]
    assert "200-ok" in error["message"] and "100-continue" in error["message"]
    assert logged.status == 417 and logged.path == "/v1/chat/completions"


# ---- load: 500 connections held, and a stop with streams open ---------------------------------------

IDLE = 400
SLOW = 100
CHAT = json.dumps({"model": "m", "messages": [{"role": "user", "content": "slow"}]}).encode()
SLOW_HEAD = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             b"Content-Length: %d\r\n\r\n") % len(CHAT)


def reply_text(response: httpx.Response) -> str:
    """The reply a client would assemble, streamed or not."""
    if response.headers.get("content-type", "").startswith(wire.SSE_CONTENT_TYPE):
        return "".join(wire.delta_text(json.loads(e.data)) for e in wire.parse_sse(response.text) if not e.is_done)
    return response.json()["choices"][0]["message"]["content"]


@contextlib.asynccontextmanager
async def connections(port: int, count: int):
    """`count` connections that connect and then say nothing."""
    opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(count)))
    try:
        yield opened
    finally:
        for _, writer in opened:
            writer.close()


async def slow_client(port: int, pause_s: float) -> bytes:
    """A client that sends its request one byte at a time, then reads the whole reply."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for byte in SLOW_HEAD + CHAT:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(pause_s)
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()


def raise_fd_limit(needed: int) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"needs {needed} file descriptors; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


async def test_500_idle_and_slow_connections_are_held_while_normal_requests_are_served() -> None:
    raise_fd_limit(4096)  # both ends of every connection live in this process
    async with MockServer(MockConfig()) as server, connections(server.port, IDLE) as idle:
        slow = [asyncio.create_task(slow_client(server.port, 0.005)) for _ in range(SLOW)]
        async with httpx.AsyncClient(timeout=30) as client:
            for round_ in range(3):  # normal traffic while the 500 are held
                replies = await asyncio.gather(*(
                    client.post(server.base_url + "/chat/completions",
                                json={"model": "m", "stream": i % 2 == 0,
                                      "messages": [{"role": "user", "content": f"normal {round_}.{i}"}]})
                    for i in range(10)))
                assert [r.status_code for r in replies] == [200] * 10
                assert all(f"normal {round_}.{i}" in reply_text(r) for i, r in enumerate(replies))
        slow_replies = await asyncio.wait_for(asyncio.gather(*slow), 60)  # safety net
        assert all(reply.startswith(b"HTTP/1.1 200") and b"You said: slow" in reply for reply in slow_replies)
        # The idle ones were held, not shed: each still gets an answer when it finally speaks.
        reader, writer = idle[0]
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        assert (await asyncio.wait_for(reader.read(), 10)).startswith(b"HTTP/1.1 200")


async def test_stop_with_streams_idle_and_slow_connections_open_returns_and_closes_them_all() -> None:
    raise_fd_limit(4096)
    server = MockServer(MockConfig(tokens_per_s=2))  # streams that would run for a minute
    await server.start()
    client = httpx.AsyncClient(timeout=30)
    streams = []
    try:
        for _ in range(20):
            request = client.build_request("POST", server.base_url + "/chat/completions", json={
                "model": "m", "stream": True, "messages": [{"role": "user", "content": "word " * 100}]})
            response = await client.send(request, stream=True)
            streams.append(response)
        readers = [response.aiter_raw() for response in streams]
        first_chunks = [await reader.__anext__() for reader in readers]
        assert all(chunk.startswith(b"data: ") for chunk in first_chunks)
        async with connections(server.port, 50) as idle:
            uploads = [asyncio.create_task(slow_client(server.port, 0.05)) for _ in range(10)]
            await asyncio.sleep(0.3)  # the uploads are part way through their request
            await asyncio.wait_for(server.stop(), 10)  # a safety net: stop is prompt, not a hang

            async def rest_of(reader) -> str:  # type: ignore[no-untyped-def]
                try:
                    async for _ in reader:
                        pass
                except (httpx.RemoteProtocolError, httpx.ReadError):
                    return "closed mid-stream"
                return "ended"

            ends = await asyncio.wait_for(asyncio.gather(*(rest_of(r) for r in readers)), 10)
            assert set(ends) <= {"closed mid-stream", "ended"}
            # Idle connections see the close (EOF), not a hang.
            eofs = await asyncio.wait_for(asyncio.gather(*(reader.read() for reader, _ in idle)), 10)
            assert all(data == b"" for data in eofs)
            for upload in uploads:
                with contextlib.suppress(ConnectionError):
                    assert not (await asyncio.wait_for(upload, 10)).startswith(b"HTTP/1.1 200")
    finally:
        await client.aclose()
        await server.stop()


async def test_the_request_log_memory_does_not_follow_the_body_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.mock import request_log

    monkeypatch.setattr(request_log, "KEEP_RECORDS", 10)  # the same trimming, reached sooner
    big = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * (900 << 10)}]}).encode()
    async with MockServer(MockConfig(max_body=1 << 20)) as server, httpx.AsyncClient(timeout=30) as client:
        for _ in range(30):
            assert (await client.post(server.base_url + "/chat/completions", content=big)).status_code == 200
        kept = sum(len(record.body) for record in server.requests)
    assert kept <= 20 * (64 << 10), f"{kept / (1 << 20):.1f} MiB of bodies held for {len(server.requests)} records"


async def test_a_cut_body_costs_what_its_length_says(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from workbench.mock import request_log

    big = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * (256 << 10)}]}).encode()
    async with MockServer(MockConfig()) as server, httpx.AsyncClient(timeout=30) as client:
        assert (await client.post(server.base_url + "/chat/completions", content=big)).status_code == 200
    (record,) = server.requests
    assert len(record.body) <= request_log.BODY_KEPT
    assert sys.getsizeof(record.body) <= request_log.BODY_KEPT + 1024, f"{sys.getsizeof(record.body)} bytes held"
