"""Conversation rules: a real call has a system prompt, assistant turns and several user turns, grows
long, and gets interrupted; each must still get a usable reply."""

from __future__ import annotations

import re

from workbench.calls.long_call import CallSize
from workbench.checks.evidence import describe_reply, unusable_reply
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange

# "… maximum context length is 4096 tokens. However, your messages resulted in 5123 tokens …"
_TOKENS = re.compile(r"(\d[\d,]*)\s+tokens")

FORMS = {
    "developer-role": ('a "developer" message (newer OpenAI SDK callers send it instead of "system")',
                       'conversation.developer-role-rejected',
                       'Treat role "developer" like "system".'),
    "array-content": ('content as a list of parts ([{"type": "text", "text": "…"}])',
                      'conversation.array-content-rejected',
                      'Accept content as a string or a list of text parts, and join the parts\' text.'),
}


def judge_turns(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """The multi-turn probe: system, user, assistant, user."""
    if exchange.problem() is None:
        return []
    if exchange.status is not None:
        what = describe_reply(exchange)
    else:
        what = exchange.failure.message if exchange.failure else "no reply"
    return [finding(
        "conversation.multi-turn-failed", "error",
        f"A conversation with a system prompt, an assistant turn and two user turns got no usable reply: {what}.",
        "Accept the whole history: system first, then alternating user and assistant messages; answer the last "
        "user turn.",
        probe=ctx.probe)]


def judge_form(exchange: Exchange, ctx: Judging, form: str) -> list[Finding]:
    """A message form some callers on this platform send (developer role, array content)."""
    if exchange.problem() is None or exchange.status is None:
        return []
    if 200 <= exchange.status < 300 and (exchange.failure is not None or exchange.reply_text.strip()):
        return []  # accepted, then the reply broke: the same defect as the platform's own request, judged there
    what, id, hint = FORMS[form]
    return [finding(id, "warning", f"A request with {what} was refused: {describe_reply(exchange)}.", hint,
                    probe=ctx.probe)]


def judge_smoke_reply(exchange: Exchange, ctx: Judging, phrase: str) -> list[Finding]:
    """Play.ai's smoke test asks the model to repeat a phrase; its check refuses the agent when it does not."""
    reply = exchange.reply_text
    if not reply.strip() or phrase.lower() in reply.lower():
        return []
    return [finding(
        "conversation.smoke-test-reply", ctx.severity("error"),
        f"Asked to repeat \"{phrase}\", the reply was {reply.strip()[:120]!r}. Play.ai's backend refuses an "
        "agent whose LLM does not repeat it (its PATCH answers 400).",
        "Play.ai's compatibility check sends this one message; answer it with the sentence (Play.ai's own "
        "reference server special-cases it: a single message containing \"The smoke test has passed.\" gets "
        "exactly that sentence back).",
        probe=ctx.probe)]


def judge_long_call(exchange: Exchange, ctx: Judging, size: CallSize) -> list[Finding]:
    """A long call (a long system prompt, a long history) must still get a usable reply."""
    what = unusable_reply(exchange)
    if what is None:
        return []
    said = exchange.server_message() or ""
    tokens = sorted({int(n.replace(",", "")) for n in _TOKENS.findall(said)})
    counted = f" The server speaks of {' and '.join(f'{n:,}' for n in tokens)} tokens." if tokens else ""
    return [finding(
        "conversation.long-call-failed", ctx.severity("error"),
        f"A long call ({size.describe()}) got no usable reply: {what}.{counted} A real call reaches this size "
        "within minutes, and the call dies there.",
        "Give the model a context window that holds a whole call (prompt plus history), or trim the oldest turns "
        "yourself before generating; never refuse the turn.", probe=ctx.probe)]


def judge_barge_in(exchange: Exchange, ctx: Judging, spoken: str) -> list[Finding]:
    """The turn after a caller barged in (the stream closed mid-reply) must get a usable reply."""
    what = unusable_reply(exchange)
    if what is None:
        return []
    heard = f"the {len(spoken.split())} words the caller heard" if spoken.strip() else "no assistant turn"
    return [finding(
        "conversation.barge-in-failed", ctx.severity("error"),
        f"After the caller barged in (the reply's stream was closed after a few words), the next turn, carrying "
        f"{heard}, got no usable reply: {what}.",
        "Treat a client that closes the stream as the end of that reply: stop generating, free the worker, and "
        "answer the next request (its history ends with the interrupted words as the assistant turn).",
        probe=ctx.probe)]
