"""`workbench bench --workers`: the client's cost a request and a chunk, capacity with 1 and 2 workers, accuracy.

    python benchmarks/bench_scale.py [--rounds 3] [--requests 3000] [--concurrency 32]

Every row is `workbench bench … --format json` run as a user runs it, against `workbench mock` in
its own process. Three parts (docs/benchmarks.md, "Bench at scale"):

1. Cost: client CPU a request and a chunk. One bench process, a mock pacing each word 10 ms apart
   (--tokens-per-s 100: each word its own read, as at voice pace) with a 4-word and a 64-word
   scripted reply, alternated. CPU a request = fixed + chunks x per-chunk; the two replies give both.
2. Capacity: a no-delay mock, `-c C -n N` in one process (no --workers), with `--workers 1` and with
   `--workers 2`, alternated round by round. Requests a second, the client's CPU a request (all
   workers), each worker's share of a core, and the mock's (mock and workers share the cores).
3. Accuracy: the paced mock (--ttft-ms 200 --tokens-per-s 20), `-n 100 -c 10`, the same three
   alternated: first-token p50 against the injected 200 ms, chunk gap p50 against 50 ms.
   Exit status 0 when the 2-worker rows hold the first-token p50 within 5 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mock_process import MockProcess, run_bench_cli  # noqa: E402

SHORT_WORDS, LONG_WORDS = 4, 64

# (label, extra arguments): one process as today, the same through one worker process, and two.
LAYOUTS = (("one process", ()), ("--workers 1", ("--workers", "1")), ("--workers 2", ("--workers", "2")))


def _reply_file(folder: Path, words: int) -> Path:
    path = folder / f"reply-{words}.toml"
    text = " ".join(f"w{i}" for i in range(words))
    path.write_text(f'[[reply]]\nregex = "."\nreply = "{text}"\n', encoding="utf-8")
    return path


def _chunks_per_request(data: dict) -> float:
    ok = data["ok"]
    return (data["itl_ms"]["count"] + ok) / ok  # content chunks: the gaps between them, plus the first


def cost(rounds: int) -> tuple[float, float]:
    """Client CPU (ms) a request with no chunk, and a chunk, from two reply lengths alternated."""
    print("\n## 1. Client CPU a request and a chunk (one process, -n 480 -c 32, words 10 ms apart)\n")
    print("| round | reply | content chunks/request | client CPU/request | client CPU share |")
    print("|---:|---|---:|---:|---:|")
    measured: dict[int, list[tuple[float, float]]] = {SHORT_WORDS: [], LONG_WORDS: []}
    with tempfile.TemporaryDirectory() as folder:
        mocks = {words: MockProcess("--ttft-ms", "0", "--tokens-per-s", "100", "--reply",
                                    str(_reply_file(Path(folder), words))) for words in measured}
        for mock in mocks.values():
            mock.__enter__()
        try:
            for number in range(1, rounds + 1):
                for words, mock in mocks.items():
                    data = run_bench_cli("--url", mock.base_url, "--model", "mock-model", "-n", "480", "-c", "32")
                    chunks = _chunks_per_request(data)
                    cpu = data["client"]["cpu_ms_per_request"]
                    measured[words].append((chunks, cpu))
                    print(f"| {number} | {words} words | {chunks:.1f} | {cpu:.3f} ms | "
                          f"{data['client']['cpu_share']:.0%} |")
        finally:
            for mock in mocks.values():
                mock.__exit__()
    short_chunks = statistics.median(c for c, _ in measured[SHORT_WORDS])
    long_chunks = statistics.median(c for c, _ in measured[LONG_WORDS])
    short_cpu = statistics.median(v for _, v in measured[SHORT_WORDS])
    long_cpu = statistics.median(v for _, v in measured[LONG_WORDS])
    per_chunk = (long_cpu - short_cpu) / (long_chunks - short_chunks)
    fixed = short_cpu - short_chunks * per_chunk
    print(f"\nmedians: {short_cpu:.3f} ms at {short_chunks:.1f} chunks, {long_cpu:.3f} ms at {long_chunks:.1f} chunks"
          f" -> **{fixed:.2f} ms a request + {per_chunk:.3f} ms a chunk**")
    return fixed, per_chunk


def _cpu_shares(data: dict) -> str:
    if "workers" not in data:
        return f"{data['client']['cpu_share']:.0%}"
    return " + ".join(f"{w['client']['cpu_share']:.0%}" for w in data["workers"])


def capacity(rounds: int, requests: int, concurrency: int) -> None:
    print(f"\n## 2. Capacity, no-delay mock, -n {requests} -c {concurrency}, alternated\n")
    print("| round | run | requests/s | client CPU/request | share of a core, each process | "
          "mock's share of a core | first token p50 | errors |")
    print("|---:|---|---:|---:|---|---:|---:|---:|")
    rates: dict[str, list[float]] = {label: [] for label, _ in LAYOUTS}
    with MockProcess("--ttft-ms", "0", "--tokens-per-s", "0") as mock:
        url = ["--url", mock.base_url, "--model", "mock-model"]
        for number in range(1, rounds + 1):
            for label, extra in LAYOUTS:
                mock_cpu0 = mock.cpu_seconds()
                data = run_bench_cli(*url, "-n", str(requests), "-c", str(concurrency), *extra)
                run = data["run"]
                mock_share = (mock.cpu_seconds() - mock_cpu0) / run["elapsed_s"]  # includes start-up: an upper bound
                rates[label].append(run["requests_per_s"])
                print(f"| {number} | {label} | {run['requests_per_s']:.0f} | "
                      f"{data['client']['cpu_ms_per_request']:.2f} ms | {_cpu_shares(data)} | "
                      f"≤ {mock_share:.0%} | {data['ttft_ms']['p50']:.2f} ms | {data['errors']} |")
    print("\nmedian requests/s: " + ", ".join(f"{label} {statistics.median(values):.0f}"
                                              for label, values in rates.items()))


def accuracy(rounds: int) -> bool:
    print("\n## 3. Accuracy, paced mock (--ttft-ms 200 --tokens-per-s 20), -n 100 -c 10\n")
    print("| round | run | first token p50 | Δ | p90 | chunk gap p50 | Δ | requests |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    deltas: dict[str, list[float]] = {label: [] for label, _ in LAYOUTS}
    with MockProcess("--ttft-ms", "200", "--tokens-per-s", "20") as mock:
        url = ["--url", mock.base_url, "--model", "mock-model"]
        for number in range(1, rounds + 1):
            for label, extra in LAYOUTS:
                data = run_bench_cli(*url, "-n", "100", "-c", "10", *extra)
                ttft, gap = data["ttft_ms"], data["itl_ms"]
                deltas[label].append(ttft["p50"] - 200)
                print(f"| {number} | {label} | {ttft['p50']:.2f} | {ttft['p50'] - 200:+.2f} | {ttft['p90']:.2f} | "
                      f"{gap['p50']:.2f} | {gap['p50'] - 50:+.2f} | {data['requests']} |")
    print("\nmedian first-token excess: " + ", ".join(f"{label} {statistics.median(values):+.2f} ms"
                                                     for label, values in deltas.items()))
    return all(abs(delta) <= 5 for delta in deltas["--workers 2"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--skip", choices=["cost", "capacity", "accuracy"], action="append", default=[])
    args = parser.parse_args()
    print(f"# bench_scale.py, {time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    if "cost" not in args.skip:
        cost(args.rounds)
    if "capacity" not in args.skip:
        capacity(args.rounds, args.requests, args.concurrency)
    ok = True
    if "accuracy" not in args.skip:
        ok = accuracy(args.rounds)
        print(f"\nfirst-token p50 within 5 ms of the injected 200 ms in every 2-worker row: {'yes' if ok else 'NO'}")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
