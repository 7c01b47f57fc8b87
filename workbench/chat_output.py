"""Plain-text views of an Exchange: the request as sent, the reply with event times, a status line.

Pure functions over Exchange data (already masked by the client), used by `workbench chat
--show-request` and by the TUI's request/response panes. No colour here: the shells style.
"""

from __future__ import annotations

import json
import statistics

from workbench.exchange import Exchange, TimedEvent

BODY_SHOWN = 64 * 1024  # bytes of a non-stream body printed before "… N more bytes"
RULE_WIDTH = 60


def rule(title: str) -> str:
    head = f"── {title} "
    return head + "─" * max(3, RULE_WIDTH - len(head))


def render_request(exchange: Exchange) -> str:
    """`workbench chat --show-request`: a rule, then the request with its exact body."""
    return rule("request") + "\n" + request_text(exchange)


def request_text(exchange: Exchange, *, pretty: bool = False) -> str:
    """The request line, every header as sent (secrets masked) and the body: the exact bytes, or,
    `pretty`, JSON indented. The TUI's request preview (ctrl+g) and Inspect both show it pretty."""
    request = exchange.request
    lines = [f"{request.method} {request.url}"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    lines.append("")
    if request.body:
        lines.append(pretty_body(request.body)[0] if pretty else _decode(request.body))
    return "\n".join(lines)


def pretty_body(raw: bytes) -> tuple[str, str | None]:
    """A body as text, indented when it is JSON; and the language to highlight it as."""
    text = _decode(raw)
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False), "json"
    except ValueError:
        return text, None


def render_response(exchange: Exchange) -> str:
    """Status, headers, every event with its arrival time (or the body), timings and failure."""
    lines = [rule("reply")]
    if exchange.status is None:
        lines.append("(no response)")
    else:
        lines.append(f"{exchange.http_version or 'HTTP'} {exchange.status} {exchange.reason}".rstrip())
        lines += [f"{name}: {value}" for name, value in exchange.response_headers]
        lines.append("")
        if exchange.events:
            lines += [_event_line(event) for event in exchange.events]
        elif exchange.body:
            lines.append(_body_preview(exchange))
        if exchange.body_truncated:
            lines.append(f"(recording stopped at the {exchange.body_cap}-byte cap)")
    lines.append(rule("timings"))
    lines.append(timings_line(exchange))
    if exchange.failure is not None:
        lines.append(rule("failure"))
        lines.append(f"{exchange.failure.kind}: {exchange.failure.message}")
        if exchange.failure.hint:
            lines.append(f"  hint: {exchange.failure.hint}")
    return "\n".join(lines)


def _event_line(event: TimedEvent) -> str:
    stamp = f"[{event.t_ms:9.1f} ms] "
    pad = " " * len(stamp)
    text = stamp + event.raw.replace("\n", "\n" + pad)
    notes = []
    if event.json_error:
        notes.append(f"not JSON: {event.json_error}")
    if event.unterminated:
        notes.append("the stream ended before this event's blank line")
    if notes:
        text += "\n" + pad + "^ " + "; ".join(notes)
    return text


def _body_preview(exchange: Exchange) -> str:
    body = bytes(exchange.body)
    shown = _decode(body[:BODY_SHOWN])
    if len(body) > BODY_SHOWN:
        shown += f"\n… {len(body) - BODY_SHOWN} more bytes"
    return shown


def _decode(raw: bytes) -> str:
    return bytes(raw).decode("utf-8", errors="replace")


# ---- numbers ----------------------------------------------------------------------------


def content_times(exchange: Exchange) -> list[float]:
    return [event.t_ms for event in exchange.events if event.text]


def tokens_per_s(exchange: Exchange) -> float | None:
    """Content chunks a second after the first one (one chunk counted as one token, as most servers send)."""
    times = content_times(exchange)
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return (len(times) - 1) / ((times[-1] - times[0]) / 1000)


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1000:.2f} s" if value >= 10_000 else f"{value:.1f} ms"


def timings_line(exchange: Exchange) -> str:
    timings = exchange.timings
    parts = [f"headers {_ms(timings.headers_ms)}"]
    if exchange.events:
        parts.append(f"first event {_ms(timings.first_event_ms)}")
        parts.append(f"first token {_ms(timings.first_token_ms)}")
    parts.append(f"total {_ms(timings.total_ms)}")
    chunks = len(content_times(exchange))
    if exchange.events:
        gap = f", median gap {statistics.median(timings.chunk_gaps_ms):.1f} ms" if timings.chunk_gaps_ms else ""
        parts.append(f"{len(exchange.events)} events, {chunks} with text{gap}")
    return " · ".join(parts)


def status_line(exchange: Exchange) -> str:
    """One short line for the end of a chat: status, time to first token, pace, total."""
    parts = ["no reply"] if exchange.status is None else [f"{exchange.status} {exchange.reason}".rstrip()]
    timings = exchange.timings
    if timings.first_token_ms is not None:
        parts.append(f"ttft {_ms(timings.first_token_ms)}")
    rate = tokens_per_s(exchange)
    if rate is not None:
        parts.append(f"{rate:.1f} tokens/s")
    parts.append(f"total {_ms(timings.total_ms)}")
    if exchange.cancelled:
        parts.append("cancelled")
    return " · ".join(parts)


# ---- warnings beside a usable reply ------------------------------------------------------


def reply_warnings(exchange: Exchange) -> list[str]:
    """Defects worth a line even when text came (the checks judge them in full)."""
    warnings = []
    broken = [e for e in exchange.events if e.json_error]
    if broken:
        warnings.append(f"{len(broken)} event(s) carried data that is not JSON and were skipped: "
                        f"{broken[0].json_error}")
    if any(e.unterminated for e in exchange.events):
        warnings.append("the stream ended in the middle of an event (no blank line after it)")
    if exchange.events and exchange.is_sse and not any(e.is_done for e in exchange.events) and exchange.failure is None:
        warnings.append("the stream did not end with data: [DONE]")
    return warnings
