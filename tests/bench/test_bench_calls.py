"""`workbench bench --agent`: whole calls, turn by turn, against the real mock over loopback.

Every turn of every call counted exactly once, each turn's figures exactly those computed from
its own samples, the JSON's `turns` and `calls`, usage errors, `--workers 2`, a stop mid-call.
No timing threshold here: how close the first token comes to what the mock injects is a
benchmark (benchmarks/bench_agent_calls.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workbench.bench.calls import CallBench, calls_plan
from workbench.bench.plan import BenchPlan
from workbench.bench.report import render_text
from workbench.bench.sample import RequestSample
from workbench.bench.stats import percentile
from workbench.bench.turns import call_outcomes
from workbench.mock import MockConfig, MockServer, MockThread
from workbench.simulate import AgentRun, load_agent
from workbench.target import Target

AGENTS = Path(__file__).resolve().parents[2] / "profiles" / "agents"
VAPI = AGENTS / "vapi-short.toml"  # 2 turns, streamed
BOOKING = AGENTS / "polyai-booking.toml"  # 4 turns, not streamed (PolyAI's default)
FIGURES = ("ttft_ms", "first_sentence_ms", "e2e_ms", "itl_ms")


@pytest.fixture(scope="module")
def mock() -> Iterator[MockThread]:
    with MockServer.start_in_thread(MockConfig(ttft_ms=20, tokens_per_s=400)) as server:
        yield server


def _bench(run_workbench: Callable, mock: MockThread, *args: str, code: int = 0) -> dict:
    run = run_workbench("bench", "--url", mock.base_url, "--model", "mock-model", "--format", "json", "--samples",
                        *args)
    assert run.exit_code == code, run.stderr
    assert "Traceback" not in run.stderr
    return json.loads(run.stdout)


def _values(samples: list[dict], key: str) -> list[float]:
    ok = [s for s in samples if s["ok"]]
    if key == "itl_ms":
        return [gap for s in ok for gap in s["chunk_gaps_ms"]]
    return [s[key] for s in ok if s[key] is not None]


def assert_figures_exact(entry: dict, samples: list[dict]) -> None:
    """The entry's counts and percentiles equal those computed here from `samples`."""
    assert entry["requests"] == len(samples)
    assert entry["errors"] == sum(1 for s in samples if not s["ok"])
    for key in FIGURES:
        values = _values(samples, key)
        if not values:
            assert entry[key] is None
            continue
        assert entry[key]["count"] == len(values), key
        for p in (50, 90, 99):
            assert entry[key][f"p{p}"] == pytest.approx(percentile(values, p), abs=0.0011), (key, p)


def assert_turns_exact(data: dict) -> None:
    """Each `turns` entry's figures equal those computed from that turn's own samples; the whole run's, from all."""
    numbers = sorted({s["turn"] for s in data["samples"]})
    assert [entry["turn"] for entry in data["turns"]] == numbers
    for entry in data["turns"]:
        assert_figures_exact(entry, [s for s in data["samples"] if s["turn"] == entry["turn"]])
    assert_figures_exact(data, data["samples"])


def assert_every_turn_once(data: dict, calls: int, turns: int) -> None:
    pairs = sorted((s["call"], s["turn"]) for s in data["samples"])
    assert pairs == [(call, turn) for call in range(calls) for turn in range(1, turns + 1)]
    assert sorted(s["index"] for s in data["samples"]) == list(range(calls * turns))
    assert data["requests"] == calls * turns


def test_concurrent_calls_report_every_turn_of_every_call_once(run_workbench: Callable, mock: MockThread) -> None:
    served = len(mock.server.requests)
    data = _bench(run_workbench, mock, "--agent", str(BOOKING), "-c", "5", "-n", "12", "--think-ms", "10")
    assert_every_turn_once(data, calls=12, turns=4)
    assert len(mock.server.requests) - served == 48  # and each sent once
    assert data["errors"] == 0 and data["run"]["concurrency"] == 5 and data["run"]["platform"] == "polyai"
    assert data["run"]["planned_requests"] == 48
    assert data["calls"] == {"agent": "Trattoria Luca: table booking", "turns_per_call": 4, "think_ms": 10.0,
                             "planned": 12, "played": 12, "complete": 12, "ended_by_failure": 0,
                             "turns_not_played": 0, "cut_short": 0}
    assert [entry["requests"] for entry in data["turns"]] == [12, 12, 12, 12]
    assert_turns_exact(data)
    # The calls are played as PolyAI sends them: no stream, so the whole reply is the first token.
    assert all(s["ttft_ms"] == s["e2e_ms"] for s in data["samples"])
    assert data["turns"][0]["ttft_ms"]["p50"] == data["turns"][0]["e2e_ms"]["p50"]


