"""Fuzzing what an endpoint can send: arbitrary bytes through the SSE decoder, the assembler and the check rules.

Not valid text only: random bytes, CR/LF mixes, invalid UTF-8, huge lines, JSON nested a
hundred thousand deep, numbers too big to convert, all split at arbitrary points. Nothing
may escape as an exception; every outcome is a finding or a typed error; memory stays
bounded by the caps (the decoder's line cap, the client's body cap).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import wire
from workbench.client.assembler import StreamAssembler
from workbench.checks import runner
from workbench.checks.evidence import parse_json
from workbench.checks.findings import CATEGORIES, SEVERITIES, Finding, ProbeResult, Report, probe_status
from workbench.checks.judging import Judging
from workbench.checks.probes import Probe
from workbench.checks.render import FORMATS, render
from workbench.checks.rules import auth, conversation, errors, latency, models, params, reachability, schema, stream
from workbench.exchange import Exchange, Failure, RecordedRequest, Timings
from workbench.platforms import PLATFORMS, get_platform
from workbench.target import Target

TARGET = Target("http://127.0.0.1:8000/v1", "m")
# CI runs 60 examples a test; WORKBENCH_FUZZ_EXAMPLES=2000 searches harder (about a minute).
FUZZ = settings(max_examples=int(os.environ.get("WORKBENCH_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# ---- what a hostile endpoint can send ------------------------------------------------------

GOOD_CHUNK = wire.sse_event(wire.chunk("c", "m", 1, {"content": "hé ✓"}))
NASTY_PIECES = [
    b"data: ", b"data:", b"\n", b"\r", b"\r\n", b"\n\n", b"\r\r", b": ping\n", b"event: x\n", b"id: 1\n",
    b"[DONE]", b"{", b"}", b"[", b"]", b'"', b"\\", b"\xc3", b"\xa9", b"\xff", b"\xed\xa0\x80", b"\x00",
    b"\xef\xbb\xbf", b"\x1b[2J", b"1" * 5000, b"1e999", b"-0", b"NaN", b'{"choices":', b'[{"delta":',
    b'{"content":"x"}}]}', b'{"error":{"message":"boom"}}', GOOD_CHUNK, wire.SSE_DONE,
]
nasty_bytes = st.lists(st.sampled_from(NASTY_PIECES) | st.binary(max_size=24), max_size=40).map(b"".join)
any_bytes = st.binary(max_size=600) | nasty_bytes
cuts = st.lists(st.integers(min_value=0, max_value=5000), max_size=10)


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def assert_findings(found: list[Finding]) -> None:
    """Every outcome is a well-formed finding: a known category and severity, a sentence to act on."""
    for f in found:
        assert isinstance(f, Finding)
        assert f.category in CATEGORIES and f.severity in SEVERITIES
        assert f.message.strip() and f.id == f.id.lower()


def split(data: bytes, points: list[int]) -> list[bytes]:
    marks = sorted({p % (len(data) + 1) for p in points})
    return [data[a:b] for a, b in zip([0, *marks], [*marks, len(data)], strict=True)]


def assemble(pieces: list[bytes]) -> tuple[Exchange, StreamAssembler, list[str]]:
    exchange = Exchange(request=RecordedRequest("POST", TARGET.chat_url, []), status=200,
                        response_headers=[("content-type", wire.SSE_CONTENT_TYPE)], stream_requested=True)
    assembler = StreamAssembler(exchange)
    texts: list[str] = []
    for index, piece in enumerate(pieces):
        texts += assembler.feed(piece, float(index))
    texts += assembler.close(float(len(pieces)))
    exchange.body = b"".join(pieces)
    return exchange, assembler, texts


# ---- the SSE decoder ---------------------------------------------------------------------------


@FUZZ
@given(any_bytes, cuts, st.sampled_from([8, 64, 1 << 20]))
def test_the_decoder_takes_any_text_split_anywhere_and_never_buffers_past_its_cap(data: bytes, points: list[int],
                                                                                 cap: int) -> None:
    text = data.decode("utf-8", "replace")
    decoder = wire.SSEDecoder(max_line=cap)
    events: list[wire.SSEEvent] = []
    previous = 0
    for mark in sorted(p % (len(text) + 1) for p in points):
        events += decoder.feed(text[previous:mark])
        previous = mark
        assert decoder.buffered <= cap
    events += decoder.feed(text[previous:])
    assert decoder.buffered <= cap
    events += decoder.close()
    assert not decoder.pending
    for event in events:
        assert all(len(line) <= cap for line in event.raw.split("\n"))
    if cap == 1 << 20:  # nothing was cut, so splitting changed nothing
        assert events == wire.parse_sse(text)


def test_a_50_mib_line_is_never_held_whole() -> None:
    decoder = wire.SSEDecoder()
    block = "a" * (1 << 16)
    tracemalloc.start()
    try:
        assert list(decoder.feed("data: ")) == []
        for _ in range(50 * 16):  # 50 MiB in 64 KiB reads, as the client gets them
            assert list(decoder.feed(block)) == []
            assert decoder.buffered <= decoder.max_line
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * decoder.max_line  # a few copies of one capped line, never 50 MiB
    (event,) = list(decoder.feed("\n\n"))
    assert len(event.raw) == decoder.max_line and event.data is not None
    assert decoder.lines_truncated >= 1


def test_eight_mib_of_tiny_events_in_one_read_is_decoded_in_one_pass() -> None:
    # A gzip-compressed stream can inflate to the whole 8 MiB body cap in one read. Decoding
    # it must take one pass over the text: rescanning the rest of the buffer for every line
    # made this take minutes (a CPU hang no timeout could interrupt). The subprocess timeout
    # is a safety net, not a speed assertion.
    script = textwrap.dedent("""
        from workbench import wire
        decoder = wire.SSEDecoder()
        count = sum(1 for _ in decoder.feed("data:1\\n\\n" * (1 << 20)))
        print(count)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(1 << 20)


