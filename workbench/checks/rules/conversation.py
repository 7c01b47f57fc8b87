"""Conversation rules: a real call has a system prompt, assistant turns and several user turns."""

from __future__ import annotations

from workbench.checks.evidence import describe_reply
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange

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
    """Play.ai's smoke test asks the model to repeat a phrase; its check expects to hear it back."""
    reply = exchange.reply_text
    if not reply.strip() or phrase.lower() in reply.lower():
        return []
    return [finding(
        "conversation.smoke-test-reply", "warning",
        f"Asked to repeat \"{phrase}\", the reply was {reply.strip()[:120]!r}.",
        "Play.ai's compatibility check sends this smoke test; a model that follows the instruction passes it.",
        probe=ctx.probe)]
