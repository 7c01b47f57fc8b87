"""The workers' raw samples and counters merged into one BenchResult: exact percentiles, summed errors.

Every figure is computed again from all the samples together, exactly as for one process (never
an average of the workers' percentiles, which would be wrong for any skewed distribution).
Counts add up; the run took as long as its slowest worker (they start together); the client's
CPU time adds up over the workers and is also kept per worker, where saturation shows.
"""

from __future__ import annotations

from dataclasses import replace

from workbench.bench.plan import BenchPlan
from workbench.bench.result import BenchResult, RunInfo, VoiceBudget, WorkerInfo
from workbench.bench.sample import RequestSample


def merge_runs(
    plan: BenchPlan,
    budget: VoiceBudget,
    workers: list[WorkerInfo],
    samples: list[RequestSample],
    *,
    backend: str,
    interrupted: bool = False,
    note: str = "",
) -> BenchResult:
    """One result over every worker's samples; `plan` is the whole run's, `interrupted` a stop from outside."""
    if not workers:
        raise ValueError("no worker reported: nothing to merge")
    runs = [worker.run for worker in workers]
    first = runs[0]
    # Whole calls: the plan counts calls, and each worker's RunInfo its own share of them.
    calls = None if first.calls is None else replace(first.calls, planned=plan.planned_requests)
    run = RunInfo(
        target=first.target,
        model=first.model,
        platform=first.platform,
        mode=plan.mode,
        concurrency=plan.in_flight_limit,
        rate=plan.rate,
        planned_requests=plan.planned_requests if calls is None else calls.requests(plan.planned_requests),
        planned_duration_s=plan.duration_s,
        platform_budget_ms=first.platform_budget_ms,
        elapsed_s=max(r.elapsed_s for r in runs),
        client_cpu_s=sum(r.client_cpu_s for r in runs),
        interrupted=interrupted or any(r.interrupted for r in runs),
        cancelled=sum(r.cancelled for r in runs),
        max_launch_lag_ms=max(r.max_launch_lag_ms for r in runs),
        backend=backend,
        workers_note=note,
        calls=calls,
    )
    # Samples stay in the order they reached the coordinator (about the order they finished).
    return BenchResult(run=run, budget=budget, samples=list(samples), workers=sorted(workers, key=lambda w: w.index))
