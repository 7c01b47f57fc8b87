"""A `workbench bench` run in-process against a no-delay mock, for a profiler to sample.

    py-spy record -o prof.txt -f raw -r 500 -- /work/venv/bin/python benchmarks/profile_bench_client.py
    /work/venv/bin/python benchmarks/profile_bench_client.py --one-pool    # with the pool sharding off

The mock is a separate process (py-spy samples only this one). Prints requests/s and the
client's CPU time a request.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mock_process import MockProcess  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", type=int, default=4000)
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument("--one-pool", action="store_true", help="every request through one connection pool")
    args = parser.parse_args()

    from workbench.bench import runner
    from workbench.target import Target

    if args.one_pool:
        runner.CONNECTIONS_PER_SHARD = 1 << 30
    with MockProcess("--ttft-ms", "0", "--tokens-per-s", "0") as mock:
        plan = runner.BenchPlan(requests=args.requests, concurrency=args.concurrency)
        result = asyncio.run(runner.run_bench(Target(base_url=mock.base_url, model="mock-model"), plan=plan))
    print(f"{result.requests_per_s:.0f} requests/s, {result.client_cpu_ms_per_request:.2f} ms client CPU a request, "
          f"errors {result.errors_by_kind or 'none'}")


if __name__ == "__main__":
    main()
