"""Runs a platform's check against a target: probes out, Exchanges in, Findings as they come.

Order: the platform's own request goes alone first (its latency is the one reported, so
nothing runs beside it); when it fails, one or two diagnosis requests say why (/v1 missing,
the other auth header, the extra fields) and the check stops there. When it works, the
follow-up probes run concurrently. Every request is bounded by the check's timeouts, so a
stalled endpoint costs at most about two timeouts. `iter_check` yields events for a live
checklist; `run_check` returns the Report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from urllib.parse import urljoin

from workbench import wire
from workbench.checks import probes as plan
from workbench.checks.findings import Finding, ProbeResult, Report, finding, probe_status
from workbench.checks.judging import Judging
from workbench.checks.probes import Probe
from workbench.checks.rules import auth, conversation, errors, latency, models, params, reachability, tls
from workbench.checks.single import judge_reply_body
from workbench.exchange import Exchange
from workbench.platforms import get_platform
from workbench.platforms.base import Platform
from workbench.platforms.playai import SMOKE_REPLY
from workbench.redact import shown_url
from workbench.target import Target, Timeouts

DEFAULT_TIMEOUT_S = 30.0
TIMEOUT_KINDS = ("read-timeout", "first-token-timeout", "connect-timeout", "reply-timeout")
MAX_DIAGNOSIS_ROUNDS = 3
# A probe's reply is capped well below the client's default (8 MiB): a chat reply is kilobytes,
# and a check runs up to seven probes at once against an endpoint that may stream forever.
BODY_CAP = 2 << 20


@dataclass(frozen=True)
class ProbeStarted:
    probe: Probe


@dataclass(frozen=True)
class ProbeFinished:
    """A checklist line is done. `exchange` is None for lines judged from other probes (latency, auth)."""

    probe: Probe
    result: ProbeResult
    exchange: Exchange | None = None


@dataclass(frozen=True)
class CheckFinished:
    report: Report
    exchanges: tuple[Exchange, ...] = ()


CheckEvent = ProbeStarted | ProbeFinished | CheckFinished


def check_timeouts(platform: Platform, timeout: float | None) -> Timeouts:
    """The platform's timeouts, each capped by --timeout (default 30 s), so no probe can hang the check."""
    cap = DEFAULT_TIMEOUT_S if timeout is None else timeout
    limits = platform.timeouts
    return Timeouts(connect=min(limits.connect, cap), read=min(limits.read, cap),
                    first_token=min(limits.first_token, cap))


def reply_time_limit(timeouts: Timeouts) -> float:
    """The longest one probe may take from start to end: to connect, to the first token, then one
    read timeout more. It ends a stream that never stops and a reply sent a byte at a time, which
    no per-read timeout notices."""
    return timeouts.connect + timeouts.first_token + timeouts.read


class _Check:
    """The state of one check run: the findings so far, the exchanges, the probe results."""

    def __init__(self, target: Target, platform: Platform, timeout: float | None) -> None:
        self.platform = platform
        self.original = target
        self.target = target.with_(timeouts=check_timeouts(platform, timeout))
        self.findings: list[Finding] = []
        self.results: list[ProbeResult] = []
        self.exchanges: list[tuple[str, Exchange]] = []
        self.started = time.perf_counter()
        self.primary_exchange: Exchange | None = None
        self.primary_probe: Probe | None = None

    def judging(self, probe: Probe) -> Judging:
        return Judging(self.platform, self.target, probe=probe.id, stream=probe.stream,
                       include_usage=probe.include_usage, optional=probe.optional)

    def finish(self, probe: Probe, exchange: Exchange | None, found: list[Finding], detail: str = "",
               skipped: bool = False) -> ProbeFinished:
        """Record a checklist line; `skipped` when it could not be judged (its status says so, not "passed")."""
        if probe.optional:
            mode = "streaming" if probe.stream else "non-streaming replies"
            lead = f"Only matters if you use {mode} (optional for {self.platform.title}): "
            found = [Finding(f.id, f.category, f.severity, lead + f.message, f.hint, f.probe) for f in found]
        self.findings.extend(found)
        ms = exchange.timings.total_ms if exchange is not None else None
        status = "skipped" if skipped and not found else probe_status(found)
        result = ProbeResult(probe.id, probe.title, status, ms, tuple(found), detail or _detail(exchange))
        self.results.append(result)
        return ProbeFinished(probe, result, exchange)

    def report(self) -> Report:
        metrics: dict[str, object] = {"ttft_ms": None, "total_ms": None}
        ex, probe = self.primary_exchange, self.primary_probe
        if ex is not None and probe is not None and ex.ok:
            first = latency.first_token_ms(ex, probe.stream)
            metrics["ttft_ms"] = round(first, 1) if first is not None else None
            metrics["total_ms"] = round(ex.timings.total_ms, 1) if ex.timings.total_ms is not None else None
            metrics["streamed"] = probe.stream
        metrics["requests"] = len(self.exchanges)
        metrics["check_ms"] = round((time.perf_counter() - self.started) * 1000, 1)
        return Report.build(self.platform.id, shown_url(self.original.base_url), self.findings, metrics, self.results)


