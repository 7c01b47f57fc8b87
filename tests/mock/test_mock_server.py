"""MockServer's life: in-process start on port 0, threads, prompt stop with open streams, start-up errors.

And the request log.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import threading
from pathlib import Path

import httpx
import pytest

from workbench.errors import UsageError, WorkbenchError
from workbench.mock import MockConfig, MockServer, RequestRecord

KEY = "sk-log-canary-0123456789abcdef"


pytestmark = pytest.mark.usefixtures("no_proxy")


async def test_port_zero_gives_a_free_port_and_urls() -> None:
    async with MockServer(MockConfig()) as one, MockServer(MockConfig()) as two:
        assert one.port and two.port and one.port != two.port
        assert one.base_url == f"http://127.0.0.1:{one.port}/v1" and one.root_url + "/v1" == one.base_url
        async with httpx.AsyncClient(verify=False) as http:
            assert (await http.get(one.root_url + "/health")).status_code == 200
    assert not one.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(one.root_url + "/health", timeout=2)


async def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(WorkbenchError) as caught:
            await MockServer(MockConfig(port=port)).start()
    assert "already in use" in caught.value.message and "--port" in caught.value.hint


@pytest.mark.parametrize(("changes", "words"), [
    ({"fault": "no-such"}, "unknown fault"), ({"fault_rate": 1.5}, "between 0 and 1"),
    ({"persona": "vapi"}, "persona"), ({"auth_header": "basic"}, "auth_header"), ({"ttft_ms": -1}, "ttft_ms"),
    ({"models": ()}, "models"), ({"api_key": ""}, "empty"),
])
def test_bad_config_is_a_usage_error(changes: dict[str, object], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        MockConfig(**changes)


def test_set_fault_rejects_unknown_names() -> None:
    server = MockServer(MockConfig())
    with pytest.raises(UsageError, match="unknown fault"):
        server.set_fault("teapot")
    with pytest.raises(UsageError):
        server.set_fault("stall", rate=2)


async def test_stop_closes_an_open_stream_at_once() -> None:
    server = await MockServer(MockConfig(fault="stall", stall_s=30)).start()
    got_role = asyncio.Event()

    async def read_stream() -> str:
        async with httpx.AsyncClient(verify=False, timeout=60) as http:
            async with http.stream("POST", server.base_url + "/chat/completions",
                                   json={"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True},
                                   ) as r:
                try:
                    async for _ in r.aiter_raw():
                        got_role.set()
                except httpx.RemoteProtocolError:
                    return "closed"
        return "finished"

    reader = asyncio.create_task(read_stream())
    await asyncio.wait_for(got_role.wait(), 10)
    await asyncio.wait_for(server.stop(), 10)  # the stall is 30 s: stop does not wait for it
    assert await asyncio.wait_for(reader, 10) == "closed"
    assert server.requests[-1].error == "closed: the server is shutting down"


def test_thread_handle_stops_with_an_open_stream() -> None:
    handle = MockServer.start_in_thread(MockConfig(fault="stall", stall_s=30))
    started = threading.Event()
    outcome: list[str] = []

    def read() -> None:
        try:
            with httpx.stream("POST", handle.base_url + "/chat/completions", timeout=60,
                              json={"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}) as r:
                for _ in r.iter_raw():
                    started.set()
            outcome.append("finished")
        except httpx.RemoteProtocolError:
            outcome.append("closed")

    reader = threading.Thread(target=read)
    reader.start()
    assert started.wait(10)
    handle.stop()
    reader.join(10)
    assert outcome == ["closed"] and not handle.server.running


def test_thread_start_error_is_raised_in_the_caller(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot open the request log"):
        MockServer.start_in_thread(MockConfig(log_path=tmp_path / "no-such-dir" / "log.jsonl"))


async def test_subscribers_see_each_request_and_can_unsubscribe() -> None:
    seen: list[RequestRecord] = []
    async with MockServer(MockConfig()) as server:
        unsubscribe = server.subscribe(seen.append)
        server.subscribe(lambda record: 1 / 0)  # a broken subscriber does not break the server
        async with httpx.AsyncClient(verify=False) as http:
            assert (await http.get(server.base_url + "/models")).status_code == 200
            unsubscribe()
            await http.get(server.root_url + "/health")
    assert [(r.method, r.path, r.status) for r in seen] == [("GET", "/v1/models", 200)]
    assert len(server.requests) == 2


async def test_log_file_has_full_requests_masked_and_mode_0600(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    body = {"model": "m", "messages": [{"role": "user", "content": f"my key is {KEY}"}], "stream": True}
    async with MockServer(MockConfig(api_key=KEY, log_path=log)) as server:
        async with httpx.AsyncClient(verify=False) as http:
            await http.post(server.base_url + "/chat/completions", json=body, headers={"x-api-key": KEY})
            await http.post(server.base_url + "/chat/completions", json=body,
                            headers={"authorization": "Bearer sk-bad-987654321"})
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    text = log.read_text()
    assert KEY not in text and "sk-bad-987654321" not in text
    first, second = [json.loads(line) for line in text.splitlines()]
    headers = {k.lower(): v for k, v in first["headers"].items()}
    assert headers["x-api-key"] == "sk-…cdef" and first["auth_header"] == "x-api-key"
    assert json.loads(first["body"])["messages"][0]["content"] == "my key is sk-…cdef"
    assert first["status"] == 200 and first["stream"] is True and first["latency_ms"] >= 0
    assert second["status"] == 401 and (
        {k.lower(): v for k, v in second["headers"].items()}["authorization"] == "Bearer sk-…4321")


def test_an_existing_log_file_keeps_its_mode(tmp_path: Path) -> None:
    # Issue 13 row 7: the workbench never changes the mode of a file it did not create.
    log = tmp_path / "old.jsonl"
    log.write_text("")
    log.chmod(0o644)
    with MockServer.start_in_thread(MockConfig(log_path=log)) as handle:
        httpx.get(handle.root_url + "/health")
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o644 and json.loads(log.read_text())["path"] == "/health"


def test_console_line_has_the_facts_and_no_secret() -> None:
    record = RequestRecord(time=0.0, method="POST", path="/v1/chat/completions", auth_header="x-api-key",
                           status=401, latency_ms=1.25, headers={"x-api-key": "sk-…cdef"}, error="Incorrect API key")
    line = record.console_line()
    for part in ("POST /v1/chat/completions", "auth=x-api-key", "401", "1.2 ms", "Incorrect API key"):
        assert part in line


async def test_memory_keeps_a_cut_body_while_the_log_file_keeps_it_whole(tmp_path: Path) -> None:
    from workbench.mock.request_log import BODY_KEPT

    log = tmp_path / "requests.jsonl"
    text = f"{KEY} " + "y" * (BODY_KEPT + 1000) + f" {KEY}"
    body = {"model": "m", "messages": [{"role": "user", "content": text}]}
    async with MockServer(MockConfig(api_key=KEY, log_path=log)) as server:
        async with httpx.AsyncClient(verify=False, timeout=30) as http:
            reply = await http.post(server.base_url + "/chat/completions", json=body, headers={"x-api-key": KEY})
        assert reply.status_code == 200
        kept = server.requests[-1].body
    assert len(kept) <= BODY_KEPT and "not kept in memory" in kept and KEY not in kept
    logged = json.loads(log.read_text().splitlines()[-1])["body"]
    assert json.loads(logged)["messages"][0]["content"] == text.replace(KEY, "sk-…cdef")


async def test_bytes_that_are_not_http_get_the_envelope_and_one_record() -> None:
    async with MockServer(MockConfig(persona="polyant", models=("demo-bot",))) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40))  # a TLS hello on the plain port
        reply = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == b"400" and b"application/json" in head.lower()
    assert json.loads(body)["statusCode"] == 400 and "not valid HTTP/1.1" in json.loads(body)["message"]
    record = server.requests[-1]
    assert (record.method, record.path, record.status) == ("-", "-", 400) and "not valid HTTP" in record.error


async def test_a_client_hanging_up_mid_body_is_recorded_as_499() -> None:
    async with MockServer(MockConfig()) as server:
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mo")
        await writer.drain()
        writer.close()
        for _ in range(200):
            if server.requests:
                break
            await asyncio.sleep(0.01)
    assert server.requests[-1].status == 499 and "closed the connection" in server.requests[-1].error
