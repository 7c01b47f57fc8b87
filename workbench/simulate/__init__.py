"""Simulated calls: an agent file (TOML) played against an endpoint as its platform would, turn by turn.

`agent_file` reads and checks the file, `run` plays the call, `judge` holds each reply against
the turn's expectations, `report` says how it went. The names the shells use are here.
"""

from __future__ import annotations

from workbench.simulate.agent_file import (
    AgentConfig,
    AgentFileError,
    AgentParameters,
    Expectations,
    Turn,
    compose_system_prompt,
    load_agent,
    parse_agent,
)
from workbench.simulate.judge import ExpectationResult, TurnResult, judge_turn, turn_result
from workbench.simulate.played import DEFAULT_TOOL_RESULT, PlayedTurn, ToolCallResult, TurnPlayer
from workbench.simulate.report import FAIL_MARK, PASS_MARK, SimulationReport, header_lines, summary_lines, turn_lines
from workbench.simulate.run import AgentRun

__all__ = [
    "DEFAULT_TOOL_RESULT",
    "FAIL_MARK",
    "PASS_MARK",
    "AgentConfig",
    "AgentFileError",
    "AgentParameters",
    "AgentRun",
    "ExpectationResult",
    "Expectations",
    "PlayedTurn",
    "SimulationReport",
    "ToolCallResult",
    "Turn",
    "TurnPlayer",
    "TurnResult",
    "compose_system_prompt",
    "header_lines",
    "judge_turn",
    "load_agent",
    "parse_agent",
    "summary_lines",
    "turn_lines",
    "turn_result",
]
