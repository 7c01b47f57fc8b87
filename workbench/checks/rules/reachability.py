"""Reachability rules: could the platform reach the endpoint at the URL it builds, at all?

Covers transport failures (refused, DNS, TLS, timeouts), wrong paths (404/405, with the two
classic base-URL mistakes diagnosed by a second probe), and redirects.
"""

from __future__ import annotations

from workbench import wire
from workbench.checks.evidence import describe_reply, status_line
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange

FAILURE_IDS = {
    "connection-refused": "reachability.refused",
    "dns": "reachability.dns",
    "tls": "reachability.tls",
    "connect-timeout": "reachability.connect-timeout",
    "read-timeout": "reachability.read-timeout",
    "first-token-timeout": "reachability.read-timeout",
    "reply-timeout": "reachability.read-timeout",
    "protocol": "reachability.protocol",
    "connection-reset": "reachability.connection-reset",
    "body-too-large": "reachability.body-too-large",
}

DEFAULT_HINTS = {
    "reachability.refused": "Start the server, and check the host and port in the base URL (and that it listens "
                            "on an address the platform can reach, not only 127.0.0.1).",
    "reachability.dns": "Check the host name in the base URL; the platform must be able to resolve it publicly.",
    "reachability.tls": "Serve a certificate from a public CA that matches the host name (platforms do not take "
                        "self-signed certificates).",
    "reachability.connect-timeout": "Check firewalls and that the host and port are right and reachable from the "
                                    "internet.",
    "reachability.read-timeout": "Answer sooner: stream the first token quickly, or raise your server's worker count.",
}


def judge_failure(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """A request that got no HTTP status at all."""
    failure = exchange.failure
    if failure is None or exchange.status is not None:
        return []
    id = FAILURE_IDS.get(failure.kind, "reachability.unreachable")
    hint = failure.hint or DEFAULT_HINTS.get(id, "Check that the endpoint is up and the base URL is right.")
    return [finding(id, "error", f"{ctx.platform.title} could not get a reply from {exchange.request.url}: "
                    f"{failure.message}", hint, probe=ctx.probe)]


def ends_with_chat_path(base_url: str) -> bool:
    return base_url.rstrip("/").endswith(wire.CHAT_PATH)


def needs_v1(base_url: str) -> bool:
    return not base_url.rstrip("/").endswith("/v1") and not ends_with_chat_path(base_url)


def judge_path(exchange: Exchange, ctx: Judging, retry: Exchange | None = None, retry_base: str = "") -> list[Finding]:
    """A 404 or 405 on the chat URL, diagnosed with the retry at a corrected base URL when there was one."""
    base = ctx.target.base_url
    url = exchange.request.url
    if ends_with_chat_path(base):
        fixed = base.rstrip("/")[: -len(wire.CHAT_PATH)]
        worked = retry is not None and retry.ok
        return [finding(
            "reachability.double-chat-path", "error",
            f"The base URL already ends in /chat/completions, so {ctx.platform.title} calls {url} "
            f"({status_line(exchange)})" + (f"; {fixed}{wire.CHAT_PATH} answers correctly." if worked else "."),
            f"Give the platform the base URL without /chat/completions: {fixed}. It appends the path itself.",
            probe=ctx.probe)]
    if retry is not None and retry.ok and retry_base and not retry_base.rstrip("/").endswith("/v1"):
        return [finding(
            "reachability.extra-v1", "error",
            f"{url} answered {status_line(exchange)}, but {retry_base.rstrip('/')}{wire.CHAT_PATH} works: "
            "the server has no /v1 prefix, so the base URL must not end in /v1.",
            f"Use {retry_base} as the base URL, or serve the handler under /v1 as most OpenAI-compatible "
            "servers do.",
            probe=ctx.probe)]
    if retry is not None and retry.ok and retry_base:
        return [finding(
            "reachability.missing-v1", "error",
            f"{url} answered {status_line(exchange)}, but {retry_base.rstrip('/')}{wire.CHAT_PATH} works: "
            "the base URL is missing /v1.",
            f"Use {retry_base} as the base URL (platforms append only /chat/completions).",
            probe=ctx.probe)]
    if exchange.status == 405:
        allow = exchange.header("allow")
        return [finding(
            "reachability.method-not-allowed", "error",
            f"POST {url} answered {describe_reply(exchange)}"
            + (f"; the server allows {allow}." if allow else "."),
            "Route POST /chat/completions to the completion handler (platforms only POST).",
            probe=ctx.probe)]
    return [finding(
        "reachability.not-found", "error",
        f"POST {url} answered {describe_reply(exchange)}.",
        "Serve the handler at <base URL>/chat/completions; check the route and the base URL (most "
        "servers expect it to end in /v1).",
        probe=ctx.probe)]


def judge_redirect(exchange: Exchange, ctx: Judging, followed: Exchange | None = None) -> list[Finding]:
    """A 3xx on the chat URL: the platform pays a round trip, and may not follow it on POST at all."""
    location = exchange.header("location") or "(no Location header)"
    works = followed is not None and followed.ok
    return [finding(
        "reachability.redirect", "warning" if works else "error",
        f"POST {exchange.request.url} answered {status_line(exchange)} to {location}"
        + ("; the new location answers, so clients that follow redirects work." if works else
           "; the new location does not answer correctly either." if followed is not None else "."),
        f"Give the platform the final URL ({location}) as its base URL: many HTTP clients do not follow "
        "redirects on POST (httpx does not by default; 301/302 turn POST into GET), and each call pays an "
        "extra round trip.",
        probe=ctx.probe)]
