"""Latency rules: what a caller hears against the platform's voice budget (and which budget that is).

The first token, the first speakable sentence (a word then silence is a stall the first token
hides), silence in the middle of the reply, and reasoning before the answer (read aloud when it
is in the content, dead air when it comes as reasoning deltas). The figures come from the
Exchange's Timings (workbench/speech.py says what they mean).
"""

from __future__ import annotations

from itertools import pairwise

from workbench import speech
from workbench.checks.evidence import excerpt
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange


def first_token_ms(exchange: Exchange, stream: bool) -> float | None:
    """When the platform could start speaking: the first content token, or the whole body when not streaming."""
    if stream:
        return exchange.timings.first_token_ms
    return exchange.timings.total_ms


def judge_first_token(exchange: Exchange, ctx: Judging) -> list[Finding]:
    platform = ctx.platform
    if exchange.failure is not None and exchange.failure.kind == "first-token-timeout" and not exchange.events:
        limit = platform.timeouts.first_token
        return [finding(
            "latency.first-token-timeout", "error",
            f"No token came before the timeout ({exchange.failure.message}); {platform.title} gives up after "
            f"{limit:g} s.",
            "Start streaming sooner: send the role chunk at once and the first token as soon as the model has it.",
            probe=ctx.probe)]
    measured = first_token_ms(exchange, ctx.stream)
    if measured is None or not exchange.ok:
        return []
    what = "first token" if ctx.stream else "whole reply (not streamed, so the platform waits for all of it)"
    hard_ms = platform.timeouts.first_token * 1000.0
    if measured > hard_ms:
        return [finding(
            "latency.first-token-timeout", "error",
            f"The {what} took {measured:.0f} ms, past {platform.title}'s {platform.timeouts.first_token:g} s limit.",
            "Stream the reply and send the first token sooner.", probe=ctx.probe)]
    budget = platform.first_token_budget_ms
    if measured > budget:
        return [finding(
            "latency.first-token-slow", "warning",
            f"The {what} took {measured:.0f} ms; the budget is {budget:.0f} ms ({platform.budget_source}). "
            "A caller hears the silence.",
            "Stream (stream: true), keep prompts short, keep the model warm, and run it close to the platform."
            if not ctx.stream else "Keep the model warm, trim the prompt, and send tokens as soon as they exist.",
            probe=ctx.probe)]
    return []


