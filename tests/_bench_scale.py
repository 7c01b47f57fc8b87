"""Helpers for the scaled-bench tests (tests/bench/test_bench_workers.py, test_bench_ray.py)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from workbench.bench.stats import percentile
from workbench.mock import MockConfig, MockThread

PACED = MockConfig(ttft_ms=200, tokens_per_s=20)  # as `workbench mock --ttft-ms 200 --tokens-per-s 20`


def assert_merged_exactly(data: dict) -> None:
    """Every figure equals the one computed here from all the raw samples together."""
    ok = [s for s in data["samples"] if s["ok"]]
    figures = {
        "ttft_ms": [s["ttft_ms"] for s in ok],
        "e2e_ms": [s["e2e_ms"] for s in ok],
        "itl_ms": [gap for s in ok for gap in s["chunk_gaps_ms"]],
    }
    for key, values in figures.items():
        assert data[key]["count"] == len(values)
        for p in (50, 90, 99):
            assert data[key][f"p{p}"] == pytest.approx(percentile(values, p), abs=0.0011), (key, p)


def wait_for_requests(mock: MockThread, at_least: int, process: subprocess.Popen) -> None:
    """Until the workers have really started sending (each interpreter takes a moment to start)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(mock.server.requests) >= at_least:
            return
        if process.poll() is not None:
            raise AssertionError(f"bench ended early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError("the workers never sent their requests")


def _stat(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # state, ppid, … (the name may hold spaces)


def children(parent: int) -> list[int]:
    """The process table's children of `parent` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(entry.name)) and fields[1] == str(parent):
            found.append(int(entry.name))
    return found


def alive(pids: list[int]) -> list[int]:
    """Those still running (a zombie has exited: only its parent's bookkeeping is left)."""
    deadline = time.monotonic() + 5
    while True:
        alive = [pid for pid in pids if (fields := _stat(str(pid))) and fields[0] != "Z"]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)
