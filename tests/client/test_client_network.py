"""The client's network failures, TLS, proxies and limits, each against a real local socket.

Servers here are tiny asyncio ones on 127.0.0.1:0 when the mock cannot misbehave that way
(a TLS server with a self-signed certificate, a proxy, a server that sends invalid UTF-8).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from workbench import errors, wire
from workbench.client import Client
from workbench.mock import MockConfig, MockServer
from workbench.target import Target, Timeouts

PROXY_VARS = (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
)
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

SSE_REPLY = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
    + wire.sse_event(wire.chunk("c1", "m", 1, {"content": "secure "}))
    + wire.sse_event(wire.chunk("c1", "m", 1, {"content": "hello"}))
    + wire.SSE_DONE
)


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def quick(url: str, **timeouts: float) -> Target:
    limits = {"connect": 2.0, "read": 5.0, "first_token": 5.0} | timeouts
    return Target(base_url=url, model="m", timeouts=Timeouts(**limits))


def stream_body() -> dict:
    return {"model": "m", "messages": [wire.message("user", "hi")], "stream": True}


async def run(target: Target, body: dict | None = None, **client_options: object):
    async with Client(target, **client_options) as client:
        call = client.chat(body or stream_body(), raise_on_failure=False)
        await call.run()
        return call


@contextlib.asynccontextmanager
async def raw_server(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A listening socket on loopback that answers with `handler`; yields its port."""

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