async def iter_check(
    target: Target, platform: Platform | str, *, timeout: float | None = None
) -> AsyncIterator[CheckEvent]:
    """Check `target` as `platform` would call it; yields each probe as it starts and finishes, then the Report."""
    from workbench.client import Client  # httpx: imported when a check runs, not at `workbench --help`

    platform = get_platform(platform) if isinstance(platform, str) else platform
    state = _Check(target, platform, timeout)
    limit = reply_time_limit(state.target.timeouts)
    async with Client(state.target, body_cap=BODY_CAP, total_timeout=limit) as client:

        async def send(probe: Probe) -> Exchange:
            call = client.request(
                probe.method, probe.url, content=probe.content, headers=probe.headers, auth=probe.auth,
                api_key=probe.api_key, stream=probe.stream, label=f"check: {probe.id}", raise_on_failure=False,
            )
            exchange = await call.run()
            state.exchanges.append((probe.id, exchange))
            return exchange

        probe = plan.primary(platform, state.target)
        yield ProbeStarted(probe)
        exchange = await send(probe)
        mismatch = auth.judge_method_mismatch(state.judging(probe))
        diagnosis: list[tuple[Probe, Exchange]] = []
        carry_on = True
        for _ in range(MAX_DIAGNOSIS_ROUNDS):
            status = exchange.status
            if status is not None and 200 <= status < 300:
                break
            found, retry, fixed_target = await _diagnose(state, probe, exchange, send)
            if retry is not None:
                diagnosis.append(retry)
            primary_findings = mismatch + found
            mismatch = []
            yield state.finish(probe, exchange, primary_findings)
            if retry is not None:
                yield state.finish(retry[0], retry[1], [])
            if fixed_target is None:
                carry_on = False
                break
            # The diagnosis found a working variant: go on with it, so every other problem shows too.
            state.target = fixed_target
            # Named for where it went: a second "PolyAI's own request" line (✗ then ✓) read as a contradiction.
            fixed = plan.primary(platform, fixed_target)
            probe = replace(fixed, title=f"{fixed.title} at the working base URL {shown_url(fixed_target.base_url)}")
            exchange = retry[1] if retry is not None else exchange
        else:
            carry_on = False

        if carry_on:
            state.primary_exchange, state.primary_probe = exchange, probe
            ctx = state.judging(probe)
            found = mismatch + _judge_reply(probe, exchange, ctx)
            if platform.id == "playai" and exchange.ok:
                found += conversation.judge_smoke_reply(exchange, ctx, SMOKE_REPLY)
            yield state.finish(probe, exchange, found)
            budget = Probe("latency", f"First token within {platform.first_token_budget_ms:.0f} ms: "
                                      f"{platform.budget_source}", kind=plan.QUICK)
            measured = latency.first_token_ms(exchange, probe.stream)
            yield state.finish(budget, None, latency.judge_first_token(exchange, _as(ctx, "latency")),
                               f"{measured:.0f} ms" if measured is not None else "not measured: no content came",
                               skipped=measured is None or not exchange.ok)

            usable = exchange.problem() is None and not any(f.severity == "error" for f in found)
            stalled = exchange.failure is not None and exchange.failure.kind in TIMEOUT_KINDS
            followups = plan.plan_followups(platform, state.target, probe.stream, quick_only=stalled)
            for followup in followups:
                yield ProbeStarted(followup)
            by_id: dict[str, Exchange] = {}
            tasks = {asyncio.ensure_future(_sent(send, p)): p for p in followups}
            try:
                for next_done in asyncio.as_completed(tasks):
                    done_probe, done_exchange = await next_done
                    by_id[done_probe.id] = done_exchange
                    found = _judge_followup(done_probe, done_exchange, state.judging(done_probe), usable)
                    unjudged = done_probe.id == "conversation" and not usable
                    yield state.finish(done_probe, done_exchange, found,
                                       "not judged: the first reply was already broken" if unjudged else "",
                                       skipped=unjudged)
            finally:
                for task in tasks:
                    task.cancel()
            if probe.auth == "none" or "auth.none" in by_id:
                gate = Probe("auth.enforced", "Only the right credential gets in", kind=plan.QUICK)
                yield state.finish(gate, None, auth.judge_open(_as(ctx, gate.id), by_id.get("auth.none"),
                                                               by_id.get("auth.wrong"), probe.auth))

        # A handshake passed with the profile's trust: would it pass with the platform's?
        if exchange.status is not None and tls.trust_differs(state.target):
            trust = Probe("tls.platform", f"The certificate verifies as {platform.title} checks it", kind=plan.QUICK)
            yield ProbeStarted(trust)
            judged = await _with_platform_trust(state, limit)
            yield state.finish(trust, judged, tls.judge_platform_trust(judged, _as(state.judging(probe), trust.id)))

        shapes = Probe("errors.shape", "Error replies use OpenAI's error envelope", kind=plan.QUICK)
        refusals = [(pid, ex) for pid, ex in state.exchanges  # the TLS request asks only for a handshake
                    if ex.status is not None and ex.status >= 400 and pid != "tls.platform"]
        if refusals:
            yield state.finish(shapes, None, errors.judge_error_bodies(refusals, _as(state.judging(probe), shapes.id)))
    yield CheckFinished(state.report(), tuple(ex for _, ex in state.exchanges))


