"""Params rules: the extra fields each platform sends must be tolerated, not refused."""

from __future__ import annotations

from typing import Any

from workbench.checks.evidence import describe_reply
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange

BASE_FIELDS = ("model", "messages", "stream")


def extra_fields(body: dict[str, Any]) -> list[str]:
    return [name for name in body if name not in BASE_FIELDS]


def judge_rejected(
    exchange: Exchange, ctx: Judging, minimal: Exchange | None, sent_body: dict[str, Any]
) -> list[Finding]:
    """The platform's request got a 400/422. `minimal` is the same request with only model, messages, stream."""
    extras = extra_fields(sent_body)
    if minimal is not None and minimal.ok and extras:
        return [finding(
            "params.extras-rejected", "error",
            f"{ctx.platform.title}'s request was refused ({describe_reply(exchange)}), but the same request "
            f"with only model, messages and stream works: the endpoint rejects the fields {ctx.platform.title} "
            f"adds ({', '.join(extras)}).",
            "Accept and ignore unknown fields (e.g. pydantic `extra='ignore'`, not `forbid`); platforms add "
            "OpenAI fields at will.",
            probe=ctx.probe)]
    return [finding(
        "params.request-rejected", "error",
        f"{ctx.platform.title}'s request was refused: {describe_reply(exchange)}.",
        "Read the server's message above; the request is a standard chat/completions body "
        "(`workbench check --format json` or `workbench chat --show-request` shows it).",
        probe=ctx.probe)]
