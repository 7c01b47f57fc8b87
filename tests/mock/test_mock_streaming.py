"""The mock's stream framing: content chunks from a template are byte for byte what wire would frame."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import wire
from workbench.mock.answer import Answer
from workbench.mock.streaming import answer_chunk_maker, content_framer, framer, stream_steps

FRAMINGS = [None, "no-space", "crlf", "single-newline", "ndjson", "missing-fields"]


def answer(model: str = "mock-model", text: str = "You said: hi") -> Answer:
    return Answer(wire.new_completion_id(), wire.now(), model, text, "stop", wire.usage(1, 3))


@pytest.mark.parametrize("fault", FRAMINGS)
@settings(max_examples=60)
@given(content=st.none() | st.text())
def test_template_frames_equal_wire_frames(fault: str | None, content: str | None) -> None:
    reply = answer()
    frame, make = framer(fault), answer_chunk_maker(reply, strip=fault == "missing-fields")
    assert content_framer(frame, make)(content) == frame(make({"content": content}))


def test_a_model_name_holding_the_mark_falls_back_to_full_framing() -> None:
    reply = answer(model="x\x00workbench-token\x00y")
    frame, make = framer(None), answer_chunk_maker(reply, strip=False)
    assert content_framer(frame, make)("hi ") == frame(make({"content": "hi "}))


def test_plain_stream_steps_are_wire_frames_in_order() -> None:
    reply = answer(text="You said: a b")
    data = b"".join(step.data for step in stream_steps(reply, None, include_usage=True))
    expected = b"".join([
        wire.sse_event(wire.chunk(reply.id, reply.model, reply.created, {"role": "assistant", "content": ""})),
        *(wire.sse_event(wire.chunk(reply.id, reply.model, reply.created, {"content": t}))
          for t in ["You ", "said: ", "a ", "b"]),
        wire.sse_event(wire.chunk(reply.id, reply.model, reply.created, {}, "stop")),
        wire.sse_event(wire.usage_chunk(reply.id, reply.model, reply.created, reply.usage)),
        wire.SSE_DONE,
    ])
    assert data == expected
