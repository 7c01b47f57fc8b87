"""`workbench bench` side by side with an independent measurement: raw asyncio sockets, same requests.

    /work/venv/bin/python benchmarks/bench_vs_raw_sockets.py [--rounds 4] [--requests 50] [-c 10]

The mock (its own process, --ttft-ms 300 --tokens-per-s 40) is timed in alternating rounds by
`workbench bench --format json --samples` and by the ~40 lines below: keep-alive connections that
write the same request bytes and note, for each read, whether it completed an SSE event with
content text (first one: time to first token; later ones: chunk gaps). No httpx, no workbench
code on that side. Target (issue 6): the p50s agree within 2 ms. Exit status 0 when they do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mock_process import MockProcess, run_bench_cli  # noqa: E402

AGREEMENT_MS = 2.0
EVENT = re.compile(rb"data: (\{.*?\})\n\n")
END_OF_CHUNKED_BODY = b"\r\n0\r\n\r\n"


async def raw_worker(base_url: str, body: bytes, count: int, delay_s: float, ttfts: list[float],
                     gaps: list[float]) -> None:
    """One keep-alive connection sending `count` requests one after another, timing content events."""
    await asyncio.sleep(delay_s)  # the same start-up stagger as the bench's workers
    url = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    request = (
        f"POST {url.path}/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    try:
        for _ in range(count):
            started = time.perf_counter()
            writer.write(request)
            buffer, scanned, times = b"", 0, []
            while not buffer.endswith(END_OF_CHUNKED_BODY):
                data = await reader.read(65536)
                arrived = time.perf_counter()
                if not data:
                    raise ConnectionError("the mock closed the connection")
                buffer += data
                for match in EVENT.finditer(buffer, scanned):
                    scanned = match.end()
                    choices = json.loads(match.group(1)).get("choices") or [{}]
                    if (choices[0].get("delta") or {}).get("content"):
                        times.append((arrived - started) * 1000)
            ttfts.append(times[0])
            gaps.extend(b - a for a, b in zip(times, times[1:]))
    finally:
        writer.close()


async def raw_round(base_url: str, body: bytes, requests: int, concurrency: int) -> tuple[list[float], list[float]]:
    ttfts: list[float] = []
    gaps: list[float] = []
    from workbench.bench.runner import stagger_step_s

    step = stagger_step_s(concurrency)
    per_worker = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
    await asyncio.gather(*(raw_worker(base_url, body, n, i * step, ttfts, gaps) for i, n in enumerate(per_worker) if n))
    return ttfts, gaps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("-c", "--concurrency", type=int, default=10)
    args = parser.parse_args()

    from workbench.platforms import get_platform
    from workbench.target import Target

    bench_ttft: list[float] = []
    bench_gaps: list[float] = []
    raw_ttft: list[float] = []
    raw_gaps: list[float] = []
    with MockProcess("--ttft-ms", "300", "--tokens-per-s", "40") as mock:
        platform = get_platform("openai")
        request = platform.build_request(Target(base_url=mock.base_url, model="mock-model"),
                                         platform.smoke_messages(), stream=True)
        body = request.content()  # the very body `workbench bench` sends
        for _ in range(args.rounds):
            data = run_bench_cli("--url", mock.base_url, "--model", "mock-model", "-n", str(args.requests),
                                 "-c", str(args.concurrency), "--samples")
            for sample in data["samples"]:
                if sample["ok"]:
                    bench_ttft.append(sample["ttft_ms"])
                    bench_gaps.extend(sample["chunk_gaps_ms"])
            ttfts, gaps = asyncio.run(raw_round(mock.base_url, body, args.requests, args.concurrency))
            raw_ttft.extend(ttfts)
            raw_gaps.extend(gaps)

    ok = True
    print(f"{args.rounds} alternating rounds of {args.requests} requests at -c {args.concurrency}; "
          "mock --ttft-ms 300 --tokens-per-s 40\n")
    print("| figure | workbench bench p50 | raw sockets p50 | difference | samples (bench / raw) | within 2 ms |")
    print("|---|---:|---:|---:|---:|:---|")
    for name, ours, theirs in (("first token (ms)", bench_ttft, raw_ttft), ("chunk gap (ms)", bench_gaps, raw_gaps)):
        a, b = statistics.median(ours), statistics.median(theirs)
        agree = abs(a - b) <= AGREEMENT_MS
        ok = ok and agree
        print(f"| {name} | {a:.2f} | {b:.2f} | {a - b:+.2f} | {len(ours)} / {len(theirs)} | {'yes' if agree else 'NO'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
