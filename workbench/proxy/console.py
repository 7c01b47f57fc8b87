"""The proxy's console: one line per round trip, and the start-up line that says what is exposed.

A line: time, platform, call and turn, request, status, first token, first sentence, and the
findings' ids with their marks; never a header, a body or a finding's message (those quote
what was sent, and the --log file has them, masked). The start-up line names where the proxy
listens, where it forwards, who may use it, whose credential the endpoint gets, and the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench import wire
from workbench.checks.rules.latency import first_token_ms
from workbench.mock.request_log import clock
from workbench.redact import shown_url

if TYPE_CHECKING:
    from workbench.exchange import Exchange
    from workbench.proxy.server import ProxyServer
    from workbench.proxy.verdict import Proxied

MARKS = {"error": "✗", "warning": "⚠", "info": "ℹ"}


def first_sentence_ms(exchange: Exchange) -> float | None:
    """When the first speakable sentence was complete, once the recording measures it.

    FIRST SENTENCE: `first_sentence_ms` is being added to Exchange.timings (computed by the
    client's assembler) in another change; until it is on main this reads None and the line
    shows "–". When it lands, read `exchange.timings.first_sentence_ms` directly.
    """
    return getattr(exchange.timings, "first_sentence_ms", None)


def ms(value: float | None) -> str:
    return f"{value:.0f} ms" if value is not None else "–"


def outcome(proxied: Proxied) -> str:
    """The status as a person reads it: 200, or why there was none."""
    exchange = proxied.exchange
    if exchange.cancelled:
        return "hung up" if exchange.status is None else f"{exchange.status} hung up"
    if exchange.status is None:
        return f"no reply ({exchange.failure.kind})" if exchange.failure else "no reply"
    if exchange.failure is not None:
        return f"{exchange.status} cut ({exchange.failure.kind})"
    return str(exchange.status)


def findings_text(proxied: Proxied) -> str:
    if not proxied.findings:
        return "✓" if proxied.exchange.status is not None or proxied.exchange.failure else ""
    return " ".join(f"{MARKS[f.severity]} {f.id}" for f in proxied.findings)


def call_text(proxied: Proxied) -> str:
    return f"call {proxied.call}.{proxied.turn}" if proxied.call is not None else "-"


def console_line(proxied: Proxied) -> str:
    """`12:03:04  vapi  call 3.2  POST /v1/chat/completions  200  first token 412 ms  first sentence 655 ms  ✓`"""
    exchange = proxied.exchange
    request = exchange.request
    path = shown_url(request.url).split("://", 1)[-1].partition("/")[2]
    chat = request.url.endswith(wire.CHAT_PATH)
    first = first_token_ms(exchange, exchange.stream_requested) if exchange.ok and chat else None
    return (f"{clock(exchange.started_at)}  {proxied.platform}  {call_text(proxied)}  {request.method} /{path}  "
            f"{outcome(proxied)}  first token {ms(first)}  first sentence {ms(first_sentence_ms(exchange))}  "
            f"{findings_text(proxied)}").rstrip()


def exposure(server: ProxyServer) -> tuple[str, str]:
    """Who may use the proxy, and whose credential the endpoint gets, in words."""
    config = server.config
    if server.front_door.open:
        door = ("OPEN to anyone who can reach this address: set --api-key-env" if not config.loopback
                else "open to this machine (and to any tunnel pointed at it: set a proxy key before you open one)")
    else:
        door = "key required (Authorization: Bearer, x-api-key or X-Workbench-Proxy-Key)"
    if config.upstream is not None:
        credential = f"the endpoint gets the credential of profile {config.upstream.name or '(given)'}"
    elif server.front_door.open:
        credential = "the platform's credential passes through untouched"
    else:
        credential = "the platform's own credential passes through (the proxy's key is removed)"
    return door, credential


def ready_line(server: ProxyServer) -> str:
    """What the proxy exposes, in one line: read it before pointing a tunnel at the port."""
    config = server.config
    door, credential = exposure(server)
    judged = f"as {config.platform}" if config.platform else "as the platform each request shows (else openai)"
    log = f"log: {config.log_path}" if config.log_path else "no log file"
    return (f"workbench proxy ready: base URL {server.base_url} -> {shown_url(config.to)} | front door: {door} | "
            f"{credential} | judged {judged} | {log} | Ctrl-C stops")
