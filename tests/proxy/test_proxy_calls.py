"""Grouping requests into calls by the history they carry, and recognising the platform that sent them."""

from __future__ import annotations

from workbench.proxy.calls import IDLE_S, CallTracker
from workbench.proxy.recognise import recognise

SYSTEM = {"role": "system", "content": "You book tables."}


def _body(*turns: str, call_id: str | None = None) -> dict:
    messages = [SYSTEM]
    for index, text in enumerate(turns):
        messages.append({"role": "user" if index % 2 == 0 else "assistant", "content": text})
    body = {"model": "m", "messages": messages}
    if call_id:
        body["call"] = {"id": call_id}
    return body


def test_a_growing_history_is_one_call_and_a_fresh_one_is_another() -> None:
    calls = CallTracker()
    assert calls.place(_body("Hi")) == (1, 1)
    assert calls.place(_body("Hi", "Hello! For when?", "Friday")) == (1, 2)
    assert calls.place(_body("Hi", "Hello! For when?", "Friday", "At seven?", "Yes")) == (1, 3)
    assert calls.place(_body("Hi")) == (2, 1)  # the same opening again: a new caller
    assert calls.place(_body("Hi", "Hello!", "Saturday")) == (2, 2)


def test_a_retry_stays_in_its_call_and_a_barge_in_still_matches() -> None:
    calls = CallTracker()
    calls.place(_body("Hi"))
    assert calls.place(_body("Hi")) == (1, 2)  # ElevenLabs retries the same request
    # The caller barged in: the platform kept only the words spoken of the endpoint's reply.
    calls.place(_body("Hi", "Hello! I can book a table for you, what day", "Friday"))
    assert calls.place(_body("Hi", "Hello!", "Friday", "Seven?", "Yes")) == (1, 4)


def test_two_calls_in_parallel_keep_apart() -> None:
    calls = CallTracker()
    calls.place(_body("I want a table"))
    calls.place(_body("Cancel my booking"))
    assert calls.place(_body("Cancel my booking", "Which name?", "Ada")) == (2, 2)
    assert calls.place(_body("I want a table", "When?", "Friday")) == (1, 2)


def test_vapis_call_id_decides() -> None:
    calls = CallTracker()
    assert calls.place(_body("Hi", call_id="call-a")) == (1, 1)
    assert calls.place(_body("Something else entirely", call_id="call-a")) == (1, 2)
    assert calls.place(_body("Hi", call_id="call-b")) == (2, 1)


def test_requests_without_messages_are_not_calls_and_idle_calls_are_forgotten() -> None:
    calls = CallTracker()
    assert calls.place(None) is None and calls.place({"model": "m"}) is None and calls.place([1]) is None
    calls.place(_body("Hi"), now=0.0)
    assert calls.place(_body("Hi", "Hello", "More"), now=IDLE_S + 1) == (2, 1)


def test_the_platform_is_recognised_only_from_its_own_fields() -> None:
    assert recognise({"messages": [], "call": {"id": "x"}}) == ("vapi", "its `call` field")
    assert recognise({"messages": [], "elevenlabs_extra_body": {}})[0] == "elevenlabs"
    assert recognise({"messages": [], "call": "not an object"})[0] == "openai"
    assert recognise(None) == ("openai", "no platform's own field")
    assert recognise({"call": {"id": "x"}}, "polyai") == ("polyai", "--as")
