"""`workbench chat` as a user runs it: a subprocess against the real mock (running in a thread here)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.mock import MockConfig, MockServer, MockThread
from workbench.profiles import Profile, ProfileStore

KEY = "sk-cli-canary-31415926535f9f3a"
KEY_VAR = "WB_CHAT_TEST_KEY"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    clean.update({KEY_VAR: KEY, "WORKBENCH_PROFILES": str(tmp_path / "profiles"), "NO_COLOR": "1"})
    clean.pop("WORKBENCH_DEBUG", None)
    return clean


@pytest.fixture
def mock() -> Iterator[MockThread]:
    handle = MockServer.start_in_thread(MockConfig(api_key=KEY, stall_s=30))
    yield handle
    handle.stop()


def chat(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "workbench", "chat", *args], capture_output=True, text=True,
                          env=env, input=stdin, timeout=30)
    assert not any(line.startswith("Traceback") for line in done.stderr.splitlines()), done.stderr
    return done


def url_args(mock: MockThread) -> list[str]:
    return ["--url", mock.base_url, "--model", "mock-model", "--api-key-env", KEY_VAR]


def test_the_reply_streams_to_stdout_as_it_arrives(env: dict[str, str]) -> None:
    handle = MockServer.start_in_thread(MockConfig(tokens_per_s=8))
    try:
        words = " ".join(f"w{i}" for i in range(12))
        process = subprocess.Popen(
            [sys.executable, "-m", "workbench", "chat", "--url", handle.base_url, "--model", "mock-model", words],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        first = process.stdout.read1(100)  # type: ignore[union-attr]
        still_running = process.poll() is None  # the first words came before the reply was over
        rest, stderr = process.communicate(timeout=30)
    finally:
        handle.stop()
    assert first and still_running
    assert (first + rest).decode() == f"You said: {words}\n"
    assert process.returncode == 0 and b"200 OK" in stderr and b"tokens/s" in stderr


def test_no_stream_asks_for_one_whole_reply(env: dict[str, str], mock: MockThread) -> None:
    done = chat(env, *url_args(mock), "--no-stream", "--system", "be brief", "hello there")
    assert done.returncode == 0 and done.stdout == "You said: hello there\n"
    sent = mock.wait_for_requests(1)[-1]
    assert sent.stream is False and json.loads(sent.body)["messages"][0] == {"role": "system", "content": "be brief"}


def test_show_request_prints_the_exact_request_masked_then_the_timed_events(
    env: dict[str, str], mock: MockThread
) -> None:
    done = chat(env, *url_args(mock), "--show-request", "hi")
    out = done.stdout
    assert done.returncode == 0
    assert f"POST {mock.base_url}/chat/completions" in out and "Authorization: Bearer sk-…9f3a" in out
    assert '"messages":[{"role":"user","content":"hi"}]' in out
    assert "You said: hi" in out and "HTTP/1.1 200 OK" in out
    assert " ms] data: [DONE]" in out and "first token" in out
    assert KEY not in out + done.stderr


def test_format_json_prints_the_exchange_masked(env: dict[str, str], mock: MockThread) -> None:
    done = chat(env, *url_args(mock), "--format", "json", "hi")
    data = json.loads(done.stdout)
    assert done.returncode == 0 and data["status"] == 200 and data["failure"] is None
    assert data["events"][-1]["data"] == "[DONE]" and data["timings"]["first_token_ms"] is not None
    assert ["Authorization", "Bearer sk-…9f3a"] in data["request"]["headers"]
    assert KEY not in done.stdout + done.stderr


def test_a_profile_and_a_message_from_stdin(env: dict[str, str], mock: MockThread) -> None:
    store = ProfileStore(env["WORKBENCH_PROFILES"])
    store.save(Profile(name="local", base_url=mock.base_url, model="mock-model", auth="x-api-key", api_key_env=KEY_VAR))
    done = chat(env, "local", "-", stdin="from a pipe\n")
    assert done.returncode == 0 and done.stdout == "You said: from a pipe\n"
    assert mock.wait_for_requests(1)[-1].auth_header == "x-api-key"


def test_failures_in_a_subprocess_exit_1_with_one_sentence_and_no_traceback(
    env: dict[str, str], mock: MockThread
) -> None:
    mock.server.set_fault("stall")
    stalled = chat(env, *url_args(mock), "--timeout", "0.5", "one two")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = chat(env, "--url", f"http://127.0.0.1:{port}/v1", "--model", "m", "hi")
    unusable = chat(env, "hello")  # no target
    assert stalled.returncode == 1 and "No content token within 0.5 s" in stalled.stderr
    assert refused.returncode == 1 and f"Connection refused by 127.0.0.1:{port}" in refused.stderr
    assert unusable.returncode == 2 and "No target" in unusable.stderr
    for done in (stalled, refused, unusable):
        assert errors_in(done.stderr) == 1 and "hint: " in done.stderr


def errors_in(stderr: str) -> int:
    return sum(line.startswith("error: ") for line in stderr.splitlines())


# The remaining cases run the same `main()` in-process (conftest's run_workbench): same exit
# codes and wording, without a Python start-up each.


@pytest.mark.parametrize(
    ("fault", "args", "words"),
    [
        ("rate-limit", [], "429"),
        ("html-500", [], "not HTML"),
        ("drop-mid-stream", [], "closed mid-reply"),
        ("json-when-stream", [], "Expected a text/event-stream reply"),
        ("empty-content", [], "no content text"),
        ("redirect", [], "307"),
        ("mid-stream-error", [], "error event"),
    ],
)
def test_faults_exit_1_with_a_sentence_and_a_hint(run_workbench, env: dict[str, str], mock: MockThread, fault: str,
                                                  args: list[str], words: str) -> None:
    mock.server.set_fault(fault)
    done = run_workbench("chat", *url_args(mock), *args, "one two three four", env=env)
    assert done.exit_code == 1
    assert errors_in(done.stderr) == 1 and words in done.stderr and "hint: " in done.stderr
    assert KEY not in done.stdout + done.stderr


def test_dns_and_a_wrong_key_exit_1(run_workbench, env: dict[str, str], mock: MockThread) -> None:
    env["OTHER_KEY"] = "sk-not-the-right-one-0000"
    dns = run_workbench("chat", "--url", "http://endpoint.invalid/v1", "--model", "m", "hi", env=env)
    wrong = run_workbench("chat", "--url", mock.base_url, "--model", "mock-model", "--api-key-env", "OTHER_KEY", "hi",
                          env=env)
    assert dns.exit_code == 1 and "endpoint.invalid" in dns.stderr and "resolved" in dns.stderr
    assert wrong.exit_code == 1 and "401" in wrong.stderr and "sk-not-the-right-one-0000" not in wrong.stderr


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        ([], 2, "Missing MESSAGE"),
        (["--url", "http://127.0.0.1:1/v1", "hi"], 2, "needs --model"),
        (["--url", "127.0.0.1:1/v1", "--model", "m", "hi"], 2, "must start with http://"),
        (["--url", "http://127.0.0.1:1/v1", "--model", "m", "--api-key-env", "WB_UNSET_VAR", "hi"], 2,
         "WB_UNSET_VAR is not set"),
        (["--url", "http://127.0.0.1:1/v1", "--model", "m", "--auth", "bearer", "hi"], 2,
         "not taken on the command line"),
        (["a", "b", "c"], 2, "Too many arguments"),
        (["--url", "http://127.0.0.1:1/v1", "--model", "m", "   "], 2, "The message is empty"),
        (["no-such-profile", "hi"], 1, "No profile named 'no-such-profile'"),
    ],
)
def test_usage_errors(run_workbench, env: dict[str, str], args: list[str], code: int, words: str) -> None:
    done = run_workbench("chat", *args, env=env)
    assert done.exit_code == code and words in done.stderr and done.stdout == ""


def test_format_json_on_a_failure_still_prints_the_exchange_and_exits_1(run_workbench, env: dict[str, str],
                                                                        mock: MockThread) -> None:
    mock.server.set_fault("drop-mid-stream")
    done = run_workbench("chat", *url_args(mock), "--format", "json", "one two three four", env=env)
    data = json.loads(done.stdout)
    assert done.exit_code == 1 and errors_in(done.stderr) == 1
    assert data["failure"]["kind"] == "connection-reset" and data["events"] and data["status"] == 200


def test_an_endpoint_cannot_drive_the_terminal(run_workbench, tmp_path: Path) -> None:
    # A reply (and its raw SSE lines under --show-request) carrying ESC, BEL and NUL is printed
    # with those characters escaped; the words around them come through unchanged.
    replies = tmp_path / "replies.toml"
    replies.write_text('[[reply]]\nmatch = "colour"\nreply = "plain \\u001b[31mred\\u0007 \\u0000end"\n')
    with MockServer.start_in_thread(MockConfig(reply_file=str(replies))) as handle:
        for flags in ([], ["--no-stream"], ["--show-request"]):
            done = run_workbench("chat", "--url", handle.base_url, "--model", "m", *flags, "colour please")
            assert done.exit_code == 0, done.stderr
            assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\x00" not in done.stdout
            assert "plain \\x1b[31mred\\x07 \\x00end" in done.stdout.replace("\n", "")


def test_as_a_platform_sends_that_platforms_request(env: dict[str, str], mock: MockThread) -> None:
    done = chat(env, *url_args(mock), "--as", "vapi", "hello vapi")
    assert done.returncode == 0 and done.stdout == "You said: hello vapi\n"
    sent = mock.wait_for_requests(1)[-1]
    body = json.loads(sent.body)
    assert body["call"]["type"] == "inboundPhoneCall" and [t["function"]["name"] for t in body["tools"]]
    assert body["temperature"] == 0 and sent.stream is True and sent.auth_header == "authorization"


def test_no_stream_is_honoured_where_the_platform_lets_users_choose(env: dict[str, str], mock: MockThread) -> None:
    polyai = chat(env, *url_args(mock), "--as", "polyai", "--no-stream", "one")
    playai = chat(env, *url_args(mock), "--as", "playai", "--no-stream", "two")
    assert polyai.returncode == 0 and playai.returncode == 0
    first, second = mock.wait_for_requests(2)[-2:]
    assert first.stream is False and second.stream is True  # Play.ai always streams


def test_without_as_the_request_is_the_profiles_own(env: dict[str, str], mock: MockThread) -> None:
    done = chat(env, *url_args(mock), "plain")
    assert done.returncode == 0
    body = json.loads(mock.wait_for_requests(1)[-1].body)
    assert body == {"model": "mock-model", "messages": [{"role": "user", "content": "plain"}], "stream": True}


def test_an_unknown_platform_is_a_usage_error_naming_the_known_ones(run_workbench, env: dict[str, str]) -> None:
    done = run_workbench("chat", "--url", "http://127.0.0.1:1/v1", "--model", "m", "--as", "nope", "hi", env=env)
    assert done.exit_code == 2 and "unknown platform 'nope'" in done.stderr and "vapi" in done.stderr
