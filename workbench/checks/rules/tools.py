"""Tools rules: does a tool call come out as the platform can run it, and does the call go on after it?

The defects themselves are named by workbench/tool_calls.py (the one lint); here they become
findings with the severity each platform gives them. Two defects keep the ids they had before
the `tools` category existed (`stream.tool-call-index-missing`, `schema|stream.tool-arguments-
not-string`); every other one is `tools.<defect>`.

Where platforms differ, from their own code (research/platform-facts.md):
- finish_reason "stop" with a tool call: LiveKit fires the call on "tool_calls" or "stop"
  (livekit-agents inference/llm.py `_parse_choice`), Pipecat never reads finish_reason and runs
  the call when the stream ends (pipecat services/openai/base_llm.py); Vapi's custom-LLM guide
  and the OpenAI SDK's tool loop key on "tool_calls" (ElevenLabs: unconfirmed, treated the same).
  So it is an error where the platform keys on "tool_calls", a warning where it still works.
"""

from __future__ import annotations

from workbench.checks.evidence import describe_reply, excerpt
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange
from workbench.tool_calls import AssembledToolCall, ToolCallDefect, ToolCallReply, lint

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
        severity, note = _severity(defect, reply, ctx)
        out.append(finding(id, ctx.severity(severity), defect.message + note, defect.hint, probe=ctx.probe))
    return out


def _severity(defect: ToolCallDefect, reply: ToolCallReply, ctx: Judging) -> tuple[str, str]:
    """The defect's severity on this platform, and a sentence saying why when platforms differ."""
    if defect.code == "content-beside":
        return "warning", ""
    if defect.code != "finish-reason-wrong":
        return "error", ""
    platform = ctx.platform
    fires_on = platform.tool_call_fires_on
    if fires_on is None:
        return "warning", (f" {platform.title} runs the call anyway (it never reads finish_reason); platforms that "
                           "wait for \"tool_calls\" never run it.")
    if reply.finish_reason in fires_on:
        return "warning", (f" {platform.title} runs the call on {reply.finish_reason!r} too; platforms that wait "
                           "for \"tool_calls\" never run it.")
    return "error", f" {platform.title} never runs it."


def judge_refused(exchange: Exchange, ctx: Judging, offered: list[str]) -> list[Finding]:
    """The request offering the platform's tools got no usable reply at all."""
    problem = exchange.problem()
    if problem is None:
        return []
    what = describe_reply(exchange) if exchange.status is not None else problem.message
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
    problem = exchange.problem()
    if problem is None:
        return []
    what = describe_reply(exchange) if exchange.status is not None else problem.message
    return [finding(
        "tools.result-refused", ctx.severity("error"),
        f"The request carrying the result of {call.name or 'the tool call'} (an assistant message with tool_calls, "
        f"then a `tool` message with tool_call_id {call.id!r}) got no usable reply: {what}. The call dies right "
        "after its first tool.",
        "Accept assistant messages whose content is null and carry tool_calls, and `tool` messages with "
        "tool_call_id and the result as content; answer the turn in words.", probe=ctx.probe)]
