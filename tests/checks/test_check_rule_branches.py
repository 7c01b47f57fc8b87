"""Every branch of the check's rules, pure and fast: the status codes, the severities each platform
gives, the boundaries of the budgets, and the facts each sentence must carry (the evidence and the
fix). Written from the survivors of a mutation run of workbench/checks/rules/ (docs/mutation.md):
each test pins a behaviour a changed line would break, not the wording around it.
"""

from __future__ import annotations

from typing import Any

import pytest

from workbench import wire
from workbench.checks.findings import Finding
from workbench.checks.judging import Judging
from workbench.checks.rules import auth, conversation, errors, latency, models, params, reachability, stream, tools
from workbench.exchange import Exchange, Failure, RecordedRequest, TimedEvent, Timings
from workbench.platforms import get_platform
from workbench.target import Target
from workbench.tool_calls import AssembledToolCall

TARGET = Target("http://127.0.0.1:8000/v1", "m")
E, W, INFO = "error", "warning", "info"


def reply(body: str = "", status: int | None = 200, content_type: str = wire.JSON_CONTENT_TYPE,
          headers: list[tuple[str, str]] | None = None, failure: Failure | None = None,
          url: str = TARGET.chat_url, **timings: Any) -> Exchange:
    return Exchange(request=RecordedRequest("POST", url, []), status=status,
                    response_headers=[("Content-Type", content_type), *(headers or [])], body=body.encode(),
                    failure=failure, timings=Timings(**timings))


def ctx(platform: str = "vapi", stream: bool = True, target: Target = TARGET, **kw: Any) -> Judging:
    return Judging(get_platform(platform), target, stream=stream, **kw)


def one(found: list[Finding]) -> Finding:
    assert len(found) == 1, [(f.id, f.severity) for f in found]
    finding = found[0]
    assert finding.message and finding.hint
    return finding


def refused(status: int, message: str = "nope") -> Exchange:
    return reply(wire.dumps(wire.error_envelope(message)), status=status)


# ---- reachability ------------------------------------------------------------------------------


def test_a_failure_is_judged_only_when_no_status_came() -> None:
    assert reachability.judge_failure(reply(status=200, failure=Failure("dns", "x", "")), ctx()) == []
    assert reachability.judge_failure(reply(status=None), ctx()) == []
    found = one(reachability.judge_failure(reply(status=None, failure=Failure("dns", "no such host", "")), ctx()))
    assert (found.id, found.severity, found.probe) == ("reachability.dns", E, "chat")
    assert "Vapi could not get a reply from http://127.0.0.1:8000/v1/chat/completions: no such host" in found.message
    assert "resolve it publicly" in found.hint


def test_a_failure_with_its_own_hint_keeps_it() -> None:
    found = one(reachability.judge_failure(reply(status=None, failure=Failure("tls", "bad cert", "Renew it.")), ctx()))
    assert found.hint == "Renew it."
    fallback = one(reachability.judge_failure(reply(status=None, failure=Failure("weird", "odd", "")), ctx()))
    assert fallback.hint.startswith("Check that the endpoint is up")


def test_a_doubled_chat_path() -> None:
    target = TARGET.with_(base_url="http://h/v1/chat/completions/")
    url = "http://h/v1/chat/completions/chat/completions"
    found = one(reachability.judge_path(refused(404), ctx(target=target), reply(), "x"))
    assert (found.id, found.severity) == ("reachability.double-chat-path", E)
    assert "http://h/v1/chat/completions answers correctly" in found.message
    assert "without /chat/completions: http://h/v1." in found.hint
    alone = one(reachability.judge_path(reply(status=404, url=url), ctx(target=target)))
    assert "answers correctly" not in alone.message and alone.message.endswith("(HTTP 404).")


@pytest.mark.parametrize(("retry_base", "expected"), [("http://h", "reachability.extra-v1"),
                                                       ("http://h/v1", "reachability.missing-v1")])
def test_the_v1_diagnosis(retry_base: str, expected: str) -> None:
    found = one(reachability.judge_path(refused(404), ctx(), reply(), retry_base))
    assert (found.id, found.severity) == (expected, E)
    assert f"{retry_base}/chat/completions works" in found.message and retry_base in found.hint
    assert "catch-all" not in found.message


