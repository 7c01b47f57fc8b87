"""One "is this reply usable?": chat, simulate, check and bench give the same answer for the same reply.

Each reply is recorded into an Exchange the way the client records it (stream bytes through the
StreamAssembler), then handed to each of the four as it would meet it: chat's `exchange.problem()`
(after the failure the shells report first), simulate's turn judging, the check's rules (the
conversation rule that asks for a usable reply, and an error among the findings), and the
bench's error counting. Exact over lenient (DESIGN.md): an error inside an HTTP 200, an empty
or unreadable stream and an empty `choices` are unusable for all four.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from workbench import wire
from workbench.client.assembler import StreamAssembler
from workbench.bench.sample import sample_from_exchange
from workbench.checks.rules.conversation import judge_turns
from workbench.checks.single import judge_exchange, judging_for
from workbench.exchange import Exchange, Failure, RecordedRequest
from workbench.platforms.plain import PLAIN
from workbench.simulate import PlayedTurn, Turn, turn_result

URL = "http://127.0.0.1:8000/v1/chat/completions"
CREATED = 1700000000


def _request(stream: bool) -> RecordedRequest:
    body = wire.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream})
    return RecordedRequest("POST", URL, [("Content-Type", "application/json")], body=body.encode())


def _chunk(delta: dict, finish_reason: str | None = None) -> bytes:
    return wire.sse_event(wire.chunk("chatcmpl-1", "m", CREATED, delta, finish_reason))


def streamed(*pieces: bytes, failure: Failure | None = None) -> Exchange:
    """A 200 text/event-stream reply to a stream request, its pieces 20 ms apart."""
    exchange = Exchange(request=_request(True), status=200, reason="OK", http_version="HTTP/1.1",
                        response_headers=[("Content-Type", wire.SSE_CONTENT_TYPE)], stream_requested=True)
    assembler = StreamAssembler(exchange)
    t = 40.0
    for piece in pieces:
        exchange.body += piece
        assembler.feed(piece, t)
        t += 20.0
    assembler.close(t)
    exchange.timings.headers_ms = 5.0
    exchange.timings.total_ms = t
    exchange.failure = failure
    return exchange


def whole(status: int, reason: str, body: bytes, content_type: str = wire.JSON_CONTENT_TYPE) -> Exchange:
    """A reply that is not a stream, to a request that did not ask for one."""
    exchange = Exchange(request=_request(False), status=status, reason=reason, http_version="HTTP/1.1",
                        response_headers=[("Content-Type", content_type)], body=body)
    exchange.timings.headers_ms = exchange.timings.total_ms = 50.0
    return exchange


def _json(obj: object) -> bytes:
    return wire.dumps(obj).encode()


ROLE = _chunk({"role": "assistant", "content": ""})
STOP = _chunk({}, "stop")
EMPTY_CHOICES = {"id": "chatcmpl-1", "object": "chat.completion", "created": CREATED, "model": "m", "choices": []}

REPLIES: dict[str, tuple[Callable[[], Exchange], bool]] = {
    "a good stream": (lambda: streamed(ROLE, _chunk({"content": "Hello"}), _chunk({"content": " there."}), STOP,
                                       wire.SSE_DONE), True),
    "a good JSON reply": (lambda: whole(200, "OK", _json(wire.completion("m", "Hello there.", created=CREATED))),
                          True),
    "HTTP 200 with an error envelope": (
        lambda: whole(200, "OK", _json(wire.error_envelope("model overloaded", "server_error"))), False),
    "HTTP 500 with an envelope": (
        lambda: whole(500, "Internal Server Error", _json(wire.error_envelope("boom", "server_error"))), False),
    "an empty stream": (streamed, False),
    "a stream with no content": (lambda: streamed(ROLE, STOP, wire.SSE_DONE), False),
    "a JSON reply with empty choices": (lambda: whole(200, "OK", _json(EMPTY_CHOICES)), False),
    "a non-JSON 200": (lambda: whole(200, "OK", b"Hello there.", "text/plain"), False),
    # Where the four disagreed before they shared one judgement:
    "a stream with an error event after text": (
        lambda: streamed(ROLE, _chunk({"content": "Hello"}), wire.sse_event(wire.error_envelope("engine died")),
                         wire.SSE_DONE), False),
    "a stream of only whitespace": (lambda: streamed(ROLE, _chunk({"content": "  "}), STOP, wire.SSE_DONE), False),
    "a stream cut after some text": (
        lambda: streamed(ROLE, _chunk({"content": "Hello"}),
                         failure=Failure("connection-reset", "The connection closed mid-reply.",
                                         "Keep the connection open until data: [DONE].")), False),
}


def chat_usable(exchange: Exchange) -> bool:
    """As `workbench chat` and the Chat screen decide (the failure first, then the reply)."""
    return exchange.problem() is None


def simulate_usable(exchange: Exchange) -> bool:
    result = turn_result(1, Turn("hi"), PlayedTurn.single(exchange), PLAIN)  # PLAIN: the 1000 ms budget
    return result.failure is None


def check_usable(exchange: Exchange) -> bool:
    findings = judge_exchange(exchange)
    turns = judge_turns(exchange, judging_for(exchange))
    # The rules name every unusable reply as an error, and the conversation rule agrees.
    assert (turns == []) == (not any(f.severity == "error" for f in findings)), [f.id for f in findings + turns]
    return turns == []


def bench_usable(exchange: Exchange) -> bool:
    return sample_from_exchange(exchange, 0, 0.0).ok


@pytest.mark.parametrize("name", list(REPLIES))
def test_chat_simulate_check_and_bench_agree_on_usable(name: str) -> None:
    make, usable = REPLIES[name]
    answers = {
        "exchange": make().problem() is None,
        "chat": chat_usable(make()),
        "simulate": simulate_usable(make()),
        "check": check_usable(make()),
        "bench": bench_usable(make()),
    }
    assert answers == dict.fromkeys(answers, usable), name


@pytest.mark.parametrize("name", [n for n, (_, usable) in REPLIES.items() if not usable])
def test_every_unusable_reply_is_one_sentence_with_a_fix(name: str) -> None:
    problem = REPLIES[name][0]().problem()
    assert problem is not None and problem.message.endswith(".") and problem.hint


def test_the_server_message_is_read_once_whatever_the_shape() -> None:
    assert whole(500, "Internal Server Error", _json(wire.error_envelope("boom"))).server_message() == "boom"
    assert (whole(422, "Unprocessable", _json({"statusCode": 422, "message": "bad model"})).server_message()
            == "bad model")
    assert whole(404, "Not Found", _json({"detail": "Not Found"})).server_message() == "Not Found"
    assert whole(200, "OK", _json({"error": "quota"})).server_message() == "quota"
    assert whole(200, "OK", _json({"error": {"code": 7}})).server_message() == '{"error":{"code":7}}'
    assert whole(200, "OK", _json(wire.completion("m", "hi"))).server_message() is None
    assert whole(200, "OK", _json({"choices": [], "error": None})).server_message() is None
    assert whole(500, "Internal Server Error", b"<html>oops</html>", "text/html").server_message() is None
    midway = streamed(ROLE, _chunk({"content": "Hi"}), wire.sse_event(wire.error_envelope("engine died")))
    assert midway.server_message() == "engine died"


def test_a_refusal_reads_the_same_in_chat_and_simulate() -> None:
    exchange = whole(401, "Unauthorized", _json(wire.error_envelope("Bad key.")))
    said = exchange.problem()
    assert said is not None and said.message == "The endpoint answered 401 Unauthorized: Bad key."
    turn = turn_result(1, Turn("hi"), PlayedTurn.single(exchange), PLAIN)
    assert turn.failure is not None and turn.failure.kind == "http-401"
    assert turn.failure.message == "expected HTTP 200, but the endpoint answered 401 Unauthorized: Bad key."
    assert turn.failure.hint == said.hint
    assert sample_from_exchange(exchange, 0, 0.0).error_kind == "http-401"
