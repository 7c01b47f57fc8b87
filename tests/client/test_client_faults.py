"""Every fault the mock can inject, through the real client: a typed, worded failure, or a recorded defect.

Each fault has its expectation below; a fault added to the mock without one fails
`test_every_fault_has_an_expectation`, so none slips through unjudged.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from workbench import errors, wire
from workbench.chat_output import render_response
from workbench.chat import shape_turn
from workbench.client import Client
from workbench.exchange import Exchange
from workbench.mock import FAULTS, MockConfig, MockServer
from workbench.target import Target, Timeouts

PROXY_VARS = (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
)
KEY = "sk-fault-canary-0123456789abcd"
ECHO = "You said: one two three four five"
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def finish_reasons(exchange: Exchange) -> list[object]:
    return [
        choice.get("finish_reason")
        for e in exchange.events
        if isinstance(e.parsed, dict)
        for choice in e.parsed.get("choices") or []
    ]


def failed(kind: type[errors.EndpointError], *words: str) -> Callable[[Exchange, errors.EndpointError | None], None]:
    def check(exchange: Exchange, raised: errors.EndpointError | None) -> None:
        assert type(raised) is kind, f"expected {kind.__name__}, got {raised!r}"
        assert exchange.failure is not None and exchange.failure.kind == kind.kind
        assert raised.hint and exchange.failure.message == raised.message
        for word in words:
            assert word in raised.message
    return check


def clean(extra: Callable[[Exchange], None]) -> Callable[[Exchange, errors.EndpointError | None], None]:
    """No failure: the exchange completed, and `extra` finds the defect (or its absence) in the record."""
    def check(exchange: Exchange, raised: errors.EndpointError | None) -> None:
        assert raised is None and exchange.failure is None, exchange.failure
        outcome = extra(exchange)  # helpers assert inside and return None; lambdas return their verdict
        assert outcome is None or outcome, "the recorded exchange does not show what the fault does"
    return check


def _status(code: int, content_type: str) -> Callable[[Exchange], None]:
    def check(exchange: Exchange) -> None:
        assert exchange.status == code and exchange.content_type == content_type
        assert exchange.body  # the error body is recorded for the checks
        assert exchange.problem() is not None
    return check


def _not_sse_body(exchange: Exchange) -> None:
    assert exchange.body and not exchange.is_sse


def _redirect(exchange: Exchange) -> None:
    assert exchange.status == 307
    assert exchange.header("location").endswith("/moved/v1/chat/completions")
    assert exchange.request.url.endswith("/v1/chat/completions")  # not followed
    assert "307" in exchange.problem().message


def _events_ok(exchange: Exchange) -> None:
    assert exchange.reply_text == ECHO and exchange.events[-1].is_done


EXPECT: dict[str, Callable[[Exchange, errors.EndpointError | None], None]] = {
    "rate-limit": clean(_status(429, "application/json")),
    "server-error": clean(_status(500, "application/json")),
    "html-500": clean(_status(500, "text/html")),
    "error-body-200": failed(errors.NotSSE, "error object"),
    "json-when-stream": failed(errors.NotSSE, "application/json", "chat.completion"),
    "wrong-content-type": failed(errors.NotSSE, "application/json", "data: "),
    "ndjson": failed(errors.NotSSE, "application/x-ndjson"),
    "single-newline": clean(lambda x: (x.reply_text == "" and x.events[0].json_error and x.problem())),
    "invalid-json-chunk": clean(lambda x: sum(bool(e.json_error) for e in x.events) == 1 and x.reply_text != ECHO),
    "no-done": clean(lambda x: x.reply_text == ECHO and not any(e.is_done for e in x.events)),
    "no-finish-reason": clean(lambda x: x.reply_text == ECHO and not any(finish_reasons(x))),
    "empty-finish-reason": clean(lambda x: "" in finish_reasons(x)),
    "nonstandard-finish-reason": clean(lambda x: "end_turn" in finish_reasons(x)),
    "no-role": clean(lambda x: "role" not in x.events[0].parsed["choices"][0]["delta"]),
    "missing-fields": clean(lambda x: x.reply_text == ECHO and "id" not in x.events[0].parsed),
    "drop-mid-stream": failed(errors.ConnectionReset, "mid-reply"),
    "stall": failed(errors.FirstTokenTimeout, "0.5 s"),
    "slow-first-token": clean(lambda x: x.reply_text == ECHO and x.timings.first_token_ms >= 250),
    "cumulative-deltas": clean(lambda x: x.reply_text.count("You said:") > 1),
    "no-space": clean(lambda x: _events_ok(x) or x.events[0].raw.startswith("data:{")),
    "keep-alive": clean(lambda x: _events_ok(x) or any(e.comment_only for e in x.events)),
    "crlf": clean(lambda x: _events_ok(x) or b"\r\n" in x.body),
    "empty-choices-chunk": clean(lambda x: _events_ok(x)
                                 or any(e.parsed and e.parsed["choices"] == [] for e in x.events)),
    "mid-stream-error": clean(lambda x: "error" in x.events[-1].parsed and "error event" in x.problem().message),
    "tool-call-no-index": clean(
        lambda x: "index" not in json.dumps(x.events[1].parsed["choices"][0]["delta"]["tool_calls"][0])),
    "arguments-object": clean(
        lambda x: isinstance(x.events[1].parsed["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"],
                             dict)),
    "empty-content": clean(lambda x: x.reply_text == "" and "no content text" in x.problem().message),
    "null-content": clean(lambda x: x.reply_text == "" and x.problem() is not None),
    "reject-developer-role": clean(_status(400, "application/json")),
    "reject-array-content": clean(_status(400, "application/json")),
    "ignore-x-api-key": clean(lambda x: x.status == 401 and x.problem() is not None),
    "redirect": clean(_redirect),
    "no-usage-consistency": clean(lambda x: any(e.parsed and e.parsed.get("usage") for e in x.events)),
}


def request_body(fault: str) -> dict:
    target = Target(base_url="http://unused", model="mock-model")
    messages = [wire.message("user", "one two three four five")]
    if fault == "reject-developer-role":
        messages.insert(0, wire.message("developer", "be brief"))
    if fault == "reject-array-content":
        messages = [{"role": "user", "content": [{"type": "text", "text": "one two three four five"}]}]
    body = shape_turn(target, messages, stream=True).body
    if fault in ("tool-call-no-index", "arguments-object"):
        body["tools"] = TOOLS
    return body


def test_every_fault_has_an_expectation() -> None:
    assert set(FAULTS) == set(EXPECT)


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_fault_gives_a_typed_failure_or_a_recorded_defect(fault: str) -> None:
    config = MockConfig(fault=fault, api_key=KEY, stall_s=30, slow_first_token_s=0.3)
    auth = "x-api-key" if fault == "ignore-x-api-key" else "bearer"
    async with MockServer(config) as server:
        target = Target(base_url=server.base_url, model="mock-model", auth=auth, api_key=KEY,
                        timeouts=Timeouts(connect=2, read=5, first_token=0.5))
        async with Client(target) as client:
            call = client.chat(request_body(fault))
            raised: errors.EndpointError | None = None
            try:
                await call.run()
            except errors.EndpointError as error:
                raised = error
    exchange = call.exchange
    EXPECT[fault](exchange, raised)
    assert exchange.status is not None and exchange.timings.total_ms is not None
    # Whatever happened, the record renders and serialises with the key masked.
    assert KEY not in json.dumps(exchange.to_dict()) and KEY not in render_response(exchange)
    assert Exchange.from_dict(json.loads(json.dumps(exchange.to_dict()))).to_dict() == exchange.to_dict()


async def test_stream_only_faults_leave_a_non_streamed_request_alone() -> None:
    async with MockServer(MockConfig(fault="no-done")) as server:
        target = Target(base_url=server.base_url, model="mock-model")
        async with Client(target) as client:
            exchange = await client.chat(shape_turn(target, [wire.message("user", "hi")], stream=False).body).run()
    assert exchange.ok and exchange.reply_text == "You said: hi"
