"""Fuzzing what an endpoint can send: arbitrary bytes through the SSE decoder, the assembler and the check rules.

Not valid text only: random bytes, CR/LF mixes, invalid UTF-8, huge lines, JSON nested a
hundred thousand deep, numbers too big to convert, all split at arbitrary points. Nothing
may escape as an exception; every outcome is a finding or a typed error; memory stays
bounded by the caps (the decoder's line cap, the client's body cap).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tracemalloc
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import wire
from workbench.assembler import StreamAssembler
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
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

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
    return [data[a:b] for a, b in zip([0, *marks], [*marks, len(data)])]


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


@pytest.mark.parametrize("number", ["1" * 5000, "1e999", "-1e999", "NaN", "Infinity", "1" * 4300, "0." + "0" * 10000 + "1"])
def test_huge_and_odd_numbers_are_values_or_json_errors(number: str) -> None:
    chunk = '{"id":"c","object":"chat.completion.chunk","created":%s,"model":"m","choices":[{"index":0,' \
            '"delta":{"content":"x"},"finish_reason":null}],"usage":{"prompt_tokens":%s,"completion_tokens":1,' \
            '"total_tokens":%s}}' % (number, number, number)
    exchange, _, _ = assemble([b"data: " + chunk.encode() + b"\n\n" + wire.SSE_DONE])
    event = exchange.events[0]
    assert event.parsed is not None or event.json_error
    found = stream.judge_stream(exchange, Judging(get_platform("vapi"), TARGET, stream=True))
    assert_findings(found)
