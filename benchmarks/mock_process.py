"""Starts `workbench mock` as a separate process for the bench benchmarks, and stops it after.

    with MockProcess("--ttft-ms", "300", "--tokens-per-s", "40") as mock:
        mock.base_url
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

WORKBENCH = [sys.executable, "-m", "workbench"]
ROOT = Path(__file__).resolve().parent.parent
READY = re.compile(r"base URL (http://\S+/v1)")


class MockProcess:
    def __init__(self, *args: str) -> None:
        self.args = ["mock", "--port", "0", *args]
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> "MockProcess":
        self.process = subprocess.Popen(
            [*WORKBENCH, *self.args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            found = READY.search(line)
            if found:
                self.base_url = found.group(1)
                # The mock prints a line per request: drain it so a full pipe never stalls the server.
                self._drain = subprocess.Popen(["cat"], stdin=self.process.stdout, stdout=subprocess.DEVNULL)
                return self
        self.__exit__()
        raise RuntimeError("workbench mock did not print its ready line")

    def cpu_seconds(self) -> float:
        """The mock process's CPU time so far (user + system), to tell client cost from server cost."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        drain = getattr(self, "_drain", None)
        if drain is not None:
            drain.wait(timeout=5)


def run_bench_cli(*args: str) -> dict:
    """`workbench bench ARGS --format json` as a user runs it; its JSON result."""
    import json

    completed = subprocess.run(
        [*WORKBENCH, "bench", *args, "--format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    if not completed.stdout.strip():
        raise RuntimeError(f"workbench bench printed nothing (exit {completed.returncode}): {completed.stderr}")
    return json.loads(completed.stdout)