def test_a_failed_retry_is_not_a_v1_diagnosis() -> None:
    assert one(reachability.judge_path(refused(404), ctx(), refused(404), "http://h")).id == "reachability.not-found"
    assert one(reachability.judge_path(refused(404), ctx(), None, "http://h")).id == "reachability.not-found"
    assert one(reachability.judge_path(refused(404), ctx(), reply(), "")).id == "reachability.not-found"


def test_method_not_allowed_names_what_is_allowed_only_when_told() -> None:
    found = one(reachability.judge_path(reply(status=405, headers=[("Allow", "GET, HEAD")]), ctx()))
    assert found.message.endswith("; the server allows GET, HEAD.")
    bare = one(reachability.judge_path(reply(status=405), ctx()))
    assert "allows" not in bare.message and bare.id == "reachability.method-not-allowed"


@pytest.mark.parametrize(("followed", "severity", "said"), [
    (reply(), W, "the new location answers"),
    (refused(500), E, "does not answer correctly either"),
    (None, E, "to /moved."),
])
def test_a_redirect_is_a_warning_only_when_its_target_works(
        followed: Exchange | None, severity: str, said: str) -> None:
    moved = reply(status=307, headers=[("Location", "/moved")])
    found = one(reachability.judge_redirect(moved, ctx(), followed))
    assert (found.id, found.severity) == ("reachability.redirect", severity)
    assert said in found.message and "(/moved)" in found.hint
    assert "(no Location header)" in one(reachability.judge_redirect(reply(status=307), ctx())).message


# ---- auth -----------------------------------------------------------------------------------------


def test_refused_without_a_credential_asks_for_one() -> None:
    found = one(auth.judge_refused(refused(401), ctx(), "none"))
    assert (found.id, found.severity) == ("auth.credential-required", E) and "Vapi" in found.hint


@pytest.mark.parametrize(("platform", "sent", "other", "can_switch"), [
    ("polyai", "x-api-key", "bearer", True), ("vapi", "bearer", "x-api-key", False)])
def test_the_other_header_works(platform: str, sent: str, other: str, can_switch: bool) -> None:
    found = one(auth.judge_refused(refused(401), ctx(platform), sent, reply(), other))
    assert (found.id, found.severity) == ("auth.header-ignored", E)
    assert f"{auth.HEADER_NAMES[sent]} was refused" in found.message
    assert f"{auth.HEADER_NAMES[other]} works" in found.message
    assert found.hint.startswith("Either set") is can_switch


def test_a_refused_key_in_the_platforms_own_header() -> None:
    found = one(auth.judge_refused(refused(403), ctx(), "bearer", refused(401), "x-api-key"))
    assert (found.id, found.severity) == ("auth.rejected", E) and "Authorization: Bearer <key>" in found.message


def test_an_open_endpoint_and_an_enforced_one() -> None:
    found = one(auth.judge_open(ctx(), None, None, "none"))
    assert (found.id, found.severity, found.probe) == ("auth.open", W, "chat") and "Vapi" in found.hint
    assert auth.judge_open(ctx(), refused(401), refused(401), "bearer") == []
    assert auth.judge_open(ctx(), None, None, "bearer") == []


def test_a_key_not_enforced_and_any_key_accepted() -> None:
    assert one(auth.judge_open(ctx(), reply(), reply(), "bearer")).id == "auth.open"  # the missing key first
    found = one(auth.judge_open(ctx(), refused(401), reply(), "bearer"))
    assert (found.id, found.severity) == ("auth.wrong-key-accepted", W) and "HTTP 200" in found.message


@pytest.mark.parametrize(("no_key", "wrong_key", "said"), [
    (refused(404), refused(401), "with no key was refused with HTTP 404"),
    (refused(401), refused(500), "with a wrong key was refused with HTTP 500"),
])
def test_a_refusal_with_another_status_than_401(no_key: Exchange, wrong_key: Exchange, said: str) -> None:
    found = one(auth.judge_open(ctx(), no_key, wrong_key, "bearer"))
    assert (found.id, found.severity) == ("auth.refusal-status", W) and said in found.message
    assert auth.judge_open(ctx(), refused(403), refused(403), "bearer") == []  # 403 is a refusal too


