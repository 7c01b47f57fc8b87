"""The benchmark runner against the real mock over loopback: figures, errors by kind, stopping."""

from __future__ import annotations

import asyncio

import pytest

from workbench.bench import Bench, BenchPlan, Progress, VoiceBudget, run_bench
from workbench.mock import MockConfig, MockServer
from workbench.mock.faults import FaultPicker
from workbench.target import Target, Timeouts


def _target(server: MockServer, **changes: object) -> Target:
    return Target(base_url=server.base_url, model="mock-model").with_(**changes)


async def test_injected_delays_are_measured_as_lower_bounds() -> None:
    async with MockServer(MockConfig(ttft_ms=100, tokens_per_s=40)) as server:
        result = await run_bench(_target(server), platform="polyai", plan=BenchPlan(requests=8, concurrency=4))
    assert result.requests == 8 and result.errors == 0
    assert result.ttft is not None and result.ttft.p50 >= 90
    assert result.ttft.min >= 90  # nothing arrives before the injected delay
    assert result.itl is not None and result.itl.p50 >= 20  # 40 tokens/s: 25 ms between words
    assert result.tpot is not None and result.tpot.p50 >= 20
    assert result.e2e is not None and result.e2e.min >= result.ttft.min
    # tokens/s includes the wait for the first token, so it is below the stream's own 40/s
    assert result.tokens_per_s is not None and 0 < result.tokens_per_s.max < 40
    # each request's reply is several words long, and every gap is one sample
    assert result.itl.count == sum(len(s.chunk_gaps_ms) for s in result.samples) > result.requests


async def test_every_request_is_sent_shaped_as_the_platform_sends_it() -> None:
    async with MockServer(MockConfig()) as server:
        result = await run_bench(_target(server), platform="vapi", plan=BenchPlan(requests=3, concurrency=1))
        bodies = [record.body for record in server.requests if record.path.endswith("/chat/completions")]
    assert result.requests == 3 and result.verdict.passed
    assert len(bodies) == 3 and all('"stream":true' in body.replace(" ", "") for body in bodies)
    assert result.run.platform == "vapi"


async def test_rate_limits_are_counted_by_kind_and_the_counts_add_up() -> None:
    config = MockConfig(fault="rate-limit", fault_rate=0.5, seed=7)
    picker = FaultPicker("rate-limit", 0.5, 7)  # the mock's own draw, replayed: which requests it hits
    expected_429 = sum(picker.pick() is not None for _ in range(40))
    async with MockServer(config) as server:
        result = await run_bench(_target(server), plan=BenchPlan(requests=40, concurrency=4))
        served_429 = sum(1 for record in server.requests if record.status == 429)
    assert 0 < expected_429 < 40  # the seed hits some requests, not all
    assert result.errors_by_kind == {"http-429": expected_429}
    assert served_429 == expected_429
    assert result.errors + len(result.ok_samples) == result.requests == 40
    assert result.ttft is not None and result.ttft.count == 40 - expected_429
    verdict = result.verdict
    assert not verdict.passed and "failed" in verdict.reason


async def test_a_dropped_stream_is_a_connection_reset() -> None:
    async with MockServer(MockConfig(fault="drop-mid-stream")) as server:
        result = await run_bench(_target(server), plan=BenchPlan(requests=5, concurrency=2))
    assert result.errors_by_kind == {"connection-reset": 5}
    assert result.ttft is None  # no figure from failed requests, and never a 0
    assert result.to_dict()["ttft_ms"] is None


async def test_a_stalled_stream_is_a_first_token_timeout() -> None:
    target_timeouts = Timeouts(connect=2.0, read=5.0, first_token=0.3)
    async with MockServer(MockConfig(fault="stall", stall_s=5.0)) as server:
        result = await run_bench(_target(server, timeouts=target_timeouts), plan=BenchPlan(requests=2, concurrency=2))
    assert result.errors_by_kind == {"first-token-timeout": 2}


async def test_a_reply_without_content_text_is_an_error_a_voice_agent_would_hear() -> None:
    async with MockServer(MockConfig(fault="empty-content")) as server:
        result = await run_bench(_target(server), plan=BenchPlan(requests=3, concurrency=3))
    assert result.errors_by_kind == {"no-content": 3}


async def test_progress_is_reported_after_every_request() -> None:
    seen: list[Progress] = []
    async with MockServer(MockConfig()) as server:
        result = await run_bench(_target(server), plan=BenchPlan(requests=6, concurrency=2), on_progress=seen.append)
    assert [p.done for p in seen] == [1, 2, 3, 4, 5, 6]
    assert seen[-1].fraction == 1.0 and seen[-1].planned_requests == 6
    assert all(p.last is not None and p.last.ok for p in seen)
    assert result.requests == 6


