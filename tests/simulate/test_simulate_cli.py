"""`workbench simulate`: the real command against the real mock, its output and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workbench.mock import MockConfig, MockServer, MockThread
from workbench.profiles import Profile, ProfileStore

AGENTS = Path(__file__).resolve().parents[2] / "profiles" / "agents"
KEY = "sk-simcli-0123456789abcdef"


@pytest.fixture
def mock() -> Iterator[MockThread]:
    handle = MockServer.start_in_thread(MockConfig(port=0))
    yield handle
    handle.stop()


@pytest.fixture
def keyed_mock() -> Iterator[MockThread]:
    handle = MockServer.start_in_thread(MockConfig(port=0, api_key=KEY))
    yield handle
    handle.stop()


def url_args(handle: MockThread) -> list[str]:
    return ["--url", handle.base_url, "--model", "mock-model"]


@pytest.mark.parametrize("name",
                         ["polyai-booking.toml", "playai-smoke.toml", "polyant-support.toml", "vapi-short.toml",
                          "vapi-transfer.toml", "elevenlabs-end-call.toml", "pipecat-barge-in.toml",
                          "polyai-long-call.toml"])
def test_shipped_agents_pass_and_exit_0(name: str, mock: MockThread, run_workbench: Callable) -> None:
    result = run_workbench("simulate", str(AGENTS / name), *url_args(mock))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "PASS: " in result.stdout
    assert "Turn 1 of" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_failing_expectation_exits_1_with_the_sentence(
    tmp_path: Path, mock: MockThread, run_workbench: Callable
) -> None:
    agent = tmp_path / "failing.toml"
    agent.write_text('platform = "polyai"\n[[turns]]\nuser = "A table, please."\ncontains = "Saturday"\n')
    result = run_workbench("simulate", str(agent), *url_args(mock))
    assert result.exit_code == 1
    assert ('✗ turn 1: expected the reply to contain "Saturday", but the reply was "You said: A table, please."'
            in result.stdout)
    assert "FAIL: 0 of 1 turn passed" in result.stdout


def test_json_output_is_the_report(mock: MockThread, run_workbench: Callable) -> None:
    result = run_workbench("simulate", str(AGENTS / "polyai-booking.toml"), *url_args(mock), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["passed"] is True
    assert data["platform"] == "polyai"
    assert data["turns_played"] == data["turns_planned"] == 4
    assert data["turns"][1]["reply"] == "You said: Around half past seven, please."
    assert all(isinstance(t["total_ms"], float) for t in data["turns"])


def test_json_output_carries_tool_calls_and_what_the_caller_heard(mock: MockThread, run_workbench: Callable) -> None:
    result = run_workbench("simulate", str(AGENTS / "elevenlabs-end-call.toml"), *url_args(mock), "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    turn = json.loads(result.stdout)["turns"][1]
    (call,) = turn["tool_calls"]
    assert call["name"] == "end_call" and call["result"] == "The call ends after your goodbye."
    assert call["scripted"] is True and json.loads(call["arguments"])["reason"]
    assert turn["requests"] == 2 and turn["reply"].startswith("Done. The tool answered:")
    result = run_workbench("simulate", str(AGENTS / "pipecat-barge-in.toml"), *url_args(mock), "--format", "json")
    turn = json.loads(result.stdout)["turns"][0]
    assert turn["interrupted"] is True and turn["heard"] == "You said: I am"


def test_the_text_report_shows_the_tool_call_and_the_barge_in(mock: MockThread, run_workbench: Callable) -> None:
    result = run_workbench("simulate", str(AGENTS / "vapi-transfer.toml"), *url_args(mock))
    assert "  tool:   transferCall({" in result.stdout and "→ Transferring the caller to +15555550123." in result.stdout
    assert "  tools:  transferCall, endCall" in result.stdout
    result = run_workbench("simulate", str(AGENTS / "polyai-long-call.toml"), *url_args(mock))
    assert "  prompt: prompts/trattoria-nonna.txt (" in result.stdout
    assert "Turn 40 of 40  PASS" in result.stdout and "Turn 3 of 40 (repeat 2 of 13)  PASS" in result.stdout


def test_json_output_of_a_failed_call_exits_1(tmp_path: Path, mock: MockThread, run_workbench: Callable) -> None:
    agent = tmp_path / "failing.toml"
    agent.write_text('platform = "vapi"\n[[turns]]\nuser = "hi"\nmatches = "^Goodbye"\n')
    result = run_workbench("simulate", str(agent), *url_args(mock), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["passed"] is False
    assert data["expectations"]["failed"] == 1


def test_a_profile_with_its_key_in_the_environment(tmp_path: Path, keyed_mock: MockThread,
                                                    run_workbench: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    ProfileStore(tmp_path).save(Profile(name="keyed", base_url=keyed_mock.base_url, model="mock-model",
                                        platform="polyai", auth="x-api-key", api_key_env="SIMCLI_KEY"))
    monkeypatch.setenv("SIMCLI_KEY", KEY)
    result = run_workbench("--profiles", str(tmp_path), "simulate", str(AGENTS / "polyai-booking.toml"),
                           "--profile", "keyed")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert {r.auth_header for r in keyed_mock.server.requests} == {"x-api-key"}
    assert KEY not in result.stdout + result.stderr


def test_a_wrong_key_fails_the_turn_with_the_status(keyed_mock: MockThread, run_workbench: Callable,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMCLI_WRONG", "sk-wrong-0000000000000000")
    result = run_workbench("simulate", str(AGENTS / "playai-smoke.toml"), *url_args(keyed_mock),
                           "--api-key-env", "SIMCLI_WRONG")
    assert result.exit_code == 1
    assert "expected HTTP 200, but the endpoint answered 401" in result.stdout
    assert "sk-wrong-0000000000000000" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["simulate", "/nonexistent/agent.toml", "--url", "http://127.0.0.1:9/v1", "--model", "m"],
         "agent file not found: /nonexistent/agent.toml"),
        (["simulate", str(AGENTS / "playai-smoke.toml")], "no endpoint given"),
        (["simulate", str(AGENTS / "playai-smoke.toml"), "--url", "http://127.0.0.1:9/v1"], "needs --model"),
        (["simulate", str(AGENTS / "booking-replies.toml"), "--url", "http://127.0.0.1:9/v1", "--model", "m"],
         "mock reply file"),
        (["simulate", str(AGENTS / "playai-smoke.toml"), "--format", "yaml"], "Invalid value for '--format'"),
        (["simulate"], "Missing argument 'AGENT_FILE'"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(args: list[str], said: str, run_workbench: Callable) -> None:
    result = run_workbench(*args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_agent_file_names_path_and_line(tmp_path: Path, run_workbench: Callable) -> None:
    agent = tmp_path / "bad.toml"
    agent.write_text('platform = "polyai"\n[[turns]]\nuser = "hi"\nfirst_token_ms = "soon"\n')
    result = run_workbench("simulate", str(agent), "--url", "http://127.0.0.1:9/v1", "--model", "m")
    assert result.exit_code == 2
    assert f"error: {agent}:4: turn 1: `first_token_ms` must be a number of milliseconds" in result.stderr
    assert "hint: e.g. first_token_ms = 800" in result.stderr


def test_an_unknown_profile_is_a_sentence_not_a_traceback(tmp_path: Path, run_workbench: Callable) -> None:
    result = run_workbench("--profiles", str(tmp_path), "simulate", str(AGENTS / "playai-smoke.toml"),
                           "--profile", "nope")
    assert result.exit_code == 1  # a ProfileError, as every command reports it
    assert "No profile named 'nope'" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unreachable_endpoint_exits_1_with_the_fix(run_workbench: Callable) -> None:
    result = run_workbench("simulate", str(AGENTS / "playai-smoke.toml"), "--url", "http://127.0.0.1:9/v1",
                           "--model", "m")
    assert result.exit_code == 1
    assert "Connection refused" in result.stdout
    assert "hint:" in result.stdout