def test_an_auth_style_the_platform_cannot_send() -> None:
    keyed = TARGET.with_(auth="x-api-key", api_key="sk-1")
    found = one(auth.judge_method_mismatch(ctx("playai", target=keyed)))
    assert (found.id, found.severity) == ("auth.method-unsupported", INFO)
    assert "Authorization: Bearer <key>" in found.message and found.hint.endswith("set the profile's auth to bearer.")
    assert auth.judge_method_mismatch(ctx("polyai", target=keyed)) == []
    assert auth.judge_method_mismatch(ctx("playai", target=keyed.with_(api_key=None))) == []
    assert auth.judge_method_mismatch(ctx("playai", target=keyed.with_(auth="none"))) == []


# ---- params -----------------------------------------------------------------------------------------


def test_extras_rejected_names_the_fields_and_says_every_call_fails_for_one_always_sent() -> None:
    body = {"model": "m", "messages": [], "stream": True, "stream_options": {"include_usage": True}, "seed": 1}
    found = one(params.judge_rejected(refused(400), ctx("pipecat"), reply(), body))
    assert (found.id, found.severity) == ("params.extras-rejected", E)
    assert "(stream_options, seed)" in found.message and "every call would fail" in found.message
    assert found.hint.startswith("Accept stream_options")
    vapi = one(params.judge_rejected(refused(400), ctx("vapi"), reply(), {"model": "m", "seed": 1}))
    assert "every call" not in vapi.message and vapi.hint.startswith("Accept and ignore unknown fields")


@pytest.mark.parametrize("minimal", [None, refused(400)])
def test_without_a_working_minimal_request_it_is_the_request(minimal: Exchange | None) -> None:
    found = one(params.judge_rejected(refused(400, "bad"), ctx(), minimal, {"model": "m", "seed": 1}))
    assert (found.id, found.severity) == ("params.request-rejected", E) and "bad" in found.message


def test_nothing_extra_sent_is_the_request() -> None:
    found = one(params.judge_rejected(refused(400), ctx(), reply(), {"model": "m", "messages": [], "stream": True}))
    assert found.id == "params.request-rejected"


@pytest.mark.parametrize(("platform", "named"), [("pipecat", True), ("openai", False)])
def test_a_developer_message_is_named_for_pipecat(platform: str, named: bool) -> None:
    body = {"model": "m", "messages": [{"role": "developer", "content": "Hi"}, "junk"]}
    found = one(params.judge_rejected(refused(400), ctx(platform), None, body))
    assert ('"developer" message' in found.message) is named
    assert found.hint.startswith('Accept role "developer"') is named


# ---- errors -----------------------------------------------------------------------------------------


def test_rate_limited_quotes_retry_after() -> None:
    found = one(errors.judge_status(reply(wire.dumps(wire.error_envelope("slow")), status=429,
                                          headers=[("Retry-After", "7")]), ctx()))
    assert (found.id, found.severity) == ("errors.rate-limited", E) and found.message.endswith("(retry-after: 7).")
    plain = one(errors.judge_status(refused(429), ctx()))
    assert "retry-after" not in plain.message and plain.message.endswith(".")


@pytest.mark.parametrize(("status", "expected"), [(500, "errors.server-error"), (503, "errors.server-error"),
                                                  (499, "errors.unexpected-status"), (302, "errors.unexpected-status")])
def test_statuses_of_the_platforms_own_request(status: int, expected: str) -> None:
    assert (one(errors.judge_status(refused(status), ctx())).id) == expected


def test_a_server_error_says_when_it_leaks_a_traceback() -> None:
    trace = 'Traceback (most recent call last):\n  File "/srv/app.py", line 3, in f\nValueError'
    found = one(errors.judge_status(reply(trace, status=500, content_type="text/plain"), ctx()))
    assert "leaks a stack trace" in found.message
    assert "leaks" not in one(errors.judge_status(refused(500), ctx())).message


