"""Issue 13 row 4: a proxy's password (HTTP_PROXY=http://user:pass@…) in no message, output or saved file.

The proxy here echoes every request it is asked to forward in a 502 page, with the
`Proxy-Authorization: Basic …` header httpx sent it, and refuses CONNECT tunnels with a 407:
the password, and the Basic credential made of it, must not reach the findings, the saved
verdict, the export, chat's JSON or any error line.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import threading
from pathlib import Path

import pytest

USER, PASSWORD = "proxyuser", "pw-3c1e9a7f5b2d8e40"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


class EchoingProxy:
    """An HTTP proxy that forwards nothing: a 502 echoing the request, or a 407 to CONNECT."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.seen: list[bytes] = []
        self.port = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        self.seen.append(head)
        if head.startswith(b"CONNECT"):
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(head) + head)
        await writer.drain()
        writer.close()

    def __enter__(self) -> "EchoingProxy":
        ready = threading.Event()

        async def start() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            ready.set()

        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(start(), self.loop)
        assert ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


def _leaks(text: str) -> list[str]:
    return [secret for secret in (PASSWORD, PASSWORD[-8:], BASIC, BASIC[2:-4]) if secret in text]


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def profiles(private_home, run_workbench, no_proxy):
    folder = private_home / "profiles"
    for name, url in (("plain", "http://10.255.0.1:8000/v1"), ("tls", "https://10.255.0.1:8000/v1")):
        added = run_workbench("--profiles", str(folder), "profiles", "add", name, "--url", url, "--model", "m")
        assert added.exit_code == 0, added.stderr
    return folder


@pytest.mark.parametrize("profile", ["plain", "tls"])
def test_a_proxy_password_echoed_or_in_errors_is_in_no_output_or_file(private_home, profiles, run_workbench,
                                                                     monkeypatch, profile):
    with EchoingProxy() as proxy:
        url = f"http://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY"):
            monkeypatch.setenv(name, url)
        outputs = []
        for args in (("check", profile, "--format", "json"), ("check", profile), ("chat", profile, "--format", "json",
                     "hello"), ("chat", profile, "--show-request", "hello"), ("export", profile, "--for", "openai"),
                     ("bench", profile, "-n", "2", "--format", "json")):
            result = run_workbench("--profiles", str(profiles), *args)
            assert "Traceback" not in result.stderr and "this is a bug" not in result.stderr, result.stderr
            outputs.append(result.stdout + result.stderr)
    assert any(f"Basic {BASIC}".encode() in head for head in proxy.seen) or profile == "tls"  # it was sent
    assert any(f"Proxy-Authorization: Basic {BASIC[:2]}…" in output for output in outputs) or profile == "tls"
    for output in outputs:
        assert _leaks(output) == [], output
    saved = [Path(d) / f for d, _, files in os.walk(private_home) for f in files]
    assert any(p.parent.name == "reports" for p in saved)
    for path in saved:
        assert _leaks(path.read_text(errors="replace")) == [], path


def test_a_refused_proxy_is_named_without_its_password(profiles, run_workbench, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"http://{USER}:{PASSWORD}@127.0.0.1:{_unused_port()}")
    result = run_workbench("--profiles", str(profiles), "chat", "plain", "hello")
    assert result.exit_code == 1 and "Connection refused by the proxy http://127.0.0.1:" in result.stderr
    assert _leaks(result.stdout + result.stderr) == []
