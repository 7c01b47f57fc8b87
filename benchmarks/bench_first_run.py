"""A first run as the README's first command has it: launch to a streamed reply on screen, in a fresh HOME.

Each run starts `workbench` (the installed entry point, no options) in a new tmux session of
120x40 with HOME set to an empty temporary folder (so no profiles: the embedded mock starts and
makes `local-mock`), and, from outside the app, reads the pane every 10 ms:
- first paint: the message box's placeholder is on screen;
- then it types a message at once (tmux send-keys) and presses Enter, as a newcomer would;
- reply: the mock's answer ("You said: …") is on screen.
Both are timed from just before the process was started. The message is typed before the
embedded mock listens; the chat holds it ("waiting for the embedded mock to start") and sends it
as soon as it does (issue 17, item 1).

    python benchmarks/bench_first_run.py [--runs 5] [--workbench .venv/bin/workbench]

Needs tmux. It measures the machine it runs on: say the load average with the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLL_S = 0.01
PLACEHOLDER = "Message ·"
MESSAGE = "hello from the first paint"
REPLY = "You said: hello from the first paint"
LIMIT_S = 60.0


def pane(session: str) -> str:
    done = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True)
    return done.stdout


def until(session: str, text: str, started: float) -> float:
    while time.perf_counter() - started < LIMIT_S:
        if text in pane(session):
            return time.perf_counter() - started
        time.sleep(POLL_S)
    raise TimeoutError(f"{text!r} did not appear within {LIMIT_S:g} s:\n{pane(session)}")


def one_run(workbench: str) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="wb-first-run-"))
    session = f"wb-first-run-{uuid.uuid4().hex[:8]}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "WORKBENCH_"))}
    environment.update(HOME=str(home), TERM="xterm-256color")
    command = f"cd {home} && exec env HOME={home} {workbench}"
    try:
        started = time.perf_counter()
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command],
                       check=True, env=environment)
        paint = until(session, PLACEHOLDER, started)
        subprocess.run(["tmux", "send-keys", "-t", session, "-l", MESSAGE], check=True)
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
        reply = until(session, REPLY, started)
        return {"first_paint_s": paint, "reply_on_screen_s": reply}
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workbench", default=str(ROOT / ".venv" / "bin" / "workbench"))
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("bench_first_run.py needs tmux (apt-get install tmux)")
    runs = [one_run(args.workbench) for _ in range(args.runs)]
    load = os.getloadavg()[0]
    print(f"{args.runs} runs, load average {load:.1f} on {os.cpu_count()} CPUs")
    for key in ("first_paint_s", "reply_on_screen_s"):
        values = sorted(run[key] for run in runs)
        print(f"{key:>18}: median {statistics.median(values):.2f} s  (all: {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
