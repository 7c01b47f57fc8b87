"""Benchmark: the mock's memory under load (RSS before/after thousands of requests, 500 slow clients, big bodies).

    python benchmarks/bench_mock_load.py [--requests 10000] [--concurrency 32] [--idle 400] [--slow 100]
                                         [--big 2500] [--big-kib 64]

`workbench mock` runs as its own process (its console to /dev/null); its resident memory
(VmRSS from /proc) is read after a warm-up, then after each phase:

1. N requests, half streamed, over `--concurrency` keep-alive connections (httpx);
2. `--idle` connections that connect and say nothing plus `--slow` clients that send their
   request a byte at a time (500 in all, held together), while 200 normal requests are
   served; then all of them closed;
3. `--big` requests whose body is `--big-kib` KiB (a long conversation), to see what the
   request log keeps: it holds the latest 1,000 to 2,000 records, bodies included.

Growth that stops once the request log is full is expected; growth that goes on with the
request count is a leak. Results go to stdout as a table; record them in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
CHAT_PATH = "/v1/chat/completions"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start_mock(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "workbench", "mock", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the mock did not start")


async def requests(base: str, count: int, concurrency: int, content: str = "hello there, how are you?") -> float:
    """`count` chat requests (every other one streamed); returns requests a second."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    failures = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            i = queue.get_nowait()
            body = {"model": "mock-model", "stream": i % 2 == 0, "messages": [{"role": "user", "content": content}]}
            response = await client.post(base + CHAT_PATH, json=body)
            if response.status_code != 200:
                failures += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    if failures:
        raise RuntimeError(f"{failures} of {count} requests failed")
    return count / (time.perf_counter() - started)


async def slow_client(port: int, pause_s: float) -> bool:
    body = json.dumps({"model": "mock-model", "messages": [{"role": "user", "content": "slow"}]}).encode()
    data = (b"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % (CHAT_PATH.encode(), len(body))
            + body)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(pause_s)
        return (await reader.read()).startswith(b"HTTP/1.1 200")
    finally:
        writer.close()


async def held(port: int, base: str, idle: int, slow: int, pid: int) -> tuple[float, int]:
    """Hold `idle` silent connections and `slow` byte-at-a-time clients while 200 requests are served."""
    opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(idle)))
    uploads = [asyncio.create_task(slow_client(port, 0.01)) for _ in range(slow)]
    await requests(base, 200, 16)
    during = rss_mib(pid)
    served = sum(await asyncio.gather(*uploads))
    for _, writer in opened:
        writer.close()
    return during, served


async def run(args: argparse.Namespace) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    mock = start_mock(port)
    rows: list[tuple[str, str]] = []
    try:
        await requests(base, 200, 8)
        warm = rss_mib(mock.pid)
        rows.append(("after 200 warm-up requests", f"{warm:.1f} MiB"))
        done = 200
        rate = 0.0
        steps = max(1, args.requests // 2000)
        for step in range(steps):
            rate = await requests(base, args.requests // steps, args.concurrency)
            done += args.requests // steps
            rows.append((f"after {done:,} requests", f"{rss_mib(mock.pid):.1f} MiB ({rate:.0f} req/s last step)"))
        before_held = rss_mib(mock.pid)
        during, served = await held(port, base, args.idle, args.slow, mock.pid)
        await asyncio.sleep(0.5)
        rows.append((f"{args.idle} idle + {args.slow} byte-at-a-time clients held, 200 requests served",
                     f"{during:.1f} MiB during ({during - before_held:+.1f}); slow clients answered: {served}/{args.slow}"))
        rows.append(("after they all closed", f"{rss_mib(mock.pid):.1f} MiB"))
        await requests(base, 2000, args.concurrency)
        rows.append(("after 2,000 more requests", f"{rss_mib(mock.pid):.1f} MiB"))
        before_big = rss_mib(mock.pid)
        await requests(base, args.big, 8, content="x" * (args.big_kib * 1024))
        after_big = rss_mib(mock.pid)
        rows.append((f"after {args.big:,} requests of {args.big_kib} KiB", f"{after_big:.1f} MiB ({after_big - before_big:+.1f})"))
    finally:
        mock.terminate()
        mock.wait(10)
    load = os.getloadavg()[0]
    print(f"# workbench mock memory under load ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, "
          f"load average {load:.1f}, Python {platform.python_version()})\n")
    print("| phase | mock RSS |\n| --- | --- |")
    for phase, value in rows:
        print(f"| {phase} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--idle", type=int, default=400)
    parser.add_argument("--slow", type=int, default=100)
    parser.add_argument("--big", type=int, default=2_500)
    parser.add_argument("--big-kib", type=int, default=64)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
