"""Every fault of the mock, over raw httpx: the exact wire shape each one produces.

Each fault has its own check in EXPECT (streamed request) and, where the fault also shapes
whole replies, in EXPECT_JSON (non-streamed request); a fault added to FAULTS without one
fails `test_every_fault_has_a_wire_check`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from workbench import wire
from workbench.mock import FAULTS, STREAM_ONLY, MockConfig, MockServer

KEY = "sk-faults-0123456789abcdef"
ECHO = "You said: hello there world"  # five deltas: "You ", "said: ", "hello ", "there ", "world"
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]


pytestmark = pytest.mark.usefixtures("no_proxy")


@dataclass
class Wire:
    """What came back, byte for byte, and when each piece arrived."""

    status: int
    headers: httpx.Headers
    raw: bytes
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)  # (seconds since the request, bytes)
    dropped: bool = False  # the connection closed before the promised body was complete

    @property
    def text(self) -> str:
        return self.raw.decode()

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def events(self) -> list[wire.SSEEvent]:
        return wire.parse_sse(self.text)

    @property
    def chunks(self) -> list[dict[str, Any]]:
        return [json.loads(e.data) for e in self.events if e.data is not None and not e.is_done]

    @property
    def deltas(self) -> list[dict[str, Any]]:
        return [c["choices"][0]["delta"] for c in self.chunks if c.get("choices")]

    @property
    def joined(self) -> str:
        return "".join(wire.delta_text(c) for c in self.chunks)

    @property
    def finish_reasons(self) -> list[Any]:
        return [c["choices"][0].get("finish_reason") for c in self.chunks if c.get("choices")]

    @property
    def has_done(self) -> bool:
        return any(e.is_done for e in self.events)

    def json(self) -> Any:
        return json.loads(self.raw)


def body(stream: bool, **extra: Any) -> dict[str, Any]:
    messages = extra.pop("messages", [{"role": "user", "content": "hello there world"}])
    return {"model": "mock-model", "messages": messages, "stream": stream, **extra}


async def call(client: httpx.AsyncClient, server: MockServer, payload: dict[str, Any], *,
               headers: dict[str, str] | None = None, follow: bool = False) -> Wire:
    """POST chat/completions and keep every byte with its arrival time, even when the line drops."""
    started = time.perf_counter()
    request = client.build_request("POST", server.base_url + "/chat/completions", json=payload, headers=headers)
    response = await client.send(request, stream=True, follow_redirects=follow)
    result = Wire(response.status_code, response.headers, b"")
    try:
        async for piece in response.aiter_raw():
            result.arrivals.append((time.perf_counter() - started, piece))
            result.raw += piece
    except httpx.RemoteProtocolError:
        result.dropped = True
    finally:
        await response.aclose()
    return result


def sse_ok(w: Wire) -> None:
    assert w.status == 200 and w.content_type.startswith("text/event-stream")


# ---- checks for a streamed request ----------------------------------------------------------------


def rate_limit(w: Wire) -> None:
    assert w.status == 429 and w.headers["retry-after"] == "1"
    error = w.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == "rate_limit_exceeded" and error["type"] == "requests"


def server_error(w: Wire) -> None:
    assert w.status == 500 and w.content_type == "application/json"
    assert w.json()["error"]["type"] == "server_error" and w.json()["error"]["message"]


def error_body_200(w: Wire) -> None:
    assert w.status == 200 and w.content_type == "application/json"
    assert set(w.json()) == {"error"} and w.json()["error"]["type"] == "server_error"


def html_500(w: Wire) -> None:
    assert w.status == 500 and w.content_type.startswith("text/html")
    assert w.text.startswith("<!doctype html>") and "Traceback (most recent call last)" in w.text


def json_when_stream(w: Wire) -> None:
    assert w.status == 200 and w.content_type == "application/json"
    reply = w.json()
    assert reply["object"] == "chat.completion" and reply["choices"][0]["message"]["content"] == ECHO


def wrong_content_type(w: Wire) -> None:
    assert w.status == 200 and w.content_type == "application/json"
    assert w.joined == ECHO and w.has_done  # a correct SSE body under the wrong label


def single_newline(w: Wire) -> None:
    sse_ok(w)
    assert "\n\n" not in w.text and w.text.count("\ndata: ") == len(w.text.splitlines()) - 1
    assert all(line.startswith("data: ") for line in w.text.splitlines())
    assert len(w.events) == 1  # to a spec parser it is one event with every line's data joined


def invalid_json_chunk(w: Wire) -> None:
    sse_ok(w)
    bad = []
    for event in w.events:
        if event.data is None or event.is_done:
            continue
        try:
            json.loads(event.data)
        except json.JSONDecodeError:
            bad.append(event.data)
    assert len(bad) == 1 and bad[0].startswith('{"id":"chatcmpl-')
    good = [json.loads(e.data) for e in w.events if e.data and not e.is_done and e.data not in bad]
    assert "".join(wire.delta_text(c) for c in good) == "You hello there world"  # "said: " was in the broken one
    assert w.has_done


def no_done(w: Wire) -> None:
    sse_ok(w)
    assert not w.has_done and "[DONE]" not in w.text
    assert w.joined == ECHO and w.finish_reasons[-1] == "stop"


def no_finish_reason(w: Wire) -> None:
    sse_ok(w)
    assert set(w.finish_reasons) == {None} and w.joined == ECHO and w.has_done


def empty_finish_reason(w: Wire) -> None:
    sse_ok(w)
    assert w.finish_reasons[-1] == "" and w.joined == ECHO


def nonstandard_finish_reason(w: Wire) -> None:
    sse_ok(w)
    assert w.finish_reasons[-1] == "end_turn" and "end_turn" not in wire.FINISH_REASONS


def no_role(w: Wire) -> None:
    sse_ok(w)
    assert all("role" not in d for d in w.deltas)
    assert w.deltas[0] == {"content": "You "} and w.joined == ECHO


def missing_fields(w: Wire) -> None:
    sse_ok(w)
    assert w.chunks and all(not {"id", "object", "created"} & set(c) for c in w.chunks)
    assert w.joined == ECHO and w.has_done


def drop_mid_stream(w: Wire) -> None:
    assert w.status == 200 and w.dropped
    assert w.deltas[0]["role"] == "assistant"
    assert w.joined == "You said: "  # the role chunk and two content chunks, then the line goes dead
    assert not w.has_done and set(w.finish_reasons) == {None}


def stall(w: Wire) -> None:
    sse_ok(w)
    first = w.arrivals[0][1].decode()
    assert '"role":"assistant"' in first and '"content":"You "' not in first  # the role chunk came alone
    content_at = next(t for t, piece in w.arrivals if b'"content":"You "' in piece)
    assert content_at - w.arrivals[0][0] >= 0.3  # stall_s is 0.4 in these tests; sleep never ends early by 0.1 s
    assert w.joined == ECHO and w.has_done  # and then it goes on


def slow_first_token(w: Wire) -> None:
    sse_ok(w)
    content_at = next(t for t, piece in w.arrivals if b'"content":"You "' in piece)
    assert content_at >= 0.25  # slow_first_token_s is 0.3 here, and ttft 0
    assert w.joined == ECHO


def cumulative_deltas(w: Wire) -> None:
    sse_ok(w)
    texts = [d["content"] for d in w.deltas if d.get("content")]
    assert texts == ["You ", "You said: ", "You said: hello ", "You said: hello there ", ECHO]


def ndjson(w: Wire) -> None:
    assert w.status == 200 and w.content_type == "application/x-ndjson"
    lines = w.text.splitlines()
    assert lines and all(not line.startswith("data:") for line in lines) and "[DONE]" not in w.text
    chunks = [json.loads(line) for line in lines]
    assert "".join(wire.delta_text(c) for c in chunks) == ECHO
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def no_space(w: Wire) -> None:
    sse_ok(w)
    assert "data:{" in w.text and "data: " not in w.text
    assert w.joined == ECHO and w.has_done and w.finish_reasons[-1] == "stop"


def keep_alive(w: Wire) -> None:
    sse_ok(w)
    comments = [e for e in w.events if e.is_comment_only]
    assert comments and all(e.comments == ["keep-alive"] for e in comments)
    assert w.joined == ECHO and w.has_done


def crlf(w: Wire) -> None:
    sse_ok(w)
    assert "\r\n\r\n" in w.text and w.text.count("\n") == w.text.count("\r\n")
    assert w.joined == ECHO and w.has_done


def empty_choices_chunk(w: Wire) -> None:
    sse_ok(w)
    empties = [i for i, c in enumerate(w.chunks) if c["choices"] == []]
    assert len(empties) == 1 and empties[0] < len(w.chunks) - 1  # mid-stream, not the usage chunk at the end
    assert w.chunks[empties[0]]["object"] == "chat.completion.chunk" and "usage" in w.chunks[empties[0]]
    assert w.joined == ECHO and w.has_done


def mid_stream_error(w: Wire) -> None:
    sse_ok(w)
    errors = [c for c in w.chunks if "error" in c]
    assert len(errors) == 1 and w.chunks[-1] == errors[0]
    assert set(errors[0]["error"]) == {"message", "type", "param", "code"}
    assert w.joined == "You said: " and not w.has_done


def tool_call_no_index(w: Wire) -> None:
    sse_ok(w)
    calls = [d["tool_calls"][0] for d in w.deltas if "tool_calls" in d]
    assert len(calls) == 1 and "index" not in calls[0]
    assert calls[0]["function"]["name"] == "lookup"
    assert json.loads(calls[0]["function"]["arguments"]) == {"text": ECHO}
    assert w.finish_reasons[-1] == "tool_calls"


def arguments_object(w: Wire) -> None:
    sse_ok(w)
    calls = [d["tool_calls"][0] for d in w.deltas if "tool_calls" in d]
    assert len(calls) == 1 and calls[0]["index"] == 0
    assert calls[0]["function"]["arguments"] == {"text": ECHO}  # an object, not a JSON string


def empty_content(w: Wire) -> None:
    sse_ok(w)
    assert [d for d in w.deltas if d.get("content")] == []
    assert w.deltas[0] == {"role": "assistant", "content": ""} and w.finish_reasons[-1] == "stop" and w.has_done


def null_content(w: Wire) -> None:
    sse_ok(w)
    contents = [d.get("content", "absent") for d in w.deltas if "role" not in d and d]
    assert len(contents) == 5 and set(contents) == {None}
    assert w.joined == "" and w.has_done


def reject_developer_role(w: Wire) -> None:
    assert w.status == 400
    error = w.json()["error"]
    assert error["param"] == "messages[0].role" and "'developer'" in error["message"]


def reject_array_content(w: Wire) -> None:
    assert w.status == 400
    error = w.json()["error"]
    assert error["param"] == "messages[0].content" and "array" in error["message"]


def ignore_x_api_key(w: Wire) -> None:
    assert w.status == 401
    assert w.json()["error"]["code"] == "invalid_api_key" and "Bearer" in w.json()["error"]["message"]


def redirect(w: Wire) -> None:
    assert w.status == 307 and w.headers["location"] == "/moved/v1/chat/completions"


def no_usage_consistency(w: Wire) -> None:
    sse_ok(w)
    usage = w.chunks[-1]["usage"]  # sent although the request did not ask for usage
    assert w.chunks[-1]["choices"] == []
    assert usage["total_tokens"] != usage["prompt_tokens"] + usage["completion_tokens"]


EXPECT: dict[str, Callable[[Wire], None]] = {
    "rate-limit": rate_limit,
    "server-error": server_error,
    "error-body-200": error_body_200,
    "html-500": html_500,
    "json-when-stream": json_when_stream,
    "wrong-content-type": wrong_content_type,
    "single-newline": single_newline,
    "invalid-json-chunk": invalid_json_chunk,
    "no-done": no_done,
    "no-finish-reason": no_finish_reason,
    "empty-finish-reason": empty_finish_reason,
    "nonstandard-finish-reason": nonstandard_finish_reason,
    "no-role": no_role,
    "missing-fields": missing_fields,
    "drop-mid-stream": drop_mid_stream,
    "stall": stall,
    "slow-first-token": slow_first_token,
    "cumulative-deltas": cumulative_deltas,
    "ndjson": ndjson,
    "no-space": no_space,
    "keep-alive": keep_alive,
    "crlf": crlf,
    "empty-choices-chunk": empty_choices_chunk,
    "mid-stream-error": mid_stream_error,
    "tool-call-no-index": tool_call_no_index,
    "arguments-object": arguments_object,
    "empty-content": empty_content,
    "null-content": null_content,
    "reject-developer-role": reject_developer_role,
    "reject-array-content": reject_array_content,
    "ignore-x-api-key": ignore_x_api_key,
    "redirect": redirect,
    "no-usage-consistency": no_usage_consistency,
}


# ---- checks for a non-streamed request (faults that shape whole replies) ----------------------------


def message_of(w: Wire) -> dict[str, Any]:
    assert w.status == 200 and w.content_type == "application/json"
    return w.json()["choices"][0]["message"]


def json_drop(w: Wire) -> None:
    assert w.status == 200 and w.dropped
    promised = int(w.headers["content-length"])
    assert len(w.raw) == promised // 2 and w.text.startswith('{"id":"chatcmpl-')


EXPECT_JSON: dict[str, Callable[[Wire], None]] = {
    "rate-limit": rate_limit,
    "server-error": server_error,
    "error-body-200": error_body_200,
    "html-500": html_500,
    "no-finish-reason": lambda w: w.json()["choices"][0]["finish_reason"] is None,
    "empty-finish-reason": lambda w: w.json()["choices"][0]["finish_reason"] == "",
    "nonstandard-finish-reason": lambda w: w.json()["choices"][0]["finish_reason"] == "end_turn",
    "no-role": lambda w: message_of(w) == {"content": ECHO},
    "missing-fields": lambda w: not {"id", "object", "created"} & set(w.json()) and "choices" in w.json(),
    "drop-mid-stream": json_drop,
    "stall": lambda w: message_of(w)["content"] == ECHO and w.arrivals[0][0] >= 0.3,
    "slow-first-token": lambda w: message_of(w)["content"] == ECHO and w.arrivals[0][0] >= 0.25,
    "arguments-object": lambda w: message_of(w)["content"] is None
    and message_of(w)["tool_calls"][0]["function"]["arguments"] == {"text": ECHO}
    and "index" not in message_of(w)["tool_calls"][0]
    and w.json()["choices"][0]["finish_reason"] == "tool_calls",
    "empty-content": lambda w: message_of(w) == {"role": "assistant", "content": ""},
    "null-content": lambda w: message_of(w) == {"role": "assistant", "content": None},
    "reject-developer-role": reject_developer_role,
    "reject-array-content": reject_array_content,
    "ignore-x-api-key": ignore_x_api_key,
    "redirect": redirect,
    "no-usage-consistency": lambda w: w.json()["usage"]["total_tokens"]
    != w.json()["usage"]["prompt_tokens"] + w.json()["usage"]["completion_tokens"],
}


def request_for(fault: str, stream: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The request that shows the fault: the triggering message shape, the header it ignores."""
    messages = [{"role": "user", "content": "hello there world"}]
    if fault == "reject-developer-role":
        messages = [{"role": "developer", "content": "Be brief."}, *messages]
    if fault == "reject-array-content":
        messages = [{"role": "user", "content": [{"type": "text", "text": "hello there world"}]}]
    extra: dict[str, Any] = {"tools": TOOLS} if fault in ("tool-call-no-index", "arguments-object") else {}
    headers = {"x-api-key": KEY} if fault == "ignore-x-api-key" else {"authorization": f"Bearer {KEY}"}
    return body(stream, messages=messages, **extra), headers


