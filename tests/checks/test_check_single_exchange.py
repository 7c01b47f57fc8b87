"""Judging one recorded exchange (Inspect's findings, `workbench check --exchange FILE`).

Each exchange is recorded by the real client against the real mock over loopback, in a fault
mode or a refusal, and the findings are listed exactly (info aside): a false alarm fails as
surely as a missed defect.
"""

from __future__ import annotations

import json

import pytest

from workbench.checks.single import (
    auth_sent,
    exchange_report,
    judge_exchange,
    parse_exchange,
    platform_of,
    read_exchange,
)
from workbench.chat import shape_turn
from workbench.client import Client
from workbench.errors import UsageError
from workbench.exchange import Exchange
from workbench.mock import MockConfig, MockServer
from workbench.target import Target

KEY = "sk-single-exchange-0001"
E, W = "error", "warning"


@pytest.fixture(scope="module")
def mock():
    handle = MockServer.start_in_thread(MockConfig(port=0, api_key=KEY))
    yield handle
    handle.stop()


async def record(target: Target, *, stream: bool, label: str = "chat", fault: str | None = None,
                 server=None) -> Exchange:
    """One chat turn through the real client, as the TUI and `workbench chat` send it."""
    if server is not None:
        server.set_fault(fault)
    try:
        async with Client(target) as client:
            body = shape_turn(target, [{"role": "user", "content": "say something"}], stream=stream).body
            return await client.chat(body, label=label, raise_on_failure=False).run()
    finally:
        if server is not None:
            server.set_fault(None)


def keyed(mock, **changes) -> Target:
    return Target(mock.base_url, "mock-model", auth="bearer", api_key=KEY).with_(**changes)


def found(exchange: Exchange, platform: str = "openai") -> set[tuple[str, str]]:
    findings = judge_exchange(exchange, platform)
    for f in findings:
        assert f.message and f.hint, f"{f.id} must say what came and how to fix it"
        assert KEY not in f.message + f.hint
    return {(f.id, f.severity) for f in findings if f.severity != "info"}


# (fault, stream) -> the exact findings one exchange shows, as the OpenAI SDK would call.
FAULT_CASES = {
    ("no-done", True): {("stream.done-missing", W)},
    ("no-role", True): {("stream.role-missing", W)},
    ("no-role", False): {("schema.role-missing", W)},
    ("error-body-200", False): {("schema.error-body", E)},
    ("error-body-200", True): {("schema.error-body", E)},
    ("json-when-stream", True): {("stream.json-reply", E)},
    ("cumulative-deltas", True): {("stream.cumulative-deltas", E)},
    ("empty-content", False): {("schema.content-empty", E)},
    ("server-error", True): {("errors.server-error", E)},
    ("rate-limit", False): {("errors.rate-limited", E)},
}


@pytest.mark.parametrize(("fault", "stream"), sorted(FAULT_CASES), ids=str)
async def test_a_faulty_reply_gets_the_findings_a_user_would_see(mock, fault: str, stream: bool) -> None:
    exchange = await record(keyed(mock), stream=stream, fault=fault, server=mock.server)
    assert found(exchange) == FAULT_CASES[(fault, stream)]


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("platform", ["openai", "vapi", "polyai"])
async def test_a_correct_reply_has_no_findings(mock, platform: str, stream: bool) -> None:
    exchange = await record(keyed(mock), stream=stream)
    assert exchange.ok
    assert judge_exchange(exchange, platform) == []


async def test_no_key_and_a_wrong_key_are_told_apart_from_the_request_alone(mock) -> None:
    missing = await record(keyed(mock, auth="none", api_key=None), stream=True)
    wrong = await record(keyed(mock, api_key="sk-not-the-key-4242"), stream=True)
    as_x_api_key = await record(keyed(mock, auth="x-api-key", api_key="sk-not-the-key-4242"), stream=False)
    assert missing.status == wrong.status == 401
    assert found(missing) == {("auth.credential-required", E)}
    assert found(wrong) == {("auth.rejected", E)}
    [rejected] = judge_exchange(as_x_api_key, "polyai")
    assert rejected.id == "auth.rejected" and "x-api-key: <key>" in rejected.message
    assert "sk-not-the-key-4242" not in rejected.message
    assert (auth_sent(missing.request), auth_sent(wrong.request), auth_sent(as_x_api_key.request)) == (
        "none", "bearer", "x-api-key")


async def test_a_wrong_path_and_an_unreachable_endpoint_are_reachability_errors(mock) -> None:
    elsewhere = await record(keyed(mock, base_url=mock.base_url + "/api"), stream=True)
    doubled = await record(keyed(mock, base_url=mock.base_url + "/chat/completions"), stream=False)
    assert elsewhere.status == 404 and found(elsewhere) == {("reachability.not-found", E)}
    assert found(doubled) == {("reachability.double-chat-path", E)}

    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    refused = await record(Target(f"http://127.0.0.1:{port}/v1", "mock-model"), stream=True)
    assert found(refused) == {("reachability.refused", E)}


