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
