"""Start-up: from the first import to the first painted screen, in a real terminal (a pty).

Each run starts a fresh Python process that notes the time before its first import (like
Posting's `_start_time.py`, but earlier: before `workbench` and click load too), then runs the
real `workbench --profiles DIR` entry point on a pty of 120x40 with TERM=xterm-256color. When
the app has painted its first screen (`WorkbenchApp._first_paint`, called after the first
refresh), the process writes both figures and exits:
- from the process's first import to the first paint;
- from `workbench.tui`'s import (`workbench/tui/_start_time.py`) to the first paint.

Target (issue 5): under 1 s from the first import, on this machine.

    python benchmarks/bench_tui_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import time
T0 = time.perf_counter_ns()
import json, sys
RESULT, PROFILES = sys.argv[1], sys.argv[2]
from workbench.tui import app as tui_app
from workbench.tui import _start_time

def first_paint(self, _original=tui_app.WorkbenchApp._first_paint):
    _original(self)
    now = time.perf_counter_ns()
    with open(RESULT, "w") as out:
        json.dump({"from_first_import_ms": (now - T0) / 1e6,
                   "from_tui_import_ms": (now - _start_time.START_NS) / 1e6}, out)
    self.exit()

tui_app.WorkbenchApp._first_paint = first_paint
sys.argv = ["workbench", "--profiles", PROFILES]
from workbench.cli import main
main()
"""


def one_run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="wb-startup-") as tmp:
        result = Path(tmp) / "result.json"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        process = subprocess.Popen([sys.executable, "-c", CHILD, str(result), str(Path(tmp) / "profiles")],
                                   stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env, close_fds=True)
        os.close(slave)
        seen = bytearray()
        try:
            while process.poll() is None:  # drain the terminal so the app never blocks writing
                ready, _, _ = select.select([master], [], [], 0.1)
                if ready:
                    try:
                        seen += os.read(master, 65536)
                    except OSError:
                        break
            process.wait(timeout=20)
        finally:
            os.close(master)
        if not result.exists():
            tail = seen[-2000:].decode("utf-8", "replace")
            raise SystemExit(f"the app did not report its first paint (exit {process.returncode}):\n{tail}")
        return json.loads(result.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    first = [r["from_first_import_ms"] for r in runs]
    tui = [r["from_tui_import_ms"] for r in runs]
    print(f"{args.runs} runs, each a fresh process on a 120x40 pty")
    print(f"first import -> first paint: median {statistics.median(first):.0f} ms, min {min(first):.0f}, "
          f"max {max(first):.0f} (target < 1000 ms) -> {'PASS' if max(first) < 1000 else 'FAIL'}")
    print(f"workbench.tui import -> first paint: median {statistics.median(tui):.0f} ms, max {max(tui):.0f}")


if __name__ == "__main__":
    main()
