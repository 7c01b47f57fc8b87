"""Is this reply usable? The one judgement, and the one reading of the server's own error message.

Asked of the Exchange (`exchange.problem()`, `exchange.server_message()`) by chat, simulate,
check and bench alike, so they never disagree on what a voice agent could speak. Exact over
lenient (DESIGN.md): the official SDK takes an HTTP 200 error body, an empty `choices` or a
stream it could not parse for an empty reply without raising; a voice agent would then say
nothing, so each of those is a problem here, named with what came and the fix. Pure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench import wire
from workbench.exchange import Failure

if TYPE_CHECKING:
    from workbench.exchange import Exchange

PREVIEW_BYTES = 200  # of a body with no error message in it, quoted instead

_STATUS_HINTS = {
    400: "The endpoint refused the request body; its error message above says which field.",
    401: "Check the credential and the auth method (x-api-key or Authorization: Bearer) the server expects.",
    403: "The credential was accepted but is not allowed this model or route; check its permissions.",
    404: "Check the base URL: it should stop before /chat/completions (e.g. http://host:8000/v1).",
    405: "The route exists but not for POST: check the base URL and the server's route table.",
    408: "The server timed out reading the request; check its limits.",
    413: "The request body is over the server's size limit; raise it or send a shorter conversation.",
    415: "Send Content-Type: application/json, and make the server accept it.",
    422: "The endpoint could not validate the body; its error message says which field.",
    429: "Rate limited: wait (see retry-after) or raise the limit; platforms retry little, if at all.",
}


# ---- the server's own words ---------------------------------------------------------------


def carries_error(obj: Any) -> bool:
    """Any JSON object that reports an error instead of a reply (OpenAI's, NestJS's, or ad hoc)."""
    if not isinstance(obj, dict):
        return False
    if "error" in obj and obj["error"] not in (None, False, ""):
        return True
    return "choices" not in obj and ("statusCode" in obj or ("message" in obj and "detail" in obj))


def error_message(obj: Any) -> str:
    """The human message inside an error body of any common shape, or "" when it has none."""
    if isinstance(obj, dict):
        inner = obj.get("error")
        inner_message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(inner_message, str):
            return inner_message
        if isinstance(inner, str) and inner:
            outer_message = obj.get("message")
            return outer_message if isinstance(outer_message, str) else inner
        for key in ("message", "detail", "msg"):
            value = obj.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list):
                return "; ".join(str(item) for item in value)
    return ""


def reported_error(obj: Any) -> str:
    """What an object that reports an error says: its message, or the whole object when it has none."""
    return error_message(obj) or wire.dumps(obj)


def server_message(exchange: Exchange) -> str | None:
    """What the server said about an error, in its own words, or None when it said nothing.

    The first stream event that reports an error; else, for a reply that is not a stream, its
    JSON body when that reports an error (or when the status is one, any message it carries).
    An error object without a message is quoted whole.
    """
    for event in exchange.events:
        if carries_error(event.parsed):
            return reported_error(event.parsed)
    if exchange.events:
        return None
    body = exchange.json()
    if carries_error(body):
        return reported_error(body)
    refused = exchange.status is not None and not 200 <= exchange.status < 300
    return (error_message(body) or None) if refused else None


# ---- the judgement -------------------------------------------------------------------------


def problem(exchange: Exchange) -> Failure | None:
    """Why this exchange gave no usable reply, as a sentence with its fix, or None when it did.

    In order: the request failed (the client's own Failure), no HTTP reply, a redirect or an
    error status, an error inside a 2xx (a stream event or the body), no content text.
    """
    if exchange.failure is not None:
        return exchange.failure
    status = exchange.status
    if status is None:
        return Failure("no-reply", "The endpoint sent no reply.", "Check that it is up and the base URL is right.")
    if not 200 <= status < 300:
        return _refused(exchange, status)
    said = server_message(exchange)
    if said is not None and exchange.events:
        return Failure(
            "error-event",
            f"The stream carried an error event after {len(exchange.reply_text)} characters of text: "
            f"{_sentence(said)}.",
            "Report errors before the stream starts, as a 4xx/5xx reply; an error mid-stream leaves the "
            "voice agent mid-sentence.",
        )
    if said is not None:
        return Failure(
            "error-body",
            f"The endpoint answered {status} {exchange.reason}, but the reply is an error: {_sentence(said)}.",
            "Report errors with a 4xx/5xx status; under 200 clients take the error for an empty reply.",
        )
    if not exchange.reply_text.strip():
        return _no_content(exchange, status)
    return None


def _refused(exchange: Exchange, status: int) -> Failure:
    """A redirect or an error status, with the server's message (or the start of its body) quoted."""
    kind = f"http-{status}"
    if 300 <= status < 400:
        where = exchange.header("location") or "(no Location header)"
        return Failure(
            kind,
            f"The endpoint answered {status} {exchange.reason} to {where} instead of a reply.",
            "Platforms do not follow redirects on POST: use the final URL as the base URL.",
        )
    said = server_message(exchange)
    if said is not None:
        detail = f": {_sentence(said)}"
    elif exchange.body:
        preview = bytes(exchange.body[:PREVIEW_BYTES]).decode("utf-8", errors="replace").strip().replace("\n", " ")
        detail = ": " + repr(preview + ("…" if len(exchange.body) > PREVIEW_BYTES else ""))
    else:
        detail = ""
    hint = _STATUS_HINTS.get(status) or (
        "A server error: the server's log has the cause." if status >= 500
        else "The endpoint refused the request; its message says why."
    )
    if exchange.content_type not in (wire.JSON_CONTENT_TYPE, wire.SSE_CONTENT_TYPE) and status >= 500:
        hint += " Errors should use the OpenAI JSON envelope ({\"error\": {\"message\": …}}), not HTML."
    return Failure(kind, f"The endpoint answered {status} {exchange.reason}{detail}.", hint)


def _no_content(exchange: Exchange, status: int) -> Failure:
    """A 2xx with nothing to speak: an empty or unreadable stream, or a completion without text."""
    if exchange.events or exchange.is_sse:
        broken = [e for e in exchange.events if e.json_error]
        detail = f"{len(exchange.events)} events"
        if broken:
            detail += f", {len(broken)} whose data is not JSON ({broken[0].json_error})"
        hint = (
            "Stream text in choices[0].delta.content, one JSON object a `data:` line, and end every "
            "event with a blank line (\\n\\n)."
        )
    else:
        detail = f"{len(exchange.body)} bytes"
        hint = "Put the reply in choices[0].message.content."
    return Failure(
        "no-content",
        f"The endpoint answered {status} {exchange.reason}, but the reply has no content text ({detail}).",
        hint,
    )


def _sentence(text: str) -> str:
    """A quoted message without its own final full stop (ours follows it)."""
    return text.strip().rstrip(".")
