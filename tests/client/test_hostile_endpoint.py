"""The nastiest endpoints we could write, against the client, the check runner and `workbench check`.

A never-ending stream, a byte a second, a 1 MiB header, a 4 GiB gzip bomb, a redirect loop,
a socket closed after the headers, HTTP/1.0, broken chunked encoding, a garbage status line,
a server that never answers (tests/_hostile_server.py has them all). Each must end in bounded
time with a typed error worded for a person, a finding in the check, and no traceback from
the CLI. `asyncio.wait_for` around each call is a safety net against a hang, not a speed
assertion. The TUI's side of "in the CLI and in the TUI" is left to the TUI's own tests
(it drives the same Client and run_check).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tracemalloc

import pytest
from _hostile_server import BEHAVIOURS, HostileServer, ServerThread

from workbench import errors, wire
from workbench.checks.findings import CATEGORIES, SEVERITIES
from workbench.checks.runner import reply_time_limit, run_check
from workbench.client import Client
from workbench.target import Target, Timeouts

SAFETY_NET_S = 60.0  # far above any bounded outcome here; only a hang reaches it
QUICK = Timeouts(connect=2.0, read=1.0, first_token=0.6)
TOTAL_S = 1.6  # past the read timeout with room to spare, so a silent server is a read timeout
DRIP_S = 0.25  # byte-a-second's pause here: well inside the read timeout, so only the time limit ends it

# What each behaviour must end in: (for a streaming request, for a non-streaming one).
# None: a reply that is legal HTTP, recorded without a failure (the check judges it).
OUTCOMES: dict[str, tuple[type[errors.EndpointError] | None, type[errors.EndpointError] | None]] = {
    "endless-stream": (errors.BodyTooLarge, errors.BodyTooLarge),
    "endless-trickle": (errors.ReplyTimeout, errors.ReplyTimeout),
    "byte-a-second": (errors.FirstTokenTimeout, errors.ReplyTimeout),
    "slow-headers": (errors.FirstTokenTimeout, errors.ReplyTimeout),
    "huge-headers": (errors.ProtocolFailure, errors.ProtocolFailure),
    "many-headers": (errors.ProtocolFailure, errors.ProtocolFailure),
    "gzip-bomb": (errors.BodyTooLarge, errors.BodyTooLarge),
    "huge-line": (errors.BodyTooLarge, errors.BodyTooLarge),
    "redirect-loop": (None, None),  # a 307 is recorded, not followed: the check reports it
    "close-after-headers": (errors.ConnectionReset, errors.ConnectionReset),
    "close-after-stream-headers": (None, None),  # a close-delimited body is legal HTTP/1.1
    "http-1.0": (None, None),
    "bad-chunk-size": (errors.ProtocolFailure, errors.ProtocolFailure),
    "chunk-overrun": (errors.ProtocolFailure, errors.ProtocolFailure),
    "chunked-cut": (errors.ConnectionReset, errors.ConnectionReset),
    "garbage-status": (errors.ProtocolFailure, errors.ProtocolFailure),
    "silent": (errors.FirstTokenTimeout, errors.ReadTimeout),
}
# The check's verdict on each: every hostile endpoint is incompatible, bar the legal ones.
COMPATIBLE = {"http-1.0", "close-after-stream-headers"}
# The ones only a timeout ends (a check spends up to two of its reply limits on them).
SLOW = {"endless-trickle", "byte-a-second", "slow-headers", "silent"}


def test_every_behaviour_has_an_expected_outcome() -> None:
    assert set(OUTCOMES) == set(BEHAVIOURS)


def body(stream: bool) -> dict:
    return {"model": "m", "messages": [wire.message("user", "hi")], "stream": stream}


async def call(server: HostileServer, stream: bool, body_cap: int = 1 << 20):
    """One call with quick timeouts and a 1 MiB body cap, so floods hit the cap long before the time limit."""
    target = Target(server.base_url, "m", timeouts=QUICK)
    async with Client(target, total_timeout=TOTAL_S, body_cap=body_cap) as client:
        done = client.chat(body(stream), raise_on_failure=False)
        await asyncio.wait_for(done.run(), SAFETY_NET_S)
        return done


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
async def test_the_client_ends_with_a_typed_error_a_person_can_act_on(behaviour: str) -> None:
    async with HostileServer(behaviour, interval_s=DRIP_S) as server:
        streamed, whole = await asyncio.gather(call(server, True), call(server, False))
    assert server.connections >= 2
    for done, expected in zip((streamed, whole), OUTCOMES[behaviour], strict=True):
        exchange = done.exchange
        if expected is None:
            assert done.error is None and exchange.failure is None, exchange.failure
            assert exchange.status is not None
            continue
        assert type(done.error) is expected, (behaviour, exchange.failure)
        assert exchange.failure is not None and exchange.failure.kind == expected.kind
        assert exchange.failure.message.strip() and exchange.failure.hint.strip()
        assert "Traceback" not in exchange.failure.message
        if behaviour in ("huge-headers", "many-headers"):
            assert "response head" in exchange.failure.message  # not h11's "Receive buffer too long"


async def test_chat_raises_the_typed_error_when_run_or_iterated() -> None:
    async with HostileServer("bad-chunk-size") as broken, HostileServer("endless-trickle") as endless:
        async with Client(Target(broken.base_url, "m", timeouts=QUICK), total_timeout=TOTAL_S) as client:
            with pytest.raises(errors.ProtocolFailure, match="broke the HTTP protocol"):
                await asyncio.wait_for(client.chat(body(True)).run(), SAFETY_NET_S)
        async with Client(Target(endless.base_url, "m", timeouts=QUICK), total_timeout=0.5) as client:

            async def iterate() -> list[str]:
                return [text async for text in client.chat(body(True))]

            with pytest.raises(errors.ReplyTimeout, match=r"did not end within 0.5 s"):
                await asyncio.wait_for(iterate(), SAFETY_NET_S)


async def test_a_stream_that_never_ends_is_cut_at_the_time_limit_keeping_what_came() -> None:
    async with HostileServer("endless-trickle") as server:
        done = await call(server, True)
    exchange = done.exchange
    assert isinstance(done.error, errors.ReplyTimeout)
    assert f"within {TOTAL_S:g} s" in done.error.message and "[DONE]" in done.error.hint
    assert exchange.events and exchange.reply_text.startswith("tick tick")
    assert exchange.timings.total_ms is not None and exchange.timings.total_ms >= TOTAL_S * 1000


async def test_a_consumer_holding_the_stream_is_still_stopped_at_the_time_limit() -> None:
    async with HostileServer("endless-trickle") as server:
        async with Client(Target(server.base_url, "m", timeouts=QUICK), total_timeout=0.3) as client:
            pieces = []
            with pytest.raises(errors.ReplyTimeout):
                async for text in client.chat(body(True)):
                    pieces.append(text)
                    await asyncio.sleep(0.2)  # the consumer is slow: the limit passes while it holds a piece
    assert pieces


async def test_a_gzip_bomb_is_capped_before_it_is_inflated_not_after() -> None:
    cap = 1 << 20
    tracemalloc.start()
    try:
        async with HostileServer("gzip-bomb") as server:
            done = await call(server, False, body_cap=cap)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(done.error, errors.BodyTooLarge)
    assert len(done.exchange.body) == cap and done.exchange.body == bytes(cap)
    # httpx inflates each 64 KiB read whole (64 MiB for this bomb); inflating in 1 MiB steps
    # keeps the peak to a few times the cap however big the bomb is.
    assert peak < 16 * cap, f"peak {peak / (1 << 20):.0f} MiB"


async def test_gzip_and_deflate_replies_still_decode() -> None:
    import zlib

    reply = wire.dumps(wire.completion("m", "squeezed")).encode()
    for coding, packed in (("gzip", zlib.compress(reply, wbits=31)), ("deflate", zlib.compress(reply)),
                           ("deflate", zlib.compress(reply, wbits=-15))):

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, packed=packed, coding=coding):
            from _hostile_server import read_request

            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: %s\r\n"
                         b"content-length: %d\r\n\r\n%s" % (coding.encode(), len(packed), packed))
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with Client(Target(f"http://127.0.0.1:{port}/v1", "m", timeouts=QUICK)) as client:
                exchange = await asyncio.wait_for(client.chat(body(False)).run(), SAFETY_NET_S)
        finally:
            server.close()
        assert exchange.reply_text == "squeezed", coding


async def test_a_corrupt_gzip_body_is_a_decompression_failure() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from _hostile_server import read_request

        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
                     b"content-length: 12\r\n\r\nnot gzip at!")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Client(Target(f"http://127.0.0.1:{port}/v1", "m", timeouts=QUICK)) as client:
            with pytest.raises(errors.ProtocolFailure, match="could not be decompressed"):
                await asyncio.wait_for(client.chat(body(False)).run(), SAFETY_NET_S)
    finally:
        server.close()


# ---- the check runner and the CLI ----------------------------------------------------------------


async def check(behaviour: str, timeout: float, servers: ServerThread | None = None,
                limit: asyncio.Semaphore | None = None):
    if servers is None:
        async with HostileServer(behaviour) as server:
            report = await asyncio.wait_for(run_check(Target(server.base_url, "m"), "openai", timeout=timeout),
                                            SAFETY_NET_S)
        return behaviour, report
    assert limit is not None
    async with limit:
        server = servers.start(HostileServer(behaviour))
        report = await asyncio.wait_for(run_check(Target(server.base_url, "m"), "openai", timeout=timeout),
                                        SAFETY_NET_S)
    return behaviour, report


def test_the_reply_limit_of_a_check_is_its_three_timeouts() -> None:
    assert reply_time_limit(Timeouts(connect=2, read=2, first_token=2)) == 6


async def test_the_check_runner_ends_with_findings_against_every_hostile_endpoint() -> None:
    # Half a second for the ones only a timeout ends (their verdict does not depend on it), 1 s for the rest.
    # The servers on their own loop, four checks at a time: twenty checks and their servers on one loop of a
    # loaded machine let a 1 s timeout end a check whose endpoint had answered.
    limit = asyncio.Semaphore(4)
    with ServerThread() as servers:
        results = await asyncio.gather(*(check(name, 0.5 if name in SLOW else 1.0, servers, limit)
                                         for name in sorted(BEHAVIOURS)))
    for behaviour, report in results:
        assert report.findings, behaviour
        assert report.compatible == (behaviour in COMPATIBLE), (behaviour, report.ids)
        for finding in report.findings:
            assert finding.category in CATEGORIES and finding.severity in SEVERITIES
            assert finding.message.strip() and "Traceback" not in finding.message
    ids = {behaviour: set(report.ids) for behaviour, report in results}
    assert "stream.endless" in ids["endless-trickle"]
    assert "stream.too-large" in ids["gzip-bomb"]
    assert ids["endless-stream"] & {"stream.too-large", "stream.endless"}  # the cap or the clock, whichever first
    assert "reachability.redirect" in ids["redirect-loop"]
    assert "stream.reply-failed" in ids["bad-chunk-size"] and "stream.dropped" in ids["chunked-cut"]
    assert "reachability.protocol" in ids["garbage-status"] and "reachability.protocol" in ids["huge-headers"]
    assert "reachability.read-timeout" in ids["silent"] and "reachability.read-timeout" in ids["slow-headers"]


async def test_a_check_records_at_most_its_body_cap_per_probe_against_a_flood() -> None:
    from workbench.checks.runner import BODY_CAP, CheckFinished, iter_check

    async with HostileServer("endless-stream") as server:
        events = [event async for event in iter_check(Target(server.base_url, "m"), "openai", timeout=5)]
    finished = events[-1]
    assert isinstance(finished, CheckFinished) and len(finished.exchanges) >= 2
    assert max(len(exchange.body) for exchange in finished.exchanges) == BODY_CAP < 8 << 20
    assert "stream.too-large" in finished.report.ids


async def workbench_check(behaviour: str, limit: asyncio.Semaphore) -> tuple[str, int, str, str]:
    async with limit, HostileServer(behaviour) as server:
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("WORKBENCH_DEBUG", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "workbench", "check", "--url", server.base_url, "--model", "m",
            "--timeout", "2", "--format", "json",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
        try:
            out, err = await asyncio.wait_for(process.communicate(), SAFETY_NET_S)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AssertionError(f"workbench check hung on {behaviour}") from None
    return behaviour, process.returncode or 0, out.decode(), err.decode()


async def test_workbench_check_ends_with_a_verdict_and_no_traceback_against_every_hostile_endpoint() -> None:
    limit = asyncio.Semaphore(6)  # two busy cores: a few interpreters at a time
    slow_first = sorted(BEHAVIOURS, key=lambda name: name not in SLOW)  # the wall time is the slowest one's
    results = await asyncio.gather(*(workbench_check(name, limit) for name in slow_first))
    for behaviour, code, out, err in results:
        assert "Traceback" not in out + err, (behaviour, err)
        assert code == (0 if behaviour in COMPATIBLE else 1), (behaviour, code, err)
        report = json.loads(out)
        assert report["findings"] and all(f["message"] for f in report["findings"]), behaviour
        assert report["compatible"] is (behaviour in COMPATIBLE)
