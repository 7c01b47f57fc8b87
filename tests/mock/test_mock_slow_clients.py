"""The mock under slow and stuck clients (issue 13 row 10): header timeout, a cap, out of descriptors said once.

Timeouts here are set short through MockConfig so the tests take seconds; the descriptor
limit is lowered in a subprocess (the mock's own, as `workbench mock` runs), never in pytest's.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import subprocess
import sys

import pytest

from workbench.mock import MockConfig, MockServer
from workbench.mock.connections import ConnectionGuard

pytestmark = pytest.mark.usefixtures("no_proxy")

PARTIAL_HEAD = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: appl"
HEALTH = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """What the server sent before it closed (b"" for a silent close); fails if still open after `seconds`."""
    try:
        return await asyncio.wait_for(reader.read(), seconds)
    except ConnectionResetError:
        return b""


async def ask(port: int, request: bytes = HEALTH) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return reply


async def test_connections_stalled_mid_headers_or_silent_are_closed_after_the_header_timeout() -> None:
    async with MockServer(MockConfig(header_timeout_s=0.5)) as server:
        stalled = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(30)]
        for _, writer in stalled[:20]:  # 20 send part of a head; 10 send nothing at all
            writer.write(PARTIAL_HEAD)
        ends = await asyncio.gather(*(closed_within(reader, 10) for reader, _ in stalled))  # 10: a safety net
        assert (await ask(server.port)).startswith(b"HTTP/1.1 200")  # the mock serves on
        for _, writer in stalled:
            writer.close()
    assert ends == [b""] * 30  # closed, not answered


async def test_a_slow_client_that_finishes_its_head_in_time_is_answered() -> None:
    async with MockServer(MockConfig(header_timeout_s=2)) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for index in range(0, len(HEALTH), 8):
            writer.write(HEALTH[index:index + 8])
            await asyncio.sleep(0.02)
        reply = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    assert reply.startswith(b"HTTP/1.1 200")


async def test_past_the_cap_a_new_connection_gets_a_503_and_the_console_one_line(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="workbench.mock")
    async with MockServer(MockConfig(max_connections=5)) as server:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(5)]
        await asyncio.sleep(0.05)
        turned_away = [await ask(server.port) for _ in range(10)]
        for _, writer in held:
            writer.close()
        await asyncio.sleep(0.2)  # the mock sees the five close
        served = await ask(server.port)
    head, _, body = turned_away[0].partition(b"\r\n\r\n")
    assert all(reply == turned_away[0] for reply in turned_away)
    assert head.startswith(b"HTTP/1.1 503") and b"Connection: close" in head
    assert "5 connections" in json.loads(body)["error"]["message"]
    lines = [record.getMessage() for record in caplog.records if "connections are open" in record.getMessage()]
    assert len(lines) == 1 and "max_connections" in lines[0]
    assert served.startswith(b"HTTP/1.1 200")


# ---- a low descriptor limit, in a subprocess ----------------------------------------------------------

# `workbench mock` as the CLI runs it (serve), with a short header timeout set through MockConfig.
SERVE = """
import os, resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
if sys.argv[2] == "asyncio":
    sys.modules["uvloop"] = None
from workbench.mock import MockConfig
from workbench.mock.serve import serve
def ready(server):
    print(server.port, flush=True)
    if sys.argv[3] == "exhaust":  # something else in the process takes every descriptor left
        held = []
        while True:
            try:
                held.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
serve(MockConfig(port=0, header_timeout_s=float(sys.argv[4])), ready, open(os.devnull, "w"))
"""


@contextlib.contextmanager
def mock_process(limit: int, loop: str = "uvloop", exhaust: bool = False, header_timeout_s: float = 1.0):
    resource = pytest.importorskip("resource")
    del resource
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(limit), loop, "exhaust" if exhaust else "-", str(header_timeout_s)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield process, port
    finally:
        process.terminate()
        process.wait(30)  # a safety net: a loaded machine (CI, other suites) can take seconds to end it


def stderr_of(process: subprocess.Popen[str]) -> str:
    process.terminate()
    _, err = process.communicate(timeout=30)  # a safety net, as above
    return err


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_NOFILE is POSIX")
async def test_under_a_low_descriptor_limit_stalled_clients_cost_one_line_and_real_requests_come_back() -> None:
    with mock_process(limit=64) as (process, port):
        stalled = []
        for _ in range(100):  # more than 64 descriptors' worth, stalled mid-headers
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(PARTIAL_HEAD)
            stalled.append((reader, writer))
        try:
            turned_away = await ask(port)  # a 503, or a close when the descriptors are all in use
        except ConnectionError:
            turned_away = b""
        ends = await asyncio.gather(*(closed_within(reader, 15) for reader, _ in stalled))  # 15: a safety net
        served = await ask(port)  # the stalled ones are gone: a real request is answered
        for _, writer in stalled:
            writer.close()
        err = stderr_of(process)
    assert turned_away.startswith(b"HTTP/1.1 503") or turned_away == b""
    assert served.startswith(b"HTTP/1.1 200")
    assert all(end == b"" or end.startswith(b"HTTP/1.1 503") for end in ends)
    assert "Traceback" not in err and err.count("connections are open") == 1 and "ulimit -n is 64" in err
    assert len(err) < 2000


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_NOFILE is POSIX")
async def test_out_of_descriptors_is_one_line_with_the_fix_not_a_traceback_per_accept() -> None:
    # asyncio's loop (uvloop's libuv closes what it cannot take, silently): every descriptor is
    # taken by something else, so accept() itself fails with EMFILE.
    with mock_process(limit=64, loop="asyncio", exhaust=True) as (process, port):
        clients = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
        assert process.stderr is not None
        first = await asyncio.wait_for(asyncio.to_thread(process.stderr.readline), 60)  # 60: a safety net
        await asyncio.sleep(2.5)  # asyncio retries accept() every second: each retry fails again
        for _, writer in clients:
            writer.close()
        err = first + stderr_of(process)
    assert "out of file descriptors" in first and "ulimit -n" in first
    assert "Traceback" not in err and len(err) < 2000 and err.count("out of file descriptors") == 1


def test_other_loop_errors_still_go_to_asyncio() -> None:
    said: list[str] = []
    guard = ConnectionGuard(10, lambda cap: b"", report=said.append)
    seen: list[dict] = []

    class Loop:
        def default_exception_handler(self, context: dict) -> None:
            seen.append(context)

    emfile = OSError(errno.EMFILE, os.strerror(errno.EMFILE))
    for _ in range(5):
        guard.exception_handler(Loop(), {"message": "socket.accept() out of system resource", "exception": emfile})
    guard.exception_handler(Loop(), {"message": "something else", "exception": ValueError("x")})
    assert len(said) == 1 and "out of file descriptors" in said[0]
    assert [context["message"] for context in seen] == ["something else"]