@pytest.mark.parametrize(("answer", "expected"), [
    (reply("{}"), "errors.malformed-accepted"), (refused(500), "errors.malformed-5xx"),
    (refused(400), None), (refused(499), None), (reply(status=None), None),
])
def test_a_malformed_request(answer: Exchange, expected: str | None) -> None:
    found = errors.judge_malformed(answer, ctx(), "no messages")
    assert [f.id for f in found] == ([expected] if expected else [])
    assert all(f.severity == W and "no messages" in f.message for f in found)


def test_error_bodies_in_another_shape_and_tracebacks() -> None:
    html = reply("<html>Traceback (most recent call last):</html>", status=500, content_type="text/html")
    nest = reply(wire.dumps({"statusCode": 401, "message": "Invalid key", "error": "Unauthorized"}), status=401)
    found = errors.judge_error_bodies([("chat", reply()), ("auth.none", nest), ("errors.invalid-json", html),
                                       ("models", reply(status=None))], ctx())
    by_id = {f.id: f for f in found}
    assert set(by_id) == {"errors.traceback", "errors.error-shape"}
    assert by_id["errors.traceback"].probe == "errors.invalid-json"
    shape = by_id["errors.error-shape"]
    assert shape.message.startswith("2 error replies are") and "NestJS's" in shape.message
    assert "('Invalid key')" in shape.message and shape.probe == "auth.none"
    one_odd = one(errors.judge_error_bodies([("auth.none", reply("", status=401, content_type="text/plain"))], ctx()))
    assert one_odd.message.startswith("An error reply is") and "an empty body" in one_odd.message
    assert errors.judge_error_bodies([("auth.none", refused(401))], ctx()) == []


# ---- models -----------------------------------------------------------------------------------------


LISTING = wire.dumps(wire.model_list(["m", "other"]))


@pytest.mark.parametrize(("platform", "severity"), [("polyant", E), ("openai", W)])
def test_models_severity_follows_whether_the_platform_lists_first(platform: str, severity: str) -> None:
    found = one(models.judge_models(reply(wire.dumps(wire.model_list(["x"]))), ctx(platform)))
    assert (found.id, found.severity) == ("models.model-missing", severity) and "'m'" in found.message


def test_a_model_listing() -> None:
    assert models.judge_models(reply(LISTING), ctx("polyant")) == []
    assert models.listed_ids(reply(LISTING)) == ["m", "other"]
    many = wire.dumps(wire.model_list([f"x{i}" for i in range(7)]))
    assert models.judge_models(reply(many), ctx("polyant"))[0].message.count("x") >= 5
    assert " …" in models.judge_models(reply(many), ctx("polyant"))[0].message
    no_reply = one(models.judge_models(reply(status=None, failure=Failure("dns", "no host", "")), ctx("polyant")))
    assert (no_reply.id, no_reply.severity) == ("models.unavailable", E) and "no host" in no_reply.message


# ---- latency ------------------------------------------------------------------------------------------


def streamed(first: float | None, total: float = 900.0, **timings: Any) -> Exchange:
    return reply(content_type=wire.SSE_CONTENT_TYPE, first_token_ms=first, total_ms=total, **timings)


@pytest.mark.parametrize(("measured", "expected"), [
    (1000.0, None), (1000.5, ("latency.first-token-slow", W)), (20000.0, ("latency.first-token-slow", W)),
    (20000.5, ("latency.first-token-timeout", E)),
])
def test_first_token_boundaries_on_vapi(measured: float, expected: tuple[str, str] | None) -> None:
    found = latency.judge_first_token(streamed(measured), ctx("vapi"))
    assert [(f.id, f.severity) for f in found] == ([expected] if expected else [])
    if expected:
        assert f"{measured:.0f} ms" in found[0].message


def test_first_token_of_a_whole_reply_is_the_whole_reply() -> None:
    whole = reply("{}", first_token_ms=None, total_ms=1500.0)
    found = one(latency.judge_first_token(whole, ctx("polyai", stream=False)))
    assert "whole reply (not streamed" in found.message and found.hint.startswith("Stream (stream: true)")
    assert latency.first_token_ms(whole, False) == 1500.0 and latency.first_token_ms(whole, True) is None


