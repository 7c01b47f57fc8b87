"""Latency rules: the first token against the platform's voice budget (and which budget that is)."""

from __future__ import annotations

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
