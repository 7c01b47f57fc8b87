"""`workbench bench --ray` on a local Ray started by this module (once: it takes 10-30 s here).

The cluster listens on loopback only (Ray's single-machine mode, as `--ray local` starts it). One
test runs the bench in this process (`--ray local` finds the Ray this process already started),
the other as a user runs it against the cluster's address, and stops it with Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from _bench_scale import PACED, assert_merged_exactly, wait_for_requests

from workbench.mock import MockServer, MockThread



@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    from workbench.bench.ray_backend import SINGLE_MACHINE

    with pytest.MonkeyPatch.context() as patch:
        for name, value in SINGLE_MACHINE.items():
            patch.setenv(name, value)  # before Ray is imported: it reads it then
        ray = pytest.importorskip("ray")
        ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
        try:
            address = ray.get_runtime_context().gcs_address
            assert address.startswith("127.0.0.1:"), address
            yield address
        finally:
            ray.shutdown()


@pytest.fixture(scope="module")
def paced_mock() -> Iterator[MockThread]:
    with MockServer.start_in_thread(PACED) as mock:
        yield mock


def test_ray_workers_run_every_request_once_and_merge_exact_percentiles(
        ray_address: str, run_workbench: Callable, paced_mock: MockThread) -> None:
    served = len(paced_mock.server.requests)
    run = run_workbench("bench", "--url", paced_mock.base_url, "--model", "mock-model", "-n", "20", "-c", "4",
                        "--ray", "local", "--format", "json", "--samples")
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    assert sorted(s["index"] for s in data["samples"]) == list(range(20))
    assert len(paced_mock.server.requests) - served == 20
    assert data["run"]["backend"] == "ray" and data["run"]["workers"] == 2  # one a CPU of the cluster
    assert sum(w["requests"] for w in data["workers"]) == 20 and all(w["requests"] for w in data["workers"])
    assert os.getpid() not in {w["pid"] for w in data["workers"]}  # each ran in a Ray worker process
    assert_merged_exactly(data)


def test_ctrl_c_stops_the_ray_workers_and_reports_what_finished(ray_address: str, paced_mock: MockThread) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "bench", "--url", paced_mock.base_url, "--model", "mock-model",
         "-n", "1000000", "-c", "4", "--ray", ray_address, "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    wait_for_requests(paced_mock, at_least=len(paced_mock.server.requests) + 8, process=process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=90)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    data = json.loads(stdout)
    assert data["run"]["interrupted"] is True and data["errors"] == 0
    assert 0 < data["requests"] == data["ttft_ms"]["count"] == sum(w["requests"] for w in data["workers"])
    assert len(data["workers"]) == 2


def test_ray_workers_play_whole_calls_each_turn_once(ray_address: str, run_workbench: Callable,
                                                    paced_mock: MockThread) -> None:
    from pathlib import Path

    agent = Path(__file__).resolve().parents[2] / "profiles" / "agents" / "vapi-short.toml"
    run = run_workbench("bench", "--url", paced_mock.base_url, "--model", "mock-model", "--agent", str(agent),
                        "-n", "6", "-c", "4", "--think-ms", "0", "--ray", "local", "--format", "json", "--samples")
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    assert sorted((s["call"], s["turn"]) for s in data["samples"]) == [(c, t) for c in range(6) for t in (1, 2)]
    assert data["run"]["backend"] == "ray" and data["calls"]["complete"] == 6
    assert all(w["requests"] and w["requests"] % 2 == 0 for w in data["workers"])  # whole calls on each worker
    assert [entry["requests"] for entry in data["turns"]] == [6, 6]
    assert_merged_exactly(data)
