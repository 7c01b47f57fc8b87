"""BenchResult on known samples: the figures, the verdict's rules, the JSON contract, the text report."""

from __future__ import annotations

import json

import pytest

from workbench.bench import BenchResult, RequestSample, RunInfo, VoiceBudget
from workbench.bench.report import progress_line, render_text
from workbench.bench.runner import Progress


def _ok(index: int, ttft: float, gaps: list[float], tokens: int | None = None) -> RequestSample:
    last = ttft + sum(gaps)
    return RequestSample(index=index, started_s=0.0, status=200, ttft_ms=ttft, last_token_ms=last,
                         e2e_ms=last + 1.0, chunk_gaps_ms=gaps, output_tokens=tokens or len(gaps) + 1)


def _failed(index: int, kind: str) -> RequestSample:
    return RequestSample(index=index, started_s=0.0, error_kind=kind, error_message=kind)


def _result(samples: list[RequestSample], budget: VoiceBudget | None = None, **run: object) -> BenchResult:
    info = RunInfo(target="http://127.0.0.1:1/v1", model="m", platform="polyai", mode="closed", concurrency=2,
                   rate=None, planned_requests=len(samples), planned_duration_s=None, platform_budget_ms=1000.0,
                   elapsed_s=2.0, client_cpu_s=0.01)
    for key, value in run.items():
        setattr(info, key, value)
    return BenchResult(run=info, budget=budget or VoiceBudget(), samples=samples)


def test_figures_follow_their_conventions_on_known_samples() -> None:
    result = _result([_ok(0, 100.0, [10.0, 30.0]), _ok(1, 300.0, [20.0, 20.0, 20.0])])
    assert result.ttft is not None and (result.ttft.min, result.ttft.max, result.ttft.p50) == (100.0, 300.0, 200.0)
    # chunk gaps are pooled: five gaps, each one sample
    assert result.itl is not None and result.itl.count == 5 and result.itl.mean == pytest.approx(20.0)
    # time per output token: (last - first) / (tokens - 1), one value a request
    assert result.tpot is not None and result.tpot.count == 2
    assert result.tpot.min == pytest.approx(20.0) and result.tpot.max == pytest.approx(20.0)
    # tokens per second: tokens / end to end, the wait for the first token included
    assert result.tokens_per_s is not None
    assert result.tokens_per_s.max == pytest.approx(3 / (141.0 / 1000))


def test_tpot_uses_the_endpoints_own_token_count_when_it_reports_one() -> None:
    sample = _ok(0, 100.0, [50.0], tokens=11)  # 2 chunks carried 11 tokens (usage said so)
    assert sample.tpot_ms == pytest.approx(50.0 / 10)
    assert _ok(1, 100.0, [], tokens=1).tpot_ms is None  # one token: nothing to divide


def test_the_verdict_passes_under_budget_with_no_errors() -> None:
    verdict = _result([_ok(i, 100.0 + i, [5.0]) for i in range(10)]).verdict
    assert verdict.passed and verdict.value_ms is not None and verdict.value_ms < 800


def test_the_verdict_holds_the_chosen_percentile_strictly_under_the_budget() -> None:
    samples = [_ok(i, 100.0, [5.0]) for i in range(9)] + [_ok(9, 8000.0, [5.0])]
    assert _result(samples, VoiceBudget(first_token_ms=800, percentile=50)).verdict.passed
    p90 = _result(samples, VoiceBudget(first_token_ms=800, percentile=90)).verdict
    assert not p90.passed and p90.value_ms == pytest.approx(100.0 + 7900.0 * 0.1)  # rank 8.1: 890 ms
    exactly = _result([_ok(0, 800.0, [5.0])], VoiceBudget(first_token_ms=800)).verdict
    assert not exactly.passed  # "under 800 ms": 800 itself is not under


