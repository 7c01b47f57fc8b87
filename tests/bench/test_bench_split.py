"""How a plan is shared among workers, and how their samples merge: pure, no network."""

from __future__ import annotations

import itertools

import pytest

from workbench.bench.merge import merge_runs
from workbench.bench.plan import BenchPlan
from workbench.bench.result import RunInfo, VoiceBudget, WorkerInfo
from workbench.bench.sample import RequestSample
from workbench.bench.split import PlanShare, split_plan, usable_workers
from workbench.bench.stats import percentile, summarize
from workbench.errors import UsageError

PLANS = [
    BenchPlan(requests=100, concurrency=10),
    BenchPlan(requests=101, concurrency=7),
    BenchPlan(requests=13, concurrency=5),
    BenchPlan(requests=50, rate=20.0),
    BenchPlan(requests=17, rate=3.0, concurrency=4),
]


@pytest.mark.parametrize("plan", PLANS, ids=repr)
@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_every_unit_goes_to_exactly_one_worker(plan: BenchPlan, workers: int) -> None:
    shares = split_plan(plan, workers)
    owned = [list(share.units()) for share in shares]
    every = sorted(itertools.chain.from_iterable(owned))
    assert every == list(range(plan.planned_requests))  # each index once, none missing
    assert [share.planned_units for share in shares] == [len(units) for units in owned]
    assert sum(share.local_plan().planned_requests for share in shares) == plan.planned_requests


@pytest.mark.parametrize(("concurrency", "workers", "slots"), [(10, 2, [5, 5]), (7, 2, [4, 3]), (5, 3, [2, 2, 1]),
                                                                 (8, 3, [3, 3, 2])])
def test_the_first_workers_take_the_remainder_of_the_concurrency(concurrency: int, workers: int,
                                                                 slots: list[int]) -> None:
    shares = split_plan(BenchPlan(requests=1000, concurrency=concurrency), workers)
    assert [share.concurrency for share in shares] == slots
    assert sorted(itertools.chain.from_iterable(share.slots for share in shares)) == list(range(concurrency))


def test_closed_loop_units_follow_the_slots() -> None:
    """A worker holding 4 of 7 slots runs 4/7 of the requests, so both finish about together."""
    shares = split_plan(BenchPlan(requests=700, concurrency=7), 2)
    assert [share.planned_units for share in shares] == [400, 300]


def test_open_loop_arrivals_of_all_workers_stay_evenly_spaced() -> None:
    plan = BenchPlan(requests=30, rate=10.0)
    shares = split_plan(plan, 3)
    assert [share.rate for share in shares] == [10 / 3] * 3
    assert [share.phase_s for share in shares] == [0.0, 0.1, 0.2]
    arrivals = sorted(share.arrival_s(k) for share in shares for k in range(share.planned_units))
    assert arrivals == pytest.approx([j / 10.0 for j in range(30)])
    # and each worker's k-th arrival is the one its k-th unit is numbered for
    for share in shares:
        assert [share.arrival_s(k) for k, _ in enumerate(share.units())] == \
            pytest.approx([unit / 10.0 for unit in share.units()])


def test_a_duration_applies_to_every_worker() -> None:
    shares = split_plan(BenchPlan(duration_s=30, concurrency=4), 2)
    assert [share.local_plan().duration_s for share in shares] == [30, 30]
    assert [share.planned_units for share in shares] == [None, None]
    assert list(itertools.islice(shares[1].units(), 4)) == [1, 3, 5, 7]


def test_one_share_is_the_whole_plan() -> None:
    plan = BenchPlan(requests=9, concurrency=3)
    assert PlanShare.whole(plan).local_plan() is plan
    assert list(PlanShare.whole(plan).units()) == list(range(9))


def test_fewer_workers_when_there_is_not_work_for_all() -> None:
    said = "8 workers asked, 3 used: only 3 requests are in flight (-c)"
    assert usable_workers(BenchPlan(requests=100, concurrency=3), 8) == (3, said)
    assert usable_workers(BenchPlan(requests=2, concurrency=10), 4)[0] == 2
    assert usable_workers(BenchPlan(rate=50.0, duration_s=5), 16) == (16, "")
    with pytest.raises(UsageError, match="at least 1"):
        usable_workers(BenchPlan(), 0)


