"""One worker of a scaled benchmark: runs the workbench's own Bench on its share, streams raw samples back.

What a worker runs is a WorkerJob: its PlanShare and what `build()` needs to make the runner
(a Bench of requests, or with an agent file a CallBench that plays its share of whole calls).
The worker knows nothing of processes or Ray: it talks to its coordinator through a Link, which
delivers the start signal and a stop, and carries messages back:

    WorkerHello   ready: the clients are set up (where it runs: host, pid)
    WorkerTick    every TICK_S: the samples finished since the last tick, and the live counts
    WorkerDone    the end: its RunInfo (elapsed, client CPU, cancelled, …) and how many samples it sent
    WorkerFailed  a bug or a missing install, as a sentence

Samples travel as they finish, so whatever finished before a stop or a crash is already with the
coordinator; WorkerDone's `sent` lets it check that every one arrived exactly once.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from collections.abc import Awaitable, Callable

from workbench.bench.calls import CallBench
from workbench.bench.result import BenchResult, RunInfo, VoiceBudget
from workbench.bench.runner import Bench, Progress
from workbench.bench.sample import RequestSample
from workbench.bench.split import PlanShare
from workbench.bench.turns import CallsInfo
from workbench.target import Target

if TYPE_CHECKING:
    from workbench.simulate import AgentConfig

# How often a worker sends what finished: often enough for a live bar, rarely enough to cost nothing.
TICK_S = 0.1


@dataclass(frozen=True)
class WorkerJob:
    """What one worker runs: its share of the plan, the endpoint and platform, and the messages to
    send, or the agent whose call each unit plays (`think_s` apart)."""

    share: PlanShare
    target: Target
    platform: str
    budget: VoiceBudget
    messages: list[dict[str, Any]] | None = None
    agent: "AgentConfig | None" = None
    think_s: float = 0.0

    @property
    def unit(self) -> str:
        return "calls" if self.agent is not None else "requests"

    @property
    def planned_requests(self) -> int | None:
        """The requests the whole plan sends (every turn of every call, with an agent)."""
        planned = self.share.plan.planned_requests
        return self._calls().requests(planned) if self.agent is not None else planned

    def _calls(self) -> CallsInfo:
        assert self.agent is not None
        return CallsInfo.of(self.agent, self.think_s, self.share.plan.planned_requests)

    def build(self, on_progress: Callable[[Progress], None] | None = None,
              start_gate: Callable[[], Awaitable[None]] | None = None) -> Bench:
        """The runner of this share: one process passes no start gate (it starts at once)."""
        if self.agent is not None:
            return CallBench(self.target, self.agent, think_s=self.think_s, plan=self.share.plan, budget=self.budget,
                             on_progress=on_progress, share=self.share, start_gate=start_gate)
        return Bench(self.target, platform=self.platform, plan=self.share.plan, budget=self.budget,
                     messages=self.messages, on_progress=on_progress, share=self.share, start_gate=start_gate)

    def unstarted_result(self, backend: str) -> BenchResult:
        """The result of a run stopped before any worker started: nothing measured, said as interrupted."""
        from workbench.platforms import get_platform
        from workbench.redact import shown_url

        platform, plan = get_platform(self.platform), self.share.plan
        run = RunInfo(target=shown_url(self.target.base_url, [self.target.api_key]), model=self.target.model,
                      platform=platform.id, mode=plan.mode, concurrency=plan.in_flight_limit, rate=plan.rate,
                      planned_requests=plan.planned_requests, planned_duration_s=plan.duration_s,
                      platform_budget_ms=platform.first_token_budget_ms, interrupted=True, backend=backend)
        if self.agent is not None:
            run.calls = self._calls()
            run.planned_requests = self.planned_requests
        return BenchResult(run=run, budget=self.budget)


@dataclass
class WorkerHello:
    index: int
    host: str
    pid: int


@dataclass
class WorkerTick:
    index: int
    ok: int
    errors: int
    in_flight: int
    samples: list[RequestSample] = field(default_factory=list)


@dataclass
class WorkerDone:
    index: int
    run: RunInfo
    sent: int  # samples sent in ticks: the coordinator checks it received exactly these


@dataclass
class WorkerFailed:
    index: int
    message: str


WorkerMessage = WorkerHello | WorkerTick | WorkerDone | WorkerFailed


class Link(Protocol):
    """The worker's side of the line to its coordinator (a pipe for a process, an actor for Ray)."""

    def listen(self, on_stop: Callable[[], None]) -> None:
        """Start hearing the coordinator; `on_stop` is called (from any thread) when it asks to stop or goes away."""

    async def start_time(self) -> float | None:
        """The run's common start (wall clock, time.time()), or None when stopped before it."""

    async def send(self, message: WorkerMessage) -> bool:
        """Deliver a message; True when the coordinator has asked to stop (a link that polls says so here)."""

    def close(self) -> None:
        """Let go of the line."""


async def run_worker(job: WorkerJob, link: Link) -> None:
    """Run `job` to its end or to a stop, sending hello, ticks and done (or failed) through `link`."""
    finished: list[RequestSample] = []
    sent = 0
    ticker: asyncio.Future[None] | None = None

    def collect(progress: Progress) -> None:
        if progress.last is not None:
            finished.append(progress.last)

    async def tick() -> None:
        nonlocal sent
        samples = finished[:]
        del finished[: len(samples)]
        sent += len(samples)
        snap = bench.snapshot()
        if await link.send(WorkerTick(job.share.index, snap.ok, snap.errors, snap.in_flight, samples)):
            bench.stop()

    async def ticking() -> None:
        while True:
            await asyncio.sleep(TICK_S)
            await tick()

    async def gate() -> None:
        nonlocal ticker
        await link.send(WorkerHello(job.share.index, socket.gethostname(), os.getpid()))
        start = await link.start_time()
        if start is None:
            bench.stop()
            return
        delay = start - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        ticker = asyncio.ensure_future(ticking())

    try:
        bench = job.build(on_progress=collect, start_gate=gate)
        link.listen(bench.stop)
        result = await bench.run()
    except Exception as error:  # a bug or an environment problem: say which worker and what
        await link.send(WorkerFailed(job.share.index, f"{type(error).__name__}: {error}"))
        return
    finally:
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
    await tick()
    await link.send(WorkerDone(job.share.index, result.run, sent))