@pytest.mark.parametrize(("name", "turns"), [("pipecat-barge-in.toml", 2), ("elevenlabs-end-call.toml", 2)])
def test_calls_with_a_barge_in_or_a_tool_play_every_turn(run_workbench: Callable, mock: MockThread, name: str,
                                                          turns: int) -> None:
    """A scripted barge-in is a turn, not an error that ends the call; a tool's turn is one sample."""
    data = _bench(run_workbench, mock, "--agent", str(AGENTS / name), "-c", "2", "-n", "3", "--think-ms", "0")
    assert_every_turn_once(data, calls=3, turns=turns)
    assert data["errors"] == 0 and data["calls"]["complete"] == 3
    assert all(s["ttft_ms"] is not None for s in data["samples"])
    # A turn of several requests is timed on one clock: its end comes after its first token, and the
    # time per token of its spoken reply is never negative (the reply is paced at 400 tokens a second).
    assert all(s["e2e_ms"] >= s["ttft_ms"] for s in data["samples"])
    assert all(s["tpot_ms"] is None or s["tpot_ms"] > 0 for s in data["samples"])
    assert_turns_exact(data)


def test_each_turn_carries_the_history_as_the_platform_does(run_workbench: Callable, mock: MockThread) -> None:
    served = len(mock.server.requests)
    data = _bench(run_workbench, mock, "--agent", str(VAPI), "-c", "3", "-n", "3", "--think-ms", "0")
    assert_every_turn_once(data, calls=3, turns=2)
    bodies = [json.loads(record.body) for record in mock.server.requests[served:]]
    assert sorted(len(body["messages"]) for body in bodies) == [2, 2, 2, 4, 4, 4]  # system + the turns so far
    later = [body["messages"] for body in bodies if len(body["messages"]) == 4]
    assert all(m[2] == {"role": "assistant", "content": "You said: " + m[1]["content"]} for m in later)
    assert all(body["stream"] is True for body in bodies)  # Vapi streams
    assert data["turns"][1]["itl_ms"] is not None and data["turns"][1]["first_sentence_ms"]["count"] == 3
    assert_turns_exact(data)


def test_the_text_report_has_a_row_a_turn_and_says_how_the_calls_went(run_workbench: Callable,
                                                                        mock: MockThread) -> None:
    run = run_workbench("bench", "--url", mock.base_url, "--model", "mock-model", "--agent", str(VAPI),
                        "-c", "2", "-n", "4", "--think-ms", "0")
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "2 calls at once (closed loop) · calls of 'Vapi appointment reminder'" in lines[0]
    assert lines[1].startswith("4 calls, 8 requests in ")
    head = next(i for i, line in enumerate(lines) if line.startswith("turn "))
    assert lines[head].split() == ["turn", "requests", "errors", "p50", "p90", "p99", "p50", "p99"]
    assert "first token (ms)" in lines[head - 1] and "first sentence (ms)" in lines[head - 1]
    assert [line.split()[:3] for line in lines[head + 1:head + 3]] == [["1", "4", "0"], ["2", "4", "0"]]
    assert "calls: 4 played (2 turns each, 0 ms think time): 4 complete" in lines
    assert lines[-1].startswith("verdict: PASS: first token p90")


def test_two_workers_share_the_calls_and_merge_every_turn_exactly(run_workbench: Callable, mock: MockThread) -> None:
    data = _bench(run_workbench, mock, "--agent", str(BOOKING), "-c", "3", "-n", "7", "--think-ms", "0",
                  "--workers", "2")
    assert_every_turn_once(data, calls=7, turns=4)
    workers = data["workers"]
    assert [w["worker"] for w in workers] == [0, 1] and [w["concurrency"] for w in workers] == [2, 1]
    assert sum(w["requests"] for w in workers) == 28
    assert all(w["requests"] % 4 == 0 for w in workers)  # a call is never split across workers
    assert data["calls"]["planned"] == 7 and data["calls"]["complete"] == 7 and data["run"]["planned_requests"] == 28
    assert_turns_exact(data)


def test_an_open_loop_starts_calls_at_the_rate(run_workbench: Callable, mock: MockThread) -> None:
    data = _bench(run_workbench, mock, "--agent", str(VAPI), "--rate", "20", "-n", "4", "--think-ms", "0")
    assert_every_turn_once(data, calls=4, turns=2)
    assert data["run"]["mode"] == "open" and data["run"]["rate"] == 20.0
    assert_turns_exact(data)


def test_a_turn_with_no_usable_reply_ends_its_call_and_the_rest_is_counted_as_not_played(
        run_workbench: Callable) -> None:
    with MockServer.start_in_thread(MockConfig(fault="server-error", fault_rate=0.3, seed=7)) as failing:
        data = _bench(run_workbench, failing, "--agent", str(BOOKING), "-c", "4", "-n", "16", "--think-ms", "0",
                      code=1)
        served = len(failing.server.requests)
    samples = data["samples"]
    assert served == data["requests"] == len(samples)  # every request sent is counted, once
    by_call: dict[int, list[dict]] = {}
    for sample in samples:
        by_call.setdefault(sample["call"], []).append(sample)
    ended = not_played = 0
    for turns in by_call.values():
        turns.sort(key=lambda s: s["turn"])
        assert [s["turn"] for s in turns] == list(range(1, len(turns) + 1))  # no turn skipped, none twice
        assert all(s["ok"] for s in turns[:-1])  # a call goes on only after a usable reply
        if len(turns) < 4:
            assert not turns[-1]["ok"]
            ended += 1
            not_played += 4 - len(turns)
    assert sorted(by_call) == list(range(16))
    assert ended > 0 and data["calls"]["ended_by_failure"] == ended
    assert data["calls"]["turns_not_played"] == not_played
    assert data["errors"] == sum(1 for s in samples if not s["ok"]) and data["errors_by_kind"] == {
        "http-500": data["errors"]}
    assert data["verdict"]["passed"] is False
    assert_turns_exact(data)


