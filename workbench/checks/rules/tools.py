"""Tools rules: does a tool call come out as the platform can run it, and does the call go on after it?

The defects themselves are named by workbench/tool_calls.py (the one lint); here they become
findings with the severity each platform gives them. Two defects keep the ids they had before
the `tools` category existed (`stream.tool-call-index-missing`, `schema|stream.tool-arguments-
not-string`); every other one is `tools.<defect>`.

How bad each defect is on each platform is tool_calls.severity's to say (simulate asks it too):
finish_reason "stop" with a tool call is an error where the platform keys on "tool_calls"
(livekit-agents inference/llm.py `_parse_choice`, pipecat services/openai/base_llm.py, Vapi's
custom-LLM guide), a warning where it still runs the call.
"""

from __future__ import annotations

from workbench.checks.evidence import excerpt, unusable_reply
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange
from workbench.tool_calls import AssembledToolCall, ToolCallReply, lint
from workbench.tool_calls import severity as platform_severity

# Defects whose finding ids predate the `tools` category (kept: ids are stable).
LEGACY_IDS = {
    "index-missing": "{kind}.tool-call-index-missing",
    "arguments-not-string": "{kind}.tool-arguments-not-string",
}
# Defects that only an ended reply shows (a cut stream ends mid-arguments, without a finish_reason).
NEEDS_THE_END = frozenset({"finish-reason-wrong", "arguments-not-json"})


def about_a_tool_call(f: Finding) -> bool:
    """True for a finding of the tool-call lint (whatever its id): the reply still carried a call."""
    return f.category == "tools" or f.id.split(".", 1)[-1] in ("tool-call-index-missing", "tool-arguments-not-string")


def judge_tool_calls(reply: ToolCallReply, ctx: Judging, kind: str, offered: list[str] | None, *,
                     complete: bool = True) -> list[Finding]:
    """Findings for the tool calls of one reply (none when it made none); `kind` is stream or schema."""
    out: list[Finding] = []
    for defect in lint(reply, offered):
        if not complete and defect.code in NEEDS_THE_END:
            continue
        id = LEGACY_IDS.get(defect.code, "tools.{code}").format(kind=kind, code=defect.code)
        severity, note = platform_severity(defect, reply, ctx.platform)
        out.append(finding(id, ctx.severity(severity), defect.message + note, defect.hint, probe=ctx.probe))
    return out


def judge_refused(exchange: Exchange, ctx: Judging, offered: list[str]) -> list[Finding]:
    """The request offering the platform's tools got no usable reply at all."""
    what = unusable_reply(exchange)
    if what is None:
        return []
    return [finding(
        "tools.request-failed", ctx.severity("error"),
        f"A turn offering {ctx.platform.title}'s tools ({', '.join(offered)}) got no usable reply: {what}.",
        f"Accept a `tools` list on every request (ignore it if the model cannot call tools): {ctx.platform.title} "
        "sends one with each turn.", probe=ctx.probe)]


def judge_not_called(exchange: Exchange, ctx: Judging, offered: list[str], asked: str) -> list[Finding]:
    """Asked to do what a tool does, the endpoint answered in words: fine, but the tool path went untested."""
    said = exchange.reply_text.strip()
    return [finding(
        "tools.not-called", "info",
        f"Asked {asked!r} with {', '.join(offered)} offered, the endpoint answered in text"
        + (f" ({excerpt(said, 80)!r})" if said else "") + " instead of calling a tool; the request that carries "
        "a tool's result was not tried.",
        "Nothing to fix if your model decides in words; if it should call tools, pass the request's `tools` to it "
        "and stream its tool_calls back.", probe=ctx.probe)]


def judge_result_turn(exchange: Exchange, ctx: Judging, call: AssembledToolCall) -> list[Finding]:
    """The next request, carrying the tool's result: it must get a usable reply (text or another call)."""
    what = unusable_reply(exchange)
    if what is None:
        return []
    return [finding(
        "tools.result-refused", ctx.severity("error"),
        f"The request carrying the result of {call.name or 'the tool call'} (an assistant message with tool_calls, "
        f"then a `tool` message with tool_call_id {call.id!r}) got no usable reply: {what}. The call dies right "
        "after its first tool.",
        "Accept assistant messages whose content is null and carry tool_calls, and `tool` messages with "
        "tool_call_id and the result as content; answer the turn in words.", probe=ctx.probe)]