async def test_stop_ends_the_run_and_keeps_what_finished() -> None:
    async with MockServer(MockConfig(ttft_ms=20, tokens_per_s=200)) as server:
        bench: Bench

        def stop_after_five(progress: Progress) -> None:
            if progress.done >= 5:
                bench.stop()

        bench = Bench(_target(server), plan=BenchPlan(requests=1_000_000, concurrency=3), on_progress=stop_after_five)
        result = await asyncio.wait_for(bench.run(), timeout=30)
    assert result.run.interrupted
    assert 5 <= result.requests < 1_000_000
    assert result.errors == 0  # requests cancelled by the stop are not errors
    assert 0 <= result.run.cancelled <= 3
    assert result.to_dict()["run"]["interrupted"] is True


async def test_cancelling_the_task_cancels_the_requests_in_flight() -> None:
    async with MockServer(MockConfig(ttft_ms=5000)) as server:
        bench = Bench(_target(server), plan=BenchPlan(requests=4, concurrency=4))
        task = asyncio.ensure_future(bench.run())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert bench.snapshot().in_flight == 0


async def test_a_duration_lets_requests_in_flight_finish_and_counts_them() -> None:
    async with MockServer(MockConfig(ttft_ms=50)) as server:
        result = await run_bench(_target(server), plan=BenchPlan(duration_s=0.4, concurrency=2))
    assert result.run.planned_requests is None and not result.run.interrupted
    assert result.requests >= 2 and result.errors == 0 and result.run.cancelled == 0
    assert result.run.elapsed_s >= 0.4


async def test_open_loop_sends_at_the_rate_whatever_the_endpoint_does() -> None:
    async with MockServer(MockConfig(ttft_ms=1000)) as server:
        result = await run_bench(_target(server), plan=BenchPlan(requests=5, rate=50))
    assert result.run.mode == "open" and result.requests == 5
    starts = sorted(s.started_s for s in result.samples)
    # 5 requests at 50/s all leave within ~0.08 s, long before the first reply (1 s) comes back:
    # the wide margin keeps this a test of behaviour on a busy machine, not of speed.
    assert starts[-1] < min(s.ttft_ms for s in result.samples) / 1000
    assert result.ttft is not None and result.ttft.min >= 900


async def test_the_voice_budget_decides_the_verdict() -> None:
    async with MockServer(MockConfig(ttft_ms=100)) as server:
        strict = await run_bench(_target(server), plan=BenchPlan(requests=4), budget=VoiceBudget(first_token_ms=50))
        lenient = await run_bench(_target(server), plan=BenchPlan(requests=4), budget=VoiceBudget(first_token_ms=5000))
    assert not strict.verdict.passed and "over the 50 ms budget" in strict.verdict.reason
    assert lenient.verdict.passed and "under the 5000 ms budget" in lenient.verdict.reason


async def test_the_platforms_first_token_budget_share_is_reported() -> None:
    async with MockServer(MockConfig(ttft_ms=100)) as server:
        result = await run_bench(_target(server), platform="polyai", plan=BenchPlan(requests=4))
    share = result.to_dict()["platform_budget"]
    assert share["platform"] == "polyai" and share["first_token_ms"] > 100
    assert share["over"] == 0 and share["share"] == 0.0


async def test_requests_are_spread_over_small_pools_that_grow_when_all_are_full() -> None:
    from workbench.bench.runner import CONNECTIONS_PER_SHARD, OPEN_LOOP_SHARDS, ClientShards

    target = Target(base_url="http://127.0.0.1:9/v1", model="m")
    async with ClientShards(target, BenchPlan(requests=10, concurrency=10)) as closed:
        assert len(closed.clients) == -(-10 // CONNECTIONS_PER_SHARD)
        taken = [await closed.acquire() for _ in range(10)]
        assert max(closed.busy) <= CONNECTIONS_PER_SHARD  # closed loop: never more than a pool holds
        for client in taken:
            closed.release(client)
        assert sum(closed.busy) == 0
    async with ClientShards(target, BenchPlan(requests=100, rate=50)) as open_loop:
        wanted = (OPEN_LOOP_SHARDS + 3) * CONNECTIONS_PER_SHARD
        for _ in range(wanted):
            await open_loop.acquire()
        assert len(open_loop.clients) == OPEN_LOOP_SHARDS + 3 and max(open_loop.busy) == CONNECTIONS_PER_SHARD
    assert open_loop.clients == []  # closed on exit


async def test_a_key_inside_the_url_is_masked_in_the_report() -> None:
    async with MockServer(MockConfig()) as server:
        key = "sk-secret-0123456789abcdef"
        target = _target(server, base_url=server.base_url + f"?key={key}", api_key=key, auth="bearer")
        result = await run_bench(target, plan=BenchPlan(requests=1))
    assert key not in result.to_json() and "sk-…cdef" in result.run.target