@pytest.mark.parametrize(("args", "said"), [
    (["--agent", "no-such.toml"], "agent file not found: no-such.toml"),
    (["--agent", str(AGENTS / "booking-replies.toml")], "this is a mock reply file ([[reply]] rules), not an agent"),
    (["--think-ms", "100"], "--think-ms is the pause between the turns of a call"),
    (["--agent", str(VAPI), "--as", "polyai"], "the agent file " + str(VAPI) + " is called by vapi"),
])
def test_usage_errors_are_a_sentence_and_exit_2(run_workbench: Callable, mock: MockThread, args: list[str],
                                                said: str) -> None:
    run = run_workbench("bench", "--url", mock.base_url, "--model", "mock-model", *args)
    assert run.exit_code == 2
    assert said in run.stderr and "Traceback" not in run.stderr


def test_a_broken_agent_file_names_its_line(run_workbench: Callable, mock: MockThread, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('platform = "vapi"\n[[turns]]\nuser = "hi"\ncontains = 3\n')
    run = run_workbench("bench", "--url", mock.base_url, "--model", "mock-model", "--agent", str(broken))
    assert run.exit_code == 2
    assert f"{broken}:4:" in run.stderr and "Traceback" not in run.stderr


def test_without_n_each_caller_plays_the_call_once() -> None:
    assert calls_plan(None, 7, None, None).planned_requests == 7
    assert calls_plan(None, None, None, None).planned_requests == 5  # the default -c
    assert calls_plan(None, 7, 30.0, None).planned_requests is None  # as many as start within the duration
    assert calls_plan(3, 7, None, None) == BenchPlan(requests=3, concurrency=7)


async def test_a_stop_cuts_the_calls_in_flight_and_keeps_their_finished_turns(mock: MockThread) -> None:
    agent = load_agent(BOOKING)
    stopped: list[int] = []

    def progress(update) -> None:  # type: ignore[no-untyped-def]
        if update.done >= 6 and not stopped:
            stopped.append(update.done)
            bench.stop()

    bench = CallBench(Target(base_url=mock.base_url, model="mock-model"), agent, think_s=0.05,
                      plan=BenchPlan(requests=1000, concurrency=3), on_progress=progress)
    result = await bench.run()
    assert result.run.interrupted and 6 <= result.requests < 4000
    assert 0 < result.run.cancelled <= 3  # the calls in flight, cut short
    assert result.run.planned_requests == 4000 and result.run.calls is not None
    outcomes = call_outcomes(result.samples, 4)
    assert outcomes.ended_by_failure == 0 and outcomes.played >= outcomes.complete
    for call in {s.call for s in result.samples}:
        turns = sorted(s.turn for s in result.samples if s.call == call)
        assert turns == list(range(1, len(turns) + 1))
    data = result.to_dict()
    assert data["calls"]["cut_short"] == result.run.cancelled
    assert "calls in flight were cut short (their finished turns count" in render_text(result)


async def test_agent_run_plays_on_a_shared_client_and_leaves_it_open(mock: MockThread) -> None:
    from workbench.client import Client

    target = Target(base_url=mock.base_url, model="mock-model")
    async with Client(target) as client:
        first = await AgentRun(load_agent(VAPI), target, client=client, think_s=0.01).run()
        second = await AgentRun(load_agent(VAPI), target, client=client).run()
    assert first.passed and second.passed and len(first.turns) == len(second.turns) == 2


def test_call_outcomes_count_complete_failed_and_cut_calls() -> None:
    def sample(call: int, turn: int, ok: bool = True) -> RequestSample:
        return RequestSample(index=call * 3 + turn - 1, started_s=0.0, error_kind=None if ok else "http-500",
                             call=call, turn=turn)

    samples = [sample(0, 1), sample(0, 2), sample(0, 3),  # complete
               sample(1, 1), sample(1, 2, ok=False),  # ended at turn 2: one turn not played
               sample(2, 1, ok=False),  # ended at turn 1: two not played
               sample(3, 3, ok=False), sample(3, 1), sample(3, 2),  # complete, though its last turn failed
               sample(4, 1)]  # cut short by a stop
    outcomes = call_outcomes(samples, 3)
    assert outcomes.to_dict() == {"played": 5, "complete": 2, "ended_by_failure": 2, "turns_not_played": 3}