async def run_check(
    target: Target,
    platform: Platform | str,
    *,
    timeout: float | None = None,
    on_event: Callable[[CheckEvent], None] | None = None,
) -> Report:
    """Run the whole check and return its Report; `on_event` sees every event as it happens."""
    report: Report | None = None
    async for event in iter_check(target, platform, timeout=timeout):
        if on_event is not None:
            on_event(event)
        if isinstance(event, CheckFinished):
            report = event.report
    assert report is not None
    return report


# ---- judging ----------------------------------------------------------------------------


async def _with_platform_trust(state: _Check, limit: float) -> Exchange:
    """One request (GET models, no credential: any answer means the handshake passed) with a platform's trust."""
    from workbench.client import Client

    async with Client(state.target, body_cap=BODY_CAP, total_timeout=limit, public_trust=True) as client:
        exchange = await client.request("GET", state.target.models_url, auth="none", label="check: tls.platform",
                                        raise_on_failure=False).run()
    state.exchanges.append(("tls.platform", exchange))
    return exchange


async def _sent(send: _Send, probe: Probe) -> tuple[Probe, Exchange]:
    return probe, await send(probe)


def _as(ctx: Judging, probe_id: str) -> Judging:
    from dataclasses import replace

    return replace(ctx, probe=probe_id)


def _judge_reply(probe: Probe, exchange: Exchange, ctx: Judging) -> list[Finding]:
    """A chat request's reply: transport, status, then the body (stream or completion)."""
    if exchange.status is None:
        found = reachability.judge_failure(exchange, ctx)
        return [_soften(f, ctx) for f in found]
    if not 200 <= exchange.status < 300:
        kind = "stream" if probe.stream else "schema"
        mode = "streaming" if probe.stream else "non-streaming"
        from workbench.checks.evidence import describe_reply

        return [finding(f"{kind}.refused", ctx.severity("error"),
                        f"A {mode} request was refused: {describe_reply(exchange)}.",
                        f"{ctx.platform.title} sends stream: {str(probe.stream).lower()} "
                        + ("when streaming is turned on; support it or leave streaming off in the platform."
                           if probe.optional else "; answer it with 200."), probe=ctx.probe)]
    return judge_reply_body(exchange, ctx)


def _soften(f: Finding, ctx: Judging) -> Finding:
    if f.severity == ctx.severity(f.severity):
        return f
    return Finding(f.id, f.category, ctx.severity(f.severity), f.message, f.hint, f.probe)


def _judge_followup(probe: Probe, exchange: Exchange, ctx: Judging, primary_usable: bool) -> list[Finding]:
    """A follow-up probe's findings; the conversation is only judged when the first reply was usable
    (otherwise its failure is the same defect again, already reported)."""
    if probe.id in ("chat.stream", "chat.json"):
        return _judge_reply(probe, exchange, ctx)
    if probe.id == "conversation":
        return conversation.judge_turns(exchange, ctx) if primary_usable else []
    if probe.form:
        return conversation.judge_form(exchange, ctx, probe.form)
    if probe.id.startswith("errors."):
        return errors.judge_malformed(exchange, ctx, probe.what)
    if probe.id == "models":
        return models.judge_models(exchange, ctx)
    return []  # auth.none / auth.wrong are judged together, as "auth.enforced"


