"""Accuracy of `workbench bench`: does it report the delays `workbench mock` injects?

    /work/venv/bin/python benchmarks/bench_accuracy.py [--requests 200] [--ttft-ms 300] [--tokens-per-s 40]

The mock runs as its own process with --ttft-ms 300 --tokens-per-s 40 (first content token 300 ms
after the request arrives, then one word every 25 ms, on one clock so there is no drift), and
`workbench bench` runs as a user runs it (`--format json`). Target (issue 6): the reported p50 first
token and p50 chunk gap are each within 5 ms of what was injected. Exit status 0 when both hold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mock_process import MockProcess, run_bench_cli  # noqa: E402

TOLERANCE_MS = 5.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--ttft-ms", type=float, default=300.0)
    parser.add_argument("--tokens-per-s", type=float, default=40.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    gap_ms = 1000.0 / args.tokens_per_s
    ok = True
    print(f"injected: first token {args.ttft_ms:g} ms, chunk gap {gap_ms:g} ms; {args.requests} requests a row\n")
    print("| -c | first token p50 | Δ | chunk gap p50 | Δ | time/token p50 | first token p90 | p99 | within 5 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|:---|")
    with MockProcess("--ttft-ms", f"{args.ttft_ms:g}", "--tokens-per-s", f"{args.tokens_per_s:g}") as mock:
        for concurrency in args.concurrency:
            data = run_bench_cli("--url", mock.base_url, "--model", "mock-model", "-n", str(args.requests),
                                 "-c", str(concurrency))
            ttft, itl, tpot = data["ttft_ms"], data["itl_ms"], data["tpot_ms"]
            if data["errors"] or ttft is None or itl is None:
                print(f"| {concurrency} | errors: {data['errors_by_kind']} |")
                ok = False
                continue
            d_ttft = ttft["p50"] - args.ttft_ms
            d_gap = itl["p50"] - gap_ms
            row_ok = abs(d_ttft) <= TOLERANCE_MS and abs(d_gap) <= TOLERANCE_MS
            ok = ok and row_ok
            print(f"| {concurrency} | {ttft['p50']:.1f} | {d_ttft:+.1f} | {itl['p50']:.2f} | {d_gap:+.2f} | "
                  f"{tpot['p50']:.2f} | {ttft['p90']:.1f} | {ttft['p99']:.1f} | {'yes' if row_ok else 'NO'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
