"""Benchmark of `workbench proxy`: the latency it adds to the first token and to every chunk, and the streams it holds.

    python benchmarks/bench_proxy.py [--requests 200] [--chunks 40] [--streams 200,1000]
                                     [--only latency|streams]

Six processes: an upstream that streams SSE chunks each stamped with the moment it was
written (`time.perf_counter_ns()`, CLOCK_MONOTONIC: the same clock in every process on the
machine), the proxy exactly as a user runs it (`workbench proxy --to UPSTREAM --port 0 --log
FILE`: every round trip recorded, judged, printed to a pipe this script drains and logged),
the three comparison hops, and this script as the platform: bare asyncio Protocols on one
keep-alive connection per path, stamping every chunk as its bytes arrive.

Latency: requests rotate between the upstream directly, through the proxy, through the
barest aiohttp relay (server, client, `iter_any`, write: no recording, no judging; the floor
of an aiohttp proxy), through the barest hand-written HTTP/1.1 hop on httptools (what the
proxy is built on, with nothing else: its floor) and through a byte pipe (no HTTP parsed: the
floor of any Python hop), so a busy spell on a shared machine hits all five. First token = request written -> the
first stamped chunk's bytes here; request reaches the endpoint = request written -> the
upstream's handler starts (stamped into its chunks); per chunk = bytes here - the stamp the
upstream wrote. The proxy's overhead is the proxied figure less the direct one, at p50 and
at p99. Targets (issue 16): under 1 ms at p50, under 5 ms at p99.

Streams: N streams opened at once through the proxy, each held by the upstream for
`--hold-s` with a chunk every 250 ms; every stream must complete, and the per-chunk latency
under that load, the proxy's resident memory (VmRSS / VmHWM from /proc) and its CPU time are
reported, against the same N streams straight to the upstream.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STAMP = re.compile(rb'"t":(\d+)\}')
HANDLED = re.compile(rb'"h":(\d+),')
BODY = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "Hello there"}]}).encode()


# ---- the upstream: stamped SSE chunks ------------------------------------------------------------


def serve_upstream(port_file: str) -> None:
    """Run as its own process: POST /v1/chat/completions streams `chunks` stamped chunks."""
    from aiohttp import web

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        handled = time.perf_counter_ns()  # the request has reached the endpoint's handler
        body = json.loads(await request.read())
        chunks, gap, ttft = body.get("chunks", 40), body.get("gap_ms", 5) / 1000, body.get("ttft_ms", 10) / 1000
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await asyncio.sleep(ttft)
        for index in range(chunks):
            data = (f'{{"choices":[{{"index":0,"delta":{{"content":"tok{index} "}}}}],'
                    f'"h":{handled},"t":{time.perf_counter_ns()}}}')
            await response.write(b"data: " + data.encode() + b"\n\n")
            await asyncio.sleep(gap)
        await response.write(b"data: [DONE]\n\n")
        return response

    async def main() -> None:
        runner = web.ServerRunner(web.Server(handler), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        Path(port_file).write_text(str(site._server.sockets[0].getsockname()[1]))  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_relay(port_file: str, upstream_port: int) -> None:
    """Run as its own process: the barest aiohttp relay (no recording, no judging), for the floor of any proxy."""
    import aiohttp
    from aiohttp import web

    async def main() -> None:
        session = aiohttp.ClientSession(auto_decompress=False)
        upstream = f"http://127.0.0.1:{upstream_port}"

        async def handler(request: web.BaseRequest) -> web.StreamResponse:
            body = await request.read()
            async with session.request(request.method, upstream + request.raw_path, data=body,
                                       headers={"Content-Type": "application/json"}) as reply:
                response = web.StreamResponse(status=reply.status, headers={"Content-Type": reply.content_type})
                await response.prepare(request)
                async for piece in reply.content.iter_any():
                    await response.write(piece)
                await response.write_eof()
                return response

        runner = web.ServerRunner(web.Server(handler), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        Path(port_file).write_text(str(site._server.sockets[0].getsockname()[1]))  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_pipe(port_file: str, upstream_port: int) -> None:
    """Run as its own process: a byte pipe (no HTTP at all), each connection joined to one upstream connection.

    The floor of any Python hop on this machine: two wake-ups and two writes a direction, nothing parsed.
    """

    class Half(asyncio.Protocol):
        def __init__(self) -> None:
            self.transport: asyncio.Transport | None = None
            self.peer: Half | None = None
            self.waiting = bytearray()

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport  # type: ignore[assignment]

        def data_received(self, data: bytes) -> None:
            if self.peer is not None and self.peer.transport is not None:
                self.peer.transport.write(data)
            else:
                self.waiting += data  # the upstream connection is still opening

        def connection_lost(self, exc: Exception | None) -> None:
            if self.peer is not None and self.peer.transport is not None:
                self.peer.transport.close()

    joining: set[asyncio.Task[None]] = set()  # held until done: the loop keeps only weak references

    class Front(Half):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            task = asyncio.ensure_future(self.join())
            joining.add(task)
            task.add_done_callback(joining.discard)

        async def join(self) -> None:
            loop = asyncio.get_running_loop()
            _, back = await loop.create_connection(Half, "127.0.0.1", upstream_port)
            back.peer, self.peer = self, back
            if self.waiting and back.transport is not None:
                back.transport.write(bytes(self.waiting))

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Front, "127.0.0.1", 0, backlog=4096)
        Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_raw(port_file: str, upstream_port: int) -> None:
    """Run as its own process: an HTTP/1.1 hop written by hand on httptools' parser (both sides), no recording.

    The least a hand-framed proxy does (one request at a time per connection, which is all this
    benchmark sends): the floor of `workbench proxy`'s own HTTP/1.1.
    """
    import httptools

    connecting: set[asyncio.Task[None]] = set()  # held until done: the loop keeps only weak references
    HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"host", b"content-length", b"te", b"upgrade"}
    idle: list[Back] = []
    loop_holder: list[asyncio.AbstractEventLoop] = []

    class Back(asyncio.Protocol):
        def __init__(self) -> None:
            self.transport = None
            self.parser = httptools.HttpResponseParser(self)
            self.front = None
            self.headers = []
            self.length = False

        def connection_made(self, transport):
            self.transport = transport

        def on_header(self, name, value):
            self.headers.append((name, value))

        def on_headers_complete(self):
            status = self.parser.get_status_code()
            head = [b"HTTP/1.1 %d OK\r\n" % status]
            self.length = False
            for name, value in self.headers:
                low = name.lower()
                if low == b"content-length":
                    self.length = True
                    head.append(name + b": " + value + b"\r\n")
                elif low not in HOP:
                    head.append(name + b": " + value + b"\r\n")
            if not self.length:
                head.append(b"Transfer-Encoding: chunked\r\n")
            head.append(b"\r\n")
            self.front.transport.write(b"".join(head))

        def on_body(self, body):
            if self.length:
                self.front.transport.write(body)
            else:
                self.front.transport.write(b"%x\r\n%b\r\n" % (len(body), body))

        def on_message_complete(self):
            if not self.length:
                self.front.transport.write(b"0\r\n\r\n")
            self.front = None
            self.headers = []
            idle.append(self)

        def data_received(self, data):
            self.parser.feed_data(data)

    class Front(asyncio.Protocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpRequestParser(self)
            self.url = b""
            self.headers = []
            self.body = bytearray()

        def connection_made(self, transport):
            self.transport = transport

        def on_url(self, url):
            self.url += url

        def on_header(self, name, value):
            self.headers.append((name, value))

        def on_body(self, body):
            self.body += body

        def on_message_complete(self):
            method = self.parser.get_method()
            head = [method + b" " + self.url + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % upstream_port]
            for name, value in self.headers:
                if name.lower() not in HOP:
                    head.append(name + b": " + value + b"\r\n")
            head.append(b"Content-Length: %d\r\n\r\n" % len(self.body))
            data = b"".join(head) + bytes(self.body)
            self.url, self.headers, self.body = b"", [], bytearray()
            if idle:
                back = idle.pop()
                back.front = self
                back.transport.write(data)
            else:
                task = asyncio.ensure_future(self.connect(data))
                connecting.add(task)
                task.add_done_callback(connecting.discard)

        async def connect(self, data):
            _, back = await asyncio.get_running_loop().create_connection(Back, "127.0.0.1", upstream_port)
            back.front = self
            back.transport.write(data)

        def data_received(self, data):
            self.parser.feed_data(data)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Front, "127.0.0.1", 0, backlog=4096)
        Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
        await asyncio.Event().wait()

    asyncio.run(main())


# ---- the platform: a stamping HTTP/1.1 client ------------------------------------------------------


class Stream(asyncio.Protocol):
    """One keep-alive connection; `request()` sends a POST and resolves with (first token ns, request reached
    the endpoint's handler ns, per-chunk ns list)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.scanned = 0
        self.sent = 0
        self.first: int | None = None
        self.reached = 0
        self.delays: list[int] = []
        self.done: asyncio.Future[tuple[int, int, list[int]]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def request(self, port: int, body: bytes) -> asyncio.Future[tuple[int, int, list[int]]]:
        self.buffer.clear()
        self.scanned, self.first, self.delays = 0, None, []
        self.done = asyncio.get_running_loop().create_future()
        head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer sk-bench-0000000000000000\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        self.sent = time.perf_counter_ns()
        assert self.transport is not None
        self.transport.write(head + body)
        return self.done

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        self.buffer += data
        for match in STAMP.finditer(self.buffer, self.scanned):
            if self.first is None:
                self.first = now - self.sent
                handled = HANDLED.search(self.buffer, self.scanned)
                self.reached = int(handled.group(1)) - self.sent if handled else 0
            self.delays.append(now - int(match.group(1)))
            self.scanned = match.end()
        if self.buffer.endswith(b"0\r\n\r\n") and b"[DONE]" in self.buffer[self.scanned:]:
            if self.done is not None and not self.done.done():
                self.done.set_result((self.first or 0, self.reached, self.delays))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(ConnectionError("closed mid-stream"))


async def connect(port: int) -> Stream:
    _, protocol = await asyncio.get_running_loop().create_connection(Stream, "127.0.0.1", port)
    return protocol


# ---- the processes --------------------------------------------------------------------------------


def start_upstream(tmp: Path, kind: str = "upstream", upstream_port: int = 0) -> tuple[subprocess.Popen[bytes], int]:
    """`kind`: upstream, relay or pipe (the last two in front of `upstream_port`)."""
    port_file = tmp / f"{kind}.port"
    flag = [f"--serve-{kind}", str(port_file)] + (["--upstream-port", str(upstream_port)] if upstream_port else [])
    process = subprocess.Popen([sys.executable, __file__, *flag])
    for _ in range(400):
        if port_file.exists() and port_file.read_text():
            return process, int(port_file.read_text())
        time.sleep(0.025)
    raise SystemExit("the upstream did not start")


def start_proxy(upstream_port: int, log: Path) -> tuple[subprocess.Popen[str], int]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "proxy", "--to", f"http://127.0.0.1:{upstream_port}/v1", "--port", "0",
         "--log", str(log)],
        stdout=subprocess.PIPE, text=True, env={**env, "PYTHONUNBUFFERED": "1"}, cwd=ROOT)
    assert process.stdout is not None
    ready = process.stdout.readline()
    match = re.search(r"base URL http://127\.0\.0\.1:(\d+)/v1", ready)
    if not match:
        raise SystemExit(f"the proxy did not start: {ready!r}")
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    return process, int(match.group(1))


def proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as status:
        return dict(line.split(":", 1) for line in status if ":" in line)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


# ---- the runs -------------------------------------------------------------------------------------


async def latency(ports: dict[str, int], requests: int, chunks: int) -> dict[str, dict[str, list[float]]]:
    body = json.dumps({**json.loads(BODY), "chunks": chunks, "gap_ms": 5, "ttft_ms": 10}).encode()
    arms = {name: (port, await connect(port)) for name, port in ports.items()}
    found: dict[str, dict[str, list[float]]] = {name: {"first": [], "reached": [], "chunk": []} for name in arms}
    for _ in range(5):  # warm both paths (connections, the proxy's pool, imports)
        for port, stream in arms.values():
            await stream.request(port, body)
    names = list(arms)
    for index in range(requests):
        shift = index % len(names)  # each path goes first, second, ... in turn
        for name in names[shift:] + names[:shift]:
            port, stream = arms[name]
            first, reached, delays = await asyncio.wait_for(stream.request(port, body), 30)
            found[name]["first"].append(first / 1e6)
            found[name]["reached"].append(reached / 1e6)
            found[name]["chunk"] += [d / 1e6 for d in delays]
    return found


async def held(port: int, streams: int, hold_s: float) -> tuple[int, list[float]]:
    chunks = max(2, int(hold_s / 0.25))
    body = json.dumps({**json.loads(BODY), "chunks": chunks, "gap_ms": 250, "ttft_ms": 10}).encode()
    opened = await asyncio.gather(*(connect(port) for _ in range(streams)))
    results = await asyncio.gather(*(asyncio.wait_for(s.request(port, body), hold_s + 60) for s in opened),
                                   return_exceptions=True)
    complete = [r for r in results if isinstance(r, tuple) and len(r[2]) == chunks]
    for stream in opened:
        if stream.transport is not None:
            stream.transport.close()
    return len(complete), [d / 1e6 for _, _, delays in complete for d in delays]