def test_a_first_token_timeout_with_nothing_at_all() -> None:
    timed_out = reply(status=200, failure=Failure("first-token-timeout", "no token in 20 s", ""))
    found = one(latency.judge_first_token(timed_out, ctx("vapi")))
    assert (found.id, found.severity) == ("latency.first-token-timeout", E) and "after 20 s" in found.message
    timed_out.events.append(TimedEvent(5.0, "data: {}", "{}"))
    assert latency.judge_first_token(timed_out, ctx("vapi")) == []  # not ok: judged elsewhere (stream.stall)


@pytest.mark.parametrize(("first", "sentence", "expected"), [
    (100.0, 1000.0, False), (100.0, 1000.5, True), (1000.5, 2000.0, False), (None, 2000.0, False), (100.0, None, False),
])
def test_first_sentence_boundaries(first: float | None, sentence: float | None, expected: bool) -> None:
    ex = streamed(first, first_sentence_ms=sentence)
    assert bool(latency.judge_first_sentence(ex, ctx())) is expected
    assert latency.judge_first_sentence(ex, ctx(stream=False)) == []


def gap_stream(times: list[float], sentence: float) -> Exchange:
    ex = streamed(times[0], first_sentence_ms=sentence)
    ex.events = [TimedEvent(t, "data: x", "x", text="word ") for t in times]
    return ex


@pytest.mark.parametrize(("times", "sentence", "longest"), [
    ([10.0, 20.0, 1020.0], 20.0, None), ([10.0, 20.0, 1020.5], 20.0, 1000.5), ([10.0, 1500.0, 1510.0], 10.0, 1490.0),
])
def test_gap_boundaries_after_the_first_sentence(times: list[float], sentence: float, longest: float | None) -> None:
    found = latency.judge_gaps(gap_stream(times, sentence), ctx())
    assert bool(found) is (longest is not None)
    if longest is not None:
        assert f"silent for {longest:.0f} ms" in found[0].message


def test_no_gap_finding_before_the_first_sentence_or_without_one() -> None:
    assert latency.judge_gaps(gap_stream([10.0, 3000.0], 3000.0), ctx()) == []
    ex = gap_stream([10.0, 3000.0], 10.0)
    ex.timings.first_sentence_ms = None
    assert latency.judge_gaps(ex, ctx()) == []
    assert latency.judge_gaps(gap_stream([10.0, 3000.0], 10.0), ctx(stream=False)) == []


def test_reasoning_figures_are_named() -> None:
    ex = streamed(800.0, think_chars=12, reasoning_chars=30, reasoning_ms=750.0)
    found = {f.id: f for f in latency.judge_reasoning(ex, ctx("vapi"))}
    spoken, silence = found["latency.reasoning-spoken"], found["latency.reasoning-silence"]
    assert spoken.severity == E and "12 characters" in spoken.message and "lasting 750 ms" in spoken.message
    assert silence.severity == INFO and "30 characters" in silence.message
    assert latency.judge_reasoning(streamed(800.0), ctx()) == []
    assert latency.judge_reasoning(reply(status=500, think_chars=5), ctx()) == []
    unlasted = one(latency.judge_reasoning(streamed(800.0, think_chars=3), ctx()))
    assert "lasting" not in unlasted.message


@pytest.mark.parametrize(("long_ms", "short_ms", "expected"), [
    (1000.0, 100.0, False), (1000.5, 100.0, True), (1000.5, 1000.5, False), (1000.5, None, True),
])
def test_long_call_boundaries(long_ms: float, short_ms: float | None, expected: bool) -> None:
    long = streamed(long_ms)
    short = streamed(short_ms)
    found = latency.judge_long_call(long, short, ctx(), "42 messages")
    assert bool(found) is expected
    if found:
        assert "42 messages" in found[0].message and f"{long_ms:.0f} ms" in found[0].message
        assert ("against" in found[0].message) is (short_ms is not None)


@pytest.mark.parametrize(("late", "usual", "expected"), [
    (399.0, 100.0, False), (400.0, 100.0, True), (1499.0, 1000.0, False), (1500.0, 1000.0, True), (None, 100.0, False),
])
def test_barge_in_delay_boundaries(late: float | None, usual: float, expected: bool) -> None:
    found = latency.judge_barge_in(streamed(late), streamed(usual), ctx())
    assert bool(found) is expected
    if found:
        assert f"{late - usual:.0f} ms late" in found[0].message and found[0].severity == W


