"""Runs a latency benchmark against one endpoint, shaped as a platform calls it, and reports progress.

Two ways to bring load:
- closed loop (the default): `concurrency` requests always in flight, each one sent as soon as
  another finishes, until `requests` are done or `duration_s` has passed;
- open loop (`rate` set): a request leaves every 1/rate seconds whatever the endpoint does,
  as callers arrive on a platform; `concurrency`, if given, caps how many are in flight.
When a duration ends, requests in flight are allowed to finish and are counted: cutting them off
would drop exactly the slow ones and flatter the tail. `stop()` (Ctrl-C, the TUI's Stop) cancels
what is in flight at once and the result holds everything that finished before.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from workbench.bench.plan import DEFAULT_CONCURRENCY, BenchPlan
from workbench.bench.result import BenchResult, RunInfo, VoiceBudget
from workbench.bench.sample import RequestSample, sample_from_exchange
from workbench.bench.split import PlanShare
from workbench.redact import shown_url
from workbench.target import Target

# Closed-loop workers start this far apart (the whole ramp at most RAMP_MAX_S): no thundering herd of
# C simultaneous connections at the start, and no lockstep where every stream's chunks arrive at once.
STAGGER_S = 0.005
RAMP_MAX_S = 1.0
# Connections in each of the bench's pools (see ClientShards for why pools are kept small).
CONNECTIONS_PER_SHARD = 4
# An open loop with no cap starts with this many pools and adds more as requests pile up.
OPEN_LOOP_SHARDS = 8


@dataclass(frozen=True)
class Progress:
    """A snapshot of a running benchmark, handed to the progress callback after every request."""

    done: int
    ok: int
    errors: int
    in_flight: int
    planned_requests: int | None
    planned_duration_s: float | None
    elapsed_s: float
    last: RequestSample | None = None

    @property
    def fraction(self) -> float | None:
        """How far along, 0..1, by count or by time, whichever ends the run first; None if unknowable."""
        parts = []
        if self.planned_requests:
            parts.append(self.done / self.planned_requests)
        if self.planned_duration_s:
            parts.append(self.elapsed_s / self.planned_duration_s)
        return min(1.0, max(parts)) if parts else None


ProgressCallback = Callable[[Progress], None]


class Bench:
    """One benchmark run. `await bench.run()` returns a BenchResult; `bench.stop()` ends it early.

    `on_progress` is called (in the event loop) after each finished request; `snapshot()`
    gives the same figures to a UI that redraws on its own timer. A worker of a scaled run
    (bench/fleet.py) passes its `share` of the plan and a `start_gate` that returns at the
    run's common start; one process runs the whole plan and starts at once.
    """

    def __init__(
        self,
        target: Target,
        *,
        platform: str = "openai",
        plan: BenchPlan | None = None,
        budget: VoiceBudget | None = None,
        messages: list[dict[str, Any]] | None = None,
        on_progress: ProgressCallback | None = None,
        share: PlanShare | None = None,
        start_gate: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        from workbench.platforms import get_platform

        self.target = target
        self.platform = get_platform(platform)
        self.share = share or PlanShare.whole(plan or BenchPlan())
        self.plan = self.share.local_plan()
        self.start_gate = start_gate
        self._units = self.share.units()
        self.budget = budget or VoiceBudget()
        self.messages = messages if messages is not None else self.platform.smoke_messages()
        self.on_progress = on_progress
        self.samples: list[RequestSample] = []
        self._launched = 0
        self._in_flight: set[asyncio.Task[None]] = set()
        self._ok = 0
        self._t0 = time.perf_counter()
        self._deadline: float | None = None
        self._stopping = False
        self._stop_event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._max_lag_s = 0.0
        self._started = False

    # ---- control ----------------------------------------------------------------------

    def stop(self) -> None:
        """End the run now: nothing new is sent and requests in flight are cancelled. Thread-safe."""
        with self._lock:
            self._stopping = True
            loop, event = self._loop, self._stop_event
        if loop is not None and event is not None and not loop.is_closed():
            try:
                if _running_loop() is loop:
                    event.set()
                else:
                    loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the loop closed between the check and the call
                pass

    @property
    def stopped(self) -> bool:
        return self._stopping

    def snapshot(self, last: RequestSample | None = None) -> Progress:
        return Progress(
            done=len(self.samples),
            ok=self._ok,
            errors=len(self.samples) - self._ok,
            in_flight=len(self._in_flight),
            planned_requests=self.plan.planned_requests,
            planned_duration_s=self.plan.duration_s,
            elapsed_s=time.perf_counter() - self._t0,
            last=last,
        )

    # ---- the run ----------------------------------------------------------------------

    async def run(self) -> BenchResult:
        if self._started:
            raise RuntimeError("a Bench runs once; make a new one for another run")
        self._started = True
        request = self._request()
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._stop_event = asyncio.Event()
            if self._stopping:
                self._stop_event.set()
        cancelled = 0
        async with ClientShards(self.target, self.plan) as shards:
            if self.start_gate is not None:
                await self.start_gate()  # every worker of a scaled run starts its clock at the same moment
            # The clock starts once the clients are ready: setting them up is not the endpoint's time.
            cpu0 = time.process_time()
            self._t0 = time.perf_counter()
            if self.plan.duration_s is not None:
                self._deadline = self._t0 + self.plan.duration_s
            driver = asyncio.ensure_future(self._drive(shards, request))
            stop_waiter = asyncio.ensure_future(self._stop_event.wait())
            try:
                await asyncio.wait({driver, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop_waiter.cancel()
                if not driver.done():
                    self._stopping = True
                    driver.cancel()
                cancelled = await self._cancel_in_flight()
                await asyncio.gather(driver, return_exceptions=True)
            failure = driver.exception() if driver.done() and not driver.cancelled() else None
            if failure is not None:
                raise failure  # a bug, not an endpoint failure: those are samples
            elapsed = time.perf_counter() - self._t0
            cpu = time.process_time() - cpu0
        run = RunInfo(
            target=shown_url(self.target.base_url, [self.target.api_key]),
            model=self.target.model,
            platform=self.platform.id,
            mode=self.plan.mode,
            concurrency=self.plan.in_flight_limit,
            rate=self.plan.rate,
            planned_requests=self.plan.planned_requests,
            planned_duration_s=self.plan.duration_s,
            platform_budget_ms=self.platform.first_token_budget_ms,
            elapsed_s=elapsed,
            client_cpu_s=cpu,
            interrupted=self._stopping,
            cancelled=cancelled,
            max_launch_lag_ms=self._max_lag_s * 1000.0,
        )
        return BenchResult(run=run, budget=self.budget, samples=list(self.samples))

    def _request(self) -> Any:
        """The one request every unit sends (a bench of whole calls shapes each turn's itself)."""
        from workbench.chat import shape_turn

        return shape_turn(self.target, self.messages, platform=self.platform, stream=True)

    async def _drive(self, shards: "ClientShards", request: Any) -> None:
        if self.plan.mode == "open":
            await self._open_loop(shards, request)
        else:
            await self._closed_loop(shards, request)

    async def _closed_loop(self, shards: "ClientShards", request: Any) -> None:
        # A worker's slots are numbered across the whole run, so the staggered starts interleave.
        step = stagger_step_s(self.share.plan.in_flight_limit or DEFAULT_CONCURRENCY)
        slots = self.share.slots

        async def worker(slot: int) -> None:
            if slot:
                await asyncio.sleep(slot * step)
            while (index := self._claim()) is not None:
                await self._launch(shards, request, index)

        await asyncio.gather(*(worker(slot) for slot in slots))

    async def _open_loop(self, shards: "ClientShards", request: Any) -> None:
        limit = self.plan.in_flight_limit
        slots = asyncio.Semaphore(limit) if limit else None
        launched: set[asyncio.Task[None]] = set()
        while True:
            due = self._t0 + self.share.arrival_s(self._launched)
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if slots is not None:
                await slots.acquire()
            index = self._claim()
            if index is None:
                if slots is not None:
                    slots.release()
                break
            self._max_lag_s = max(self._max_lag_s, time.perf_counter() - due)
            task = asyncio.ensure_future(self._launch(shards, request, index))
            if slots is not None:
                task.add_done_callback(lambda _t: slots.release())
            launched.add(task)
            task.add_done_callback(launched.discard)
        await asyncio.gather(*launched)

    def _claim(self) -> int | None:
        """The index of the next request to send, or None when the run is over."""
        if self._stopping:
            return None
        planned = self.plan.planned_requests
        if planned is not None and self._launched >= planned:
            return None
        if self._deadline is not None and time.perf_counter() >= self._deadline:
            return None
        index = next(self._units, None)  # this worker's share of the run's units, numbered across all
        if index is None:
            return None
        self._launched += 1
        return index

    async def _launch(self, shards: "ClientShards", request: Any, index: int) -> None:
        """Send one request as its own task, so stop() can cancel exactly what is in flight."""
        task = asyncio.ensure_future(self._one(shards, request, index))
        self._in_flight.add(task)
        try:
            await asyncio.shield(task)
        finally:
            if task.done():
                self._in_flight.discard(task)

    async def _one(self, shards: "ClientShards", request: Any, index: int) -> None:
        client = await shards.acquire()
        try:
            await self._measure(client, request, index)
        finally:
            shards.release(client)

    async def _measure(self, client: Any, request: Any, index: int) -> None:
        started_s = time.perf_counter() - self._t0
        call = client.send(request, label=f"bench #{index + 1}")
        exchange = await call.run()
        if exchange.cancelled:
            return
        self._in_flight.discard(asyncio.current_task())  # this request is no longer in flight
        self._record(sample_from_exchange(exchange, index, started_s))

    def _record(self, sample: RequestSample) -> None:
        """One finished request: counted, and told to whoever watches the progress."""
        self.samples.append(sample)
        if sample.ok:
            self._ok += 1
        if self.on_progress is not None:
            self.on_progress(self.snapshot(last=sample))

    async def _cancel_in_flight(self) -> int:
        """Cancel requests still in flight; how many there were (they are left out of the figures)."""
        pending = [task for task in self._in_flight if not task.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._in_flight.clear()
        return len(pending)


async def run_bench(
    target: Target,
    *,
    platform: str = "openai",
    plan: BenchPlan | None = None,
    budget: VoiceBudget | None = None,
    messages: list[dict[str, Any]] | None = None,
    on_progress: ProgressCallback | None = None,
) -> BenchResult:
    """Run one benchmark to its end and return what it measured."""
    bench = Bench(target, platform=platform, plan=plan, budget=budget, messages=messages, on_progress=on_progress)
    return await bench.run()


class ClientShards:
    """Several small Clients instead of one big one: the load is spread over connection pools of a few each.

    httpcore (under httpx) walks every connection of a pool twice per request, and for each idle
    one asks the socket whether it is readable and counts the idle ones again, so one pool of C
    connections costs O(C^2) CPU per request: at -c 32 that was half of the client's CPU time
    (benchmarks/README.md, "Where the client's time goes"). Pools of CONNECTIONS_PER_SHARD keep
    that constant. Each request takes the least busy pool; when every pool is full (an open loop
    whose requests pile up) another is added, so no request ever waits for a connection.
    """

    def __init__(self, target: Target, plan: BenchPlan) -> None:
        limit = plan.in_flight_limit
        self.target = target  # every pool shares the client's one TLS context: no CA bundle loaded per pool
        self.initial = -(-limit // CONNECTIONS_PER_SHARD) if limit else OPEN_LOOP_SHARDS
        self.clients: list[Any] = []
        self.busy: list[int] = []
        self._index: dict[int, int] = {}

    async def __aenter__(self) -> "ClientShards":
        try:
            for _ in range(self.initial):
                await self._add()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        clients, self.clients = self.clients, []
        for client in clients:
            await client.__aexit__(None, None, None)

    async def _add(self) -> int:
        from workbench.client import Client

        client = Client(self.target, max_connections=CONNECTIONS_PER_SHARD)
        await client.__aenter__()
        self._index[id(client)] = len(self.clients)
        self.clients.append(client)
        self.busy.append(0)
        return len(self.clients) - 1

    async def acquire(self) -> Any:
        """The least busy Client (a new one if all are full), counted as one request busier."""
        shard = min(range(len(self.busy)), key=self.busy.__getitem__)
        if self.busy[shard] >= CONNECTIONS_PER_SHARD:
            shard = await self._add()
        self.busy[shard] += 1
        return self.clients[shard]

    def release(self, client: Any) -> None:
        shard = self._index.get(id(client))
        if shard is not None and shard < len(self.busy):
            self.busy[shard] -= 1


def stagger_step_s(workers: int) -> float:
    """How far apart closed-loop workers start."""
    return min(STAGGER_S, RAMP_MAX_S / workers) if workers > 1 else 0.0


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
