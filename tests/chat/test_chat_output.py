"""The text views of an Exchange: request as sent, reply with event times, status line, usable-or-not."""

from __future__ import annotations

from workbench import wire
from workbench.client.assembler import StreamAssembler
from workbench.chat_output import (
    render_request,
    render_response,
    reply_warnings,
    status_line,
    tokens_per_s,
)
from workbench.exchange import Exchange, Failure, RecordedRequest, Timings


def request() -> RecordedRequest:
    return RecordedRequest(
        "POST", "http://127.0.0.1:8000/v1/chat/completions",
        [("Host", "127.0.0.1:8000"), ("Authorization", "Bearer sk-…9f3a"), ("Content-Type", "application/json")],
        body=b'{"model":"m","stream":true}', secret_headers=["authorization"],
    )


def streamed(words: list[str], times: list[float]) -> Exchange:
    exchange = Exchange(request=request(), status=200, reason="OK", http_version="HTTP/1.1",
                        response_headers=[("Content-Type", "text/event-stream")], stream_requested=True)
    assembler = StreamAssembler(exchange)
    for word, t in zip(words, times, strict=True):
        raw = wire.sse_event(wire.chunk("c", "m", 1, {"content": word}))
        exchange.body += raw
        assembler.feed(raw, t)
    exchange.body += wire.SSE_DONE
    assembler.feed(wire.SSE_DONE, times[-1])
    exchange.timings.headers_ms = 1.0
    exchange.timings.total_ms = times[-1] + 1
    return exchange


def replied(status: int, reason: str, body: bytes, content_type: str = "application/json", **extra) -> Exchange:
    return Exchange(request=request(), status=status, reason=reason, body=body,
                    response_headers=[("Content-Type", content_type)] + extra.pop("headers", []), **extra)


def test_the_request_view_is_the_request_as_sent() -> None:
    text = render_request(Exchange(request=request()))
    lines = text.splitlines()
    assert lines[1] == "POST http://127.0.0.1:8000/v1/chat/completions"
    assert "Authorization: Bearer sk-…9f3a" in lines and lines[-1] == '{"model":"m","stream":true}'


def test_the_reply_view_shows_every_event_with_its_arrival_time() -> None:
    exchange = streamed(["Hel", "lo"], [40.5, 61.0])
    exchange.events[1].json_error = "Expecting value: line 1 column 1 (char 0)"
    text = render_response(exchange)
    assert "HTTP/1.1 200 OK" in text and "Content-Type: text/event-stream" in text
    assert '[     40.5 ms] data: {"id":"c"' in text
    assert "[     61.0 ms] data: [DONE]" in text
    assert "^ not JSON: Expecting value" in text
    assert "first token 40.5 ms" in text


def test_a_failure_and_a_missing_reply_are_shown() -> None:
    exchange = Exchange(request=request(), timings=Timings(total_ms=3.0),
                        failure=Failure("connection-refused", "Connection refused by 127.0.0.1:9.", "Start it."))
    text = render_response(exchange)
    assert "(no response)" in text and "connection-refused: Connection refused by 127.0.0.1:9." in text
    assert "hint: Start it." in text
    assert status_line(exchange) == "no reply · total 3.0 ms"


def test_status_line_gives_ttft_pace_and_total() -> None:
    exchange = streamed(["a", "b", "c", "d", "e"], [200.0, 220.0, 240.0, 260.0, 280.0])
    assert tokens_per_s(exchange) == 50.0
    assert status_line(exchange) == "200 OK · ttft 200.0 ms · 50.0 tokens/s · total 281.0 ms"


def test_the_exchange_problem_names_status_errors_with_their_message_and_a_fix() -> None:
    unauthorized = replied(401, "Unauthorized", b'{"error":{"message":"Bad key."}}')
    problem = unauthorized.problem()
    assert problem.message == "The endpoint answered 401 Unauthorized: Bad key." and "auth" in problem.hint
    html = replied(500, "Internal Server Error", b"<html>Traceback</html>", "text/html").problem()
    assert "<html>Traceback" in html.message and "not HTML" in html.hint
    moved = replied(307, "Temporary Redirect", b"", "", headers=[("Location", "/moved/v1")]).problem()
    assert "/moved/v1" in moved.message and "redirects" in moved.hint


def test_the_exchange_problem_catches_what_a_lenient_client_lets_through() -> None:
    error_200 = replied(200, "OK", b'{"error":{"message":"model overloaded"}}').problem()
    assert "model overloaded" in error_200.message and "4xx/5xx" in error_200.hint
    empty = replied(200, "OK", b'{"choices":[{"message":{"role":"assistant","content":""}}]}').problem()
    assert "no content text" in empty.message
    assert replied(200, "OK", b'{"choices":[{"message":{"content":"hi"}}]}').problem() is None
    assert streamed(["hi"], [5.0]).problem() is None


def test_reply_warnings_point_at_broken_events_and_a_missing_done() -> None:
    exchange = streamed(["a", "b"], [1.0, 2.0])
    assert reply_warnings(exchange) == []
    exchange.events = exchange.events[:-1]
    exchange.events[0].json_error = "Unterminated string"
    warnings = reply_warnings(exchange)
    assert any("not JSON" in w for w in warnings) and any("[DONE]" in w for w in warnings)