def replying(raw: bytes) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(raw)
        await writer.drain()
    return handler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, signed by itself (so it is its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "workbench test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


# ---- connecting -------------------------------------------------------------------------


async def test_connection_refused_names_host_and_port() -> None:
    port = free_port()
    call = await run(quick(f"http://127.0.0.1:{port}/v1"))
    failure = call.exchange.failure
    assert isinstance(call.error, errors.ConnectionRefused)
    assert f"127.0.0.1:{port}" in failure.message and "running" in failure.hint
    assert call.exchange.status is None and call.exchange.timings.total_ms is not None


async def test_unresolvable_host_is_a_dns_failure_naming_the_host() -> None:
    call = await run(quick("http://no-such-endpoint.invalid/v1"))
    assert isinstance(call.error, errors.DNSFailure)
    assert "no-such-endpoint.invalid" in call.error.message


async def test_https_to_a_plain_http_port_says_the_server_does_not_speak_tls() -> None:
    async with MockServer(MockConfig()) as server:
        call = await run(quick(server.base_url.replace("http://", "https://")))
    assert isinstance(call.error, errors.TLSFailure)
    assert "does not speak TLS" in call.error.message and "http://" in call.error.hint


async def test_http_to_a_tls_port_is_a_reset_with_a_hint_to_use_https(tls_files) -> None:
    _, context = tls_files
    async with raw_server(replying(SSE_REPLY), tls=context) as port:
        call = await run(quick(f"http://127.0.0.1:{port}/v1"))
    assert isinstance(call.error, errors.ConnectionReset)
    assert "without sending a response" in call.error.message and "https://" in call.error.hint


async def test_a_full_accept_queue_gives_a_connect_timeout() -> None:
    # Loopback only, so no unroutable address: a listener that never accepts, with its
    # backlog filled, leaves the next SYN unanswered until the client gives up.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        await asyncio.sleep(0.05)
        call = await run(quick(f"http://127.0.0.1:{port}/v1", connect=0.3))
    finally:
        for sock in fillers:
            sock.close()
        listener.close()
    if isinstance(call.error, errors.ConnectionRefused):
        pytest.skip("this kernel refuses (rather than drops) connections to a full accept queue")
    assert isinstance(call.error, errors.ConnectTimeout)
    assert f"127.0.0.1:{port}" in call.error.message and "0.3 s" in call.error.message


async def test_no_response_headers_within_the_read_timeout_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with raw_server(silent) as port:
        body = stream_body() | {"stream": False}
        call = await run(quick(f"http://127.0.0.1:{port}/v1", read=0.3), body)
    assert isinstance(call.error, errors.ReadTimeout)
    assert "no response headers" in call.error.message


async def test_a_garbage_status_line_is_a_protocol_failure() -> None:
    async with raw_server(replying(b"SPDY/9 what\r\n\r\n")) as port:
        call = await run(quick(f"http://127.0.0.1:{port}/v1"))
    assert isinstance(call.error, errors.ProtocolFailure)
    assert "HTTP" in call.error.hint


# ---- TLS and proxies --------------------------------------------------------------------


async def test_a_custom_ca_bundle_reaches_httpx(tls_files) -> None:
    cert, context = tls_files
    async with raw_server(replying(SSE_REPLY), tls=context) as port:
        url = f"https://127.0.0.1:{port}/v1"
        without = await run(quick(url))
        with_ca = await run(quick(url).with_(ca_bundle=str(cert)))
        unverified = await run(quick(url).with_(verify=False))
    assert isinstance(without.error, errors.TLSFailure)
    assert "could not be verified" in without.error.message and "ca_bundle" in without.error.hint
    assert with_ca.exchange.failure is None and with_ca.exchange.reply_text == "secure hello"
    assert unverified.exchange.failure is None


async def test_a_missing_ca_bundle_is_a_worded_tls_failure(tmp_path: Path) -> None:
    with pytest.raises(errors.TLSFailure, match="could not be loaded"):
        await run(quick("https://127.0.0.1:1/v1").with_(ca_bundle=str(tmp_path / "nope.pem")))


@contextlib.asynccontextmanager
async def connect_proxy(seen: list[bytes]) -> AsyncIterator[int]:
    """An HTTP proxy that only tunnels (CONNECT), recording each request line it gets."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        line = head.split(b"\r\n")[0]
        seen.append(line)
        method, where, _ = line.split(b" ")
        if method != b"CONNECT":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 10\r\n\r\nvia proxy!")
            await writer.drain()
            return
        host, port = where.decode().rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async with raw_server(handler) as port:
        yield port


async def test_https_proxy_tunnels_and_no_proxy_bypasses_it(tls_files, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, context = tls_files
    seen: list[bytes] = []
    async with raw_server(replying(SSE_REPLY), tls=context) as port, connect_proxy(seen) as proxy_port:
        target = quick(f"https://localhost:{port}/v1").with_(ca_bundle=str(cert))
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
        proxied = await run(target)
        monkeypatch.setenv("NO_PROXY", "localhost")
        direct = await run(target)
    assert proxied.exchange.reply_text == "secure hello" and direct.exchange.reply_text == "secure hello"
    assert seen == [f"CONNECT localhost:{port} HTTP/1.1".encode()]  # only the first went through it


async def test_http_proxy_is_used_for_http_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []
    async with MockServer(MockConfig()) as server, connect_proxy(seen) as proxy_port:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
        body = stream_body() | {"stream": False}
        call = await run(quick(server.base_url), body)
    assert seen == [f"POST {server.base_url}/chat/completions HTTP/1.1".encode()]
    assert call.exchange.body == b"via proxy!"


async def test_a_dead_proxy_is_named_in_the_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    call = await run(quick("http://127.0.0.1:9/v1"))
    assert isinstance(call.error, errors.ConnectionRefused)
    assert "proxy" in call.error.message and "NO_PROXY" in call.error.hint


# ---- what comes back --------------------------------------------------------------------


async def test_invalid_utf8_in_a_stream_is_reported_with_its_offset_and_the_rest_recorded() -> None:
    first = wire.sse_event(wire.chunk("c1", "m", 1, {"content": "ok "}))
    bad = b'data: {"choices":[{"index":0,"delta":{"content":"caf\xe9"}}]}\n\n'
    last = wire.sse_event(wire.chunk("c1", "m", 1, {"content": " end"})) + wire.SSE_DONE
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        for piece in (head, first, bad[:20], bad[20:], last):  # split anywhere: offsets must still be right
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)

    async with raw_server(handler) as port:
        call = await run(quick(f"http://127.0.0.1:{port}/v1"))
    exchange = call.exchange
    assert isinstance(call.error, errors.InvalidUTF8)
    offset = len(first) + bad.index(b"\xe9")
    assert f"offset {offset}" in call.error.message and "e9" in call.error.message
    assert exchange.body[offset] == 0xE9
    assert exchange.reply_text == "ok caf\ufffd end" and exchange.events[-1].is_done


async def test_a_reply_over_the_cap_is_cut_and_reported() -> None:
    async with MockServer(MockConfig()) as server:
        call = await run(quick(server.base_url), stream_body() | {"messages": [wire.message("user", "word " * 200)]},
                         body_cap=500)
    exchange = call.exchange
    assert isinstance(call.error, errors.BodyTooLarge)
    assert exchange.body_truncated and len(exchange.body) == 500 and exchange.body_cap == 500
    assert "500 bytes" in call.error.message and exchange.events  # what fit is kept, event by event
    assert json.loads(json.dumps(exchange.to_dict()))["body_truncated"] is True


async def test_an_event_cut_off_by_the_end_of_the_body_is_kept_as_unterminated() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
    tail = b'data: {"choices":[{"index":0,"delta":{"content":"last"}}]}'  # no blank line: EOF
    async with raw_server(replying(head + wire.sse_event(wire.chunk("c", "m", 1, {"content": "a "})) + tail)) as port:
        call = await run(quick(f"http://127.0.0.1:{port}/v1"))
    events = call.exchange.events
    assert call.exchange.failure is None
    assert [e.unterminated for e in events] == [False, True] and events[-1].text == "last"
