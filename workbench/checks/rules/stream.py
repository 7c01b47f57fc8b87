"""Stream rules: is a 2xx reply to `stream: true` an SSE stream of chat.completion.chunk a platform can read?

Exact, not lenient, and not over-strict either: `data:` without a space, CRLF line endings,
comments and keep-alives are valid SSE and are never flagged. Chunks with an empty
`choices` (usage, content filters) are valid but break clients that read choices[0]: info or
a warning, never an error. Everything that leaves a client with a broken or empty reply is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench import wire
from workbench.checks.evidence import excerpt, parse_json, quote_body
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.checks.rules.schema import judge_completion, judge_finish_reason, judge_tool_calls, judge_usage
from workbench.exchange import Exchange
from workbench.reply import carries_error, reported_error

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/jsonlines", "application/x-jsonlines")
TIMEOUT_KINDS = ("read-timeout", "first-token-timeout")
# Failures after which the stream is incomplete, so its end is not judged.
CUT_KINDS = (*TIMEOUT_KINDS, "reply-timeout", "connection-reset", "cancelled", "body-too-large", "protocol")


@dataclass
class Event:
    """One SSE event with its `data` (comment-only events are dropped before judging)."""

    raw: str
    data: str
    parsed: Any = None
    json_error: str | None = None
    unterminated: bool = False

    @property
    def is_done(self) -> bool:
        return self.data.strip() == wire.DONE


def data_events(exchange: Exchange) -> list[Event]:
    """The events that carry data: as the client recorded them, or parsed from the raw body."""
    events: list[Event] = []
    if exchange.events:
        for e in exchange.events:
            if e.data is None:
                continue
            parsed, why = (e.parsed, e.json_error) if (e.parsed is not None or e.json_error) else _parse(e.data)
            events.append(Event(e.raw, e.data, parsed, why, e.unterminated))
        return events
    decoder = wire.SSEDecoder()
    text = exchange.text
    for event in decoder.feed(text):
        if event.data is not None:
            events.append(Event(event.raw, event.data, *_parse(event.data)))
    for event in decoder.close():
        if event.data is not None:
            events.append(Event(event.raw, event.data, *_parse(event.data), unterminated=True))
    return events


def _parse(data: str) -> tuple[Any, str | None]:
    if data.strip() == wire.DONE:
        return None, None
    return parse_json(data)


def looks_like_sse(text: str) -> bool:
    head = text.lstrip("\ufeff\r\n\t ")[:16]
    return head.startswith(("data:", "event:", "id:", "retry:", ":"))


def looks_like_ndjson(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    return all(parse_json(line)[0] is not None for line in lines[:5]) and len(lines) > 1


def judge_stream(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """Findings for a reply with a 2xx status to a request that asked for a stream."""
    out: list[Finding] = []

    def add(id: str, severity: str, message: str, hint: str = "") -> None:
        out.append(finding(id, ctx.severity(severity), message, hint, probe=ctx.probe))

    kind = exchange.content_type
    text = exchange.text
    if kind != wire.SSE_CONTENT_TYPE:
        body, _ = parse_json(exchange.body)
        if isinstance(body, dict) and carries_error(body):
            return judge_completion(exchange, ctx)  # schema.error-body, with its quote
        if isinstance(body, dict) and "choices" in body:
            reply = f"one JSON {body.get('object') or 'object'} ({kind or 'no content type'}), not an SSE stream"
            platform = ctx.platform
            add("stream.json-reply", "error",
                f"{platform.title} always streams (stream: true on every request) and reads only Server-Sent "
                f"Events, but the reply is {reply}: the agent says nothing." if platform.stream_required else
                f"stream: true was asked, but the reply is {reply}. The OpenAI SDK reads this as an empty "
                "stream without raising: the agent says nothing.",
                "When the request has \"stream\": true, answer with Content-Type: text/event-stream and "
                "`data: {chat.completion.chunk}` events ending with `data: [DONE]`.")
            return out
        if kind in NDJSON_TYPES or (not looks_like_sse(text) and looks_like_ndjson(text)):
            add("stream.ndjson", "error",
                f"The stream is newline-delimited JSON ({kind or 'no content type'}: {quote_body(exchange, 100)}), "
                "not Server-Sent Events. SSE clients find no `data:` lines and see an empty reply.",
                "Frame each chunk as an SSE event: `data: <json>` followed by a blank line, served as "
                "text/event-stream, ending with `data: [DONE]`.")
            return out
        if looks_like_sse(text):
            add("stream.content-type", "error",
                f"The body is an SSE stream but is served as Content-Type: {kind or '(none)'}. Clients that "
                "check the type (httpx-sse, EventSource, most platforms) refuse it.",
                "Send Content-Type: text/event-stream for streamed replies.")
        else:
            add("stream.not-sse", "error",
                f"stream: true was asked, but the reply is neither SSE nor a completion "
                f"({kind or 'no content type'}: {quote_body(exchange, 100)}).",
                "Answer streaming requests with text/event-stream and `data:` events of chat.completion.chunk.")
            return out
    out.extend(_judge_events(exchange, data_events(exchange), ctx))
    return out


def _judge_events(exchange: Exchange, events: list[Event], ctx: Judging) -> list[Finding]:
    out: list[Finding] = []

    def add(id: str, severity: str, message: str, hint: str = "") -> None:
        out.append(finding(id, ctx.severity(severity), message, hint, probe=ctx.probe))

    failure = exchange.failure
    if failure is not None and failure.kind == "invalid-utf8":
        add("stream.invalid-utf8", "error", f"The stream is not valid UTF-8: {failure.message}.",
            "Encode every event as UTF-8; do not split a multi-byte character across a write boundary "
            "after encoding it separately.")

    merged = [e for e in events if _merged_events(e.data)]
    if merged:
        add("stream.framing", "error",
            f"Several events arrive as one: {len(merged[0].data.splitlines())} `data:` lines with no blank line "
            f"between them ({excerpt(merged[0].raw, 100)}). Events must end with a blank line (\\n\\n); "
            "with single newlines a client joins them into one unparseable event.",
            "Write each event as `data: <json>\\n\\n` (two newlines).")
        return out

    done = [i for i, e in enumerate(events) if e.is_done]
    chunks = [e for e in events if not e.is_done]
    was_cut = failure is not None and failure.kind in CUT_KINDS
    # The event a cut stream ended in the middle of is half an event, not bad JSON: the cut is reported.
    bad_json = [e for e in chunks if e.parsed is None and not (was_cut and e.unterminated and e is events[-1])]
    if bad_json:
        e = bad_json[0]
        add("stream.invalid-json", "error",
            f"{len(bad_json)} event(s) carry data that is not JSON, e.g. `{excerpt(e.data, 100)}` "
            f"({e.json_error or 'unparseable'}). The OpenAI SDK stops with no error or skips it; the reply is cut.",
            "Send each chunk as one complete JSON object on one `data:` line.")

    objects = [e.parsed for e in chunks if isinstance(e.parsed, dict)]
    errors = [o for o in objects if carries_error(o)]
    if errors:
        add("stream.mid-stream-error", "error",
            f"The stream carried an error event after it began: {excerpt(reported_error(errors[0]), 120).rstrip('.')}. "
            "The status was already 200, so the platform gets a cut reply.",
            "Check what can fail before sending the status line; if generation fails mid-stream, end with a "
            "finish_reason and log the error rather than sending an error object as a chunk.")
    real = [o for o in objects if not carries_error(o)]

    if failure is not None and failure.kind == "connection-reset":
        add("stream.dropped", "error",
            f"The connection closed mid-stream after {len(events)} event(s): {failure.message}. The platform "
            "gets a cut reply.",
            "Keep the connection open until `data: [DONE]` is written; check worker timeouts and proxies "
            "(nginx proxy_read_timeout, load balancers) that cut long responses.")
    elif failure is not None and failure.kind == "protocol":
        add("stream.reply-failed", "error",
            f"The stream began (HTTP {exchange.status}) but broke the HTTP framing after {len(events)} event(s): "
            f"{failure.message}",
            failure.hint or "Check the web server or framework in front of the model.")
    elif failure is not None and failure.kind == "reply-timeout":
        add("stream.endless", "error",
            f"The stream did not end: {failure.message}",
            "After the last chunk send `data: [DONE]` and close the response; a platform waits for the end "
            "of the stream before it treats the turn as complete.")
    elif failure is not None and failure.kind == "body-too-large":
        add("stream.too-large", "error",
            f"The stream grew past the recording cap without ending: {failure.message}",
            "Check that the stream ends after the reply (finish_reason, then `data: [DONE]`); a chat reply "
            "is kilobytes, not megabytes.")
    elif failure is not None and failure.kind in TIMEOUT_KINDS and events:
        add("stream.stall", "error",
            f"The stream stalled: {len(events)} event(s), then nothing until the timeout ({failure.message}).",
            "Keep tokens flowing; if the model is slow, send the first token sooner and never pause for "
            "seconds mid-reply (a voice platform hangs up or talks over the gap).")

    cut = bool(errors) or (failure is not None and failure.kind in CUT_KINDS)
    out.extend(_judge_chunks(real, ctx, complete=not cut))
    if not done and not cut and not bad_json:
        add("stream.done-missing", "warning",
            "The stream ended without `data: [DONE]`.",
            "End every stream with `data: [DONE]` and a blank line; some clients wait for it before they "
            "treat the turn as complete.")
    if events and events[-1].unterminated and not cut:
        add("stream.unterminated", "warning",
            f"The last event has no blank line after it (`{excerpt(events[-1].raw, 60)}`); a strict parser "
            "never dispatches it.",
            "End every event, the last one too, with a blank line.")
    texts = [wire.delta_text(o) for o in real]
    has_tools = any(_tool_calls(o) for o in real)
    # An empty stream (no chunk at all, or only [DONE]) is as silent as one whose chunks carry no text.
    if not "".join(texts).strip() and not has_tools and not cut and not bad_json and (real or not errors):
        add("stream.content-empty", "error",
            "The stream carried no content text"
            + (" (every delta's content was null)" if _all_null(real) else "")
            + ": the agent would say nothing.",
            "Send the reply text in choices[0].delta.content, a piece per chunk.")
    pieces = [t for t in texts if t]
    if len(pieces) >= 2 and all(
        pieces[i].startswith(pieces[i - 1]) and len(pieces[i]) > len(pieces[i - 1]) for i in range(1, len(pieces))
    ):
        add("stream.cumulative-deltas", "error",
            f"Each delta repeats the whole text so far ({excerpt(repr(pieces[0]), 40)}, "
            f"{excerpt(repr(pieces[1]), 40)}, …): "
            "clients append deltas, so the caller hears the reply repeated.",
            "Send only the new text in each delta.content, not the accumulated reply.")
    return out


def _judge_chunks(objects: list[dict[str, Any]], ctx: Judging, *, complete: bool) -> list[Finding]:
    """The chunks' own shape; the end of the reply (finish_reason) only when the stream was `complete`."""
    out: list[Finding] = []

    def add(id: str, severity: str, message: str, hint: str = "") -> None:
        out.append(finding(id, ctx.severity(severity), message, hint, probe=ctx.probe))

    if not objects:
        return out
    missing = sorted({name for o in objects for name in ("id", "object", "created") if name not in o})
    if missing:
        add("stream.fields-missing", "warning",
            f"Chunks lack {', '.join(missing)}. The OpenAI SDK tolerates it; strictly typed clients "
            "(Rust, Go structs with validation, zod schemas) reject the chunk.",
            "Give every chunk id (the same chatcmpl-… throughout), object \"chat.completion.chunk\" and "
            "created (integer seconds).")
    wrong_object = [o.get("object") for o in objects if "object" in o and o.get("object") != "chat.completion.chunk"]
    if wrong_object:
        add("stream.object-wrong", "warning",
            f"Chunk `object` is {wrong_object[0]!r}; expected \"chat.completion.chunk\".",
            "Set object to \"chat.completion.chunk\" on every stream chunk.")
    ids = {o["id"] for o in objects if isinstance(o.get("id"), str)}
    if len(ids) > 1:
        add("stream.id-inconsistent", "warning",
            f"Chunks of one reply carry {len(ids)} different ids ({', '.join(sorted(ids)[:3])}…).",
            "Use one id for every chunk of a reply.")

    with_choices = [o for o in objects if isinstance(o.get("choices"), list) and o["choices"]]
    not_chunks = [o for o in objects if not isinstance(o.get("choices"), list)]
    if not_chunks:
        add("stream.not-chunk", "error",
            f"{len(not_chunks)} chunk(s) have no `choices` list: {excerpt(wire.dumps(not_chunks[0]), 100)}.",
            "Each chunk is {\"id\", \"object\": \"chat.completion.chunk\", \"created\", \"model\", "
            "\"choices\": [{\"index\": 0, \"delta\": {…}, \"finish_reason\": null}]}.")
    out.extend(_judge_empty_choices(objects, ctx))
    bad_delta = [o for o in with_choices if not isinstance(o["choices"][0], dict)
                 or not isinstance(o["choices"][0].get("delta"), dict)]
    if bad_delta:
        add("stream.delta-missing", "error",
            f"A chunk's choices[0] has no `delta` object: {excerpt(wire.dumps(bad_delta[0]), 100)}.",
            "Stream chunks carry choices[0].delta (`message` is for non-streaming replies).")
        return out
    if with_choices:
        first_delta = with_choices[0]["choices"][0]["delta"]
        if first_delta.get("role") != "assistant":
            add("stream.role-missing", "warning",
                f"The first delta has no role \"assistant\" (it is {excerpt(wire.dumps(first_delta), 80)}).",
                "Send role: \"assistant\" in the first chunk's delta, as OpenAI does; clients that rebuild "
                "the message from deltas need it.")
        reasons = [c.get("finish_reason") for o in with_choices for c in o["choices"][:1] if isinstance(c, dict)]
        given = [r for r in reasons if r is not None]
        if complete:
            out.extend(judge_finish_reason(given[-1] if given else None, bool(given), ctx, "stream"))
        for o in with_choices:
            out.extend(judge_tool_calls(o["choices"][0]["delta"].get("tool_calls"), ctx, "stream", in_stream=True))
    usages = [o["usage"] for o in objects if o.get("usage") is not None]
    if usages:
        out.extend(judge_usage(usages[-1], ctx, "stream"))
    return _unique(out)


