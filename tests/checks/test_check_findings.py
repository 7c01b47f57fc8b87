"""One focused test per finding id that no other fast test names: each builds the smallest
exchange that shows the defect and asserts the id (and its severity) exactly.

Fast and pure (hand-built Exchanges, no network), so the mutation run of the rules
(docs/mutation.md) runs it once per mutant. tests/checks/test_finding_ids.py keeps every id
documented and named by some test.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from workbench import wire
from workbench.checks import runner
from workbench.checks.findings import Finding
from workbench.checks.judging import Judging
from workbench.checks.probes import Probe
from workbench.checks.rules import auth, conversation, errors, latency, models, params, reachability, schema, stream
from workbench.checks.rules import tools as tool_rules
from workbench.checks.single import judge_reply_body
from workbench.calls.long_call import CallSize
from workbench.client.assembler import StreamAssembler
from workbench.exchange import Exchange, Failure, RecordedRequest, TimedEvent, Timings
from workbench.platforms import get_platform
from workbench.target import Target
from workbench import tool_calls

TARGET = Target("http://127.0.0.1:8000/v1", "m")
E, W, INFO = "error", "warning", "info"
TOOLS = [{"type": "function", "function": {"name": "end_call", "parameters": {"type": "object", "properties": {}}}}]


def request(body: dict[str, Any] | None = None) -> RecordedRequest:
    return RecordedRequest("POST", TARGET.chat_url, [], wire.dumps(body).encode() if body is not None else b"")


def exchange(body: bytes | str = b"", content_type: str = wire.JSON_CONTENT_TYPE, status: int | None = 200,
             failure: Failure | None = None, sent: dict[str, Any] | None = None, **timings: Any) -> Exchange:
    raw = body.encode() if isinstance(body, str) else body
    return Exchange(request=request(sent), status=status, response_headers=[("Content-Type", content_type)],
                    body=raw, failure=failure, timings=Timings(**timings))


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {**wire.chunk("chatcmpl-x", "m", 1700000000, delta, finish), **extra}


def sse(objs: list[Any], *, done: bool = True) -> str:
    return "".join(wire.sse_event(o).decode() for o in objs) + (wire.SSE_DONE.decode() if done else "")


def streamed(pieces: list[tuple[float, Any]], sent: dict[str, Any] | None = None,
             end_ms: float | None = None) -> Exchange:
    """An SSE exchange as the client records it: each (time, chunk or "[DONE]") fed to the real assembler."""
    ex = exchange(b"", wire.SSE_CONTENT_TYPE, sent=sent)
    assembler = StreamAssembler(ex)
    body = b""
    for t_ms, obj in pieces:
        data = wire.sse_event(obj)
        body += data
        assembler.feed(data, t_ms)
    assembler.close(end_ms if end_ms is not None else pieces[-1][0])
    ex.body = body
    ex.stream_requested = True
    ex.timings.total_ms = end_ms if end_ms is not None else pieces[-1][0]
    return ex


def ctx(platform: str = "vapi", stream: bool = True, **kw: Any) -> Judging:
    return Judging(get_platform(platform), TARGET, stream=stream, **kw)


def ids(found: list[Finding]) -> set[tuple[str, str]]:
    for f in found:
        assert f.message and f.hint, f"{f.id} must say what came and how to fix it"
    return {(f.id, f.severity) for f in found}


def completion(**message: Any) -> dict[str, Any]:
    body = wire.completion("m", "Hello there.")
    body["choices"][0]["message"].update(message)
    return body


# ---- reachability --------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "expected"), [
    ("dns", "reachability.dns"), ("tls", "reachability.tls"), ("connect-timeout", "reachability.connect-timeout"),
    ("connection-reset", "reachability.connection-reset"), ("body-too-large", "reachability.body-too-large"),
    ("something-new", "reachability.unreachable"),
])
def test_a_failure_with_no_status_is_named_by_its_kind(kind: str, expected: str) -> None:
    failed = exchange(status=None, failure=Failure(kind, "it failed", ""))
    assert ids(reachability.judge_failure(failed, ctx())) == {(expected, E)}


def test_405_is_method_not_allowed_with_the_allow_header() -> None:
    refused = exchange(wire.dumps(wire.error_envelope("no")), status=405)
    refused.response_headers.append(("Allow", "GET"))
    found = reachability.judge_path(refused, ctx())
    assert ids(found) == {("reachability.method-not-allowed", E)} and "GET" in found[0].message


# ---- auth, params, errors, models ------------------------------------------------------------------


def test_a_refusal_that_is_not_401_is_a_warning() -> None:
    no_key = exchange(wire.dumps(wire.error_envelope("nope")), status=404)
    assert ids(auth.judge_open(ctx(), no_key, None, "bearer")) == {("auth.refusal-status", W)}


def test_a_refusal_with_every_extra_field_needed_is_request_rejected() -> None:
    refused = exchange(wire.dumps(wire.error_envelope("bad model")), status=400)
    assert ids(params.judge_rejected(refused, ctx(), None, {"model": "m", "messages": []})) == {
        ("params.request-rejected", E)}


def test_a_teapot_is_an_unexpected_status() -> None:
    assert ids(errors.judge_status(exchange("short and stout", "text/plain", status=418), ctx())) == {
        ("errors.unexpected-status", E)}


def test_a_malformed_request_that_crashes_the_server_is_a_warning() -> None:
    crashed = exchange(wire.dumps(wire.error_envelope("boom")), status=500)
    assert ids(errors.judge_malformed(crashed, ctx(), "bad JSON")) == {("errors.malformed-5xx", W)}


@pytest.mark.parametrize(("reply", "expected"), [
    (exchange(wire.dumps(wire.error_envelope("no")), status=404), "models.unavailable"),
    (exchange(wire.dumps({"models": ["m"]})), "models.malformed"),
])
def test_models_listing_defects_are_errors_where_the_platform_lists_first(reply: Exchange, expected: str) -> None:
    assert ids(models.judge_models(reply, ctx("polyant", stream=False))) == {(expected, E)}


# ---- schema (a whole reply) -----------------------------------------------------------------------


@pytest.mark.parametrize(("body", "failure", "expected"), [
    ("{", Failure("reply-timeout", "the reply never ended", ""), ("schema.body-incomplete", E)),
    ("{", Failure("invalid-utf8", "a bad byte at 3", ""), ("schema.invalid-utf8", E)),
    ("{", Failure("protocol", "bad chunk size", ""), ("schema.reply-failed", E)),
    ("<html>oops</html>", None, ("schema.not-json", E)),
    ("[1, 2]", None, ("schema.not-object", E)),
])
def test_a_whole_reply_that_is_not_a_completion(body: str, failure: Failure | None, expected: tuple[str, str]) -> None:
    assert ids(schema.judge_completion(exchange(body, failure=failure), ctx(stream=False))) == {expected}


@pytest.mark.parametrize(("change", "expected"), [
    (lambda b: b["choices"][0].pop("message"), {("schema.message-missing", E)}),
    (lambda b: b["choices"][0]["message"].update(role="user"), {("schema.role-wrong", W)}),
    (lambda b: b["choices"][0]["message"].update(content=[{"type": "text", "text": "Hi"}]),
     {("schema.content-not-string", W)}),
    (lambda b: b.update(usage={"prompt_tokens": "3"}), {("schema.usage-malformed", W)}),
    (lambda b: b["choices"][0].pop("index"), {("schema.index-missing", W)}),
    (lambda b: b.pop("created"), {("schema.fields-missing", W)}),
])
def test_completion_field_defects(change: Any, expected: set[tuple[str, str]]) -> None:
    body = wire.completion("m", "Hi")
    change(body)
    assert ids(schema.judge_completion(exchange(wire.dumps(body)), ctx(stream=False))) == expected


def test_a_field_the_platform_documents_as_required_is_an_error() -> None:
    body = wire.completion("m", "Hi")
    del body["created"]
    strict = dataclasses.replace(get_platform("polyai"), required_reply_fields=frozenset({"created"}))
    found = schema.judge_completion(exchange(wire.dumps(body)), Judging(strict, TARGET))
    assert ids(found) == {("schema.fields-missing", E)}


@pytest.mark.parametrize("key", ["finishReason", "finish-reason"])
def test_a_near_miss_key_is_named(key: str) -> None:
    body = wire.completion("m", "Hi")
    body["choices"][0][key] = body["choices"][0].pop("finish_reason")
    found = schema.judge_completion(exchange(wire.dumps(body)), ctx(stream=False))
    assert ids(found) == {("schema.finish-reason-missing", W)} and f"`{key}`" in found[0].message


def test_content_parts_with_no_text_are_an_unusable_reply() -> None:
    body = completion(content=[{"type": "image_url", "image_url": {"url": "x"}}])
    assert ids(judge_reply_body(exchange(wire.dumps(body)), ctx(stream=False))) == {
        ("schema.content-not-string", W), ("schema.reply-unusable", E)}


def test_a_refused_alternate_mode_is_its_kind_refused() -> None:
    refused = exchange(wire.dumps(wire.error_envelope("no streams here")), status=400)
    probe = Probe("chat.stream", "streaming", stream=True, optional=True)
    assert ids(runner._judge_reply(probe, refused, ctx("polyai", optional=True))) == {("stream.refused", W)}
    probe = Probe("chat.json", "whole", stream=False)
    assert ids(runner._judge_reply(probe, refused, ctx("openai", stream=False))) == {("schema.refused", E)}


# ---- stream --------------------------------------------------------------------------------------


def good() -> list[dict[str, Any]]:
    return [chunk({"role": "assistant", "content": ""}), chunk({"content": "Hello there."}), chunk({}, "stop")]


@pytest.mark.parametrize(("body", "failure", "expected"), [
    (sse(good(), done=False), Failure("reply-timeout", "no end after 3 s", ""), ("stream.endless", E)),
    (sse(good(), done=False), Failure("body-too-large", "past 2 MiB", ""), ("stream.too-large", E)),
    (sse(good(), done=False), Failure("invalid-utf8", "a bad byte", ""), ("stream.invalid-utf8", E)),
])
def test_a_stream_cut_by_the_client_is_named_by_why(body: str, failure: Failure, expected: tuple[str, str]) -> None:
    found = ids(stream.judge_stream(exchange(body, wire.SSE_CONTENT_TYPE, failure=failure), ctx()))
    assert expected in found and not {f for f in found if f[1] == E} - {expected}


def test_a_json_object_under_a_plain_type_is_not_sse() -> None:
    assert ids(stream.judge_stream(exchange("hello, plain text", "text/plain"), ctx())) == {("stream.not-sse", E)}


def test_chunks_without_choices_or_delta() -> None:
    bare = {"id": "chatcmpl-x", "object": "chat.completion.chunk", "created": 1700000000, "text": "more"}
    no_choices = sse([chunk({"role": "assistant", "content": "Hi."}), bare, chunk({}, "stop")])
    assert ("stream.not-chunk", E) in ids(stream.judge_stream(exchange(no_choices, wire.SSE_CONTENT_TYPE), ctx()))
    no_delta = sse([{**chunk({}), "choices": [{"index": 0, "message": {"content": "Hi"}}]}])
    assert ("stream.delta-missing", E) in ids(stream.judge_stream(exchange(no_delta, wire.SSE_CONTENT_TYPE), ctx()))


def test_a_malformed_usage_chunk_is_a_warning() -> None:
    body = sse([*good(), {**wire.usage_chunk("chatcmpl-x", "m", 1700000000, wire.usage(1, 1)), "usage": {"total": 2}}])
    assert ids(stream.judge_stream(exchange(body, wire.SSE_CONTENT_TYPE), ctx(include_usage=True))) == {
        ("stream.usage-malformed", W), ("stream.empty-choices", INFO)}


def test_a_usage_chunk_in_the_middle_is_a_warning_even_when_asked_for() -> None:
    usage = wire.usage_chunk("chatcmpl-x", "m", 1700000000, wire.usage(1, 1))
    body = sse([good()[0], usage, *good()[1:]])
    found = stream.judge_stream(exchange(body, wire.SSE_CONTENT_TYPE), ctx(include_usage=True))
    assert ids(found) == {("stream.empty-choices", W)} and "middle" in found[0].message


def test_done_joined_to_the_last_chunk_by_a_single_newline_is_a_framing_error() -> None:
    body = sse(good(), done=False)[: -len("\n")] + "data: [DONE]\n\n"  # ...}\ndata: [DONE]
    assert ids(stream.judge_stream(exchange(body, wire.SSE_CONTENT_TYPE), ctx())) == {("stream.framing", E)}


@pytest.mark.parametrize(("key", "where"), [("created", "chunk"), ("index", "choice")])
def test_chunk_fields_the_sdk_tolerates_are_warnings(key: str, where: str) -> None:
    chunks = good()
    for c in chunks:
        (c if where == "chunk" else c["choices"][0]).pop(key)
    expected = "stream.fields-missing" if key == "created" else "stream.index-missing"
    assert ids(stream.judge_stream(exchange(sse(chunks), wire.SSE_CONTENT_TYPE), ctx())) == {(expected, W)}


def test_a_float_created_in_chunks_is_a_warning() -> None:
    chunks = [{**c, "created": 1700000000.5} for c in good()]
    assert ids(stream.judge_stream(exchange(sse(chunks), wire.SSE_CONTENT_TYPE), ctx())) == {("stream.created-type", W)}


def test_a_chunk_object_of_another_name_is_a_warning() -> None:
    chunks = [{**c, "object": "chat.completion"} for c in good()]
    assert ids(stream.judge_stream(exchange(sse(chunks), wire.SSE_CONTENT_TYPE), ctx())) == {("stream.object-wrong", W)}


def test_play_ai_style_camel_case_finish_reason_is_named() -> None:
    chunks = good()
    chunks[-1]["choices"][0]["finishReason"] = chunks[-1]["choices"][0].pop("finish_reason")
    found = stream.judge_stream(exchange(sse(chunks), wire.SSE_CONTENT_TYPE), ctx("playai"))
    assert ids(found) == {("stream.finish-reason-missing", W)} and "`finishReason`" in found[0].message


@pytest.mark.parametrize(("body", "content_type"), [
    (sse([]), wire.SSE_CONTENT_TYPE),  # only [DONE]
    (": keep-alive\n\n: ping\n\n", wire.SSE_CONTENT_TYPE),  # only comments
    (sse([chunk({"role": "assistant", "content": ""}), chunk({}, "stop")]), wire.SSE_CONTENT_TYPE),
    (sse([chunk({"role": "assistant", "content": ""}), chunk({}, "stop")]), wire.JSON_CONTENT_TYPE),
    (sse([chunk({"role": "assistant"}), chunk({"text": "hi"}), chunk({}, "stop")]), "text/plain"),
    ("", wire.SSE_CONTENT_TYPE),
])
def test_a_stream_with_no_content_is_an_error_whatever_its_framing(body: str, content_type: str) -> None:
    found = ids(stream.judge_stream(exchange(body, content_type), ctx()))
    assert ("stream.content-empty", E) in found


def test_a_stream_whose_recorded_text_is_gone_is_unusable() -> None:
    ex = streamed([(5.0, chunk({"role": "assistant", "content": ""})), (8.0, chunk({"content": "Hi."})),
                   (9.0, chunk({}, "stop")), (9.0, wire.DONE)])
    ex.events = [TimedEvent(e.t_ms, e.raw, e.data, e.comment_only, e.parsed, e.json_error, "") for e in ex.events]
    assert ids(judge_reply_body(ex, ctx())) == {("stream.reply-unusable", E)}


# ---- tools -----------------------------------------------------------------------------------------


def call_chunks(*deltas: dict[str, Any], finish: str | None = "tool_calls", content: str = "") -> list[dict[str, Any]]:
    return [chunk({"role": "assistant", "content": content}),
            *[chunk({"tool_calls": [d]}) for d in deltas], chunk({}, finish)]


FIRST = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "end_call", "arguments": ""}}


def judged_tool_stream(chunks: list[dict[str, Any]], platform: str = "vapi") -> set[tuple[str, str]]:
    return ids(stream.judge_stream(exchange(sse(chunks), wire.SSE_CONTENT_TYPE, sent={"tools": TOOLS}), ctx(platform)))


def test_a_valid_streamed_tool_call_ending_with_tool_calls_passes() -> None:
    assert judged_tool_stream(call_chunks(FIRST, {"index": 0, "function": {"arguments": '{"reason": '}},
                                          {"index": 0, "function": {"arguments": '"bye"}'}})) == set()


def test_a_valid_whole_tool_call_ending_with_tool_calls_passes() -> None:
    body = completion(content=None, tool_calls=[{"id": "c1", "type": "function",
                                                 "function": {"name": "end_call", "arguments": "{}"}}])
    body["choices"][0]["finish_reason"] = "tool_calls"
    assert schema.judge_completion(exchange(wire.dumps(body), sent={"tools": TOOLS}), ctx(stream=False)) == []


@pytest.mark.parametrize(("deltas", "expected"), [
    ((FIRST, {"index": 1, "function": {"arguments": "{}"}}), "tools.index-inconsistent"),
    (({**FIRST, "index": 1, "function": {"name": "end_call", "arguments": "{}"}},), "tools.index-inconsistent"),
    (({**FIRST, "function": {"arguments": "{}"}},), "tools.name-missing"),
    (({**FIRST, "function": {"name": "transfer", "arguments": "{}"}},), "tools.name-unknown"),
    (({**FIRST, "function": {"name": "end_call", "arguments": "[1]"}},), "tools.arguments-not-object"),
    (({**FIRST, "function": {"name": "end_call", "arguments": '{"a": '}},), "tools.arguments-not-json"),
    (({k: v for k, v in FIRST.items() if k != "id"} | {"function": {"name": "end_call", "arguments": "{}"}},),
     "tools.id-missing"),
])
def test_tool_call_defects_are_errors(deltas: tuple[dict[str, Any], ...], expected: str) -> None:
    assert (expected, E) in judged_tool_stream(call_chunks(*deltas))


def test_text_beside_a_tool_call_is_a_warning() -> None:
    first = {**FIRST, "function": {"name": "end_call", "arguments": "{}"}}
    assert judged_tool_stream(call_chunks(first, content="Goodbye!")) == {("tools.content-beside", W)}


@pytest.mark.parametrize(("platform", "severity"), [("vapi", E), ("elevenlabs", E), ("openai", E)])
def test_finish_reason_stop_with_a_tool_call_loses_the_call_on_platforms_keyed_on_tool_calls(
        platform: str, severity: str) -> None:
    first = {**FIRST, "function": {"name": "end_call", "arguments": "{}"}}
    assert judged_tool_stream(call_chunks(first, finish="stop"), platform) == {("tools.finish-reason-wrong", severity)}


@pytest.mark.parametrize(("fires_on", "severity"), [(("tool_calls", "stop"), W), (None, W), (("tool_calls",), E)])
def test_finish_reason_stop_is_a_warning_where_the_platform_fires_on_it(fires_on: Any, severity: str) -> None:
    """LiveKit fires on "stop" too, Pipecat never reads finish_reason (research/platform-facts.md)."""
    platform = dataclasses.replace(get_platform("openai"), tool_call_fires_on=fires_on)
    reply = tool_calls.from_chunks(call_chunks({**FIRST, "function": {"name": "end_call", "arguments": "{}"}},
                                               finish="stop"))
    found = tool_rules.judge_tool_calls(reply, Judging(platform, TARGET, stream=True), "stream", ["end_call"])
    assert ids(found) == {("tools.finish-reason-wrong", severity)}


def test_tool_probe_outcomes() -> None:
    refused = exchange(wire.dumps(wire.error_envelope("tools not supported")), status=400)
    assert ids(tool_rules.judge_refused(refused, ctx(), ["end_call"])) == {("tools.request-failed", E)}
    words = streamed([(5.0, chunk({"role": "assistant", "content": "Goodbye!"})), (6.0, chunk({}, "stop"))])
    assert ids(tool_rules.judge_not_called(words, ctx(), ["end_call"], "end the call")) == {("tools.not-called", INFO)}
    failed = exchange(wire.dumps(wire.error_envelope("boom")), status=500)
    call = tool_calls.AssembledToolCall("call_1", 0, "end_call", "{}")
    assert ids(tool_rules.judge_result_turn(failed, ctx(), call)) == {("tools.result-refused", E)}


# ---- conversation and latency over a call --------------------------------------------------------------


def test_the_turns_of_a_call_that_fail() -> None:
    failed = exchange(wire.dumps(wire.error_envelope("boom")), status=500)
    assert ids(conversation.judge_turns(failed, ctx())) == {("conversation.multi-turn-failed", E)}
    assert ids(conversation.judge_barge_in(failed, ctx(), "You said")) == {("conversation.barge-in-failed", E)}
    said = "This model's maximum context length is 2048 tokens. However, your messages resulted in 5,123 tokens."
    too_long = exchange(wire.dumps(wire.error_envelope(said)), status=400)
    found = conversation.judge_long_call(too_long, ctx(), CallSize(42, 23000, 4200))
    assert ids(found) == {("conversation.long-call-failed", E)}
    assert "42 messages" in found[0].message and "2,048 and 5,123 tokens" in found[0].message


def test_a_long_call_past_the_budget_when_the_short_one_is_not() -> None:
    short = exchange(wire.dumps(wire.completion("m", "Hi.")), total_ms=200.0)
    slow = exchange(wire.dumps(wire.completion("m", "Hi.")), total_ms=1500.0)
    found = latency.judge_long_call(slow, short, ctx(stream=False), "42 messages")
    assert ids(found) == {("latency.long-call-slow", W)}
    already = exchange(wire.dumps(wire.completion("m", "Hi.")), total_ms=1200.0)
    assert latency.judge_long_call(slow, already, ctx(stream=False), "42 messages") == []


def test_a_next_turn_held_up_after_a_barge_in() -> None:
    baseline = streamed([(40.0, chunk({"content": "Sure."})), (41.0, chunk({}, "stop"))])
    late = streamed([(900.0, chunk({"content": "Sure."})), (901.0, chunk({}, "stop"))])
    assert ids(latency.judge_barge_in(late, baseline, ctx())) == {("latency.barge-in-delay", W)}
    prompt = streamed([(60.0, chunk({"content": "Sure."})), (61.0, chunk({}, "stop"))])
    assert latency.judge_barge_in(prompt, baseline, ctx()) == []


def test_a_word_then_silence_is_a_slow_first_sentence() -> None:
    ex = streamed([(20.0, chunk({"role": "assistant", "content": "Well, "})), (2500.0, chunk({"content": "yes. "})),
                   (2501.0, chunk({}, "stop"))])
    assert (ex.timings.first_token_ms, ex.timings.first_sentence_ms) == (20.0, 2500.0)
    found = latency.judge_voice(ex, ctx())
    assert ids(found) == {("latency.first-sentence-slow", W)} and "'Well,'" in found[0].message


def test_silence_in_the_middle_of_a_reply() -> None:
    ex = streamed([(20.0, chunk({"content": "Hello there. "})), (40.0, chunk({"content": "Let "})),
                   (1800.0, chunk({"content": "me see."})), (1801.0, chunk({}, "stop"))])
    assert ids(latency.judge_voice(ex, ctx())) == {("latency.mid-reply-gap", W)}


@pytest.mark.parametrize(("platform", "severity"), [("vapi", E), ("openai", E)])
def test_think_text_in_the_content_is_read_aloud(platform: str, severity: str) -> None:
    ex = streamed([(10.0, chunk({"content": "<think>Let me "})), (400.0, chunk({"content": "think.</think>\n\n"})),
                   (450.0, chunk({"content": "Hello."})), (451.0, chunk({}, "stop"))])
    assert (ex.timings.first_token_ms, ex.timings.reasoning_ms, ex.timings.think_chars) == (450.0, 440.0, 13)
    assert ids(latency.judge_reasoning(ex, ctx(platform))) == {("latency.reasoning-spoken", severity)}


def test_think_text_is_silence_where_the_platform_strips_it() -> None:
    ex = streamed([(10.0, chunk({"content": "<think>hm</think>Hi."})), (11.0, chunk({}, "stop"))])
    stripping = dataclasses.replace(get_platform("openai"), strips_think_tags=True)
    found = latency.judge_reasoning(ex, Judging(stripping, TARGET, stream=True))
    assert ids(found) == {("latency.reasoning-spoken", W)}


def test_reasoning_deltas_are_silence_before_the_first_token() -> None:
    ex = streamed([(10.0, chunk({"reasoning_content": "Thinking about it."})), (700.0, chunk({"content": "Yes."})),
                   (701.0, chunk({}, "stop"))])
    assert (ex.timings.first_token_ms, ex.timings.reasoning_chars, ex.timings.reasoning_ms) == (700.0, 18, 690.0)
    assert ids(latency.judge_reasoning(ex, ctx())) == {("latency.reasoning-silence", INFO)}


def test_a_prewarm_with_no_answer_at_all_is_info_for_livekit() -> None:
    unanswered = exchange(status=None, failure=Failure("connection-refused", "nothing listens", ""))
    assert ids(models.judge_models(unanswered, ctx("livekit"))) == {("models.prewarm-failed", INFO)}
    any_answer = exchange(wire.dumps(wire.error_envelope("no such route")), status=404)
    assert models.judge_models(any_answer, ctx("livekit")) == []
