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
    title = ctx.platform.title
    extras = extra_fields(sent_body)
    if minimal is not None and minimal.ok and extras:
        always = [name for name in extras if name in ctx.platform.always_sends]
        every_call = (f" {title} sends {', '.join(always)} on every request, so every call would fail."
                      if always else "")
        return [finding(
            "params.extras-rejected", "error",
            f"{title}'s request was refused ({describe_reply(exchange)}), but the same request "
            f"with only model, messages and stream works: the endpoint rejects the fields {title} "
            f"adds ({', '.join(extras)}).{every_call}",
            ("Accept stream_options (send a usage chunk last when include_usage is true, or ignore it); "
             if "stream_options" in always else "")
            + "Accept and ignore unknown fields (e.g. pydantic `extra='ignore'`, not `forbid`); platforms add "
            "OpenAI fields at will.",
            probe=ctx.probe)]
    roles = {m.get("role") for m in sent_body.get("messages") or [] if isinstance(m, dict)}
    developer = (f' The request carries a "developer" message, as {title} sends.'
                 if "developer" in roles and ctx.platform.id == "pipecat" else "")
    return [finding(
        "params.request-rejected", "error",
        f"{title}'s request was refused: {describe_reply(exchange)}.{developer}",
        ('Accept role "developer" (treat it as "system"): Pipecat\'s templates start every call with one. '
         if developer else "")
        + "Read the server's message above; the request is a standard chat/completions body "
        "(`workbench check --format json` or `workbench chat --show-request` shows it).",
        probe=ctx.probe)]
