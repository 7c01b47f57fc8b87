"""What a caller hears (workbench/speech.py): the first speakable unit as docs/check.md defines it,
reasoning as silence, and the figures the assembler puts on an Exchange's Timings (old saved
exchanges, without them, still load)."""

from __future__ import annotations

import json

import pytest

from workbench import speech, wire
from workbench.client.assembler import StreamAssembler, whole_reply_timings
from workbench.exchange import Exchange, RecordedRequest, Timings


@pytest.mark.parametrize(("text", "final", "end"), [
    ("Hello! Can", False, 6),  # a sentence end followed by whitespace
    ("Hello!", False, None),  # ...not yet: the next character may be a digit or a letter
    ("Hello!", True, 6),  # the reply ended there
    ('"Yes." he said', False, 6),  # closing quotes after the full stop
    ("Pi is 3.14 and more", False, None),  # a full stop inside a number ends nothing
    ("Well, ", False, None),  # a clause end before 4 words is not a unit
    ("Well, let me check that, ", False, 24),  # a clause end after 4 words is
    ("one two three four five six seven eight nine", False, 39),  # 8 words
    ("one two three four five six seven eight", False, None),  # the 8th not yet followed by whitespace
    ("  \n", True, None),  # no word at all
    ("Hi", True, 2),
])
def test_the_first_speakable_unit(text: str, final: bool, end: int | None) -> None:
    assert speech.first_unit_end(text, final) == end


def test_the_unit_is_found_across_pieces_however_they_are_cut() -> None:
    text = "Sure thing. I can help."
    for cut in range(1, len(text)):
        scanner = speech.UnitScanner()
        scanner.add(text[:cut])
        assert scanner.add(text[cut:]) == len("Sure thing.")


def test_a_stream_without_whitespace_costs_linear_time_and_still_ends() -> None:
    scanner = speech.UnitScanner()
    for _ in range(10_000):
        scanner.add("a" * 100)
    assert scanner.gave_up and scanner.end(1_000_000) == 1_000_000


@pytest.mark.parametrize(("pieces", "opened_at"), [
    (["<think>hm, ", "let me see</think>\n\nHello."], 0.0),
    (["<th", "ink>hm, let me see</th", "ink>\n\nHello."], 1.0),  # the tag is whole at the second piece
    (["<think>hm, let me see</think>", "\n\n", "Hello."], 0.0),
])
def test_think_text_is_silence_however_the_tags_are_cut(pieces: list[str], opened_at: float) -> None:
    tracker = speech.SpeechTracker()
    for t, piece in enumerate(pieces):
        tracker.feed(piece, "", float(t))
    tracker.end(9.0)
    assert tracker.spoken.strip() == "Hello." and tracker.think_chars == len("hm, let me see")
    assert tracker.first_token_ms == float(len(pieces) - 1)
    assert tracker.reasoning_ms == tracker.first_token_ms - opened_at


def test_an_unclosed_think_block_is_all_reasoning() -> None:
    assert speech.spoken_text("<think>still thinking") == ""
    assert speech.spoken_text("Hi <thin") == "Hi <thin"  # a partial tag at the very end is text


def test_reasoning_fields_are_read_in_every_spelling() -> None:
    assert speech.reasoning_text({"reasoning_content": "a"}) == "a"
    assert speech.reasoning_text({"reasoning": "b", "content": "x"}) == "b"
    assert speech.reasoning_text({"reasoning_details": [{"type": "reasoning.text", "text": "c"},
                                                        {"type": "reasoning.summary", "summary": "d"}, "junk"]}) == "cd"
    assert speech.reasoning_text({"content": "x"}) == "" and speech.reasoning_text(None) == ""


def sse_exchange(pieces: list[tuple[float, dict | str]]) -> Exchange:
    exchange = Exchange(request=RecordedRequest("POST", "http://h/v1/chat/completions", []), status=200,
                        response_headers=[("Content-Type", "text/event-stream")], stream_requested=True)
    assembler = StreamAssembler(exchange)
    for t, obj in pieces:
        assembler.feed(wire.sse_event(obj), t)
    assembler.close(pieces[-1][0])
    return exchange


def chunk(delta: dict, finish: str | None = None) -> dict:
    return wire.chunk("c", "m", 1, delta, finish)


def test_the_assembler_puts_the_voice_figures_on_the_timings() -> None:
    exchange = sse_exchange([(5.0, chunk({"role": "assistant", "content": ""})),
                             (10.0, chunk({"reasoning_content": "thinking"})), (300.0, chunk({"content": "Well, "})),
                             (2300.0, chunk({"content": "sure. "})), (2301.0, chunk({}, "stop")), (2302.0, wire.DONE)])
    timings = exchange.timings
    assert (timings.first_token_ms, timings.first_sentence_ms) == (300.0, 2300.0)
    assert (timings.reasoning_ms, timings.reasoning_chars, timings.think_chars) == (290.0, 8, 0)
    assert timings.chunk_gaps_ms == [2000.0]


def test_a_reply_without_a_sentence_end_has_its_unit_at_the_end() -> None:
    exchange = sse_exchange([(5.0, chunk({"content": "Okay"})), (80.0, chunk({}, "stop")), (81.0, wire.DONE)])
    assert (exchange.timings.first_token_ms, exchange.timings.first_sentence_ms) == (5.0, 80.0)


def test_a_whole_reply_speaks_when_its_body_arrives() -> None:
    body = wire.completion("m", "<think>plan</think>Hello there.")
    exchange = Exchange(request=RecordedRequest("POST", "http://h/v1/chat/completions", []), status=200,
                        response_headers=[("Content-Type", "application/json")], body=wire.dumps(body).encode(),
                        timings=Timings(total_ms=420.0))
    whole_reply_timings(exchange)
    assert (exchange.timings.first_sentence_ms, exchange.timings.think_chars) == (420.0, 4)
    empty = Exchange(request=exchange.request, status=200, body=wire.dumps(wire.completion("m", "")).encode(),
                     response_headers=exchange.response_headers, timings=Timings(total_ms=9.0))
    whole_reply_timings(empty)
    assert empty.timings.first_sentence_ms is None


def test_the_figures_are_saved_and_old_files_still_load() -> None:
    exchange = sse_exchange([(5.0, chunk({"content": "Hi there. "})), (6.0, chunk({}, "stop"))])
    saved = json.loads(json.dumps(exchange.to_dict()))
    assert saved["timings"]["first_sentence_ms"] == 5.0
    assert Exchange.from_dict(saved).timings == exchange.timings
    for name in ("first_sentence_ms", "reasoning_ms", "think_chars", "reasoning_chars"):
        del saved["timings"][name]  # a file saved before these figures existed
    old = Exchange.from_dict(saved)
    assert old.timings.first_sentence_ms is None and old.timings.first_token_ms == 5.0
    saved["timings"]["from_a_newer_version"] = 1  # and a newer file's extra figure is left aside
    assert Exchange.from_dict(saved).timings.first_token_ms == 5.0