# ---- the assembler -------------------------------------------------------------------------------


@FUZZ
@given(any_bytes, cuts)
def test_the_assembler_takes_any_bytes_split_anywhere_and_records_the_same(data: bytes, points: list[int]) -> None:
    exchange, assembler, texts = assemble(split(data, points))
    whole, whole_assembler, whole_texts = assemble([data])
    assert [(e.raw, e.data, e.text, repr(e.parsed), e.json_error) for e in exchange.events] == [
        (e.raw, e.data, e.text, repr(e.parsed), e.json_error) for e in whole.events
    ]
    assert "".join(texts) == "".join(whole_texts) == exchange.reply_text
    assert (assembler.utf8_error is None) == (whole_assembler.utf8_error is None)
    if assembler.utf8_error is not None:
        offset, bad = assembler.utf8_error
        assert data[offset : offset + len(bad)] == bad and (offset, bad) == whole_assembler.utf8_error
    for event in exchange.events:
        if event.data is not None and not event.is_done:
            assert event.json_error is None or event.parsed is None
            if event.json_error is None and event.parsed is None:
                assert json.loads(event.data) is None  # the data was JSON `null`


@pytest.mark.parametrize("payload", [
    deep(100_000), deep(1_000), deep_object(5_000), deep_object(wire.MAX_JSON_DEPTH + 1),
    '{"choices":[{"delta":{"content":' + deep(50_000) + "}}]}",
], ids=["array-100k", "array-1k", "object-5k", "object-just-too-deep", "inside-a-chunk"])
def test_json_nested_deeper_than_python_recurses_is_a_json_error_not_a_crash(payload: str) -> None:
    body = b"data: " + payload.encode() + b"\n\n" + GOOD_CHUNK + wire.SSE_DONE
    exchange, _, texts = assemble([body])
    first = exchange.events[0]
    assert first.parsed is None and "deep" in (first.json_error or "")
    assert texts == ["hé ✓"]  # the stream went on
    assert Exchange(request=exchange.request, body=payload.encode()).json() is None
    assert parse_json(payload)[0] is None


