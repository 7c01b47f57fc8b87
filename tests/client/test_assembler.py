"""StreamAssembler: bytes split anywhere become the same timed events, text and timings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import wire
from workbench.client.assembler import StreamAssembler, looks_like_sse
from workbench.exchange import Exchange, RecordedRequest

WORDS = ["Hé", "llo ", "wörld", " ✓", ""]
BODY = b"".join(
    [wire.sse_event(wire.chunk("c", "m", 1, {"role": "assistant", "content": ""}))]
    + [wire.sse_event(wire.chunk("c", "m", 1, {"content": w})) for w in WORDS]
    + [b": keep-alive\n\n", b"data: {not json}\r\n\r\n", wire.SSE_DONE]
)


def fresh() -> Exchange:
    return Exchange(request=RecordedRequest("POST", "http://x/v1/chat/completions", []))


def feed_all(pieces: list[bytes]) -> tuple[Exchange, list[str], StreamAssembler]:
    exchange = fresh()
    assembler = StreamAssembler(exchange)
    texts: list[str] = []
    for index, piece in enumerate(pieces):
        texts += assembler.feed(piece, float(index))
    texts += assembler.close(float(len(pieces)))
    return exchange, texts, assembler


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=12))
def test_splitting_the_bytes_anywhere_changes_nothing_but_the_times(cuts: list[int]) -> None:
    points = sorted(set(cuts))
    pieces = [BODY[a:b] for a, b in zip([0] + points, points + [len(BODY)], strict=True)]
    exchange, texts, assembler = feed_all(pieces)
    whole, whole_texts, _ = feed_all([BODY])
    assert texts == whole_texts == [w for w in WORDS if w]
    assert [(e.raw, e.data, e.text, e.json_error is None) for e in exchange.events] == [
        (e.raw, e.data, e.text, e.json_error is None) for e in whole.events
    ]
    assert assembler.utf8_error is None  # multi-byte characters cut in two are not errors


def test_events_carry_parsed_json_text_and_flags() -> None:
    exchange, _, _ = feed_all([BODY])
    events = exchange.events
    assert events[0].parsed["choices"][0]["delta"]["role"] == "assistant" and events[0].text == ""
    assert [e.text for e in events[1:5]] == ["Hé", "llo ", "wörld", " ✓"]
    keep_alive, broken, done = events[-3:]
    assert keep_alive.comment_only and keep_alive.data is None
    assert broken.json_error and broken.parsed is None and broken.text == ""
    assert done.is_done and done.parsed is None and done.json_error is None


def test_timings_follow_the_times_the_chunks_arrived() -> None:
    exchange = fresh()
    assembler = StreamAssembler(exchange)
    role, *words = [wire.sse_event(wire.chunk("c", "m", 1, {"content": w})) for w in ["", "a", "b", "c"]]
    assembler.feed(role, 10.0)
    assembler.feed(words[0], 50.0)
    assembler.feed(words[1] + words[2], 70.5)  # two events in one read share its arrival time
    timings = exchange.timings
    assert (timings.first_event_ms, timings.first_token_ms) == (10.0, 50.0)
    assert timings.chunk_gaps_ms == [20.5, 0.0]


def test_invalid_utf8_offset_counts_bytes_held_back_from_the_previous_chunk() -> None:
    exchange = fresh()
    assembler = StreamAssembler(exchange)
    good = wire.sse_event(wire.chunk("c", "m", 1, {"content": "é"}))
    prefix = b'data: {"choices":[{"delta":{"content":"'
    # "\xc3" starts a two-byte character; the next chunk breaks it with "(".
    assembler.feed(good + prefix + b"\xc3", 1.0)
    assembler.feed(b'("}}]}\n\n', 2.0)
    assert assembler.utf8_error == (len(good) + len(prefix), b"\xc3")
    assert exchange.events[-1].text == "\ufffd("


def test_a_stream_ending_mid_event_keeps_it_as_unterminated() -> None:
    exchange, texts, _ = feed_all([wire.sse_event(wire.chunk("c", "m", 1, {"content": "a"}))
                                   + b'data: {"choices":[{"delta":{"content":"b"}}]}'])
    assert texts == ["a", "b"]
    assert [e.unterminated for e in exchange.events] == [False, True]


def test_looks_like_sse_tells_sse_bodies_from_json_and_html() -> None:
    assert looks_like_sse(b"data: {}\n\n") and looks_like_sse(b"\n: ping\n\n") and looks_like_sse(b"event: x\n")
    assert not looks_like_sse(b'{"id": 1}') and not looks_like_sse(b"<html>") and not looks_like_sse(b"")
