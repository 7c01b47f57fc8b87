"""`workbench bench`: time to first token and its spread under load, judged against a voice budget.

    bench = Bench(target, platform="polyai", plan=BenchPlan(requests=100, concurrency=10),
                  on_progress=lambda p: print(p.done, p.fraction))
    result = await bench.run()        # bench.stop() from a button or Ctrl-C ends it early
    result.verdict.passed, result.ttft.p90, result.to_json()
"""

from workbench.bench.plan import BenchPlan
from workbench.bench.result import BenchResult, RunInfo, Verdict, VoiceBudget
from workbench.bench.runner import Bench, Progress, run_bench
from workbench.bench.sample import RequestSample
from workbench.bench.stats import Summary, percentile, summarize

__all__ = [
    "Bench",
    "BenchPlan",
    "BenchResult",
    "Progress",
    "RequestSample",
    "RunInfo",
    "Summary",
    "Verdict",
    "VoiceBudget",
    "percentile",
    "run_bench",
    "summarize",
]
