"""Judging one recorded exchange on its own: what the check's rules say about it, with no request sent.

Inspect shows these findings beside every exchange of a session, and `workbench check --exchange
FILE` prints them for a saved one. A whole check sends more probes (no key, a wrong key, a
conversation, malformed bodies); this judges only what the one exchange shows, so a refusal is
explained from its status alone, without the retries the check would make to diagnose it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from workbench import wire
from workbench.checks.evidence import excerpt, status_line
from workbench.checks.findings import Finding, ProbeResult, Report, finding, probe_status
from workbench.checks.judging import Judging
from workbench.checks.rules import auth, errors, latency, params, reachability, schema, stream
from workbench.errors import UsageError
from workbench.exchange import Exchange, RecordedRequest
from workbench.platforms import PLATFORMS, get_platform
from workbench.redact import shown_url
from workbench.safe_files import RefusedFile, read_regular_file
from workbench.target import Target

DEFAULT_PLATFORM = "openai"
CHAT_LABEL = "chat as "  # the TUI's label for a chat sent shaped as a platform: "chat as vapi"
# A saved exchange holds a reply of up to the client's 8 MiB body cap, in its body and its events; a
# proxy's log (JSON lines) holds many.
MAX_EXCHANGE_FILE_BYTES = 256 << 20
PROXY_LABEL = "proxy as "  # workbench proxy's label for what a platform sent through it: "proxy as vapi"
SAVE_HINT = "save one from Inspect (s), or with `workbench chat PROFILE MESSAGE --format json > FILE`"


def platform_of(exchange: Exchange) -> str:
    """The platform an exchange was shaped for, from its label ("chat as vapi", "proxy as vapi"), else openai."""
    for prefix in (CHAT_LABEL, PROXY_LABEL):
        if exchange.label.startswith(prefix):
            name = exchange.label.removeprefix(prefix).strip().lower()
            if name in PLATFORMS:
                return name
    return DEFAULT_PLATFORM


def auth_sent(request: RecordedRequest) -> str:
    """How the request carried its credential (bearer, x-api-key or none), read from its masked headers."""
    headers = {name.lower(): value for name, value in request.headers}
    if headers.get("authorization", "").lower().startswith("bearer "):
        return "bearer"
    if headers.get("x-api-key"):
        return "x-api-key"
    return "none"


def judging_for(exchange: Exchange, platform_id: str = DEFAULT_PLATFORM) -> Judging:
    """What the rules need besides the exchange, rebuilt from the recorded request itself."""
    platform = get_platform(platform_id)
    request = exchange.request
    url = request.url
    body = request.json if isinstance(request.json, dict) else {}
    base = url.removesuffix(wire.CHAT_PATH)
    target = Target(base_url=base, model=str(body.get("model", "")), auth=auth_sent(request))
    options = body.get("stream_options")
    wants_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    return Judging(platform, target, probe="exchange", stream=exchange.stream_requested, include_usage=wants_usage)


def judge_exchange(exchange: Exchange, platform_id: str = DEFAULT_PLATFORM) -> list[Finding]:
    """The findings for one exchange as `platform_id` would have called it (an unknown id is a UsageError)."""
    return _judge(exchange, judging_for(exchange, platform_id))


def _judge(exchange: Exchange, ctx: Judging) -> list[Finding]:
    if exchange.cancelled:
        return []  # stopped on purpose: what arrived is not a complete reply to judge
    status = exchange.status
    if status is None:
        return reachability.judge_failure(exchange, ctx)
    is_chat = exchange.request.url.endswith(wire.CHAT_PATH)
    if 200 <= status < 300:
        if not is_chat:
            return []  # /models and friends: the chat rules do not apply
        return judge_reply_body(exchange, ctx) + latency.judge_first_token(exchange, replace(ctx, probe="latency"))
    if status in auth.REFUSED:
        return auth.judge_refused(exchange, ctx, ctx.target.auth)
    if is_chat and 300 <= status < 400:
        return reachability.judge_redirect(exchange, ctx)
    if is_chat and status in (404, 405):
        return reachability.judge_path(exchange, ctx)
    if is_chat and status in (400, 413, 422):
        body = exchange.request.json
        return params.judge_rejected(exchange, ctx, None, body if isinstance(body, dict) else {})
    return errors.judge_status(exchange, ctx)


def judge_reply_body(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """A 2xx chat reply: the stream or the completion, and whether it failed part way."""
    found = stream.judge_stream(exchange, ctx) if ctx.stream else schema.judge_completion(exchange, ctx)
    problem = exchange.problem()
    if problem is None or problem.kind == "cancelled" or any(f.severity == ctx.severity("error") for f in found):
        return found
    # A reply the Exchange finds unusable (one that failed part way, with broken chunked framing,
    # say) must never pass for a good one: the rules above name the defect when they know it.
    kind = "stream" if ctx.stream else "schema"
    if exchange.failure is not None:
        found.append(finding(f"{kind}.reply-failed", ctx.severity("error"),
                             f"The reply began ({status_line(exchange)}) but failed part way: {problem.message}",
                             problem.hint or "Check the server's log for this request.", probe=ctx.probe))
    else:
        found.append(finding(f"{kind}.reply-unusable", ctx.severity("error"), problem.message, problem.hint,
                             probe=ctx.probe))
    return found


def exchange_report(exchange: Exchange, platform_id: str | None = None) -> Report:
    """A check Report for one exchange (`check --exchange`): its findings, as one checklist line.

    `platform_id` None: the platform the exchange was shaped for (its label), else openai.
    """
    platform = get_platform(platform_id or platform_of(exchange))
    ctx = judging_for(exchange, platform.id)
    result = _result(exchange, ctx, "One saved exchange", "exchange")
    metrics: dict[str, object] = {"ttft_ms": None, "total_ms": None}
    if exchange.ok:
        first = latency.first_token_ms(exchange, exchange.stream_requested)
        total = exchange.timings.total_ms
        metrics = {"ttft_ms": round(first, 1) if first is not None else None,
                   "total_ms": round(total, 1) if total is not None else None, "streamed": exchange.stream_requested}
    return Report.build(platform.id, shown_url(ctx.target.base_url), list(result.findings), metrics, [result])


def exchanges_report(exchanges: list[Exchange], platform_id: str | None = None) -> Report:
    """A check Report for saved exchanges (a `workbench proxy --log` file): one checklist line each.

    Each is judged as `platform_id`, else as the platform it was sent as (its label). One
    exchange gets `exchange_report`'s report.
    """
    if len(exchanges) == 1:
        return exchange_report(exchanges[0], platform_id)
    found: list[Finding] = []
    results: list[ProbeResult] = []
    platforms: list[str] = []
    for number, exchange in enumerate(exchanges, start=1):
        ctx = judging_for(exchange, get_platform(platform_id or platform_of(exchange)).id)
        platforms.append(ctx.platform.id)
        result = _result(exchange, ctx, f"Exchange {number} of {len(exchanges)}", f"exchange-{number}")
        results.append(result)
        found += result.findings
    shown = platforms[0] if len(set(platforms)) == 1 else max(set(platforms), key=platforms.count)
    chats = [e for e in exchanges if e.request.url.endswith(wire.CHAT_PATH)] or exchanges
    target = shown_url(judging_for(chats[0]).target.base_url) if chats else ""
    return Report.build(shown, target, found, {"exchanges": len(exchanges)}, results)


def _result(exchange: Exchange, ctx: Judging, heading: str, probe_id: str) -> ProbeResult:
    """One exchange judged, as a checklist line."""
    found = _judge(exchange, ctx)
    request = exchange.request
    what = f"{exchange.label}: " if exchange.label else ""
    title = f"{heading}, {what}{request.method} {shown_url(request.url)}"
    if exchange.cancelled:
        detail = "stopped before the reply ended: not judged"
    elif exchange.status is None:
        detail = exchange.failure.kind if exchange.failure else "no reply"
    else:
        detail = status_line(exchange) + (f", {len(exchange.events)} events" if exchange.events else "")
    status = "skipped" if exchange.cancelled else probe_status(found)
    return ProbeResult(probe_id, title, status, exchange.timings.total_ms, tuple(found), detail)


def read_exchange(path: str | Path) -> Exchange:
    """An exchange saved as JSON (Inspect's `s`, `workbench chat --format json`); UsageError with the fix if not."""
    return parse_exchange(_read_text(path), str(path))


def read_exchanges(path: str | Path) -> list[Exchange]:
    """A saved exchange, or every exchange of a JSON-lines file (`workbench proxy --log`)."""
    return parse_exchanges(_read_text(path), str(path))


def _read_text(path: str | Path) -> str:
    shown = str(path)
    try:
        return read_regular_file(path, limit=MAX_EXCHANGE_FILE_BYTES).decode("utf-8")
    except RefusedFile as error:
        raise UsageError(f"Could not read the exchange file {shown}: {error.strerror}.", error.hint) from None
    except OSError as error:
        raise UsageError(f"Could not read the exchange file {shown}: {error.strerror or error}.", SAVE_HINT) from None
    except UnicodeDecodeError as error:
        raise UsageError(f"The exchange file {shown} is not UTF-8 text (byte {error.start}).", SAVE_HINT) from None


def parse_exchanges(text: str, source: str = "the input") -> list[Exchange]:
    """One exchange (a JSON document), or one per line (JSON lines, as `workbench proxy --log` writes)."""
    try:
        wire.loads(text)
    except json.JSONDecodeError as error:
        lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if error.msg == "Extra data" and len(lines) > 1:
            return [parse_exchange(line, f"{source}, line {number}") for number, line in lines]
    except ValueError:
        pass  # nested too deep: parse_exchange says so
    return [parse_exchange(text, source)]


def parse_exchange(text: str, source: str = "the input") -> Exchange:
    """An Exchange from its JSON text (Exchange.to_dict); UsageError naming what came instead."""
    try:
        data = wire.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{source}: expected a saved exchange (JSON), got text that is not JSON "
                         f"({error.msg} at line {error.lineno}, column {error.colno}).", SAVE_HINT) from None
    except ValueError as error:  # nested too deep
        raise UsageError(f"{source}: expected a saved exchange (JSON), got {error}.", SAVE_HINT) from None
    if not isinstance(data, dict) or not isinstance(data.get("request"), dict):
        got = "an object without a request object in it" if isinstance(data, dict) else excerpt(text, 40)
        raise UsageError(f"{source}: expected a saved exchange (an object with request, status, body, …), "
                         f"got {got}.", SAVE_HINT)
    try:
        exchange = Exchange.from_dict(data)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        detail = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise UsageError(f"{source}: not a saved exchange ({detail}).", SAVE_HINT) from None
    request = exchange.request
    if not isinstance(request.url, str) or not isinstance(request.method, str) or not (
            exchange.status is None or type(exchange.status) is int):
        raise UsageError(f"{source}: not a saved exchange (request.url and request.method must be text and "
                         f"status a whole number or null; got url {request.url!r:.40}, "
                         f"status {exchange.status!r:.20}).",
                         SAVE_HINT)
    return exchange
