"""Benchmark of `workbench mock`: requests/s against the Flask sample, and first-token drift under 200 and 1,000 streams.

    python benchmarks/bench_mock.py [--seconds 3] [--rounds 7] [--connections 32] [--streams 200,1000]
                                    [--only rps|streams] [--against DIR] [--stream-rounds N]

Throughput: both servers run as subprocesses (`workbench mock` and the seed's Flask sample on
Flask's own server, each logging a line per request as it does by default, to /dev/null) and
are driven by the same client in this process: bare asyncio Protocols over HTTP/1.1
keep-alive connections, sending one POST chat/completions after another with the same body.
Rounds alternate between the servers so a busy spell on a shared machine hits both; the
server's CPU time per request (from /proc) is printed too, a figure the client and other
load on the machine disturb less than requests/s, and so is the client's own, since client
and servers share the machine's cores. The client runs on the event loop the mock uses
(uvloop where it is installed): the cheaper the client, the more of the machine is left to
the server being measured.

Streams: `workbench mock --ttft-ms 200 --tokens-per-s 20`, with 200 and then 1,000 streams; every
connection is opened first, then the requests are written all at once (the worst case: all
arrive within a few ms) or spread over 1 s with replies long enough that all streams overlap.
1,000 streams need more than the 1,024 open files many systems allow a process: this process
raises its soft limit (the mock raises its own), and says so when the hard limit is too low. Each stream's first
*content* token time (request written -> first `"delta":{"content"` byte, stamped as the
bytes arrive) is compared with the injected ttft: drift = observed - ttft. Last-token drift
compares the whole stream with ttft + (tokens - 1) / tokens_per_s. The mock's CPU time during
each run (user and system, from /proc) says how near its one thread came to a full core.
`--against DIR` runs the mock of another source tree too (`git worktree add DIR COMMIT`),
alternated with this one `--stream-rounds` times: a change measured side by side.
Targets (issues 2 and 18): mock >= 10x Flask requests/s; first-token drift p99 < 20 ms at 200
and at 1,000 streams.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.bench.stats import percentile
from workbench.mock.connections import raise_descriptor_limit
from workbench.mock.event_loop import loop_factory


def run(coroutine):  # type: ignore[no-untyped-def]
    """asyncio.run on the mock's kind of loop (uvloop where installed)."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(coroutine)