# ---- merging ------------------------------------------------------------------------------------


def _sample(index: int, ttft: float, ok: bool = True) -> RequestSample:
    if not ok:
        return RequestSample(index=index, started_s=0.0, error_kind="http-500", status=500)
    return RequestSample(index=index, started_s=0.0, status=200, ttft_ms=ttft, e2e_ms=ttft + 50,
                         last_token_ms=ttft + 40, chunk_gaps_ms=[10.0, 30.0], output_tokens=3)


def _worker(index: int, samples: list[RequestSample], cpu_s: float, elapsed_s: float) -> WorkerInfo:
    run = RunInfo(target="http://x/v1", model="m", platform="openai", mode="closed", concurrency=2, rate=None,
                  planned_requests=len(samples), planned_duration_s=None, elapsed_s=elapsed_s, client_cpu_s=cpu_s,
                  cancelled=index)
    return WorkerInfo(index=index, host="h", pid=100 + index, run=run, requests=len(samples),
                      errors=sum(not s.ok for s in samples))


def test_merged_percentiles_are_computed_from_every_sample_never_averaged() -> None:
    fast = [_sample(i, 100.0 + i) for i in range(90)]  # one worker saw a fast endpoint …
    slow = [_sample(90 + i, 1000.0 + i) for i in range(10)] + [_sample(100, 0, ok=False)]  # … the other a slow one
    workers = [_worker(0, fast, 0.5, 2.0), _worker(1, slow, 1.9, 2.5)]
    result = merge_runs(BenchPlan(requests=101, concurrency=4), VoiceBudget(), workers, fast + slow,
                        backend="processes")
    ttfts = [s.ttft_ms for s in fast + slow if s.ok]
    assert result.ttft == summarize(ttfts)
    assert result.ttft.p90 == percentile(ttfts, 90)
    averaged = (percentile([s.ttft_ms for s in fast], 90) + percentile([s.ttft_ms for s in slow if s.ok], 90)) / 2
    assert result.ttft.p90 != pytest.approx(averaged)  # what averaging would have said
    assert result.itl is not None and result.itl.count == 200
    assert result.requests == 101 and result.errors_by_kind == {"http-500": 1}
    assert result.run.elapsed_s == 2.5 and result.run.client_cpu_s == pytest.approx(2.4)
    assert result.run.cancelled == 1 and result.run.concurrency == 4


def test_the_json_keeps_its_shape_and_adds_workers() -> None:
    samples = [_sample(0, 100.0), _sample(1, 120.0)]
    workers = [_worker(0, samples[:1], 0.9, 1.0), _worker(1, samples[1:], 0.1, 1.0)]
    data = merge_runs(BenchPlan(requests=2, concurrency=2), VoiceBudget(), workers, samples,
                      backend="processes").to_dict()
    assert {"requests", "errors", "ttft_ms", "itl_ms", "e2e_ms", "tokens_per_s"} <= set(data)
    assert set(data["ttft_ms"]) >= {"p50", "p90", "p99"}
    assert data["run"]["workers"] == 2 and data["run"]["backend"] == "processes"
    assert [w["requests"] for w in data["workers"]] == [1, 1]
    assert [w["client"]["saturated"] for w in data["workers"]] == [True, False]  # 90% of a core, 10%


def test_the_report_names_each_worker_and_warns_for_a_busy_one() -> None:
    from workbench.bench.report import render_text

    samples = [_sample(0, 100.0), _sample(1, 120.0)]
    workers = [_worker(0, samples[:1], 0.9, 1.0), _worker(1, samples[1:], 0.1, 1.0)]
    text = render_text(merge_runs(BenchPlan(requests=2, concurrency=2), VoiceBudget(), workers, samples,
                                  backend="processes", note="3 workers asked, 2 used: only 2 requests are planned"))
    assert "2 processes on this machine" in text
    assert "worker 0 on h (pid 100): 1 requests, 0 errors, 900.00 ms CPU a request (90% of one core)" in text
    assert "workers busy past 80% of a core: 0 (90%)" in text
    assert "workers: 3 workers asked, 2 used" in text
