"""Instructions a request for `workbench mock` (and the Flask sample), counted by valgrind's callgrind.

    python benchmarks/bench_mock_instructions.py [--requests 1600] [--connections 8]
                                                 [--servers mock,mock-asyncio,flask]
                                                 [--stream [--tokens-per-s 100] [--at-once 20] [--per-token]]

Requests a second and CPU time on a shared 2-core machine swing with what the other jobs do;
the number of instructions the server executes does not. Each server runs under
`valgrind --tool=callgrind` twice: once answering `--warm-up` requests, once answering
`--warm-up` + `--requests`; the difference divided by `--requests` is what one request costs,
start-up, warm-up and shutdown subtracted. The requests go one after another over
`--connections` keep-alive connections opened one after another (no concurrency: the figure
is the cost of one request, not of a batch), each the same POST chat/completions that
bench_mock.py sends.

With `--stream` the requests ask for a stream (17 tokens); `--tokens-per-s` paces it, so
each token costs its timer and its own write, as paced streams do (100/s leaves each token's
work, ~50x slower under callgrind, well inside its 10 ms). `--at-once N` sends the streams N at
a time, each on its own connection (the mock's 1,000 held streams share its ticks: what one
chunk costs depends on how many go out together). `--per-token` counts each server twice more,
with 62-token replies (bench_mock.py's held streams), and prints what one more token costs:
(long - short) / 45, the stream's setup subtracted.

Servers: `mock` is `workbench mock` as a user runs it (uvloop where it is installed),
`mock-asyncio` the same with uvloop made unimportable (the fallback), `flask` the PolyAI docs'
sample on Flask's own server. Under callgrind everything runs ~50x slower: 1,600 requests take
a minute or two per server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BODY = json.dumps({"model": "mock-model", "messages": [{"role": "user", "content": "Hello, how are you today?"}]}).encode()
# A 17-token reply (the echo adds "You said: "), as bench_mock.py's streams, and a 62-token one, as its held streams.
SHORT_WORDS = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
LONG_WORDS = " ".join([SHORT_WORDS] * 4)
EXTRA_TOKENS = len(LONG_WORDS.split()) - len(SHORT_WORDS.split())


def stream_body(words: str) -> bytes:
    return json.dumps({"model": "mock-model", "stream": True, "messages": [{"role": "user", "content": words}]}).encode()
# `workbench mock` with uvloop unimportable: what a machine without it runs.
NO_UVLOOP = "import sys; sys.modules['uvloop'] = None; sys.argv[0] = 'workbench'; from workbench.cli import main; main()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_argv(name: str, port: int, pace: list[str]) -> tuple[list[str], str]:
    """(argv, path to post to) for one server."""
    python = sys.executable
    if name == "mock":
        return [python, "-m", "workbench", "mock", "--port", str(port), *pace], "/v1/chat/completions"
    if name == "mock-asyncio":
        return [python, "-c", NO_UVLOOP, "mock", "--port", str(port), *pace], "/v1/chat/completions"
    if name == "flask":
        return ([python, "-m", "flask", "--app", str(HERE / "flask_sample.py"), "run", "--port", str(port)],
                "/chat/completions")
    raise SystemExit(f"unknown server {name!r}: use mock, mock-asyncio or flask")


def request_bytes(port: int, path: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + body


def read_reply(sock: socket.socket, buffer: bytes) -> tuple[bytes, bool]:
    """Read one reply (Content-Length or chunked, as the servers send): (what follows it, whether the server closes)."""
    while b"\r\n\r\n" not in buffer:
        buffer += recv(sock)
    head, _, rest = buffer.partition(b"\r\n\r\n")
    closing = head.startswith(b"HTTP/1.0") or b"\r\nconnection: close" in head.lower()
    length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    if length is not None:
        need = int(length.group(1))
        while len(rest) < need:
            rest += recv(sock)
        return rest[need:], closing
    while b"\r\n0\r\n\r\n" not in rest:  # chunked: the last chunk ends it
        rest += recv(sock)
    return rest.split(b"\r\n0\r\n\r\n", 1)[1], closing


def recv(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("the server closed the connection mid-reply")
    return data


def drive_at_once(port: int, payload: bytes, requests: int, at_once: int) -> None:
    """`requests` streams, `at_once` at a time: each batch on its own connections, written together, then read."""
    left = requests
    while left > 0:
        batch = [socket.create_connection(("127.0.0.1", port), timeout=600) for _ in range(min(at_once, left))]
        for sock in batch:
            sock.sendall(payload)
        for sock in batch:
            read_reply(sock, b"")
            sock.close()
        left -= len(batch)


def drive(port: int, payload: bytes, requests: int, connections: int) -> None:
    """`requests` requests over `connections` connections in turn; a new connection where the server closes one
    (Flask's server speaks HTTP/1.0)."""
    per_connection = [requests // connections + (1 if i < requests % connections else 0) for i in range(connections)]
    for count in per_connection:
        sock: socket.socket | None = None
        buffer = b""
        for _ in range(count):
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=600)
                buffer = b""
            sock.sendall(payload)
            buffer, closing = read_reply(sock, buffer)
            if closing:
                sock.close()
                sock = None
        if sock is not None:
            sock.close()


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not listen within the time allowed")


def counted(name: str, requests: int, args: argparse.Namespace, words: str = SHORT_WORDS) -> int:
    """Instructions callgrind counted in the server process (all threads) answering `requests`."""
    port = free_port()
    argv, path = server_argv(name, port, ["--tokens-per-s", f"{args.tokens_per_s:g}"] if args.tokens_per_s else [])
    payload = request_bytes(port, path, stream_body(words) if args.stream else BODY)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no", *argv],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        try:
            wait_listening(port, process, 600)
            if args.at_once > 1:
                drive_at_once(port, payload, requests, args.at_once)
            else:
                drive(port, payload, requests, args.connections)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(300)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return sum(totals(file) for file in Path(folder).glob("callgrind.out*"))


def totals(file: Path) -> int:
    for line in file.read_text(errors="replace").splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1600)
    parser.add_argument("--warm-up", type=int, default=100)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--servers", default="mock,mock-asyncio,flask")
    parser.add_argument("--stream", action="store_true", help="streamed requests (the mock only: Flask's sample has none)")
    parser.add_argument("--tokens-per-s", type=float, default=0.0, help="pace the mock's streams (0: unpaced)")
    parser.add_argument("--at-once", type=int, default=1, help="streams sent together, each on its own connection")
    parser.add_argument("--per-token", action="store_true", help="also count 62-token streams: what one more token costs")
    args = parser.parse_args()
    if (args.at_once > 1 or args.per_token) and not args.stream:
        raise SystemExit("--at-once and --per-token count streams: add --stream")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    pace = f" at {args.tokens_per_s:g} tokens/s" if args.tokens_per_s else ""
    sent = (f"{args.at_once} at a time, each on its own connection" if args.at_once > 1
            else f"{args.connections} keep-alive connections one after another")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}; "
          f"{args.requests} {'streamed ' if args.stream else ''}requests{pace} after {args.warm_up} warm-up, {sent}")
    figures: dict[str, float] = {}
    for name in args.servers.split(","):
        base = counted(name, args.warm_up, args)
        whole = counted(name, args.warm_up + args.requests, args)
        figures[name] = (whole - base) / args.requests
        print(f"  {name:13s} {figures[name] / 1000:8.1f}k instructions a request  "
              f"(runs: {base / 1e6:.0f}M and {whole / 1e6:.0f}M)", flush=True)
        if args.per_token:
            long_base = counted(name, args.warm_up, args, LONG_WORDS)
            long_whole = counted(name, args.warm_up + args.requests, args, LONG_WORDS)
            long_figure = (long_whole - long_base) / args.requests
            print(f"  {name:13s} {long_figure / 1000:8.1f}k instructions a 62-token stream; "
                  f"{(long_figure - figures[name]) / EXTRA_TOKENS / 1000:.2f}k a token "
                  f"(runs: {long_base / 1e6:.0f}M and {long_whole / 1e6:.0f}M)", flush=True)
    if "flask" in figures:
        for name in figures:
            if name != "flask":
                print(f"  flask / {name}: {figures['flask'] / figures[name]:.1f}x")


if __name__ == "__main__":
    main()
