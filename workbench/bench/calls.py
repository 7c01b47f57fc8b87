"""Whole calls under load (`bench --agent`): C callers each play an agent file's call, turn by turn, as a platform does.

A CallBench is a Bench whose unit is a call, not a request: the same closed loop (C calls in
flight, each caller starting the next call when one ends), open loop (`rate` calls start a
second) and worker split (bench/split.py: a call is never split across workers). Each call is
simulate's AgentRun (workbench/simulate/run.py), played on the bench's shared pools: every turn
shaped as the agent's platform sends it, the history growing with the agent's own replies, and
`think_s` between a reply's end and the caller's next turn. Each turn is one sample, tagged with
its call and turn number; a call whose turn gets no usable reply ends there, as a platform's
would. When a duration ends, the calls in flight play to their end; a stop cuts them short
(their finished turns count; `run.cancelled` counts the calls cut).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from workbench.bench.plan import DEFAULT_CONCURRENCY, BenchPlan
from workbench.bench.result import BenchResult, VoiceBudget
from workbench.bench.runner import Bench, ClientShards, Progress, ProgressCallback
from workbench.bench.sample import RequestSample, sample_from_exchange
from workbench.bench.split import PlanShare
from workbench.bench.turns import CallsInfo
from workbench.target import Target

if TYPE_CHECKING:
    from workbench.simulate import AgentConfig, TurnResult

# The pause between the end of a reply and the caller's next turn: on a real call the reply is
# spoken and the caller answers (3-10 s); 2 s keeps a default run short while leaving the gaps a
# platform leaves between requests (an endpoint's connections and caches idle meanwhile).
DEFAULT_THINK_MS = 2000.0


class CallBench(Bench):
    """A benchmark of whole calls: `await CallBench(target, agent, plan=…).run()` returns a BenchResult.

    `plan.requests` counts calls here (`plan.concurrency`: calls in flight; `plan.rate`: calls
    starting a second). Progress counts turns; its `in_flight` counts calls.
    """

    def __init__(
        self,
        target: Target,
        agent: "AgentConfig",
        *,
        think_s: float = DEFAULT_THINK_MS / 1000.0,
        plan: BenchPlan | None = None,
        budget: VoiceBudget | None = None,
        on_progress: ProgressCallback | None = None,
        share: PlanShare | None = None,
        start_gate: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(target, platform=agent.platform, plan=plan, budget=budget, messages=[],
                         on_progress=on_progress, share=share, start_gate=start_gate)
        self.agent = agent
        self.think_s = think_s
        self.calls = CallsInfo.of(agent, think_s, self.plan.planned_requests)

    def snapshot(self, last: RequestSample | None = None) -> Progress:
        progress = super().snapshot(last)
        planned = self.calls.requests(progress.planned_requests)
        return Progress(progress.done, progress.ok, progress.errors, progress.in_flight, planned,
                        progress.planned_duration_s, progress.elapsed_s, progress.last)

    async def run(self) -> BenchResult:
        result = await super().run()
        result.run.calls = self.calls
        result.run.planned_requests = self.calls.requests(result.run.planned_requests)
        return result

    def _request(self) -> Any:
        return None  # each turn is shaped by the call itself, with the history so far

    async def _one(self, shards: ClientShards, request: Any, index: int) -> None:
        client = await shards.acquire()  # the call's turns share one pool, as a platform's calls share its
        try:
            await self._play(client, index)
        finally:
            shards.release(client)

    async def _play(self, client: Any, call: int) -> None:
        """Play call number `call` to its end; each finished turn becomes a sample at once."""
        from workbench.simulate import AgentRun

        async for turn in AgentRun(self.agent, self.target, client=client, think_s=self.think_s):
            exchange = turn.exchange
            if exchange is None or (exchange.cancelled and not turn.interrupted):  # (a barge-in is the script's)
                return
            if turn.number == self.calls.turns or turn.failure is not None:
                self._in_flight.discard(asyncio.current_task())  # the call's last turn: it is no longer in flight
            self._record(self._sample(turn, call))

    def _sample(self, turn: "TurnResult", call: int) -> RequestSample:
        assert turn.exchange is not None
        first = turn.exchanges[0] if turn.exchanges else turn.exchange  # a tool call's turn is several requests
        # The Exchange says when it was sent on the wall clock; the run's clock started at _t0.
        started_s = first.started_at - (time.time() - (time.perf_counter() - self._t0))
        sample = sample_from_exchange(turn.exchange, call * self.calls.turns + turn.number - 1, max(0.0, started_s))
        sample.call, sample.turn = call, turn.number
        if turn.interrupted and turn.failure is None:
            sample.error_kind, sample.error_message = None, ""  # the caller barged in, as scripted: not an error
        if sample.ok:
            # The turn's figures, as simulate holds them against the budgets: from its first request (a
            # tool call and the request carrying its result are one wait), and a reply that is not
            # streamed (an agent file's `stream = false`) arrives whole: its first token is the whole reply.
            sample.ttft_ms = turn.first_token_ms
            sample.first_sentence_ms = turn.first_sentence_ms
            if len(turn.exchanges) > 1:
                sample.e2e_ms = turn.total_ms
                last_total = turn.exchange.timings.total_ms
                if sample.last_token_ms is not None and turn.total_ms is not None and last_total is not None:
                    # On the turn's clock too (the last request began this long after the first), so the
                    # time per token is measured between two figures of one clock.
                    sample.last_token_ms += turn.total_ms - last_total
        return sample


def calls_plan(calls: int | None, concurrency: int | None, duration_s: float | None,
               rate: float | None) -> BenchPlan:
    """The plan of a bench of whole calls: `-n` counts calls; with neither -n nor --duration, each of
    the -c callers (default 5) plays the call once."""
    if calls is None and duration_s is None:
        calls = concurrency or DEFAULT_CONCURRENCY
    return BenchPlan(requests=calls, concurrency=concurrency, duration_s=duration_s, rate=rate)