def test_json_deep_but_within_bounds_still_parses() -> None:
    exchange, _, _ = assemble([b"data: " + deep(wire.MAX_JSON_DEPTH).encode() + b"\n\n"])
    assert exchange.events[0].json_error is None and exchange.events[0].parsed is not None


@pytest.mark.parametrize("number",
                         ["1" * 5000, "1e999", "-1e999", "NaN", "Infinity", "1" * 4300, "0." + "0" * 10000 + "1"])
def test_huge_and_odd_numbers_are_values_or_json_errors(number: str) -> None:
    # A JSON template: % leaves its braces as they are (an f-string would double each one).
    chunk = ('{"id":"c","object":"chat.completion.chunk","created":%s,"model":"m","choices":[{"index":0,'  # noqa: UP031
             '"delta":{"content":"x"},"finish_reason":null}],"usage":{"prompt_tokens":%s,"completion_tokens":1,'
             '"total_tokens":%s}}') % (number, number, number)
    exchange, _, _ = assemble([b"data: " + chunk.encode() + b"\n\n" + wire.SSE_DONE])
    event = exchange.events[0]
    assert event.parsed is not None or event.json_error
    found = stream.judge_stream(exchange, Judging(get_platform("vapi"), TARGET, stream=True))
    assert_findings(found)


# ---- the check rules on hand-built Exchanges --------------------------------------------------

FAILURE_KINDS = [None, "connection-reset", "invalid-utf8", "read-timeout", "first-token-timeout", "body-too-large",
                 "protocol", "cancelled", "not-sse", "connection-refused", "dns", "tls", "connect-timeout"]
CONTENT_TYPES = [wire.SSE_CONTENT_TYPE, wire.JSON_CONTENT_TYPE, "text/html", "text/plain", "application/x-ndjson",
                 "", "text/event-stream; charset=utf-8", "application/json\x00;"]
STATUSES = [None, 200, 201, 204, 301, 307, 400, 401, 403, 404, 405, 413, 422, 429, 500, 502, 599]


@st.composite
def exchanges(draw: st.DrawFn) -> tuple[Exchange, bool]:
    """An Exchange as the client could have recorded it from arbitrary bytes."""
    streamed = draw(st.booleans())
    data = draw(any_bytes | st.sampled_from([deep(5000).encode(), deep_object(3000).encode(), b"1" * 6000]))
    status = draw(st.sampled_from(STATUSES))
    kind = draw(st.sampled_from(FAILURE_KINDS))
    headers = [("content-type", draw(st.sampled_from(CONTENT_TYPES)))]
    if draw(st.booleans()):
        headers.append(("location", draw(st.text(max_size=30))))
    exchange = Exchange(request=RecordedRequest("POST", TARGET.chat_url, []), stream_requested=streamed)
    if streamed and draw(st.booleans()):
        exchange, _, _ = assemble(split(data, draw(cuts)))
        exchange.stream_requested = True
    exchange.body = data if status is not None else b""
    exchange.status = status
    exchange.reason = draw(st.sampled_from(["", "OK", "Teapot \x1b[31m", "\xff"]))
    exchange.response_headers = headers
    if kind is not None:
        exchange.failure = Failure(kind, draw(st.text(max_size=40)) or "it failed", "fix it")
    exchange.timings = Timings(total_ms=draw(st.none() | st.floats(0, 1e9)),
                               first_token_ms=draw(st.none() | st.floats(0, 1e9)))
    return exchange, streamed


