"""`workbench bench --workers N` against the paced mock: every request once, exact merged figures, Ctrl-C.

No timing threshold here: how close the first token comes to what the mock injects is a benchmark
(benchmarks/bench_scale.py), not a test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from _bench_scale import PACED, alive, assert_merged_exactly, children, wait_for_requests

from workbench.bench.fleet import Fleet
from workbench.bench.plan import BenchPlan
from workbench.bench.processes import ProcessBackend
from workbench.bench.result import VoiceBudget
from workbench.bench.split import PlanShare
from workbench.bench.worker import WorkerJob
from workbench.errors import WorkbenchError
from workbench.mock import MockServer, MockThread
from workbench.target import Target

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process table in /proc")


@pytest.fixture(scope="module")
def paced_mock() -> Iterator[MockThread]:
    with MockServer.start_in_thread(PACED) as mock:
        yield mock


def _bench(run_workbench: Callable, mock: MockThread, *args: str) -> dict:
    run = run_workbench("bench", "--url", mock.base_url, "--model", "mock-model", "--format", "json", "--samples",
                        *args)
    assert run.exit_code == 0, run.stderr
    assert "Traceback" not in run.stderr
    return json.loads(run.stdout)


def test_two_workers_run_every_request_once_and_merge_exact_percentiles(run_workbench: Callable,
                                                                         paced_mock: MockThread) -> None:
    served = len(paced_mock.server.requests)
    data = _bench(run_workbench, paced_mock, "-n", "24", "-c", "5", "--workers", "2")
    indices = sorted(s["index"] for s in data["samples"])
    assert indices == list(range(24))  # every request counted once
    assert data["requests"] == 24 and data["errors"] == 0
    assert len(paced_mock.server.requests) - served == 24  # and sent once
    workers = data["workers"]
    assert [w["worker"] for w in workers] == [0, 1] and data["run"]["workers"] == 2
    assert [w["concurrency"] for w in workers] == [3, 2]  # the first worker takes the remainder
    assert sum(w["requests"] for w in workers) == 24 and all(w["requests"] > 0 for w in workers)
    assert len({w["pid"] for w in workers}) == 2 and os.getpid() not in {w["pid"] for w in workers}
    assert all(w["client"]["cpu_ms_per_request"] > 0 for w in workers)
    assert_merged_exactly(data)


def test_an_open_loop_is_shared_arrival_by_arrival(run_workbench: Callable, paced_mock: MockThread) -> None:
    data = _bench(run_workbench, paced_mock, "-n", "12", "--rate", "20", "--workers", "2")
    assert sorted(s["index"] for s in data["samples"]) == list(range(12))
    assert [w["rate"] for w in data["workers"]] == [10.0, 10.0]
    assert [w["requests"] for w in data["workers"]] == [6, 6]
    assert data["run"]["mode"] == "open" and data["run"]["rate"] == 20.0
    assert_merged_exactly(data)


def test_ctrl_c_stops_every_worker_and_reports_what_finished(paced_mock: MockThread) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "bench", "--url", paced_mock.base_url, "--model", "mock-model",
         "-n", "1000000", "-c", "6", "--workers", "2", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    wait_for_requests(paced_mock, at_least=len(paced_mock.server.requests) + 12, process=process)
    spawned = children(process.pid)
    assert len(spawned) >= 2  # the two workers (and multiprocessing's resource tracker)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    data = json.loads(stdout)
    assert data["run"]["interrupted"] is True
    assert 0 < data["requests"] < 1_000_000 and data["errors"] == 0
    assert data["ttft_ms"]["count"] == data["requests"]
    assert sum(w["requests"] for w in data["workers"]) == data["requests"]
    assert {w["pid"] for w in data["workers"]} <= set(spawned)
    assert alive(spawned) == [], "a worker outlived the bench"



class _BrokenJob(WorkerJob):
    """A job whose runner cannot be built in the worker (as with a missing install on a node)."""

    def build(self, on_progress, start_gate):  # type: ignore[no-untyped-def]
        raise RuntimeError("no runner here")


def _job(cls: type[WorkerJob] = WorkerJob) -> WorkerJob:
    plan = BenchPlan(requests=4, concurrency=2)
    return cls(PlanShare.whole(plan), Target(base_url="http://127.0.0.1:9/v1", model="m"), "openai", VoiceBudget())


async def test_a_stop_before_the_start_reports_nothing_measured() -> None:
    fleet = Fleet(_job(), ProcessBackend(), workers=2)
    fleet.stop()
    result = await fleet.run()
    assert result.requests == 0 and result.run.interrupted and result.run.backend == "processes"


async def test_a_worker_that_fails_is_a_sentence_naming_it() -> None:
    with pytest.raises(WorkbenchError, match=r"Bench worker 0 \(processes, on .+\) failed: RuntimeError: no runner"):
        await Fleet(_job(_BrokenJob), ProcessBackend(), workers=2).run()
