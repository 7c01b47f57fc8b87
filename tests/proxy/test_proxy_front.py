"""The proxy's side toward the platform (workbench/proxy/front.py), spoken to byte by byte: pipelined requests
answered in order, a chunked body forwarded whole, HTTP/1.0 answered as HTTP/1.0, and requests that cannot
be read (smuggling-shaped, a head too big, a body past the cap) refused with a sentence, never forwarded.
"""

from __future__ import annotations

import asyncio
import json

from workbench import wire

ASK = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hello"}]}).encode()


async def _exchange(base_url: str, raw: bytes, *, until_close: bool = True, wait_s: float = 10) -> bytes:
    """Write `raw` on a fresh connection to the proxy and read what comes back until it closes (or `wait_s`)."""
    host, port = base_url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(raw)
    await writer.drain()
    got = b""
    try:
        async with asyncio.timeout(wait_s):
            while chunk := await reader.read(65536):
                got += chunk
    except TimeoutError:
        if until_close:
            raise
    finally:
        writer.close()
    return got


def _post(path: str, body: bytes, *extra: str, version: str = "1.1") -> bytes:
    head = [f"POST {path} HTTP/{version}", "Host: platform.example", "Content-Type: application/json",
            f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _contents(raw: bytes) -> list[str]:
    """The assistant texts of the JSON replies in a run of HTTP/1.1 responses framed by Content-Length."""
    found = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        found.append(json.loads(rest[:length])["choices"][0]["message"]["content"])
        raw = rest[length:]
    return found


async def test_pipelined_requests_are_answered_in_order(proxied_mock) -> None:
    path = "/v1/chat/completions"
    bodies = [json.dumps({"model": "m", "messages": [{"role": "user", "content": f"number {n}"}]}).encode()
              for n in range(3)]
    raw = b"".join(_post(path, body) for body in bodies[:2]) + _post(path, bodies[2], "Connection: close")
    got = await _exchange(proxied_mock.base_url, raw)
    assert _contents(got) == ["You said: number 0", "You said: number 1", "You said: number 2"]
    assert [p.exchange.status for p in await proxied_mock.wait_for(3)] == [200, 200, 200]


async def test_a_chunked_request_body_reaches_the_endpoint_whole(proxied_mock) -> None:
    pieces = [ASK[:10], ASK[10:30], ASK[30:]]
    chunked = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    raw = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked)
    got = await _exchange(proxied_mock.base_url, raw)
    assert got.startswith(b"HTTP/1.1 200 ") and _contents(got) == ["You said: hello"]
    done = await proxied_mock.wait_for(1)
    assert json.loads(done[0].exchange.request.body) == json.loads(ASK)


async def test_an_http_1_0_platform_gets_an_http_1_0_answer_and_the_connection_closes(proxied_mock) -> None:
    stream = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode()
    got = await _exchange(proxied_mock.base_url, _post("/v1/chat/completions", stream, version="1.0"))
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 ") and b"transfer-encoding" not in head.lower()
    assert body.endswith(wire.SSE_DONE)  # the stream ended by closing, as HTTP/1.0 has it


async def test_a_request_with_both_length_and_chunked_is_refused_and_never_forwarded(proxied_mock) -> None:
    smuggled = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nContent-Length: 4\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: p\r\n\r\n")
    got = await _exchange(proxied_mock.base_url, smuggled)
    assert got.startswith(b"HTTP/1.1 400 ") and b"HTTP/1.1 200" not in got  # the GET behind it was not read
    error = json.loads(got.partition(b"\r\n\r\n")[2])["error"]
    assert error["type"] == "proxy_error" and "could not be read as HTTP/1.1" in error["message"]
    await asyncio.sleep(0.1)
    assert proxied_mock.done == []  # nothing reached the endpoint


async def test_a_head_too_big_gets_a_431(proxied_mock) -> None:
    huge = b"GET /v1/models HTTP/1.1\r\nHost: p\r\n" + b"X-Junk: " + b"j" * (300 << 10) + b"\r\n\r\n"
    got = await _exchange(proxied_mock.base_url, huge)
    assert got.startswith(b"HTTP/1.1 431 ") and b"request head is over 64 KiB" in got
    assert proxied_mock.done == []


async def test_a_chunked_body_past_the_cap_is_refused_with_a_413(mock_server, proxy_to) -> None:
    body = b"x" * 5000
    raw = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           + b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body))
    async with proxy_to(mock_server.base_url, body_cap=1000) as proxy:
        got = await _exchange(proxy.base_url, raw)
        assert proxy.refusals and "413" in proxy.refusals[0]
    assert got.startswith(b"HTTP/1.1 413 ") and b"over this proxy's 1000 byte cap" in got


async def test_a_head_that_trickles_in_is_closed_like_an_idle_connection(proxied_mock, monkeypatch) -> None:
    """Slowloris: a header line every 100 ms never completes a head; the idle clock still ends it."""
    from workbench.proxy import front

    monkeypatch.setattr(front, "KEEP_ALIVE_S", 0.3)
    host, port = proxied_mock.base_url.split("//")[1].split("/")[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\n")
    closed = False
    try:
        for number in range(50):  # 5 s of trickling at most
            writer.write(b"X-Slow-%d: a\r\n" % number)
            await writer.drain()
            await asyncio.sleep(0.1)
    except ConnectionError:
        closed = True
    if not closed:
        closed = await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    assert closed and number < 40
    assert proxied_mock.done == []


async def test_a_body_that_never_arrives_whole_gets_a_408(proxied_mock, monkeypatch) -> None:
    from workbench.proxy import front

    monkeypatch.setattr(front, "BODY_S", 0.3)
    raw = _post("/v1/chat/completions", ASK)[:-20]  # the head says 20 bytes more than come
    got = await _exchange(proxied_mock.base_url, raw, wait_s=3)  # and the connection is closed: its body is unread
    assert got.startswith(b"HTTP/1.1 408 ") and b"did not arrive whole within 0.3 s" in got
    assert proxied_mock.refusals and "408" in proxied_mock.refusals[0]