def config_for(fault: str) -> MockConfig:
    return MockConfig(fault=fault, api_key=KEY, stall_s=0.4, slow_first_token_s=0.3)


def test_every_fault_has_a_wire_check() -> None:
    assert set(EXPECT) == set(FAULTS)
    assert set(EXPECT_JSON) | STREAM_ONLY == set(FAULTS) and not set(EXPECT_JSON) & STREAM_ONLY


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_fault_on_a_streamed_request(fault: str, loopback_http: httpx.AsyncClient) -> None:
    payload, headers = request_for(fault, stream=True)
    async with MockServer(config_for(fault)) as server:
        result = await call(loopback_http, server, payload, headers=headers)
        EXPECT[fault](result)
        assert server.requests[-1].fault == fault  # the log says which fault shaped the reply


@pytest.mark.parametrize("fault", sorted(EXPECT_JSON))
async def test_fault_on_a_non_streamed_request(fault: str, loopback_http: httpx.AsyncClient) -> None:
    payload, headers = request_for(fault, stream=False)
    async with MockServer(config_for(fault)) as server:
        result = await call(loopback_http, server, payload, headers=headers)
        outcome = EXPECT_JSON[fault](result)
        assert outcome is None or outcome is True, f"{fault}: {result.text}"
        assert server.requests[-1].fault == fault