HERE = Path(__file__).resolve().parent
BODY = json.dumps({"model": "mock-model", "messages": [{"role": "user", "content": "Hello, how are you today?"}]}).encode()
SHORT_REPLY = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
LONG_REPLY = " ".join([SHORT_REPLY] * 4)  # 62 tokens: 3 s a stream, so streams started over 1 s all overlap


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request_bytes(port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


def start(argv: list[str], port: int, tree: Path = HERE.parent) -> subprocess.Popen[bytes]:
    """`argv` started in `tree` (so `-m workbench` runs that tree's code), once it takes connections."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tree)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(argv)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()


# ---- requests per second ----------------------------------------------------------------


CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")


class Loader(asyncio.Protocol):
    """One keep-alive connection sending the same request again as soon as each reply is complete.

    A bare asyncio Protocol (no streams, no tasks): a few microseconds a request, so the
    client is not what limits the count. Replies are framed by Content-Length.
    """

    def __init__(self, payload: bytes, tally: dict[str, int], end: float, closed: asyncio.Future[None]) -> None:
        self.payload = payload
        self.tally = tally
        self.end = end
        self.closed = closed
        self.buffer = b""
        self.need: int | None = None
        self.status = 0
        self.closing = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        if asyncio.get_running_loop().time() >= self.end:
            self.transport.close()
        else:
            self.transport.write(self.payload)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.need is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buffer[:end].lower()
                length = CONTENT_LENGTH.search(head)
                self.status = int(head[9:12])
                self.closing = b"\r\nconnection: close" in head or head.startswith(b"http/1.0")
                self.need = end + 4 + (int(length.group(1)) if length else 0)
            if len(self.buffer) < self.need:
                return
            self.buffer = self.buffer[self.need:]
            self.need = None
            self.tally["ok" if self.status == 200 else "errors"] += 1
            if self.closing:
                assert self.transport is not None
                self.transport.close()
                return
            self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.need is not None:
            self.tally["errors"] += 1  # closed in the middle of a reply
        if not self.closed.done():
            self.closed.set_result(None)


async def hammer(port: int, path: str, seconds: float, connections: int) -> tuple[int, int]:
    """Send the same request over `connections` keep-alive connections for `seconds`; (ok, errors)."""
    loop = asyncio.get_running_loop()
    payload = request_bytes(port, path, BODY)
    tally = {"ok": 0, "errors": 0}
    end = loop.time() + seconds

    async def connection() -> None:
        while loop.time() < end:  # a server that closes after a reply gets a new connection
            closed: asyncio.Future[None] = loop.create_future()
            await loop.create_connection(lambda: Loader(payload, tally, end, closed), "127.0.0.1", port)
            await closed

    await asyncio.gather(*(connection() for _ in range(connections)))
    return tally["ok"], tally["errors"]


@dataclass
class Throughput:
    rps: float
    cpu_us: float  # the server process's CPU time per request
    errors: int
    client_us: float = 0.0  # this process's CPU time per request


def cpu_times(process: subprocess.Popen[bytes]) -> tuple[float, float]:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    return sum(cpu_times(process))


def throughput(process: subprocess.Popen[bytes], port: int, path: str, args: argparse.Namespace) -> Throughput:
    run(hammer(port, path, 0.5, args.connections))  # warm-up
    cpu_before, client_before, started = cpu_seconds(process), time.process_time(), time.perf_counter()
    ok, errors = run(hammer(port, path, args.seconds, args.connections))
    elapsed = time.perf_counter() - started
    per = 1e6 / max(ok, 1)
    return Throughput(ok / elapsed, (cpu_seconds(process) - cpu_before) * per, errors,
                      (time.process_time() - client_before) * per)


# ---- streaming drift --------------------------------------------------------------------

FIRST_CONTENT = b'"delta":{"content":'
DONE = b"data: [DONE]"


class StreamProbe(asyncio.Protocol):
    """One streamed request: written at its moment, timed in data_received (no task, no reader in between)."""

    def __init__(self, payload: bytes, finished: asyncio.Future[tuple[float, float]]) -> None:
        self.payload = payload
        self.finished = finished
        self.transport: asyncio.Transport | None = None
        self.sent = 0.0
        self.first: float | None = None
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self) -> None:
        assert self.transport is not None
        self.sent = time.monotonic()
        self.transport.write(self.payload)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        seen = self.tail + data
        if self.first is None and FIRST_CONTENT in seen:
            self.first = now - self.sent
        if DONE in seen:
            self.end(now)
        self.tail = seen[-64:]

    def end(self, now: float) -> None:
        if not self.finished.done():
            self.finished.set_result((self.first if self.first is not None else float("nan"), now - self.sent))
        assert self.transport is not None
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.end(time.monotonic())


async def streams(port: int, count: int, words: str, ramp_s: float) -> list[tuple[float, float]]:
    """`count` streams, all connected first; requests go out at once (ramp 0) or spread over ramp_s.

    Returns (first content token s, whole stream s) for each, from the moment its request was written.
    """
    loop = asyncio.get_running_loop()
    body = json.dumps({"model": "mock-model", "stream": True, "messages": [{"role": "user", "content": words}]}).encode()
    payload = request_bytes(port, "/v1/chat/completions", body)
    probes, results = [], []
    for _ in range(count):
        finished: asyncio.Future[tuple[float, float]] = loop.create_future()
        _, probe = await loop.create_connection(lambda: StreamProbe(payload, finished), "127.0.0.1", port)
        probes.append(probe)
        results.append(finished)
    begin = loop.time() + 0.5  # every connection is open before the first request
    for index, probe in enumerate(probes):
        loop.call_at(begin + ramp_s * index / count, probe.send)
    return list(await asyncio.gather(*results))




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each throughput round")
    parser.add_argument("--rounds", type=int, default=7, help="more, shorter rounds: a busy spell spoils fewer")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--streams", default="200,1000", help="stream counts, run one after another")
    parser.add_argument("--ttft-ms", type=float, default=200.0)
    parser.add_argument("--tokens-per-s", type=float, default=20.0)
    parser.add_argument("--only", choices=["rps", "streams"], help="run one half of the benchmark")
    parser.add_argument("--mock-loop", choices=["default", "asyncio"], default="default",
                        help="asyncio: run the mock with uvloop made unimportable (its fallback)")
    parser.add_argument("--against", metavar="DIR",
                        help="streams: also run the mock of another source tree (a `git worktree` of an "
                             "earlier commit), alternated with this one")
    parser.add_argument("--stream-rounds", type=int, default=1, help="streams: how many times to run each")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f} at the start; client loop: {loop_kind()}")

    if args.only != "streams":
        compare_throughput(args)
    if args.only != "rps":
        stream_drift(args)


# `workbench mock` with uvloop made unimportable: the mock on asyncio's own loop, as where uvloop is missing.
ASYNCIO_MOCK = "import sys; sys.modules['uvloop'] = None; sys.argv[0] = 'workbench'; from workbench.cli import main; main()"


def mock_command(args: argparse.Namespace) -> list[str]:
    if args.mock_loop == "asyncio":
        return [sys.executable, "-c", ASYNCIO_MOCK, "mock"]
    return [sys.executable, "-m", "workbench", "mock"]


def compare_throughput(args: argparse.Namespace) -> None:
    python = sys.executable
    mock_port, flask_port = free_port(), free_port()
    mock = start([*mock_command(args), "--port", str(mock_port)], mock_port)
    flask = start([python, "-m", "flask", "--app", str(HERE / "flask_sample.py"), "run", "--port", str(flask_port)],
                  flask_port)
    rounds: list[tuple[Throughput, Throughput]] = []
    try:
        # Rounds alternate between the two servers, so a busy spell on a shared machine hits both.
        for _ in range(args.rounds):
            rounds.append((throughput(mock, mock_port, "/v1/chat/completions", args),
                           throughput(flask, flask_port, "/chat/completions", args)))
    finally:
        stop(mock)
        stop(flask)
    print(f"requests/s, {args.connections} keep-alive connections, {args.rounds} alternating rounds of "
          f"{args.seconds:g} s each (median; server CPU per request in brackets, then the client's):")
    for index, name in enumerate(("workbench mock", "Flask sample")):
        runs = [r[index] for r in rounds]
        print(f"  {name:15s} {statistics.median(t.rps for t in runs):8.0f}/s  "
              f"[{statistics.median(t.cpu_us for t in runs):6.0f} us] [client {statistics.median(t.client_us for t in runs):4.0f} us]"
              f"  errors {sum(t.errors for t in runs)}  rounds: {', '.join(f'{t.rps:.0f}' for t in runs)}")
    ratios = [m.rps / f.rps for m, f in rounds]
    cpu_ratios = [f.cpu_us / m.cpu_us for m, f in rounds if m.cpu_us]
    print(f"  ratio           {statistics.median(ratios):8.1f}x  (per round: {', '.join(f'{r:.1f}' for r in ratios)}; "
          f"target >= 10x)")
    if cpu_ratios:
        print(f"  server CPU a request, Flask / mock: {statistics.median(cpu_ratios):.1f}x "
              f"(per round: {', '.join(f'{r:.1f}' for r in cpu_ratios)})")



STREAM_RUNS = (("all requests at once", SHORT_REPLY, 0.0),
               ("requests spread over 1 s, all streams overlapping", LONG_REPLY, 1.0))


def stream_drift(args: argparse.Namespace) -> None:
    """Every stream count and arrival pattern, against this tree's mock (and --against's, alternated)."""
    counts = [count for count in (int(text) for text in str(args.streams).split(",")) if enough_descriptors(count)]
    trees = [("this tree", HERE.parent)]
    if args.against:
        trees.append((f"--against {args.against}", Path(args.against).resolve()))
    for _ in range(args.stream_rounds):
        for name, tree in trees:  # alternated round by round: a busy spell spoils both, not one
            port = free_port()
            mock = start([*mock_command(args), "--port", str(port), "--ttft-ms", f"{args.ttft_ms:g}",
                          "--tokens-per-s", f"{args.tokens_per_s:g}"], port, tree)
            try:
                for count in counts:
                    for label, words, ramp in STREAM_RUNS:
                        before = cpu_times(mock)
                        results = run(streams(port, count, words, ramp))
                        spent = [after - earlier for after, earlier in zip(cpu_times(mock), before, strict=True)]
                        where = f" [{name}]" if len(trees) > 1 else ""
                        report_streams(f"{label}{where}", count, results, args, words, spent)
            finally:
                stop(mock)


def enough_descriptors(streams: int) -> bool:
    """Raise this process's open-file limit for `streams` connections; False, with a sentence, if it cannot."""
    needed = streams + 100  # the streams' sockets, plus this process's own files
    limit = raise_descriptor_limit(max(needed, 4096))
    if limit is not None and limit < needed:
        print(f"{streams} streams skipped: they need about {needed} open files, and this process may open {limit} "
              f"(its hard limit); raise it (`ulimit -Hn {needed}` as root, or limits.conf) and run again.")
        return False
    return True