# ---- conversation and tools over a call ------------------------------------------------------------------


def test_a_turn_that_works_is_no_finding() -> None:
    good = streamed(10.0)
    good.events = [TimedEvent(10.0, "data: x", "x", text="Hi.")]
    assert conversation.judge_turns(good, ctx()) == []
    assert conversation.judge_barge_in(good, ctx(), "You said") == []
    assert conversation.judge_long_call(good, ctx(), conversation.CallSize(3, 10, 2)) == []
    assert tools.judge_refused(good, ctx(), ["end_call"]) == []
    assert tools.judge_result_turn(good, ctx(), AssembledToolCall("c", 0, "end_call", "{}")) == []


def test_a_failed_turn_with_no_status_quotes_the_failure() -> None:
    gone = reply(status=None, failure=Failure("connection-reset", "the server hung up", ""))
    for found in (conversation.judge_turns(gone, ctx()), conversation.judge_barge_in(gone, ctx(), ""),
                  tools.judge_refused(gone, ctx(), ["end_call"])):
        assert "the server hung up" in one(found).message
    assert "no assistant turn" in one(conversation.judge_barge_in(gone, ctx(), " ")).message
    assert "the 2 words the caller heard" in one(conversation.judge_barge_in(gone, ctx(), "You said")).message


def test_a_long_call_refusal_names_the_size_and_the_servers_token_counts() -> None:
    size = conversation.CallSize(42, 23121, 4236)
    found = one(conversation.judge_long_call(refused(400, "too long"), ctx(), size))
    assert "42 messages, 23,121 characters, about 4,236 words" in found.message and "tokens." not in found.message
    optional = one(conversation.judge_long_call(refused(500), ctx("polyai", optional=True), size))
    assert optional.severity == W


def test_the_tool_probe_sentences_name_the_tools_and_the_call() -> None:
    assert "(end_call, transfer)" in one(tools.judge_refused(refused(400), ctx(), ["end_call", "transfer"])).message
    words = streamed(10.0)
    words.events = [TimedEvent(10.0, "data: x", "x", text="Goodbye, and thank you!")]
    said = one(tools.judge_not_called(words, ctx(), ["end_call"], "end it"))
    assert "'end it'" in said.message and "end_call offered" in said.message and "Goodbye" in said.message
    silent = one(tools.judge_not_called(streamed(10.0), ctx(), ["end_call"], "end it"))
    assert "(" not in silent.message.split("text")[1][:3]
    result = one(tools.judge_result_turn(refused(500), ctx(), AssembledToolCall("call_9", 0, "end_call", "{}")))
    assert "end_call" in result.message and "'call_9'" in result.message
    nameless = one(tools.judge_result_turn(refused(500), ctx(), AssembledToolCall("c", 0, "", "{}")))
    assert "the result of the tool call" in nameless.message


def test_a_tool_call_finding_is_recognised_whatever_its_id() -> None:
    def f(id: str) -> Finding:
        return Finding(id, id.split(".")[0], E, "m", "h")

    assert all(tools.about_a_tool_call(f(i)) for i in ("tools.id-missing", "stream.tool-call-index-missing",
                                                        "schema.tool-arguments-not-string"))
    assert not any(tools.about_a_tool_call(f(i)) for i in ("stream.content-empty", "schema.fields-missing"))


# ---- stream helpers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("data: x", True), ("\ufeff\n event: x", True), (": ping", True), ("retry: 5", True), ("id: 1", True),
    ("{}", False), ("hello", False),
])
def test_what_looks_like_sse(text: str, expected: bool) -> None:
    assert stream.looks_like_sse(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ('{"a": 1}\n{"b": 2}\n', True), ('{"a": 1}\n', False), ("", False), ('{"a": 1}\nnot json\n', False),
])
def test_what_looks_like_ndjson(text: str, expected: bool) -> None:
    assert stream.looks_like_ndjson(text) is expected
