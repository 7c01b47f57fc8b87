"""Fleet: one benchmark run by several workers (processes here, or Ray tasks), seen from outside as one Bench.

`Fleet` has Bench's surface (`await run()`, thread-safe `stop()`, `snapshot()`, `on_progress`
after every finished request), so the terminal and the TUI drive either without knowing which.
It splits the plan (bench/split.py), has a Backend start one worker per share (bench/worker.py
says what a worker does and sends), waits until every worker is ready, gives them one common
start, turns their ticks into progress as they come, and merges their raw samples into one
result (bench/merge.py). A stop reaches every worker; each cancels what it has in flight and
reports what finished, and the Backend ends any worker that has not gone within STOP_GRACE_S.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from workbench.bench.merge import merge_runs
from workbench.bench.result import BenchResult, WorkerInfo
from workbench.bench.runner import Progress, ProgressCallback
from workbench.bench.sample import RequestSample
from workbench.bench.split import split_plan, usable_workers
from workbench.bench.worker import WorkerDone, WorkerFailed, WorkerHello, WorkerJob, WorkerMessage, WorkerTick
from workbench.errors import WorkbenchError

# The common start is this far after the last worker is ready, so the signal reaches every one in time.
START_MARGIN_S = 0.1
# Workers that have not said they are ready by then are reported (a cluster with no room for them).
READY_TIMEOUT_S = 180.0
# After a stop, each worker has this long to send what finished before it is ended.
STOP_GRACE_S = 10.0


class Backend(Protocol):
    """Where workers run: `ProcessBackend` (bench/processes.py) or `RayBackend` (bench/ray_backend.py)."""

    name: str

    async def prepare(self, asked: int | None) -> int:
        """Connect if needed; how many workers to start (`asked`, or the cores there are)."""

    async def launch(self, jobs: list[WorkerJob], deliver: Callable[[WorkerMessage], None]) -> None:
        """Start one worker per job; `deliver` is to be called on this loop with each message, in order."""

    def go(self, start_at: float) -> None:
        """Tell every worker the common start (wall clock)."""

    def stop(self) -> None:
        """Ask every worker to stop and report what finished."""

    async def close(self) -> None:
        """Wait a moment for the workers to end, then end those left; free what was set up."""


class Fleet:
    """A benchmark over several workers. `await fleet.run()` returns one BenchResult; `fleet.stop()` ends it.

    `job` says what to run, with the whole plan as its share (`WorkerJob(PlanShare.whole(plan), …)`);
    the Fleet never looks inside it: each worker gets a copy with its own share.
    """

    def __init__(
        self,
        job: WorkerJob,
        backend: Backend,
        *,
        workers: int | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.job = job
        self.backend = backend
        self.asked = workers
        self.plan = job.share.plan
        self.budget = job.budget
        self.on_progress = on_progress
        self.samples: list[RequestSample] = []
        self.hosts: dict[int, tuple[str, int]] = {}
        self._ok = 0
        self._in_flight: dict[int, int] = {}
        self._done: dict[int, WorkerDone] = {}
        self._failed: dict[int, WorkerFailed] = {}
        self._received: dict[int, int] = {}  # samples that arrived from each worker
        self._errors: dict[int, int] = {}  # failed requests among them
        self._jobs: list[WorkerJob] = []
        self._t0: float | None = None
        self._stopping = False
        self._stop_sent = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    # ---- control (the same as Bench's) ------------------------------------------------------

    def stop(self) -> None:
        """End the run now: every worker stops and reports what finished. Thread-safe."""
        with self._lock:
            self._stopping = True
            loop, changed = self._loop, self._changed
        if loop is not None and changed is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(changed.set)
            except RuntimeError:  # the loop closed meanwhile
                pass

    @property
    def stopped(self) -> bool:
        return self._stopping

    def snapshot(self, last: RequestSample | None = None) -> Progress:
        return Progress(
            done=len(self.samples),
            ok=self._ok,
            errors=len(self.samples) - self._ok,
            in_flight=sum(self._in_flight.values()),
            planned_requests=self.job.planned_requests,
            planned_duration_s=self.plan.duration_s,
            elapsed_s=0.0 if self._t0 is None else max(0.0, time.perf_counter() - self._t0),
            last=last,
        )

    # ---- the run -----------------------------------------------------------------------------

    async def run(self) -> BenchResult:
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._changed = asyncio.Event()
        try:
            count = await self.backend.prepare(self.asked)
            _, note = usable_workers(self.plan, count, self.job.unit)
            self._jobs = [replace(self.job, share=share) for share in split_plan(self.plan, count)]
            if not self._stopping:
                await self.backend.launch(self._jobs, self._deliver)
                await self._start()
                await self._until(lambda: self._ended() == len(self._jobs))
        finally:
            await self.backend.close()
        return self._result(note)

    async def _start(self) -> None:
        """Wait for every worker to be ready, then give them one common start."""
        ready = await self._until(lambda: len(self.hosts) == len(self._jobs) or bool(self._failed),
                                  timeout=READY_TIMEOUT_S)
        if self._failed or self._stopping:
            return
        if not ready:
            self._stop_workers()
            raise WorkbenchError(
                f"Only {len(self.hosts)} of {len(self._jobs)} bench workers ({self.backend.name}) were ready "
                f"after {READY_TIMEOUT_S:.0f} s.",
                "ask for fewer workers (--workers), or give the Ray cluster room for them (a CPU each)")
        start_at = time.time() + START_MARGIN_S
        self._t0 = time.perf_counter() + START_MARGIN_S
        self.backend.go(start_at)

    async def _until(self, condition: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait for `condition`, handling a stop on the way (a stop allows STOP_GRACE_S more); False on timeout."""
        assert self._changed is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while not condition():
            if self._stopping and not self._stop_sent:
                self._stop_workers()
                deadline = time.monotonic() + STOP_GRACE_S
            if self._ended() == len(self._jobs) and self._jobs:
                return condition()
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return False
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), wait)
            except TimeoutError:
                return condition()
        return True

    def _stop_workers(self) -> None:
        self._stopping = True
        self._stop_sent = True
        self.backend.stop()

    def _ended(self) -> int:
        return len(self._done) + len(self._failed)

    # ---- messages from the workers -----------------------------------------------------------

    def _deliver(self, message: WorkerMessage) -> None:
        """One message from a worker (on this loop): progress from its samples, or its state."""
        if isinstance(message, WorkerTick):
            self._in_flight[message.index] = message.in_flight
            self._received[message.index] = self._received.get(message.index, 0) + len(message.samples)
            for sample in message.samples:
                self.samples.append(sample)
                self._ok += sample.ok
                self._errors[message.index] = self._errors.get(message.index, 0) + (not sample.ok)
                if self.on_progress is not None:
                    self.on_progress(self.snapshot(last=sample))
            if not message.samples and self.on_progress is not None:
                self.on_progress(self.snapshot())
        elif isinstance(message, WorkerHello):
            self.hosts[message.index] = (message.host, message.pid)
        elif isinstance(message, WorkerDone):
            self._in_flight[message.index] = 0
            self._done[message.index] = message
        elif isinstance(message, WorkerFailed):
            self._failed.setdefault(message.index, message)
            self._stopping = True  # the run is void: the others stop too
        assert self._changed is not None
        self._changed.set()

    def _result(self, note: str) -> BenchResult:
        if self._failed:
            failed = min(self._failed.values(), key=lambda f: f.index)
            host = self.hosts.get(failed.index, ("?", 0))[0]
            raise WorkbenchError(
                f"Bench worker {failed.index} ({self.backend.name}, on {host}) failed: {failed.message}.",
                "on a Ray cluster, install the same byom-workbench on every node (pip install "
                "'byom-workbench[scale]'); otherwise run with one process to see the error in full")
        for index, done in self._done.items():
            if self._received.get(index, 0) != done.sent:
                raise WorkbenchError(
                    f"Bench worker {index} sent {done.sent} results but {self._received.get(index, 0)} arrived.",
                    "run again; if it happens again, report it with the command line")
        workers = [self._worker_info(index) for index in sorted(self._done)]
        if not workers:  # stopped before any worker was started
            return self.job.unstarted_result(self.backend.name)
        return merge_runs(self.plan, self.budget, workers, self.samples, backend=self.backend.name,
                          interrupted=self._stopping, note=note)

    def _worker_info(self, index: int) -> WorkerInfo:
        host, pid = self.hosts.get(index, ("?", 0))
        return WorkerInfo(index=index, host=host, pid=pid, run=self._done[index].run,
                          requests=self._received.get(index, 0), errors=self._errors.get(index, 0))


def backend_for(ray: str | None) -> Backend:
    """Processes on this machine, or Ray at `ray` (an address, `auto`, or `local`); Ray is imported only then."""
    if ray is None:
        from workbench.bench.processes import ProcessBackend

        return ProcessBackend()
    from workbench.bench.ray_backend import RayBackend

    return RayBackend(ray)
