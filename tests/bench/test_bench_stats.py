"""The bench's percentiles and summaries: numpy's default linear interpolation, on exact lists."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.bench.stats import percentile, summarize


def test_median_of_an_even_list_interpolates_between_the_middle_two() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5


def test_p90_and_p99_interpolate_between_closest_ranks() -> None:
    values = [float(v) for v in range(1, 11)]  # 1..10: rank for p90 is 9 * 0.9 = 8.1
    assert percentile(values, 90) == pytest.approx(9.1)
    hundred = [float(v) for v in range(1, 101)]  # rank for p99 is 99 * 0.99 = 98.01
    assert percentile(hundred, 99) == pytest.approx(99.01)


def test_extremes_are_min_and_max_and_a_single_value_is_every_percentile() -> None:
    values = [30.0, 10.0, 20.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 30.0
    assert [percentile([7.5], p) for p in (0, 50, 90, 99, 100)] == [7.5] * 5


def test_known_delays_give_known_percentiles() -> None:
    # 100 requests: 90 at 100 ms, 9 at 500 ms, 1 at 2000 ms (a slow tail, as under load)
    delays = [100.0] * 90 + [500.0] * 9 + [2000.0]
    summary = summarize(delays)
    assert summary is not None
    assert summary.count == 100
    assert summary.p50 == 100.0
    assert summary.p90 == pytest.approx(100.0 + (500.0 - 100.0) * 0.1)  # rank 89.1: between 100 and 500
    assert summary.p99 == pytest.approx(500.0 + (2000.0 - 500.0) * 0.01)  # rank 98.01
    assert (summary.min, summary.max) == (100.0, 2000.0)
    assert summary.mean == pytest.approx((90 * 100 + 9 * 500 + 2000) / 100)


def test_nothing_measured_is_none_not_zero() -> None:
    assert summarize([]) is None
    with pytest.raises(ValueError):
        percentile([], 50)


def test_a_percentile_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match=r"0..100"):
        percentile([1.0, 2.0], 101)


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=2, max_size=200),
       st.integers(min_value=1, max_value=99))
def test_matches_the_standard_librarys_inclusive_quantiles(values: list[float], p: int) -> None:
    # statistics.quantiles(method="inclusive") is the same type-7 method numpy uses by default.
    expected = statistics.quantiles(values, n=100, method="inclusive")[p - 1]
    assert percentile(values, p) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_summary_to_dict_has_every_figure() -> None:
    summary = summarize([1.0, 2.0, 3.0])
    assert summary is not None
    assert set(summary.to_dict()) == {"count", "p50", "p90", "p99", "min", "max", "mean"}
