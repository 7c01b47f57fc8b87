"""A simulated call as a person reads it: the report of every turn, and its lines of text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.simulate.agent_file import AgentConfig, tool_name
from workbench.simulate.judge import TurnResult
from workbench.simulate.played import ToolCallResult
from workbench.target import Target


@dataclass
class SimulationReport:
    """The whole call: every played turn and whether every expectation held."""

    agent: AgentConfig
    target: Target
    turns: list[TurnResult] = field(default_factory=list)
    stopped: str | None = None  # why the call ended before its last turn

    @property
    def passed(self) -> bool:
        return self.stopped is None and len(self.turns) == len(self.agent.turns) and all(t.passed for t in self.turns)

    @property
    def problems(self) -> list[str]:
        found = [p for turn in self.turns for p in turn.problems]
        if self.stopped:
            found.append(self.stopped)
        return found

    def to_dict(self) -> dict[str, Any]:
        expectations = [e for t in self.turns for e in t.expectations]
        return {
            "passed": self.passed,
            "agent": self.agent.name,
            "file": self.agent.path,
            "platform": self.agent.platform,
            "target": self.target.base_url,
            "model": self.target.model,
            "turns_planned": len(self.agent.turns),
            "turns_played": len(self.turns),
            "expectations": {"total": len(expectations), "failed": sum(not e.passed for e in expectations)},
            "stopped": self.stopped,
            "turns": [t.to_dict() for t in self.turns],
        }


PASS_MARK = "✓"
FAIL_MARK = "✗"
NOTE_MARK = "!"


def header_lines(agent: AgentConfig, target: Target) -> list[str]:
    """What is about to be played, against what."""
    from workbench.platforms import get_platform

    platform = get_platform(agent.platform)
    streaming = platform.streams(target, agent.parameters.stream)
    lines = [
        f'Simulating "{agent.name}" as {platform.title}: {len(agent.turns)} turn{"s" * (len(agent.turns) != 1)}, '
        + ("streamed" if streaming else "not streamed"),
        f"  file:   {agent.path}",
        f"  target: {target.base_url} (model {target.model})",
    ]
    if agent.system_prompt_file:
        words = len(agent.system_prompt.split())
        lines.append(f"  prompt: {agent.system_prompt_file} ({words:,} words)")
    tools = [tool_name(t) for t in agent.offered_tools(platform.offered_tools(target))]
    if tools:
        lines.append(f"  tools:  {', '.join(tools)}")
    return lines


def turn_lines(result: TurnResult, total: int) -> list[str]:
    """One turn as a person reads it: verdict and timings, what was said, each expectation."""
    timing = []
    if not result.streamed and result.total_ms is not None:
        timing.append(f"whole reply in {result.total_ms:.0f} ms, not streamed")
    else:
        if result.first_token_ms is not None:
            timing.append(f"first token {result.first_token_ms:.0f} ms")
        if result.first_sentence_ms is not None:
            timing.append(f"first sentence {result.first_sentence_ms:.0f} ms")
        if result.total_ms is not None:
            timing.append(f"total {result.total_ms:.0f} ms")
    verdict = "PASS" if result.passed else "FAIL"
    repeat = f" (repeat {result.repeat} of {result.repeats})" if result.repeats > 1 else ""
    lines = [f"Turn {result.number} of {total}{repeat}  {verdict}" + (f"  ({', '.join(timing)})" if timing else "")]
    lines.append(f"  caller: {result.user}")
    lines += [f"  tool:   {tool_call_line(call)}" for call in result.tool_calls]
    # An interrupted turn shows what the caller heard; all that arrived before the hang-up is in `reply`
    # (the JSON report, Inspect), its length left to chance: how much the network had carried by then.
    if not result.interrupted and (result.failure is None or result.reply):
        lines.append(f"  agent:  {result.reply or '(nothing)'}")
    if result.interrupted:
        heard = result.heard or ""
        count = len(heard.split())
        before = ", before a first sentence" if result.first_sentence_ms is None else ""
        lines.append(f"  heard:  {heard or '(nothing)'}  (the caller barged in after {count} word{'s' * (count != 1)}"
                     f"{before})")
    if result.failure is not None:
        lines.append(f"  {FAIL_MARK} turn {result.number}: {result.failure.message}")
        if result.failure.hint:
            lines.append(f"    hint: {result.failure.hint}")
    for expectation in result.expectations:
        if expectation.passed:
            lines.append(f"  {PASS_MARK} {expectation.summary or expectation.message}")
        else:
            lines.append(f"  {FAIL_MARK} {expectation.message}")
            if expectation.hint:
                lines.append(f"    hint: {expectation.hint}")
    lines += [f"  {NOTE_MARK} {note}" for note in result.notes]
    return lines


def tool_call_line(call: ToolCallResult) -> str:
    """A tool call as a person reads it: name(arguments) -> the result the platform sent back."""
    arguments = " ".join(call.arguments.split())
    if len(arguments) > 160:
        arguments = arguments[:159] + "…"
    if call.result is None:
        answered = "not run (the platform sends nothing back for it)"
    else:
        result = " ".join(call.result.split())
        answered = f"→ {result[:120] + '…' if len(result) > 120 else result}" + (
            "" if call.scripted else "  (default: no result scripted)")
    return f"{call.name or '(no name)'}({arguments}) {answered}"


def summary_lines(report: SimulationReport) -> list[str]:
    expectations = [e for t in report.turns for e in t.expectations]
    held = sum(e.passed for e in expectations)
    turns_passed = sum(t.passed for t in report.turns)
    planned = len(report.agent.turns)
    verdict = "PASS" if report.passed else "FAIL"
    lines = [
        (f"{verdict}: {turns_passed} of {planned} turn{'s' * (planned != 1)} passed, "
         f"{held} of {len(expectations)} expectation{'s' * (len(expectations) != 1)} held.")
    ]
    if report.stopped:
        lines.append(f"  {report.stopped}")
    return lines
