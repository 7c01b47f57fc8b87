"""`workbench bench` as a user runs it: JSON shape, exit codes, usage errors, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from workbench.mock import MockConfig, MockServer, MockThread


@pytest.fixture
def mock_url() -> Iterator[str]:
    with MockServer.start_in_thread(MockConfig(ttft_ms=20, tokens_per_s=400)) as mock:
        yield mock.base_url


@pytest.fixture
def failing_mock_url() -> Iterator[str]:
    with MockServer.start_in_thread(MockConfig(fault="server-error")) as mock:
        yield mock.base_url


def test_json_output_and_exit_0_when_the_verdict_passes(run_workbench: Callable, mock_url: str) -> None:
    run = run_workbench("bench", "--url", mock_url, "--model", "mock-model", "-n", "6", "-c", "3",
                        "--as", "polyai", "--format", "json")
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["requests"] == 6 and data["errors"] == 0
    assert set(data["ttft_ms"]) >= {"p50", "p90", "p99", "min", "max", "mean"}
    assert data["itl_ms"] is not None and data["e2e_ms"] is not None and data["tokens_per_s"] is not None
    assert data["verdict"]["passed"] is True
    assert data["run"]["platform"] == "polyai" and data["run"]["concurrency"] == 3
    assert "Traceback" not in run.stderr


def test_exit_1_when_the_first_token_misses_the_budget(run_workbench: Callable, mock_url: str) -> None:
    run = run_workbench("bench", "--url", mock_url, "--model", "mock-model", "-n", "3", "--budget-ms", "1")
    assert run.exit_code == 1
    assert "verdict: FAIL: first token p90" in run.stdout and "over the 1 ms budget" in run.stdout


def test_without_budget_ms_the_verdict_is_held_to_the_platforms_budget(run_workbench: Callable, mock_url: str) -> None:
    from workbench.platforms import get_platform

    budget = get_platform("vapi").first_token_budget_ms
    run = run_workbench("bench", "--url", mock_url, "--model", "mock-model", "-n", "3", "--as", "vapi",
                        "--format", "json")
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["verdict"]["budget_ms"] == budget == data["platform_budget"]["first_token_ms"]
    assert f"the {budget:g} ms budget (vapi's)" in data["verdict"]["reason"]


def test_exit_1_and_errors_by_kind_when_requests_fail(run_workbench: Callable, failing_mock_url: str) -> None:
    run = run_workbench("bench", "--url", failing_mock_url, "--model", "mock-model", "-n", "4", "--format", "json")
    assert run.exit_code == 1
    data = json.loads(run.stdout)
    assert data["errors_by_kind"] == {"http-500": 4} and data["ttft_ms"] is None
    assert data["verdict"]["passed"] is False


def test_samples_flag_adds_each_requests_figures(run_workbench: Callable, mock_url: str) -> None:
    run = run_workbench("bench", "--url", mock_url, "--model", "mock-model", "-n", "2", "--format", "json", "--samples")
    samples = json.loads(run.stdout)["samples"]
    assert [s["index"] for s in sorted(samples, key=lambda s: s["index"])] == [0, 1]
    assert all(s["ok"] and s["ttft_ms"] > 0 for s in samples)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "name a profile or pass --url"),
        (("--url", "http://127.0.0.1:9/v1"), "needs --model"),
        (("--url", "http://127.0.0.1:9/v1", "--model", "m", "--as", "skype"), "unknown platform 'skype'"),
    ],
)
def test_usage_errors_exit_2_with_a_sentence(run_workbench: Callable, args: tuple[str, ...], said: str) -> None:
    run = run_workbench("bench", *args)
    assert run.exit_code == 2
    assert said in run.stderr and "Traceback" not in run.stderr


def test_nothing_listening_is_reported_as_connection_refused(run_workbench: Callable) -> None:
    run = run_workbench("bench", "--url", "http://127.0.0.1:9/v1", "--model", "m", "-n", "2", "-c", "1")
    assert run.exit_code == 1
    assert "connection-refused 2" in run.stdout and "verdict: FAIL" in run.stdout


def test_ctrl_c_stops_and_prints_a_partial_report() -> None:
    with MockServer.start_in_thread(MockConfig(ttft_ms=10, tokens_per_s=1000)) as mock:
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench", "bench", "--url", mock.base_url, "--model", "mock-model",
             "-n", "1000000", "-c", "4", "--format", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        _wait_for_requests(mock, at_least=10, process=process)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    data = json.loads(stdout)
    assert data["run"]["interrupted"] is True
    assert 0 < data["requests"] < 1_000_000 and data["errors"] == 0
    assert data["ttft_ms"]["count"] == data["requests"]


def _wait_for_requests(mock: MockThread, at_least: int, process: subprocess.Popen) -> None:
    """Until the bench has really started sending (the interpreter takes a moment to start)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if len(mock.server.requests) >= at_least:
            return
        if process.poll() is not None:
            raise AssertionError(f"bench ended early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError("the bench never sent its requests")


@pytest.mark.parametrize("platform", ["pipecat", "livekit"])
def test_bench_as_the_new_platforms(run_workbench: Callable, mock_url: str, platform: str) -> None:
    run = run_workbench("bench", "--url", mock_url, "--model", "mock-model", "-n", "4", "-c", "2",
                        "--as", platform, "--format", "json")
    assert run.exit_code == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["requests"] == 4 and data["errors"] == 0 and data["run"]["platform"] == platform
