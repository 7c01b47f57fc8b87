"""Playing an agent's scripted call against an endpoint, turn by turn, as its platform would.

`AgentRun` sends each caller turn through the platform's own request shaping (with the agent's
tools, the tool results it scripts and the caller's barge-ins: workbench/simulate/played.py),
carries each reply into the history the way the platform does, and yields a `TurnResult` as
each turn ends so a UI can show the call live.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from workbench.simulate.agent_file import AgentConfig, Turn
from workbench.simulate.judge import TurnResult, turn_result
from workbench.simulate.played import TurnPlayer
from workbench.simulate.report import SimulationReport
from workbench.target import Target


class AgentRun:
    """Plays an agent's scripted call against a target, one turn at a time.

    `async for result in AgentRun(agent, target): …` yields each TurnResult as its turn
    ends; `on_text(turn_number, text)` is called with each piece of a reply as it arrives.
    The call stops at the first turn with no usable reply (the request failed, or the reply
    was an error or empty: nothing to carry into the history); expectations that fail do not
    stop it. `cancel()` stops it mid-turn (from
    the loop's thread), keeping what arrived. `report` holds everything so far.

    A benchmark playing many calls at once (bench/calls.py) passes its own `client` (shared with
    other calls; left open) and `think_s`, the pause between a reply and the caller's next turn.
    """

    def __init__(
        self,
        agent: AgentConfig,
        target: Target,
        *,
        on_text: Callable[[int, str], None] | None = None,
        client: Any = None,
        think_s: float = 0.0,
    ) -> None:
        from workbench.platforms import get_platform

        self.agent = agent
        self.target = target
        self.platform = get_platform(agent.platform)
        self.on_text = on_text
        self.client = client
        self.think_s = think_s
        self.messages: list[dict[str, Any]] = []
        if agent.system_message:
            self.messages.append({"role": "system", "content": agent.system_message})
        self.report = SimulationReport(agent=agent, target=target)
        # The agent's own parameters go where the platform puts a profile's: over its defaults.
        self.request_target = target.with_(params={**target.params, **agent.parameters.body_fields()})
        self._call: Any = None
        self._cancelled = False
        self._player: TurnPlayer | None = None

    def __aiter__(self) -> AsyncIterator[TurnResult]:
        return self._play()

    def cancel(self) -> None:
        """Stop the call: the turn in flight ends with what arrived, no further turn is sent."""
        self._cancelled = True
        if self._call is not None:
            self._call.cancel()

    async def run(self) -> SimulationReport:
        """Play the whole call and return the report."""
        async for _ in self:
            pass
        return self.report

    async def _play(self) -> AsyncIterator[TurnResult]:
        from workbench.client import Client

        # A client of its own, or the one it was given (a bench's, shared with other calls: not closed here).
        own: contextlib.AbstractAsyncContextManager[Any] = (
            Client(self.target) if self.client is None else contextlib.nullcontext(self.client))
        async with own as client:
            for index, turn in enumerate(self.agent.turns):
                if index and self.think_s > 0:
                    await asyncio.sleep(self.think_s)  # the caller hears the reply, then answers
                if self._cancelled:
                    self.report.stopped = f"the call was cancelled before turn {index + 1}"
                    return
                result = await self._play_turn(client, index, turn)
                self.report.turns.append(result)
                yield result
                if self._cancelled and result.number < len(self.agent.turns):
                    self.report.stopped = f"the call was cancelled during turn {result.number}"
                    return
                if result.failure is not None:
                    remaining = len(self.agent.turns) - result.number
                    if remaining:
                        self.report.stopped = (
                            f"the call stopped after turn {result.number}: its request failed, "
                            f"so {remaining} more turn{'s' if remaining > 1 else ''} could not be played"
                        )
                    return

    async def _play_turn(self, client: Any, index: int, turn: Turn) -> TurnResult:
        number = index + 1
        self.messages.append({"role": "user", "content": turn.user})
        on_text = self.on_text
        played = await self._turn_player().play(
            client, list(self.messages), index, turn,
            on_text=(lambda text: on_text(number, text)) if on_text is not None else None, on_call=self._in_flight)
        # The platform carries what the agent said into the next turn's history: its reply, or its tool
        # calls with their results and the reply after them, or what the caller heard before barging in.
        self.messages += played.added
        return turn_result(number, turn, played, self.platform)

    def _turn_player(self) -> TurnPlayer:
        """How this agent's turns are sent: its platform, its parameters, the tools it offers."""
        if self._player is None:
            tools = self.agent.offered_tools(self.platform.offered_tools(self.request_target))
            self._player = TurnPlayer(self.platform, self.request_target, tools, self.agent.parameters.stream,
                                      f"simulate: {self.agent.name}")
        return self._player

    def _in_flight(self, call: Any) -> None:
        """A request of the turn was sent (or ended: None); one sent after cancel() stops at once."""
        self._call = call
        if call is not None and self._cancelled:
            call.cancel()
