"""Whole calls in a benchmark (`bench --agent`): what was planned, and how the calls went, read from their turns.

A call's turns are samples like any request's, each tagged with its call and turn number
(bench/sample.py). Everything here is counted again from those samples, so a run spread over
workers (bench/merge.py) says exactly what one process would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.bench.sample import RequestSample

if TYPE_CHECKING:
    from workbench.simulate import AgentConfig


@dataclass(frozen=True)
class CallsInfo:
    """The calls a benchmark plays: whose, how long, how far apart its turns, how many."""

    agent: str  # the agent file's name
    turns: int  # turns in the file's call: the most a call sends
    think_ms: float  # the pause between a reply's end and the caller's next turn
    planned: int | None  # calls planned (-n); None: as many as start within --duration

    @classmethod
    def of(cls, agent: "AgentConfig", think_s: float, planned: int | None) -> "CallsInfo":
        return cls(agent=agent.name, turns=len(agent.turns), think_ms=round(think_s * 1000.0, 3), planned=planned)

    def requests(self, calls: int | None) -> int | None:
        """The requests `calls` calls send when every turn is played."""
        return None if calls is None else calls * self.turns


@dataclass(frozen=True)
class CallOutcomes:
    """How the calls that sent anything went, counted from their turns."""

    played: int  # calls with at least one turn finished
    complete: int  # every turn of the call was played
    ended_by_failure: int  # a turn got no usable reply, so the call could not go on
    turns_not_played: int  # the turns those calls never reached

    def to_dict(self) -> dict[str, int]:
        return {"played": self.played, "complete": self.complete, "ended_by_failure": self.ended_by_failure,
                "turns_not_played": self.turns_not_played}


def call_outcomes(samples: Iterable[RequestSample], turns: int) -> CallOutcomes:
    """Group the turns by call: complete calls, calls a failed turn ended (and the turns they missed).

    A call cut short by a stop (Ctrl-C) is neither: its last finished turn succeeded, and the stop's
    own count (`run.cancelled`) says how many calls it cut.
    """
    last: dict[int, RequestSample] = {}
    played: dict[int, int] = {}
    for sample in samples:
        if sample.call is None or sample.turn is None:
            continue
        played[sample.call] = played.get(sample.call, 0) + 1
        if sample.call not in last or sample.turn > (last[sample.call].turn or 0):
            last[sample.call] = sample
    complete = sum(1 for call, count in played.items() if count >= turns)
    failed = [call for call, count in played.items() if count < turns and not last[call].ok]
    return CallOutcomes(played=len(played), complete=complete, ended_by_failure=len(failed),
                        turns_not_played=sum(turns - played[call] for call in failed))


def turn_numbers(samples: Iterable[RequestSample]) -> list[int]:
    """The turn numbers the samples hold, in order (empty for a bench of single requests)."""
    return sorted({sample.turn for sample in samples if sample.turn is not None})
