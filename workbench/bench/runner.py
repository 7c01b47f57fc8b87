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
from dataclasses import dataclass
from typing import Any, Callable

from workbench.bench.result import BenchResult, RunInfo, VoiceBudget
from workbench.bench.sample import RequestSample, sample_from_exchange
from workbench.errors import UsageError
from workbench.target import Target

DEFAULT_REQUESTS = 50
DEFAULT_CONCURRENCY = 5
# An open loop with no cap: as many connections as requests in flight (the OS limits file descriptors).
UNCAPPED_CONNECTIONS = 100_000


@dataclass(frozen=True)
class BenchPlan:
    """How much load, and how: a count of requests and/or a duration, at a concurrency or a rate."""

    requests: int | None = None  # None with no duration: DEFAULT_REQUESTS
    concurrency: int | None = None  # closed loop: None means DEFAULT_CONCURRENCY; open loop: a cap
    duration_s: float | None = None
    rate: float | None = None  # requests a second; set means open loop

    def __post_init__(self) -> None:
        if self.requests is not None and self.requests < 1:
            raise UsageError(f"the number of requests must be at least 1; got {self.requests}.", "for example -n 100.")
        if self.concurrency is not None and self.concurrency < 1:
            raise UsageError(f"the concurrency must be at least 1; got {self.concurrency}.", "for example -c 10.")
        if self.duration_s is not None and self.duration_s <= 0:
            raise UsageError(f"the duration must be above 0 seconds; got {self.duration_s:g}.", "for example --duration 30.")
        if self.rate is not None and self.rate <= 0:
            raise UsageError(f"the rate must be above 0 requests a second; got {self.rate:g}.", "for example --rate 5.")

    @property
    def mode(self) -> str:
        return "open" if self.rate is not None else "closed"

    @property
    def planned_requests(self) -> int | None:
        if self.requests is None and self.duration_s is None:
            return DEFAULT_REQUESTS
        return self.requests

    @property
    def in_flight_limit(self) -> int | None:
        if self.mode == "closed":
            return self.concurrency or DEFAULT_CONCURRENCY
        return self.concurrency


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
    gives the same figures to a UI that redraws on its own timer.
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
    ) -> None:
        from workbench.platforms import get_platform

        self.target = target
        self.platform = get_platform(platform)
        self.plan = plan or BenchPlan()
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
        from workbench.client import Client

        if self._started:
            raise RuntimeError("a Bench runs once; make a new one for another run")
        self._started = True
        request = self.platform.build_request(self.target, self.messages, stream=True)
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._stop_event = asyncio.Event()
            if self._stopping:
                self._stop_event.set()
        cpu0 = time.process_time()
        self._t0 = time.perf_counter()
        if self.plan.duration_s is not None:
            self._deadline = self._t0 + self.plan.duration_s
        cancelled = 0
        async with Client(self.target, **_pool_for(self.plan)) as client:
            driver = asyncio.ensure_future(self._drive(client, request))
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
            if driver.done() and not driver.cancelled() and driver.exception() is not None:
                raise driver.exception()  # a bug, not an endpoint failure: those are samples
        elapsed = time.perf_counter() - self._t0
        run = RunInfo(
            target=self.target.base_url,
            model=self.target.model,
            platform=self.platform.id,
            mode=self.plan.mode,
            concurrency=self.plan.in_flight_limit,
            rate=self.plan.rate,
            planned_requests=self.plan.planned_requests,
            planned_duration_s=self.plan.duration_s,
            platform_budget_ms=self.platform.first_token_budget_ms,
            elapsed_s=elapsed,
            client_cpu_s=time.process_time() - cpu0,
            interrupted=self._stopping,
            cancelled=cancelled,
            max_launch_lag_ms=self._max_lag_s * 1000.0,
        )
        return BenchResult(run=run, budget=self.budget, samples=list(self.samples))

    async def _drive(self, client: Any, request: Any) -> None:
        if self.plan.mode == "open":
            await self._open_loop(client, request)
        else:
            await self._closed_loop(client, request)

    async def _closed_loop(self, client: Any, request: Any) -> None:
        async def worker() -> None:
            while (index := self._claim()) is not None:
                await self._launch(client, request, index)

        limit = self.plan.in_flight_limit or DEFAULT_CONCURRENCY
        await asyncio.gather(*(worker() for _ in range(limit)))

    async def _open_loop(self, client: Any, request: Any) -> None:
        rate = self.plan.rate
        assert rate is not None
        limit = self.plan.in_flight_limit
        slots = asyncio.Semaphore(limit) if limit else None
        launched: list[asyncio.Task[None]] = []
        while True:
            due = self._t0 + self._launched / rate
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
            task = asyncio.ensure_future(self._launch(client, request, index))
            if slots is not None:
                task.add_done_callback(lambda _t: slots.release())
            launched.append(task)
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
        index = self._launched
        self._launched += 1
        return index

    async def _launch(self, client: Any, request: Any, index: int) -> None:
        """Send one request as its own task, so stop() can cancel exactly what is in flight."""
        task = asyncio.ensure_future(self._one(client, request, index))
        self._in_flight.add(task)
        try:
            await asyncio.shield(task)
        finally:
            if task.done():
                self._in_flight.discard(task)

    async def _one(self, client: Any, request: Any, index: int) -> None:
        started_s = time.perf_counter() - self._t0
        call = client.request(
            request.method,
            request.url,
            json=request.body,
            headers=request.headers,
            auth=request.auth,  # the header style the platform sends, not the profile's if they differ
            stream=True,
            label=f"bench #{index + 1}",
            raise_on_failure=False,
        )
        exchange = await call.run()
        if exchange.cancelled:
            return
        sample = sample_from_exchange(exchange, index, started_s)
        self.samples.append(sample)
        if sample.ok:
            self._ok += 1
        self._in_flight.discard(asyncio.current_task())  # type: ignore[arg-type]
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


def _pool_for(plan: BenchPlan) -> dict[str, Any]:
    """A connection for every request in flight, so waiting for the pool is never what gets measured."""
    return {"max_connections": plan.in_flight_limit or UNCAPPED_CONNECTIONS}


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
