"""Percentiles and summaries of latency samples, computed exactly the way numpy does by default.

Percentiles use linear interpolation between closest ranks (numpy's default `method="linear"`,
Hyndman & Fan type 7, the same as pandas' `Series.quantile`): for p in [0, 100] over the sorted
values v[0..n-1], the rank is r = (n - 1) * p / 100 and the result is
v[floor(r)] + (v[ceil(r)] - v[floor(r)]) * (r - floor(r)).
llmperf (pandas) and `vllm bench serve` (numpy) both use this method, so figures compare directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

PERCENTILES = (50, 90, 99)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) of `values` by linear interpolation; raises on an empty list."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    return _percentile_of_sorted(ordered, p)


def _percentile_of_sorted(ordered: Sequence[float], p: float) -> float:
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """One figure over many samples: the percentiles voice developers read, and the extremes."""

    count: int
    p50: float
    p90: float
    p99: float
    min: float
    max: float
    mean: float

    def to_dict(self, digits: int = 3) -> dict[str, float | int]:
        return {k: (round(v, digits) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def summarize(values: Iterable[float]) -> Summary | None:
    """Summary of the samples, or None when there are none (a figure nobody measured is not 0)."""
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return None
    return Summary(
        count=len(ordered),
        p50=_percentile_of_sorted(ordered, 50),
        p90=_percentile_of_sorted(ordered, 90),
        p99=_percentile_of_sorted(ordered, 99),
        min=ordered[0],
        max=ordered[-1],
        mean=math.fsum(ordered) / len(ordered),
    )
