"""How exactly the client times a stream, and what it costs: recorded vs injected delays, overhead.

Starts `workbench mock --ttft-ms 200 --tokens-per-s 50` as a subprocess, sends N sequential
streamed requests through workbench.client, and compares the recorded first-token time
(p50) and median gap between content chunks with what the mock injected (200 ms and 20 ms;
target: within 5 ms). Then, against a second mock with no delays, it measures the client's
own cost: sequential and concurrent requests a second, and the client process's CPU time a
request (the mock runs in another process, so that figure is the client's alone).

    python benchmarks/bench_client_timing.py              # the numbers in benchmarks/README.md
    python benchmarks/bench_client_timing.py -n 50 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

from workbench import wire
from workbench.bench.stats import percentile
from workbench.chat import shape_turn
from workbench.client import Client
from workbench.exchange import Exchange
from workbench.target import Target, Timeouts

MESSAGE = " ".join(f"word{i}" for i in range(20))  # the echo reply: 22 content chunks


@contextmanager
def mock_process(*args: str) -> Iterator[str]:
    """`workbench mock --port 0 ARGS` in a subprocess; yields its base URL."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "mock", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"base URL (\S+)", line)
        if not found:
            raise SystemExit(f"the mock did not start: {line.strip()}")
        # Drain the per-request console lines so the mock never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(10)




async def sequential(url: str, n: int) -> list[Exchange]:
    target = Target(base_url=url, model="mock-model", timeouts=Timeouts(connect=5, read=30, first_token=30))
    body = shape_turn(target, [wire.message("user", MESSAGE)], stream=True).body
    async with Client(target) as client:
        await client.chat(body).run()  # warm the connection; not counted
        return [await client.chat(body).run() for _ in range(n)]


async def concurrent(url: str, n: int, concurrency: int) -> float:
    """Requests a second with `concurrency` streams in flight at once."""
    target = Target(base_url=url, model="mock-model")
    body = shape_turn(target, [wire.message("user", "hello there")], stream=True).body
    async with Client(target, max_connections=concurrency) as client:
        await client.chat(body).run()
        left = n

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await client.chat(body).run()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - started)


def timing_accuracy(n: int, ttft_ms: float, tokens_per_s: float) -> dict[str, Any]:
    interval_ms = 1000 / tokens_per_s
    with mock_process("--ttft-ms", str(ttft_ms), "--tokens-per-s", str(tokens_per_s)) as url:
        exchanges = asyncio.run(sequential(url, n))
    first = [x.timings.first_token_ms for x in exchanges]
    gaps = [g for x in exchanges for g in x.timings.chunk_gaps_ms]
    chunks = len([e for e in exchanges[0].events if e.text])
    shaping = ttft_ms + (chunks - 1) * interval_ms  # what the mock spends waiting, by design
    overhead = [x.timings.total_ms - shaping for x in exchanges]
    return {
        "requests": n,
        "injected": {"ttft_ms": ttft_ms, "chunk_gap_ms": interval_ms, "content_chunks": chunks},
        "first_token_ms": {"p50": percentile(first, 50), "p90": percentile(first, 90), "min": min(first)},
        "chunk_gap_ms": {"median": statistics.median(gaps), "p10": percentile(gaps, 10), "p90": percentile(gaps, 90)},
        "headers_ms_p50": percentile([x.timings.headers_ms for x in exchanges], 50),
        "error_ms": {
            "first_token_p50": percentile(first, 50) - ttft_ms,
            "chunk_gap_median": statistics.median(gaps) - interval_ms,
        },
        "total_minus_shaping_ms_p50": percentile(overhead, 50),
    }


def client_cost(n: int, concurrency: int) -> dict[str, Any]:
    with mock_process() as url:
        cpu = time.process_time()
        started = time.perf_counter()
        exchanges = asyncio.run(sequential(url, n))
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        rate = asyncio.run(concurrent(url, n * 2, concurrency))
    return {
        # The first token with nothing injected: the floor (send, server parsing, loop wake-ups).
        "zero_delay_first_token_ms_p50": percentile([x.timings.first_token_ms for x in exchanges], 50),
        "sequential_requests_per_s": (n + 1) / wall,
        "client_cpu_ms_per_request": cpu * 1000 / (n + 1),
        "concurrent_requests_per_s": rate,
        "concurrency": concurrency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="timed requests (default 40)")
    parser.add_argument("--ttft-ms", type=float, default=200)
    parser.add_argument("--tokens-per-s", type=float, default=50)
    parser.add_argument("--cost-n", type=int, default=400, help="requests for the zero-delay run (default 400)")
    parser.add_argument("-c", "--concurrency", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    accuracy = timing_accuracy(args.n, args.ttft_ms, args.tokens_per_s)
    cost = client_cost(args.cost_n, args.concurrency)
    if args.json:
        print(json.dumps({"timing": accuracy, "cost": cost, "cpus": os.cpu_count()}, indent=2))
        return
    inj, err = accuracy["injected"], accuracy["error_ms"]
    within = abs(err["first_token_p50"]) <= 5 and abs(err["chunk_gap_median"]) <= 5
    print(f"timing: {accuracy['requests']} sequential streams, mock --ttft-ms {inj['ttft_ms']:g} "
          f"--tokens-per-s {args.tokens_per_s:g} ({inj['content_chunks']} content chunks each)")
    print(f"  first token p50   {accuracy['first_token_ms']['p50']:8.2f} ms  (injected {inj['ttft_ms']:g}; "
          f"error {err['first_token_p50']:+.2f} ms; p90 {accuracy['first_token_ms']['p90']:.2f})")
    print(f"  chunk gap median  {accuracy['chunk_gap_ms']['median']:8.2f} ms  (injected {inj['chunk_gap_ms']:g}; "
          f"error {err['chunk_gap_median']:+.2f} ms; p10–p90 {accuracy['chunk_gap_ms']['p10']:.2f}–"
          f"{accuracy['chunk_gap_ms']['p90']:.2f})")
    print(f"  headers p50 {accuracy['headers_ms_p50']:.2f} ms; total minus the mock's designed waits, p50: "
          f"{accuracy['total_minus_shaping_ms_p50']:.2f} ms")
    print(f"  within 5 ms of the injected values: {'yes' if within else 'NO'}")
    floor = cost["zero_delay_first_token_ms_p50"]
    print(f"  first token with no delay injected (the floor), p50: {floor:.2f} ms; "
          f"so the first-token error net of it is {err['first_token_p50'] - floor:+.2f} ms")
    print(f"cost: zero-delay mock, {os.cpu_count()} CPUs shared by mock and client")
    print(f"  sequential   {cost['sequential_requests_per_s']:8.1f} requests/s")
    print(f"  concurrent   {cost['concurrent_requests_per_s']:8.1f} requests/s (c={cost['concurrency']})")
    print(f"  client CPU   {cost['client_cpu_ms_per_request']:8.3f} ms a request (this process only)")


if __name__ == "__main__":
    main()
