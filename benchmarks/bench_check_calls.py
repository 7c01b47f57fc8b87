"""How long `workbench check` takes per platform against a correct endpoint, the call probes included.

Starts `workbench mock` (no faults, a key required) as its own process and runs the whole check
(`workbench.checks.run_check`, as `workbench check` runs it) once per platform, `--rounds` times,
platforms interleaved round by round so a busy spell hits them all. Reports, per platform, the
median and the slowest check, the requests it sent, and what the tool call, long call and
barge-in lines took. Target (issue 14): under 2 s per platform, the barge-in and the long call
included.

    python benchmarks/bench_check_calls.py                 # the numbers in benchmarks/README.md
    python benchmarks/bench_check_calls.py --rounds 10 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mock_process import MockProcess  # noqa: E402  (benchmarks/ helper: the mock as its own process)

from workbench.checks.runner import run_check  # noqa: E402
from workbench.platforms import PLATFORMS  # noqa: E402
from workbench.target import Target  # noqa: E402

KEY = "sk-bench-check-calls-0001"
TARGET_S = 2.0
CALL_PARTS = ("tools", "long-call", "barge-in")


async def one_check(base_url: str, platform: str) -> dict[str, Any]:
    started = time.perf_counter()
    report = await run_check(Target(base_url, "mock-model", auth="bearer", api_key=KEY), platform)
    elapsed = time.perf_counter() - started
    parts = {r.id: r.ms for r in report.probes if r.id in CALL_PARTS}
    bad = [f.id for f in report.findings if f.severity != "info"]
    return {"s": elapsed, "requests": report.metrics["requests"], "parts": parts, "findings": bad}


async def main(rounds: int) -> dict[str, Any]:
    os.environ["BENCH_CHECK_KEY"] = KEY  # the mock process reads its key from the environment
    with MockProcess("--api-key-env", "BENCH_CHECK_KEY") as mock:
        runs: dict[str, list[dict[str, Any]]] = {p: [] for p in PLATFORMS}
        for _ in range(rounds):
            for platform in PLATFORMS:
                runs[platform].append(await one_check(mock.base_url, platform))
    rows = {}
    for platform, results in runs.items():
        times = [r["s"] for r in results]
        rows[platform] = {
            "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3),
            "requests": results[-1]["requests"],
            "parts_ms": results[-1]["parts"],
            "findings": sorted({f for r in results for f in r["findings"]}),
            "under_target": max(times) < TARGET_S,
        }
    return {"rounds": rounds, "load_average": os.getloadavg()[0], "platforms": rows}


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['rounds']} rounds, load average {result['load_average']:.1f}", "",
             "| platform | median | slowest | requests | tool call / long call / barge-in (last run) | findings |",
             "| --- | --- | --- | --- | --- | --- |"]
    for platform, row in result["platforms"].items():
        parts = " / ".join(f"{row['parts_ms'].get(p, 0) or 0:.0f} ms" if p in row["parts_ms"] else "–"
                           for p in CALL_PARTS)
        lines.append(f"| {platform} | {row['median_s']:.2f} s | {row['max_s']:.2f} s | {row['requests']} | {parts} | "
                     f"{', '.join(row['findings']) or 'none'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    outcome = asyncio.run(main(args.rounds))
    print(json.dumps(outcome, indent=2) if args.json else render(outcome))
