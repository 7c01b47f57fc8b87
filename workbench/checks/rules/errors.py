"""Error rules: refusals and failures should be 4xx/5xx with OpenAI's error envelope, never a traceback."""

from __future__ import annotations

from workbench.checks.evidence import describe_reply, error_shape, has_traceback, parse_json, status_line
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange
from workbench.reply import error_message

ENVELOPE = '{"error": {"message": "…", "type": "…", "param": null, "code": null}}'


def judge_status(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """The platform's own request got a status that is neither success, auth, path nor a bad request."""
    status = exchange.status or 0
    if status == 429:
        retry = exchange.header("retry-after")
        return [finding(
            "errors.rate-limited", "error",
            f"{ctx.platform.title}'s request was refused with {describe_reply(exchange)}"
            + (f" (retry-after: {retry})." if retry else "."),
            "A platform calls from a handful of addresses on every turn of every call: raise the per-client "
            "limit far above 20 a minute, or rate-limit by API key upstream instead of by address.",
            probe=ctx.probe)]
    if status >= 500:
        leaked = " The body leaks a stack trace." if has_traceback(exchange.text) else ""
        return [finding(
            "errors.server-error", "error",
            f"{ctx.platform.title}'s request failed on the server: {describe_reply(exchange)}.{leaked}",
            "Look at the server's log for this request and fix the crash; answer failures with the OpenAI "
            "error envelope and never send a traceback.",
            probe=ctx.probe)]
    return [finding(
        "errors.unexpected-status", "error",
        f"{ctx.platform.title}'s request got {describe_reply(exchange)}.",
        "Answer a valid chat/completions request with 200 and a completion (or a stream).",
        probe=ctx.probe)]


def judge_malformed(exchange: Exchange, ctx: Judging, what: str) -> list[Finding]:
    """A deliberately malformed request (`what` says how): expect a 4xx with an error body."""
    if exchange.status is None:
        return []
    if exchange.ok:
        return [finding(
            "errors.malformed-accepted", "warning",
            f"A request with {what} was answered {status_line(exchange)}; expected a 400 naming the problem.",
            "Validate the body (JSON, a non-empty `messages` list of {role, content}) and answer 400 with the "
            "OpenAI error envelope, so a broken caller learns why.",
            probe=ctx.probe)]
    if exchange.status >= 500:
        return [finding(
            "errors.malformed-5xx", "warning",
            f"A request with {what} crashed the server: {describe_reply(exchange)}.",
            "Validate input before using it and answer 400 with an error body: a 5xx makes platforms retry "
            "and page you for a caller's mistake.",
            probe=ctx.probe)]
    return []


def judge_error_bodies(exchanges: list[tuple[str, Exchange]], ctx: Judging) -> list[Finding]:
    """Across every refused or failed request: is the error body OpenAI's envelope, without a traceback?"""
    out: list[Finding] = []
    odd: list[tuple[str, Exchange, str]] = []
    for probe, exchange in exchanges:
        if exchange.status is None or exchange.status < 400:
            continue
        shape = error_shape(exchange)
        if shape != "openai":
            odd.append((probe, exchange, shape))
        if has_traceback(exchange.text):
            out.append(finding(
                "errors.traceback", "warning",
                f"An error reply exposes a stack trace ({status_line(exchange)} to the {probe} probe).",
                "Turn off debug pages in production and answer errors with the OpenAI envelope; tracebacks "
                "leak paths and code.",
                probe=probe))
    if odd:
        probe, exchange, shape = odd[0]
        names = {"nestjs": "NestJS's {statusCode, message, error}", "html": "an HTML page", "text": "plain text",
                 "json": "JSON without an `error` object", "empty": "an empty body"}
        obj, _ = parse_json(exchange.body)
        said = error_message(obj)
        out.append(finding(
            "errors.error-shape", "warning",
            (f"{len(odd)} error replies are" if len(odd) > 1 else "An error reply is")
            + f" not in OpenAI's error shape: e.g. "
            f"{status_line(exchange)} to the {probe} probe came as {names.get(shape, shape)}"
            + (f" ({said!r})" if said else "")
            + ". The OpenAI SDK still raises, but with a generic message; platforms show the caller nothing useful.",
            f"Send errors as {ENVELOPE}.",
            probe=probe))
    return out