@pytest.mark.parametrize("fault", sorted(STREAM_ONLY))
async def test_stream_only_faults_leave_a_non_streamed_request_alone(
    fault: str, loopback_http: httpx.AsyncClient
) -> None:
    payload, headers = request_for(fault, stream=False)
    payload.pop("tools", None)
    async with MockServer(config_for(fault)) as server:
        result = await call(loopback_http, server, payload, headers=headers)
        assert message_of(result) == {"role": "assistant", "content": ECHO}
        assert server.requests[-1].fault is None


@pytest.mark.parametrize("fault", ["reject-developer-role", "reject-array-content"])
async def test_reject_faults_pass_requests_without_the_rejected_shape(
    fault: str, loopback_http: httpx.AsyncClient
) -> None:
    async with MockServer(config_for(fault)) as server:
        result = await call(loopback_http, server, body(True), headers={"authorization": f"Bearer {KEY}"})
        assert result.joined == ECHO and server.requests[-1].fault is None


async def test_ignore_x_api_key_still_takes_bearer(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(config_for("ignore-x-api-key")) as server:
        result = await call(loopback_http, server, body(False), headers={"authorization": f"Bearer {KEY}"})
        assert message_of(result)["content"] == ECHO


async def test_redirect_leads_to_a_path_that_answers_normally(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(config_for("redirect")) as server:
        result = await call(loopback_http, server, body(True), headers={"authorization": f"Bearer {KEY}"}, follow=True)
        assert result.joined == ECHO and result.has_done
        assert [(r.path, r.status) for r in server.requests] == [
            ("/v1/chat/completions", 307), ("/moved/v1/chat/completions", 200)]


async def test_set_fault_switches_at_run_time_and_back(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig()) as server:
        assert (await call(loopback_http, server, body(True))).has_done
        server.set_fault("no-done")
        assert server.fault == "no-done"
        assert not (await call(loopback_http, server, body(True))).has_done
        server.set_fault(None)
        assert (await call(loopback_http, server, body(True))).has_done


async def test_fault_rate_with_a_seed_hits_the_same_requests_every_run(loopback_http: httpx.AsyncClient) -> None:
    def pattern_of(server: MockServer) -> list[int]:
        return [r.status for r in server.requests]

    runs = []
    for _ in range(2):
        async with MockServer(MockConfig(fault="server-error", fault_rate=0.5, seed=7)) as server:
            for _ in range(16):
                await call(loopback_http, server, body(False))
            runs.append(pattern_of(server))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}  # some hit, some not: a share, not all or none
    async with MockServer(MockConfig(fault="server-error", fault_rate=0.0)) as server:
        for _ in range(4):
            await call(loopback_http, server, body(False))
        assert pattern_of(server) == [200] * 4