def judge_voice(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """Everything a caller hears of the reply's timing: first token, first sentence, gaps, reasoning."""
    return (judge_first_token(exchange, ctx) + judge_first_sentence(exchange, ctx) + judge_gaps(exchange, ctx)
            + judge_reasoning(exchange, ctx))


def judge_first_sentence(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """A first token in time but a first sentence past the budget: the caller hears a word, then silence."""
    timings = exchange.timings
    first, sentence = timings.first_token_ms, timings.first_sentence_ms
    if not ctx.stream or not exchange.ok or first is None or sentence is None:
        return []
    budget = ctx.platform.first_token_budget_ms
    if first > budget or sentence <= budget:
        return []
    before = speech.spoken_text("".join(e.text for e in exchange.events if e.t_ms < sentence)).strip()
    return [finding(
        "latency.first-sentence-slow", "warning",
        f"The first token came after {first:.0f} ms ({excerpt(before, 40)!r}, then nothing), but the first "
        f"sentence only after "
        f"{sentence:.0f} ms; {ctx.platform.title}'s budget is {budget:.0f} ms ({ctx.platform.budget_source}). "
        "The caller hears a word, then silence.",
        "Keep tokens flowing once the first one is out: a voice platform speaks a sentence at a time, so the "
        "time to the first full sentence (or clause) is what the caller waits for.", probe=ctx.probe)]


def judge_gaps(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """Silence in the middle of a reply, after its first sentence, longer than the budget."""
    timings = exchange.timings
    sentence = timings.first_sentence_ms
    if not ctx.stream or not exchange.ok or sentence is None:
        return []
    budget = ctx.platform.first_token_budget_ms
    times = [e.t_ms for e in exchange.events if e.text and e.t_ms > sentence]
    gaps = [later - earlier for earlier, later in pairwise([sentence, *times])]
    longest = max(gaps, default=0.0)
    if longest <= budget:
        return []
    return [finding(
        "latency.mid-reply-gap", "warning",
        f"The reply went silent for {longest:.0f} ms in the middle (after its first sentence); "
        f"{ctx.platform.title}'s budget for silence is {budget:.0f} ms.",
        "Stream tokens as the model makes them; look for a flush that waits (a proxy buffering, a tool or a "
        "database call in the middle of the reply).", probe=ctx.probe)]


def judge_reasoning(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """Reasoning before the answer: read aloud when it is in the content, dead air when it is not."""
    timings = exchange.timings
    out: list[Finding] = []
    if not exchange.ok:
        return out
    lasted = f", lasting {timings.reasoning_ms:.0f} ms before the answer" if timings.reasoning_ms else ""
    platform = ctx.platform
    if timings.think_chars:
        spoken = not platform.strips_think_tags
        out.append(finding(
            "latency.reasoning-spoken", "error" if spoken else "warning",
            f"The reply's content begins with {timings.think_chars} characters of <think>…</think> reasoning{lasted}. "
            + (f"{platform.title} speaks the content as it comes: the caller hears the reasoning read aloud."
               if spoken else f"{platform.title} strips <think> blocks, so the caller hears silence meanwhile."),
            "Keep reasoning out of `content`: run the model with a reasoning parser (vLLM --reasoning-parser) so it "
            "goes to reasoning_content, turn reasoning off for voice, or strip <think>…</think> before streaming.",
            probe=ctx.probe))
    if timings.reasoning_chars:
        out.append(finding(
            "latency.reasoning-silence", "info",
            f"{timings.reasoning_chars} characters of reasoning (reasoning_content / reasoning deltas) came before "
            f"the first content token{lasted}: silence on the line, counted in the first token.",
            "Nothing to fix if the first token is still within budget; otherwise lower the reasoning effort or use "
            "a model that does not reason for voice turns.", probe=ctx.probe))
    return out


def judge_long_call(long: Exchange, short: Exchange, ctx: Judging, size_text: str) -> list[Finding]:
    """The first token on a long call against a short one: past the budget only when the call grew, a warning."""
    budget = ctx.platform.first_token_budget_ms
    measured, usual = first_token_ms(long, ctx.stream), first_token_ms(short, ctx.stream)
    if not long.ok or measured is None or measured <= budget or (usual is not None and usual > budget):
        return []  # a short call already past the budget is reported as latency.first-token-slow
    against = f", against {usual:.0f} ms on a short one" if usual is not None else ""
    return [finding(
        "latency.long-call-slow", "warning",
        f"On a long call ({size_text}) the first token took {measured:.0f} ms{against}; the budget is "
        f"{budget:.0f} ms ({ctx.platform.budget_source}). The caller waits longer as the call goes on.",
        "Cache the prompt (prefix caching keeps the system prompt's work between turns), trim old turns, or use "
        "a model that reads long contexts faster.", probe=ctx.probe)]


# A next turn this much later than the same turn after no interruption (and at least half as late
# again) means the server was still busy with the abandoned reply.
BARGE_IN_DELAY_MS = 300.0


def judge_barge_in(next_turn: Exchange, baseline: Exchange, ctx: Judging) -> list[Finding]:
    """After a barge-in, the next turn's first token against a turn that followed no interruption."""
    late, usual = next_turn.timings.first_token_ms, baseline.timings.first_token_ms
    if not next_turn.ok or late is None or usual is None:
        return []
    delay = late - usual
    if delay < max(BARGE_IN_DELAY_MS, usual / 2):
        return []
    return [finding(
        "latency.barge-in-delay", "warning",
        f"After the caller barged in, the next turn's first token came after {late:.0f} ms, against {usual:.0f} ms "
        f"for the same turn with no interruption: {delay:.0f} ms late. The server went on generating the reply "
        "the caller cut off (the client had closed the stream) before it started the next one.",
        "Stop generating when the client disconnects: check for it between tokens (e.g. "
        "`await request.is_disconnected()` in Starlette/FastAPI) and cancel the generation, so the next turn gets "
        "the model at once.", probe=ctx.probe)]
