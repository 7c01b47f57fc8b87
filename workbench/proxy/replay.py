"""Replay: resend one recorded request to an endpoint and compare the reply's shape and timing with the recording.

The request goes out as the platform sent it (method, path under the base URL, body, headers)
except its credential, which the log holds masked: the target's (a profile's, or --api-key-env)
is sent instead, the way the recording shows it was sent (Bearer or x-api-key). The reply is
judged as the recorded platform, and set beside the recorded one: status, kind of body, stream
events, [DONE], finish_reason, findings (the shape, which a fix should change only for the
better), and the times (informational: one request proves little about speed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench import wire
from workbench.checks.findings import Finding
from workbench.checks.single import judge_exchange
from workbench.exchange import Exchange, RecordedRequest
from workbench.proxy.headers import HOP_BY_HOP
from workbench.proxy.verdict import Proxied
from workbench.redact import is_secret_header
from workbench.target import Target

NOT_RESENT = HOP_BY_HOP | {"host", "content-length", "expect"}


@dataclass(frozen=True)
class Row:
    what: str
    then: str
    now: str
    compared: bool = True  # False: a figure shown side by side, not held to be equal

    @property
    def same(self) -> bool:
        return self.then == self.now


@dataclass
class Replay:
    recorded: Proxied
    now: Exchange
    findings: list[Finding] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def same_shape(self) -> bool:
        return all(row.same for row in self.rows if row.compared)

    @property
    def compatible(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"same_shape": self.same_shape, "compatible": self.compatible, "platform": self.recorded.platform,
                "url": self.now.request.url,
                "rows": [{"what": r.what, "then": r.then, "now": r.now, "same": r.same, "compared": r.compared}
                         for r in self.rows],
                "findings": [f.to_dict() for f in self.findings], "exchange": self.now.to_dict()}


def base_of(url: str) -> str:
    """The base URL a recorded chat or models URL was called under."""
    for path in (wire.CHAT_PATH, wire.MODELS_PATH):
        if url.split("?", 1)[0].endswith(path):
            return url.split("?", 1)[0][: -len(path)]
    return url.rsplit("/", 1)[0]


def resend_url(recorded_url: str, base_url: str) -> str:
    """The recorded URL's path under `base_url` (query kept)."""
    old_base = base_of(recorded_url)
    return base_url.rstrip("/") + recorded_url[len(old_base.rstrip("/")) :]


def resent_headers(request: RecordedRequest) -> dict[str, str]:
    """The recorded headers that go out again: not its credentials (masked), not the connection's own."""
    masked = set(request.secret_headers)
    return {name: value for name, value in request.headers
            if name.lower() not in NOT_RESENT and name.lower() not in masked and not is_secret_header(name)}


async def replay(recorded: Proxied, target: Target) -> Replay:
    """Send the recorded request to `target` (its base URL and credential) and compare."""
    from workbench.client import Client

    request = recorded.exchange.request
    async with Client(target) as client:
        call = client.request(request.method, resend_url(request.url, target.base_url), content=request.body,
                              headers=resent_headers(request), stream=recorded.exchange.stream_requested,
                              label=f"replay as {recorded.platform}", raise_on_failure=False)
        now = await call.run()
    findings = judge_exchange(now, recorded.platform)
    return Replay(recorded, now, findings, compare(recorded.exchange, recorded.findings, now, findings))


def compare(then: Exchange, then_found: list[Finding], now: Exchange, now_found: list[Finding]) -> list[Row]:
    shape_then, shape_now = shape(then), shape(now)
    rows = [Row(what, shape_then[what], shape_now[what]) for what in shape_then]
    rows.append(Row("findings", _ids(then_found), _ids(now_found)))
    for what, value_then, value_now in (
        ("response head", then.timings.headers_ms, now.timings.headers_ms),
        ("first token", then.timings.first_token_ms, now.timings.first_token_ms),
        ("whole reply", then.timings.total_ms, now.timings.total_ms),
    ):
        rows.append(Row(what, _ms(value_then), _ms(value_now), compared=False))
    return rows


def shape(exchange: Exchange) -> dict[str, str]:
    """What a platform's parser depends on, in words."""
    if exchange.status is None:
        failure = exchange.failure.kind if exchange.failure else "none"
        return {"status": f"no reply ({failure})", "body": "-", "events": "-", "[DONE]": "-", "finish_reason": "-"}
    body = "SSE stream" if exchange.is_sse else (exchange.content_type or "no content type")
    events = [e for e in exchange.events if not e.comment_only]
    texts = sum(1 for e in events if e.text)
    return {
        "status": str(exchange.status),
        "body": body + (" (cut short)" if exchange.failure is not None and not exchange.cancelled else ""),
        "events": f"{len(events)} ({texts} with text)" if exchange.events else "-",
        "[DONE]": ("yes" if any(e.is_done for e in exchange.events) else "no") if exchange.events else "-",
        "finish_reason": _finish_reason(exchange),
    }


def _finish_reason(exchange: Exchange) -> str:
    chunks = [e.parsed for e in exchange.events] if exchange.events else [exchange.json()]
    for chunk in reversed(chunks):
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        if isinstance(choices, list):
            for choice in choices:
                if isinstance(choice, dict) and choice.get("finish_reason") is not None:
                    return str(choice["finish_reason"])
    return "none"


def _ids(found: list[Finding]) -> str:
    return ", ".join(sorted(f.id for f in found)) or "none"


def _ms(value: float | None) -> str:
    return f"{value:.0f} ms" if value is not None else "-"


def lines(result: Replay) -> list[str]:
    """The comparison as text: a row per aspect, then the verdict."""
    width = max(len(row.what) for row in result.rows)
    then_width = max(len("recorded"), *(len(row.then) for row in result.rows))
    out = [f"Replayed {result.now.request.method} {result.now.request.url} as {result.recorded.platform}", "",
           f"  {'':<{width}}  {'recorded':<{then_width}}  now"]
    for row in result.rows:
        mark = " " if not row.compared else ("=" if row.same else "≠")
        out.append(f"{mark} {row.what:<{width}}  {row.then:<{then_width}}  {row.now}")
    out.append("")
    shape_word = "the same shape as recorded" if result.same_shape else "a different shape from the recording"
    verdict = "no errors" if result.compatible else "errors: " + ", ".join(
        f.id for f in result.findings if f.severity == "error")
    out.append(f"The reply has {shape_word}; judged as {result.recorded.platform}: {verdict}.")
    for finding in result.findings:
        out.append(f"  {finding.severity}: {finding.id}: {finding.message}")
    return out