def test_without_budget_ms_the_verdict_holds_the_platforms_first_token_budget() -> None:
    # One budget per platform (workbench.platforms): the one check and simulate judge against.
    from workbench.platforms import get_platform

    budget = get_platform("polyai").first_token_budget_ms
    under = _result([_ok(0, budget - 1, [5.0])], platform_budget_ms=budget).verdict
    at = _result([_ok(0, budget, [5.0])], platform_budget_ms=budget).verdict
    assert under.passed and not at.passed and at.budget_ms == budget
    assert f"the {budget:g} ms budget (polyai's)" in at.reason


def test_errors_fail_the_verdict_unless_accepted() -> None:
    samples = [_ok(i, 100.0, [5.0]) for i in range(19)] + [_failed(19, "http-429")]
    strict = _result(samples).verdict
    assert not strict.passed and "1 of 20 requests failed" in strict.reason
    assert _result(samples, VoiceBudget(max_error_rate=0.05)).verdict.passed


def test_nothing_measured_never_passes() -> None:
    assert not _result([]).verdict.passed
    all_failed = _result([_failed(0, "connection-refused"), _failed(1, "connection-refused")])
    assert not all_failed.verdict.passed and "all 2 requests failed" in all_failed.verdict.reason


def test_a_bad_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        VoiceBudget(percentile=95)
    with pytest.raises(ValueError):
        VoiceBudget(first_token_ms=0)


def test_json_keeps_the_design_contract_and_extends_it() -> None:
    samples = [_ok(0, 100.0, [10.0]), _ok(1, 1200.0, [10.0]), _failed(2, "connection-reset"), _failed(3, "http-429"),
               _failed(4, "http-429")]
    data = json.loads(_result(samples).to_json())
    for key in ("requests", "errors", "ttft_ms", "itl_ms", "e2e_ms", "tokens_per_s"):
        assert key in data
    assert data["requests"] == 5 and data["errors"] == 3 and data["ok"] == 2
    assert data["errors_by_kind"] == {"http-429": 2, "connection-reset": 1}
    for figure in ("ttft_ms", "itl_ms", "tpot_ms", "e2e_ms", "tokens_per_s"):
        assert set(data[figure]) == {"count", "p50", "p90", "p99", "min", "max", "mean"}
    assert data["platform_budget"] == {"platform": "polyai", "first_token_ms": 1000.0, "over": 1, "share": 0.5}
    assert data["verdict"]["passed"] is False and data["verdict"]["percentile"] == "p90"
    assert data["run"]["mode"] == "closed" and data["client"]["cpu_ms_per_request"] == pytest.approx(2.0)
    assert "samples" not in data
    with_samples = _result(samples).to_dict(include_samples=True)
    assert len(with_samples["samples"]) == 5 and with_samples["samples"][2]["error_kind"] == "connection-reset"


def test_text_report_shows_the_table_errors_and_verdict() -> None:
    text = render_text(_result([_ok(0, 100.0, [10.0]), _failed(1, "http-429")]))
    assert "first token (ms)" in text and "chunk gap (ms)" in text and "time per token (ms)" in text
    assert "errors: 1 of 2 (http-429 1)" in text
    assert "over polyai's first-token budget of 1000 ms: 0 of 1 (0%)" in text
    assert text.splitlines()[-1].startswith("verdict: FAIL")


def test_text_report_of_an_interrupted_run_says_what_was_left_out() -> None:
    text = render_text(_result([_ok(0, 100.0, [10.0])], interrupted=True, cancelled=3, planned_requests=100))
    assert "interrupted: 1 of 100 planned requests finished" in text
    assert "3 in flight were cancelled and are not counted" in text


def test_progress_line_by_count_and_by_time() -> None:
    by_count = Progress(done=5, ok=4, errors=1, in_flight=2, planned_requests=10, planned_duration_s=None,
                        elapsed_s=1.5)
    line = progress_line(by_count, width=10)
    assert line.startswith("[#####-----] 5/10 done · 1 error · 2 in flight")
    by_time = Progress(done=7, ok=7, errors=0, in_flight=1, planned_requests=None, planned_duration_s=4.0,
                       elapsed_s=1.0)
    assert progress_line(by_time, width=4).startswith("[#---] 7 done · 0 errors")