def report_latency(found: dict[str, dict[str, list[float]]]) -> None:
    print("\n| figure | path | p50 | added p50 | p99 | added p99 |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for what, key in (("first token", "first"), ("request reaches the endpoint", "reached"), ("per chunk", "chunk")):
        d = found["direct"][key]
        for name, label in (("direct", "direct"), ("pipe", "byte pipe (no HTTP)"), ("bare", "bare aiohttp relay"),
                            ("raw", "hand-written HTTP/1.1 hop"),
                            ("proxy", "workbench proxy")):
            p = found[name][key]
            added = (f"{pct(p, 50) - pct(d, 50):+.3f} | {pct(p, 99):.3f} | {pct(p, 99) - pct(d, 99):+.3f}"
                     if name != "direct" else f" | {pct(p, 99):.3f} | ")
            print(f"| {what} ({len(p)}) | {label} | {pct(p, 50):.3f} | {added} |")


async def run(args: argparse.Namespace, ports: dict[str, int], proxy_pid: int) -> None:
    up, proxy = ports["direct"], ports["proxy"]
    if args.only in (None, "latency"):
        print(f"latency: {args.requests} requests a path, alternated, {args.chunks} chunks each, 5 ms apart (ms)")
        cpu0 = cpu_seconds(proxy_pid)
        report_latency(await latency(ports, args.requests, args.chunks))
        used = cpu_seconds(proxy_pid) - cpu0
        print(f"\nproxy CPU: {used / (args.requests + 5) * 1000:.2f} ms a request ({args.chunks} chunks recorded, "
              "judged, printed and logged)")
    if args.only in (None, "streams"):
        print(f"\nstreams held for {args.hold_s:g} s, a chunk every 250 ms (per-chunk latency in ms)")
        print("| streams | path | complete | chunk p50 | chunk p99 | proxy RSS after | proxy peak RSS | proxy CPU |")
        print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for count in args.streams:
            for name, port in (("direct", up), ("proxy", proxy)):
                cpu0 = cpu_seconds(proxy_pid)
                complete, delays = await held(port, count, args.hold_s)
                status = proc_status(proxy_pid)
                print(f"| {count} | {name} | {complete} | {pct(delays, 50):.3f} | {pct(delays, 99):.3f} | "
                      f"{status['VmRSS'].strip()} | {status['VmHWM'].strip()} | {cpu_seconds(proxy_pid) - cpu0:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve-upstream", metavar="PORT_FILE")
    parser.add_argument("--serve-relay", metavar="PORT_FILE")
    parser.add_argument("--serve-pipe", metavar="PORT_FILE")
    parser.add_argument("--serve-raw", metavar="PORT_FILE")
    parser.add_argument("--upstream-port", type=int)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=40)
    parser.add_argument("--streams", type=lambda s: [int(x) for x in s.split(",")], default=[200, 1000])
    parser.add_argument("--hold-s", type=float, default=5.0)
    parser.add_argument("--only", choices=["latency", "streams"])
    args = parser.parse_args()
    if args.serve_upstream:
        serve_upstream(args.serve_upstream)
        return
    if args.serve_relay:
        serve_relay(args.serve_relay, args.upstream_port)
        return
    if args.serve_pipe:
        serve_pipe(args.serve_pipe, args.upstream_port)
        return
    if args.serve_raw:
        serve_raw(args.serve_raw, args.upstream_port)
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        upstream, up = start_upstream(Path(tmp))
        proxy_process, proxy = start_proxy(up, Path(tmp) / "proxy.jsonl")
        relay_process, relay = start_upstream(Path(tmp), "relay", up)
        pipe_process, pipe = start_upstream(Path(tmp), "pipe", up)
        raw_process, raw = start_upstream(Path(tmp), "raw", up)
        ports = {"direct": up, "proxy": proxy, "bare": relay, "pipe": pipe, "raw": raw}
        try:
            load = os.getloadavg()[0]
            print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, load average {load:.1f}, "
                  f"Python {platform.python_version()}; proxy idle RSS {proc_status(proxy_process.pid)['VmRSS'].strip()}")
            asyncio.run(run(args, ports, proxy_process.pid))
        finally:
            for process in (proxy_process, relay_process, pipe_process, raw_process, upstream):
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    main()