def _judge_empty_choices(objects: list[dict[str, Any]], ctx: Judging) -> list[Finding]:
    """Chunks with `choices: []`: a usage chunk last is how OpenAI answers stream_options.include_usage."""
    empty = [i for i, o in enumerate(objects) if o.get("choices") == []]
    if not empty:
        return []
    last_is_usage = empty == [len(objects) - 1] and isinstance(objects[-1].get("usage"), dict)
    if last_is_usage and ctx.include_usage and "stream_options" in ctx.platform.always_sends:
        return []  # the platform asked for the usage chunk itself and reads past it (Pipecat, LiveKit)
    if last_is_usage and ctx.include_usage:
        return [finding(
            "stream.empty-choices", ctx.severity("info"),
            "The last chunk carries usage with an empty `choices`, as OpenAI does for "
            "stream_options.include_usage. Valid, but clients that read choices[0] on every chunk crash on it.",
            "Nothing to fix; make sure your own clients skip chunks with no choices.", probe=ctx.probe)]
    return [finding(
        "stream.empty-choices", ctx.severity("warning"),
        f"{len(empty)} chunk(s) have an empty `choices` list"
        + (" in the middle of the stream" if empty[0] < len(objects) - 1 else "")
        + (" though no usage chunk was asked for" if not ctx.include_usage else "")
        + ". Valid per OpenAI, but naive clients that read choices[0] crash on it.",
        "Send usage-only chunks last and only when stream_options.include_usage is set; keep "
        "content-filter notes inside a choice.", probe=ctx.probe)]


def _merged_events(data: str) -> bool:
    """True when one event's data holds several JSON documents (events split by single newlines)."""
    lines = [line for line in data.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    whole, _ = parse_json(data)
    if whole is not None:
        return False  # JSON legitimately spread over several data: lines
    looks = [line.strip() == wire.DONE or line.lstrip().startswith("data:") or parse_json(line)[0] is not None
             for line in lines]
    return sum(looks) >= 2


def _tool_calls(obj: dict[str, Any]) -> Any:
    try:
        return obj["choices"][0]["delta"].get("tool_calls")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def _all_null(objects: list[dict[str, Any]]) -> bool:
    for o in objects:
        try:
            delta = o["choices"][0]["delta"]
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(delta, dict) and delta.get("content") is not None:
            return False
    return True


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.id not in seen:
            seen.add(f.id)
            out.append(f)
    return out