# What a diagnosis gives: findings, the diagnosis request sent with its reply, and a target that works.
_Diagnosed = tuple[list[Finding], tuple[Probe, Exchange] | None, Target | None]
_Send = Callable[[Probe], Awaitable[Exchange]]


async def _diagnose(state: _Check, probe: Probe, exchange: Exchange, send: _Send) -> _Diagnosed:
    """Why the platform's own request failed: findings, the diagnosis request sent, and a target that works."""
    ctx = state.judging(probe)
    status = exchange.status
    if status is None:
        return reachability.judge_failure(exchange, ctx), None, None
    if 300 <= status < 400:
        return await _diagnose_redirect(state, probe, exchange, ctx, send)
    if status in (404, 405):
        return await _diagnose_path(state, probe, exchange, ctx, send)
    if status in auth.REFUSED:
        return await _diagnose_refused(state, probe, exchange, ctx, send)
    if status in (400, 413, 422):
        smaller = plan.minimal(probe)
        retried = await send(smaller) if smaller is not None else None
        found = params.judge_rejected(exchange, ctx, retried, probe.body or {})
        return found, ((smaller, retried) if smaller is not None and retried is not None else None), None
    return errors.judge_status(exchange, ctx), None, None


async def _diagnose_redirect(
    state: _Check, probe: Probe, exchange: Exchange, ctx: Judging, send: _Send
) -> _Diagnosed:
    """A redirect: follow it once, as the platform would not, to say whether its target works."""
    location = exchange.header("location")
    if not location:
        return reachability.judge_redirect(exchange, ctx), None, None
    url = urljoin(exchange.request.url, location)
    retry = plan.at_url(probe, url, "path.redirect", "The redirect's target")
    retried = await send(retry)
    fixed = None
    if retried.ok:
        new_base = url[: -len(wire.CHAT_PATH)] if url.rstrip("/").endswith(wire.CHAT_PATH) else url
        fixed = state.target.with_(base_url=new_base)
    return reachability.judge_redirect(exchange, ctx, retried), (retry, retried), fixed


async def _diagnose_path(
    state: _Check, probe: Probe, exchange: Exchange, ctx: Judging, send: _Send
) -> _Diagnosed:
    """404/405: try the base URL as it is usually meant (/v1 added or removed, /chat/completions not doubled)."""
    base = state.target.base_url.rstrip("/")
    new_base = title = ""
    if reachability.ends_with_chat_path(base):
        new_base = base[: -len(wire.CHAT_PATH)]
        title = "Without the doubled /chat/completions"
    elif base.endswith("/v1"):
        new_base = base[: -len("/v1")]
        title = "Without /v1 at the end of the base URL"
    elif reachability.needs_v1(base):
        new_base = base + "/v1"
        title = "With /v1 added to the base URL"
    if not new_base:
        return reachability.judge_path(exchange, ctx), None, None
    retry = plan.at_base_url(probe, base, new_base, "path.retry", title)
    retried = await send(retry)
    fixed = state.target.with_(base_url=new_base) if retried.ok else None
    return reachability.judge_path(exchange, ctx, retried, new_base), (retry, retried), fixed


async def _diagnose_refused(
    state: _Check, probe: Probe, exchange: Exchange, ctx: Judging, send: _Send
) -> _Diagnosed:
    """401/403: an unknown model (Polyant says 401 too), or the other auth header."""
    if state.platform.uses_models_endpoint:
        # Polyant answers an unknown model with 401 too: the model list tells the two apart.
        listing = plan.models(state.platform, state.target)
        listed = await send(listing)
        missing = [f for f in models.judge_models(listed, _as(ctx, listing.id)) if f.id == "models.model-missing"]
        if missing:
            return missing, (listing, listed), None
    other = plan.with_other_auth(probe)
    if other is None:
        return auth.judge_refused(exchange, ctx, probe.auth), None, None
    retried = await send(other)
    found = auth.judge_refused(exchange, ctx, probe.auth, retried, other.auth)
    fixed = None
    if retried.ok and other.auth in state.platform.auth_methods:
        fixed = state.target.with_(auth=other.auth)
    return found, (other, retried), fixed


def _detail(exchange: Exchange | None) -> str:
    if exchange is None:
        return ""
    if exchange.status is None:
        return exchange.failure.kind if exchange.failure else "no reply"
    parts = [f"HTTP {exchange.status}"]
    if exchange.events:
        parts.append(f"{len(exchange.events)} events")
    if exchange.failure is not None:
        parts.append(exchange.failure.kind)
    return ", ".join(parts)
