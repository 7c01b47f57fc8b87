"""Throughput of `workbench bench`'s client: streamed requests a second against the mock, and its CPU cost.

    /work/venv/bin/python benchmarks/bench_client_throughput.py [--requests 5000]

The mock runs as its own process with no delay (--ttft-ms 0 --tokens-per-s 0: each reply streams
as fast as the socket takes it), so the two processes share this machine's 2 cores. Each row is a
`workbench bench --format json` run as a user runs it. "client CPU/request" is the bench process's
CPU time (user + system) during the run divided by the requests it finished: the client's own
overhead (httpx, SSE decoding, recording, statistics). "mock CPU/request" is the same for the mock.
Rows marked "one pool" run in-process with the connection-pool sharding turned off, to show what it
saves. Target (issue 6): at least 300 streamed requests/s. Exit status 0 when the -c 32 row holds it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mock_process import MockProcess, run_bench_cli  # noqa: E402

TARGET_RPS = 300.0


def one_pool_row(base_url: str, requests: int, concurrency: int) -> dict:
    """The same benchmark in-process, every request through a single connection pool."""
    from workbench.bench import runner
    from workbench.bench.plan import BenchPlan
    from workbench.bench.runner import run_bench
    from workbench.target import Target

    saved = runner.CONNECTIONS_PER_SHARD
    runner.CONNECTIONS_PER_SHARD = 1 << 30  # one pool, as many connections as requests in flight
    try:
        result = asyncio.run(run_bench(Target(base_url=base_url, model="mock-model"),
                                       plan=BenchPlan(requests=requests, concurrency=concurrency)))
    finally:
        runner.CONNECTIONS_PER_SHARD = saved
    return result.to_dict()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    n = args.requests
    ok = True
    print("| run | requests/s | client CPU/request | client CPU share | mock CPU/request | first token p50 | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with MockProcess("--ttft-ms", "0", "--tokens-per-s", "0") as mock:
        url = ["--url", mock.base_url, "--model", "mock-model"]
        rows: list[tuple[str, object]] = [
            ("-c 1", lambda: run_bench_cli(*url, "-n", str(n // 5), "-c", "1")),
            ("-c 8", lambda: run_bench_cli(*url, "-n", str(n), "-c", "8")),
            ("-c 32", lambda: run_bench_cli(*url, "-n", str(n), "-c", "32")),
            ("-c 64", lambda: run_bench_cli(*url, "-n", str(n), "-c", "64")),
            ("-c 32, one pool (in-process)", lambda: one_pool_row(mock.base_url, n, 32)),
            ("--rate 300 --duration 10 (open loop)", lambda: run_bench_cli(*url, "--rate", "300", "--duration", "10")),
        ]
        for name, run in rows:
            mock_cpu0 = mock.cpu_seconds()
            data = run()  # type: ignore[operator]
            mock_cpu = (mock.cpu_seconds() - mock_cpu0) * 1000 / max(1, data["requests"])
            rps = data["run"]["requests_per_s"]
            client = data["client"]
            extra = ""
            if data["run"]["mode"] == "open":
                extra = f" (lag ≤ {data['run']['max_launch_lag_ms']:.0f} ms)"
            print(f"| {name} | {rps:.0f}{extra} | {client['cpu_ms_per_request']:.2f} ms | {client['cpu_share']:.0%} | "
                  f"{mock_cpu:.2f} ms | {data['ttft_ms']['p50']:.2f} ms | {data['errors']} |")
            if name == "-c 32":
                ok = rps >= TARGET_RPS and data["errors"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
