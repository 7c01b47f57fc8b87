"""The check's rules as pure functions over hand-built Exchanges: exact, and not over-strict."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from workbench import wire
from workbench.checks.findings import Report, finding
from workbench.checks.judging import Judging
from workbench.checks.rules import errors, latency, schema, stream
from workbench.exchange import Exchange, RecordedRequest, TimedEvent, Timings
from workbench.platforms import get_platform
from workbench.target import Target

TARGET = Target("http://127.0.0.1:8000/v1", "m")
CHUNK_ID = "chatcmpl-abc"


def exchange(body: bytes | str, content_type: str = wire.SSE_CONTENT_TYPE, status: int = 200, **timings) -> Exchange:
    raw = body.encode() if isinstance(body, str) else body
    return Exchange(request=RecordedRequest("POST", TARGET.chat_url, []), status=status,
                    response_headers=[("Content-Type", content_type)], body=raw, timings=Timings(**timings))


def chunk(delta: dict, finish: str | None = None) -> dict:
    return wire.chunk(CHUNK_ID, "m", 1700000000, delta, finish)


def good_chunks() -> list[dict]:
    return [chunk({"role": "assistant", "content": ""}), chunk({"content": "Hello"}), chunk({"content": " there"}),
            chunk({}, "stop")]


def sse(objs: list, *, sep: str = "\n\n", prefix: str = "data: ", done: bool = True) -> str:
    parts = [prefix + (o if isinstance(o, str) else wire.dumps(o)) + sep for o in objs]
    if done:
        parts.append(prefix + "[DONE]" + sep)
    return "".join(parts)


def ids(findings) -> set[tuple[str, str]]:
    return {(f.id, f.severity) for f in findings}


def ctx(platform: str = "vapi", **kw) -> Judging:
    return Judging(get_platform(platform), TARGET, stream=True, **kw)


@pytest.mark.parametrize("body", [
    sse(good_chunks()),
    sse(good_chunks(), prefix="data:"),  # no space after the colon: valid SSE
    sse(good_chunks(), sep="\r\n\r\n"),  # CRLF
    ": keep-alive\n\n" + sse(good_chunks()).replace("\n\ndata", "\n\n: ping\n\ndata"),  # comments
    "event: message\nid: 1\n" + sse(good_chunks()),  # other SSE fields
], ids=["plain", "no-space", "crlf", "keep-alive", "fields"])
def test_valid_sse_variants_are_not_flagged(body: str) -> None:
    assert stream.judge_stream(exchange(body), ctx()) == []


def test_usage_chunk_asked_for_is_info_and_unasked_is_a_warning() -> None:
    usage = wire.usage_chunk(CHUNK_ID, "m", 1700000000, wire.usage(3, 2))
    asked = stream.judge_stream(exchange(sse(good_chunks() + [usage])), ctx(include_usage=True))
    assert ids(asked) == {("stream.empty-choices", "info")}
    unasked = stream.judge_stream(exchange(sse(good_chunks() + [usage])), ctx())
    assert ids(unasked) == {("stream.empty-choices", "warning")}


def test_single_newline_events_are_a_framing_error() -> None:
    found = stream.judge_stream(exchange(sse(good_chunks(), sep="\n")), ctx())
    assert ids(found) == {("stream.framing", "error")}


def test_json_spread_over_data_lines_is_valid() -> None:
    spread = "".join("data: " + json.dumps(c, indent=1).replace("\n", "\ndata: ") + "\n\n" for c in good_chunks())
    assert stream.judge_stream(exchange(spread + "data: [DONE]\n\n"), ctx()) == []


def test_cumulative_deltas_and_missing_role() -> None:
    body = sse([chunk({"content": "Hel"}), chunk({"content": "Hello"}), chunk({"content": "Hello there"}),
                chunk({}, "stop")])
    assert ids(stream.judge_stream(exchange(body), ctx())) == {
        ("stream.cumulative-deltas", "error"), ("stream.role-missing", "warning")}


def test_repeated_words_are_not_mistaken_for_cumulative_deltas() -> None:
    body = sse([chunk({"role": "assistant", "content": "no"}), chunk({"content": "no"}), chunk({"content": " no"}),
                chunk({}, "stop")])
    assert stream.judge_stream(exchange(body), ctx()) == []


def test_ndjson_and_json_replies_to_a_stream_request() -> None:
    ndjson = "".join(wire.dumps(c) + "\n" for c in good_chunks())
    assert ids(stream.judge_stream(exchange(ndjson, "application/x-ndjson"), ctx())) == {("stream.ndjson", "error")}
    whole = wire.dumps(wire.completion("m", "Hello"))
    assert ids(stream.judge_stream(exchange(whole, wire.JSON_CONTENT_TYPE), ctx())) == {("stream.json-reply", "error")}


def test_optional_streaming_turns_errors_into_warnings() -> None:
    whole = wire.dumps(wire.completion("m", "Hello"))
    found = stream.judge_stream(exchange(whole, wire.JSON_CONTENT_TYPE), ctx("polyai", optional=True))
    assert ids(found) == {("stream.json-reply", "warning")}


def test_ids_that_change_mid_stream_and_an_unterminated_last_event() -> None:
    chunks = good_chunks()
    chunks[2] = {**chunks[2], "id": "chatcmpl-other"}
    body = sse(chunks)[: -len("\n\n")]
    assert ids(stream.judge_stream(exchange(body), ctx())) == {
        ("stream.id-inconsistent", "warning"), ("stream.unterminated", "warning")}


def completion_ctx() -> Judging:
    return Judging(get_platform("polyai"), TARGET)


def test_a_correct_completion_passes() -> None:
    body = wire.dumps(wire.completion("m", "Hi", usage=wire.usage(2, 1)))
    assert schema.judge_completion(exchange(body, wire.JSON_CONTENT_TYPE), completion_ctx()) == []


@pytest.mark.parametrize(("change", "expected"), [
    # Fields the SDK tolerates are warnings, streamed or not (issue 14: they were errors here, warnings in chunks).
    (lambda b: b.update(created=1700000000.5), {("schema.created-type", "warning")}),
    (lambda b: b.update(object="chat.completion.chunk"), {("schema.object-wrong", "warning")}),
    (lambda b: b.update(choices=[]), {("schema.choices-empty", "error")}),
    (lambda b: b.pop("model"), {("schema.model-missing", "warning")}),
    (lambda b: b["choices"][0].update(message={"role": "assistant", "content": "  "}),
     {("schema.content-empty", "error")}),
    (lambda b: b["choices"][0].update(finish_reason="eos"), {("schema.finish-reason-nonstandard", "warning")}),
    (lambda b: (b["choices"][0]["message"].update(
        content=None, tool_calls=[{"id": "c", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]),
        b["choices"][0].update(finish_reason="tool_calls")),  # a tool call ends so (issue 14: "stop" is now a finding)
     {("schema.tool-arguments-not-string", "error")}),
    (lambda b: b.update(usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 5}),
     {("schema.usage-inconsistent", "warning")}),
], ids=["created-float", "object", "choices", "model", "blank", "finish", "tool-args", "usage"])
def test_completion_defects(change, expected) -> None:
    body = wire.completion("m", "Hi")
    change(body)
    assert ids(schema.judge_completion(exchange(wire.dumps(body), wire.JSON_CONTENT_TYPE),
                                       completion_ctx())) == expected


def test_http_200_with_an_error_body_is_an_error() -> None:
    body = wire.dumps(wire.error_envelope("model overloaded", "server_error"))
    found = schema.judge_completion(exchange(body, wire.JSON_CONTENT_TYPE), completion_ctx())
    assert ids(found) == {("schema.error-body", "error")}
    assert "model overloaded" in found[0].message


def test_json_served_as_text_plain_is_a_warning() -> None:
    body = wire.dumps(wire.completion("m", "Hi"))
    assert ids(schema.judge_completion(exchange(body, "text/plain"), completion_ctx())) == {
        ("schema.content-type", "warning")}


def test_error_bodies_in_other_shapes_and_tracebacks() -> None:
    nest = exchange('{"statusCode":400,"message":"Bad","error":"Bad Request"}', wire.JSON_CONTENT_TYPE, status=400)
    html = exchange("<html><pre>Traceback (most recent call last):\n  File \"app.py\", line 3</pre></html>",
                    "text/html", status=500)
    found = errors.judge_error_bodies([("errors.no-messages", nest), ("chat", html)], completion_ctx())
    assert ids(found) == {("errors.error-shape", "warning"), ("errors.traceback", "warning")}
    shape = next(f for f in found if f.id == "errors.error-shape")
    assert "2 error replies" in shape.message and "NestJS" in shape.message
    openai_shape = exchange(wire.dumps(wire.error_envelope("bad")), wire.JSON_CONTENT_TYPE, status=400)
    assert errors.judge_error_bodies([("x", openai_shape)], completion_ctx()) == []


def test_latency_names_its_budget_and_what_it_measured() -> None:
    slow = exchange(wire.dumps(wire.completion("m", "Hi")), wire.JSON_CONTENT_TYPE, total_ms=1500.0)
    found = latency.judge_first_token(slow, Judging(get_platform("polyai"), TARGET, stream=False))
    assert ids(found) == {("latency.first-token-slow", "warning")}
    assert "whole reply" in found[0].message and "1000 ms" in found[0].message
    fast = exchange(sse(good_chunks()), first_token_ms=200.0)
    assert latency.judge_first_token(fast, ctx()) == []
    late = exchange(sse(good_chunks()), first_token_ms=25000.0)
    assert ids(latency.judge_first_token(late, ctx())) == {("latency.first-token-timeout", "error")}


def test_report_is_compatible_exactly_when_no_error() -> None:
    warning = finding("stream.done-missing", "warning", "no done", "send it")
    error = finding("stream.ndjson", "error", "ndjson", "use sse")
    assert Report.build("vapi", TARGET.base_url, [warning]).compatible
    report = Report.build("vapi", TARGET.base_url, [warning, error])
    assert not report.compatible and report.ids == ["stream.ndjson", "stream.done-missing"]
    assert Report.from_dict(json.loads(report.to_json())).to_dict() == report.to_dict()
    with pytest.raises(ValueError):
        finding("nonsense.id", "error", "x")


def recorded(body: str) -> Exchange:
    """The exchange as the client records a stream: the body and its events, comments included."""
    found = exchange(body)
    decoder = wire.SSEDecoder()
    found.events = [TimedEvent(float(n), e.raw, e.data, comment_only=e.data is None)
                    for n, e in enumerate([*decoder.feed(body), *decoder.close()])]
    return found


def test_recorded_events_after_a_keep_alive_comment_are_all_judged() -> None:
    body = ": keep-alive\n\n" + sse(good_chunks())
    assert stream.judge_stream(recorded(body), ctx()) == []
    cut = ": keep-alive\n\n" + sse(good_chunks()[:-1], done=False)  # no finish_reason, no [DONE], after a comment
    found = {f.id for f in stream.judge_stream(recorded(cut), ctx())}
    assert {"stream.done-missing", "stream.finish-reason-missing"} <= found


def test_ndjson_is_named_by_its_lines_whatever_the_content_type_says() -> None:
    ndjson = "".join(wire.dumps(c) + "\n" for c in good_chunks())
    assert ids(stream.judge_stream(exchange(ndjson, "text/plain"), ctx())) == {("stream.ndjson", "error")}


def test_every_finding_names_the_probe_that_found_it() -> None:
    judged = ctx(probe="multi-turn")
    ndjson = "".join(wire.dumps(c) + "\n" for c in good_chunks())
    broken_stream = [*stream.judge_stream(exchange(sse(good_chunks()[:-1], done=False)), judged),
                     *stream.judge_stream(exchange(ndjson, "text/plain"), judged)]
    broken_completion = schema.judge_completion(exchange("{}", wire.JSON_CONTENT_TYPE), replace(judged, stream=False))
    assert broken_stream and broken_completion
    assert {f.probe for f in broken_stream + broken_completion} == {"multi-turn"}
