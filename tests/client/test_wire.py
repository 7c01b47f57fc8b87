"""The wire format: reply objects, SSE framing, and the incremental SSE decoder."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import wire


def test_completion_has_the_openai_shape():
    body = wire.completion("m1", "hi there", usage=wire.usage(3, 2))
    assert body["id"].startswith("chatcmpl-") and len(body["id"]) == len("chatcmpl-") + 24
    assert body["object"] == "chat.completion"
    assert isinstance(body["created"], int)
    assert body["model"] == "m1"
    assert body["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": "hi there"}, "finish_reason": "stop"}
    ]
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


@settings(max_examples=300)
@given(model=st.text(), content=st.text(), created=st.integers(0, 2**40),
       finish_reason=st.sampled_from(sorted(wire.FINISH_REASONS)),
       counts=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)))
def test_completion_json_is_exactly_the_encoded_completion(model, content, created, finish_reason, counts):
    # The mock's fast path: any model name or reply text (quotes, control characters, lone
    # surrogates, emoji) must come out as the general encoder would write it.
    usage = wire.usage(*counts)
    fast = wire.completion_json(model, content, id="chatcmpl-x", created=created, finish_reason=finish_reason,
                                usage=usage)
    general = wire.dumps(wire.completion(model, content, id="chatcmpl-x", created=created,
                                         finish_reason=finish_reason, usage=usage))
    assert fast == general


def test_chunk_and_usage_chunk():
    c = wire.chunk("chatcmpl-x", "m", 1, {"role": "assistant"})
    assert c["object"] == "chat.completion.chunk"
    assert c["choices"][0] == {"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}
    u = wire.usage_chunk("chatcmpl-x", "m", 1, wire.usage(1, 1))
    assert u["choices"] == [] and u["usage"]["total_tokens"] == 2


def test_chat_request_leaves_out_none_and_adds_stream_options_only_when_streaming():
    body = wire.chat_request("m", [wire.message("user", "hi")], temperature=0.7, top_p=None)
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.7, "stream": False}
    streamed = wire.chat_request("m", [], stream=True, include_usage=True)
    assert streamed["stream_options"] == {"include_usage": True}
    assert "stream_options" not in wire.chat_request("m", [], stream=False, include_usage=True)


def test_sse_event_frames_json_compactly():
    assert wire.sse_event({"a": "é"}) == 'data: {"a":"é"}\n\n'.encode()
    assert wire.sse_event(wire.DONE) == wire.SSE_DONE


def test_split_words_joins_back_exactly():
    text = "Hello,  world!\nNew line  "
    assert "".join(wire.split_words(text)) == text
    assert wire.split_words("") == [""]


def test_last_user_text_reads_strings_and_text_parts():
    messages = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "reply"},
        {"role": "user",
         "content": [{"type": "text", "text": "a"}, {"type": "image_url"}, {"type": "text", "text": "b"}]},
    ]
    assert wire.last_user_text(messages) == "ab"
    assert wire.last_user_text([{"role": "system", "content": "s"}]) == ""


def test_decoder_accepts_the_valid_variants():
    body = (
        'data: {"a":1}\r\n\r\n'  # CRLF
        ": keep-alive\n\n"  # comment only
        'data:{"b":2}\n\n'  # no space after the colon
        "event: x\nid: 7\ndata: one\ndata: two\r\r"  # CR line endings, multi-line data
        "data: [DONE]\n\n"
    )
    events = wire.parse_sse(body)
    assert [e.data for e in events] == ['{"a":1}', None, '{"b":2}', "one\ntwo", "[DONE]"]
    assert events[1].is_comment_only and events[1].comments == ["keep-alive"]
    assert events[3].event == "x" and events[3].id == "7"
    assert events[-1].is_done


def test_decoder_keeps_single_newline_separated_events_together():
    # The "single-newline" breakage: two data lines with no blank line between them are ONE
    # event whose data joins both, which is exactly what a strict client would see.
    events = wire.parse_sse('data: {"a":1}\ndata: {"b":2}\n\n')
    assert len(events) == 1
    assert events[0].data == '{"a":1}\n{"b":2}'


def test_decoder_reports_an_unterminated_event_on_close():
    decoder = wire.SSEDecoder()
    assert list(decoder.feed('data: {"a":1}\n\ndata: partial')) != []
    assert decoder.pending
    tail = list(decoder.close())
    assert [e.data for e in tail] == ["partial"]


def test_decoder_bounds_line_length():
    decoder = wire.SSEDecoder(max_line=100)
    list(decoder.feed("data: " + "x" * 10_000))
    assert len(decoder._buffer) <= 100
    events = list(decoder.feed("\n\n"))
    assert len(events[0].raw) <= 100
    assert decoder.lines_truncated == 1


def test_delta_text_is_forgiving():
    assert wire.delta_text({"choices": [{"delta": {"content": "hi"}}]}) == "hi"
    for bad in (None, [], {"choices": []}, {"choices": [1]}, {"choices": [{"delta": None}]},
                {"choices": [{"delta": {"content": 3}}]}):
        assert wire.delta_text(bad) == ""


# ---- properties ------------------------------------------------------------------------

_sse_text = st.text(alphabet=st.sampled_from(list("ab: {}\"\r\n\t[]é")), max_size=300)


def _feed_in_pieces(text: str, cuts: list[int]) -> list[wire.SSEEvent]:
    decoder = wire.SSEDecoder()
    events: list[wire.SSEEvent] = []
    previous = 0
    for cut in sorted(c % (len(text) + 1) for c in cuts):  # repeats feed empty pieces, on purpose
        events.extend(decoder.feed(text[previous:cut]))
        previous = cut
    events.extend(decoder.feed(text[previous:]))
    events.extend(decoder.close())
    return events


@settings(max_examples=300, deadline=None)
@given(_sse_text, st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_decoding_does_not_depend_on_where_the_bytes_were_split(text, cuts):
    assert _feed_in_pieces(text, cuts) == wire.parse_sse(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3), max_size=8),
       st.sampled_from(["\n", "\r\n", "\r"]))
def test_framed_events_round_trip_with_any_line_ending(objects, newline):
    body = "".join(wire.sse_event(o).decode() for o in objects) + wire.SSE_DONE.decode()
    body = body.replace("\n", newline)
    events = wire.parse_sse(body)
    assert [json.loads(e.data) for e in events[:-1]] == objects
    assert events[-1].is_done