async def test_a_stopped_exchange_is_not_judged(mock) -> None:
    target = keyed(mock)
    async with Client(target) as client:
        call = client.chat(shape_turn(target, [{"role": "user", "content": "x"}], stream=True).body,
                           raise_on_failure=False)
        async for _ in call:
            call.cancel()
            break
        exchange = await call.run()
    assert exchange.cancelled
    assert judge_exchange(exchange) == []
    assert exchange_report(exchange).probes[0].status == "skipped"


async def test_the_platform_comes_from_the_label_and_an_unknown_one_is_refused(mock) -> None:
    plain = await record(keyed(mock), stream=False, label="chat as polyai")
    assert platform_of(plain) == "polyai"
    assert exchange_report(plain).platform == "polyai"
    assert judge_exchange(plain, "polyai") == []
    assert platform_of(Exchange.from_dict({**plain.to_dict(), "label": "chat as nowhere"})) == "openai"
    assert platform_of(Exchange.from_dict({**plain.to_dict(), "label": "check: chat"})) == "openai"
    with pytest.raises(UsageError, match="unknown platform 'nowhere'"):
        judge_exchange(plain, "nowhere")


async def test_a_saved_exchange_is_judged_the_same_after_the_round_trip(mock, tmp_path) -> None:
    exchange = await record(keyed(mock), stream=True, fault="no-done", server=mock.server)
    path = tmp_path / "exchange.json"
    path.write_text(json.dumps(exchange.to_dict(), indent=2), encoding="utf-8")
    again = read_exchange(path)
    assert judge_exchange(again) == judge_exchange(exchange)
    report = exchange_report(again)
    assert report.compatible and report.ids == ["stream.done-missing"]
    assert report.target == mock.base_url and report.metrics["streamed"] is True
    assert report.metrics["ttft_ms"] is not None


@pytest.mark.parametrize(("text", "said"), [
    ("", "got text that is not JSON"),
    ("[1, 2]", "expected a saved exchange (an object with request, status, body, …), got [1, 2]."),
    ('{"status": 200}', "got an object without a request object in it."),
    ('{"request": {"url": "http://x/v1/chat/completions"}}', "not a saved exchange (missing 'method')"),
    ("[" * 100_000, "nested too deep"),
    ('{"request": {"method": "POST", "url": 7, "headers": [], "body": ""}, "status": "200"}',
     "request.url and request.method must be text and status a whole number or null; got url 7, status '200'"),
])
def test_a_file_that_is_not_a_saved_exchange_gets_a_sentence(text: str, said: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_exchange(text, "saved.json")
    assert said in caught.value.message and caught.value.message.startswith("saved.json: ")
    assert "chat PROFILE MESSAGE --format json" in caught.value.hint


def test_a_missing_file_gets_a_sentence(tmp_path) -> None:
    with pytest.raises(UsageError, match=r"Could not read the exchange file .*nothing.json: No such file"):
        read_exchange(tmp_path / "nothing.json")


# ---- workbench check --exchange FILE ---------------------------------------------------------


async def test_check_exchange_prints_the_report_and_exits_by_the_verdict(mock, tmp_path, run_workbench) -> None:
    broken = await record(keyed(mock), stream=True, fault="json-when-stream", server=mock.server,
                          label="chat as vapi")
    good = await record(keyed(mock), stream=True)
    (tmp_path / "broken.json").write_text(json.dumps(broken.to_dict()), encoding="utf-8")
    (tmp_path / "good.json").write_text(json.dumps(good.to_dict()), encoding="utf-8")

    run = run_workbench("check", "--exchange", str(tmp_path / "broken.json"), "--format", "json")
    assert run.exit_code == 1, run.stderr
    data = json.loads(run.stdout)
    assert data["platform"] == "vapi"  # from the label: it was sent as Vapi
    assert data["compatible"] is False and [f["id"] for f in data["findings"]] == ["stream.json-reply"]
    assert set(data) == {"compatible", "platform", "target", "findings", "metrics"}

    run = run_workbench("check", "--exchange", "-", "--as", "playai", input=json.dumps(good.to_dict()))
    assert run.exit_code == 0, run.stderr
    assert "One saved exchange, chat: POST" in run.stdout and "Compatible with Play.ai" in run.stdout
    assert KEY not in run.stdout


def test_check_exchange_refuses_options_that_call_an_endpoint(tmp_path, run_workbench) -> None:
    run = run_workbench("check", "--exchange", str(tmp_path / "x.json"), "--url", "http://127.0.0.1:9/v1")
    assert run.exit_code == 2
    assert "--exchange judges a saved exchange and calls nothing, so --url has no use with it." in run.stderr
    run = run_workbench("check", "--exchange", str(tmp_path / "missing.json"))
    assert run.exit_code == 2 and "Could not read the exchange file" in run.stderr
    assert "Traceback" not in run.stderr