def loop_kind() -> str:
    from workbench.mock.event_loop import loop_name

    loop = loop_factory()()
    try:
        return loop_name(loop)
    finally:
        loop.close()


def report_streams(label: str, count: int, results: list[tuple[float, float]], args: argparse.Namespace,
                   words: str, mock_cpu: list[float]) -> None:
    firsts = [first for first, _ in results if first == first]
    tokens = len(words.split()) + 2  # the echo adds "You said: "
    expected_total = args.ttft_ms / 1000 + (tokens - 1) / args.tokens_per_s
    drift = [(first - args.ttft_ms / 1000) * 1000 for first in firsts]
    total_drift = [(total - expected_total) * 1000 for _, total in results]
    print(f"{count} concurrent streams, {label}: ttft {args.ttft_ms:g} ms, {args.tokens_per_s:g} tokens/s, "
          f"{tokens} tokens each ({expected_total:.2f} s a stream)")
    print(f"  streams with a first token  {len(firsts)}/{count}")
    print(f"  first-token drift ms        p50 {percentile(drift, 50):6.1f}  p99 {percentile(drift, 99):6.1f}"
          f"  max {max(drift):6.1f}  (target p99 < 20)")
    print(f"  last-token drift ms         p50 {percentile(total_drift, 50):6.1f}  p99 {percentile(total_drift, 99):6.1f}")
    print(f"  mock CPU                    user {mock_cpu[0]:.2f} s  system {mock_cpu[1]:.2f} s"
          f"  (connections, requests and {count * tokens} chunks)")


if __name__ == "__main__":
    main()