def judge_everything(exchange: Exchange, streamed: bool, platform_id: str) -> list[Finding]:
    """Every rule that can see this exchange, the way the runner calls them."""
    platform = get_platform(platform_id)
    ctx = Judging(platform, TARGET, stream=streamed, include_usage=streamed)
    probe = Probe("chat", "chat", stream=streamed, body={"model": "m", "messages": [], "temperature": 1})
    found = runner._judge_reply(probe, exchange, ctx)
    if exchange.status is not None and 200 <= exchange.status < 300:
        found += stream.judge_stream(exchange, ctx) if streamed else schema.judge_completion(exchange, ctx)
    found += reachability.judge_failure(exchange, ctx)
    found += reachability.judge_path(exchange, ctx, exchange, "http://127.0.0.1:8000")
    found += reachability.judge_redirect(exchange, ctx, exchange)
    found += auth.judge_refused(exchange, ctx, "bearer", exchange, "x-api-key")
    found += auth.judge_refused(exchange, ctx, "none")
    found += auth.judge_open(ctx, exchange, exchange, "bearer")
    found += errors.judge_status(exchange, ctx)
    found += errors.judge_malformed(exchange, ctx, "a broken body")
    found += errors.judge_error_bodies([("chat", exchange), ("auth.none", exchange)], ctx)
    found += models.judge_models(exchange, ctx)
    found += params.judge_rejected(exchange, ctx, exchange, probe.body or {})
    found += conversation.judge_turns(exchange, ctx) + conversation.judge_smoke_reply(exchange, ctx, "hello")
    for form in conversation.FORMS:
        found += conversation.judge_form(exchange, ctx, form)
    found += latency.judge_first_token(exchange, ctx)
    for followup in ("chat.stream", "conversation", "errors.bad-json", "models", "auth.none"):
        found += runner._judge_followup(Probe(followup, followup, stream=streamed, what="bad JSON"), exchange, ctx,
                                        True)
    return found


@FUZZ
@given(exchanges(), st.sampled_from(sorted(PLATFORMS)))
def test_every_rule_turns_any_recorded_reply_into_findings(case: tuple[Exchange, bool], platform_id: str) -> None:
    exchange, streamed = case
    found = judge_everything(exchange, streamed, platform_id)
    assert_findings(found)
    exchange.reply_text, exchange.json(), exchange.text  # the views the TUI reads never raise
    json.dumps(exchange.to_dict())
    assert Exchange.from_dict(json.loads(json.dumps(exchange.to_dict()))).body == exchange.body

    result = ProbeResult("chat", "the chat probe", probe_status(found), 1.0, tuple(found), "HTTP 200")
    report = Report.build(platform_id, TARGET.base_url, found, {"ttft_ms": None, "check_ms": 3.0}, [result])
    for fmt in FORMATS:
        out = render(report, fmt, color=fmt == "text")
        assert out.endswith("\n")
        if fmt == "junit":
            ET.fromstring(out.split("\n", 1)[1])  # well-formed XML, whatever the endpoint sent
        if fmt == "json":
            assert json.loads(out)["compatible"] == report.compatible


@FUZZ
@given(st.binary(max_size=200), st.sampled_from(["\x1b]0;owned\x07", "\x1b[2J", "\x00", "\x9b31m", "\x08\x08"]))
def test_no_control_character_from_an_endpoint_reaches_a_report(data: bytes, control: str) -> None:
    """An endpoint's bytes are quoted in findings; raw, escape sequences would rewrite the user's terminal."""
    body = data + control.encode() + b'{"object":"list","data":[{"id":"' + control.encode() + b'"}]}'
    exchange = Exchange(request=RecordedRequest("POST", TARGET.chat_url, []), status=500, body=body,
                        reason="Oops" + control, response_headers=[("content-type", "text/plain")])
    found = judge_everything(exchange, False, "polyant")
    models_ok = Exchange(request=exchange.request, status=200, response_headers=[("content-type", "application/json")],
                         body=b'{"object":"list","data":[{"id":"' + json.dumps(control)[1:-1].encode() + b'"}]}')
    found += models.judge_models(models_ok, Judging(get_platform("polyant"), TARGET))
    assert found
    report = Report.build("polyant", TARGET.base_url, found)
    for fmt in ("text", "markdown", "junit"):
        out = render(report, fmt)
        assert not any(ch in out for ch in "\x1b\x00\x07\x08\x9b"), fmt
