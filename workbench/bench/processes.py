"""`--workers N`: bench workers as processes on this machine, each on its own core, talking over a pipe.

Processes are spawned (a fresh interpreter, never a fork: the TUI and the client loop run
threads, which a fork would copy mid-step). Each gets a duplex pipe: it sends its messages
(bench/worker.py) and hears "go" (the common start) and "stop". Only the coordinator acts on
Ctrl-C: workers start with SIGINT ignored (a terminal sends it to the whole process group, and
a worker interrupted on its own would lose what it measured); they stop when told to, or when
the pipe closes because the coordinator has gone, so none outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from workbench.bench.worker import WorkerDone, WorkerFailed, WorkerJob, WorkerMessage, run_worker

# A worker that has not exited this long after it was told to stop (or finished) is terminated.
EXIT_GRACE_S = 5.0


def available_cores() -> int:
    """The cores this process may run on (`--workers auto`)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


class ProcessBackend:
    """Runs each worker in a spawned process on this machine."""

    name = "processes"

    def __init__(self) -> None:
        self._processes: list[Any] = []
        self._pipes: list[Connection] = []
        self._reader: threading.Thread | None = None
        self._closing = threading.Event()

    async def prepare(self, asked: int | None) -> int:
        return asked or available_cores()

    async def launch(self, jobs: list[WorkerJob], deliver: Callable[[WorkerMessage], None]) -> None:
        context = multiprocessing.get_context("spawn")
        loop = asyncio.get_running_loop()
        _start_resource_tracker()
        with _children_ignore_sigint():
            for job in jobs:
                ours, theirs = context.Pipe()
                process = context.Process(target=worker_process_main, args=(job, theirs), daemon=True,
                                          name=f"workbench-bench-worker-{job.share.index}")
                process.start()
                theirs.close()
                self._processes.append(process)
                self._pipes.append(ours)

        def hand_over(message: WorkerMessage) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening any more
                loop.call_soon_threadsafe(deliver, message)

        indices = [job.share.index for job in jobs]
        self._reader = threading.Thread(target=self._read, args=(indices, hand_over), daemon=True,
                                        name="workbench-bench-workers")
        self._reader.start()

    def _read(self, indices: list[int], hand_over: Callable[[WorkerMessage], None]) -> None:
        """Pass on every worker's messages; a pipe that closes before its worker said done is a failure."""
        open_pipes = dict(zip(self._pipes, zip(indices, self._processes, strict=True), strict=True))
        ended: set[int] = set()
        while open_pipes and not self._closing.is_set():
            for ready in wait(list(open_pipes), timeout=0.5):
                pipe = cast(Connection, ready)  # wait() hands back what it was given: these pipes
                index, process = open_pipes[pipe]
                try:
                    message: WorkerMessage = pipe.recv()
                except (EOFError, OSError):
                    del open_pipes[pipe]
                    if index not in ended:
                        process.join(1.0)
                        hand_over(WorkerFailed(index, f"its process ended unexpectedly (exit code {process.exitcode})"))
                    continue
                if isinstance(message, (WorkerDone, WorkerFailed)):
                    ended.add(index)
                hand_over(message)

    def go(self, start_at: float) -> None:
        self._send(("go", start_at))

    def stop(self) -> None:
        self._send(("stop",))

    def _send(self, message: tuple[Any, ...]) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError, ValueError):  # that worker has gone already
                pipe.send(message)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._end_all)

    def _end_all(self) -> None:
        """Join every worker; terminate (then kill) one still there after EXIT_GRACE_S."""
        for process in self._processes:
            process.join(EXIT_GRACE_S)
            if process.is_alive():
                process.terminate()
                process.join(1.0)
            if process.is_alive():
                process.kill()
                process.join(1.0)
        self._closing.set()
        if self._reader is not None:
            self._reader.join(2.0)
        for pipe in self._pipes:
            pipe.close()


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (every spawned process needs it) with a real stderr.

    The tracker is handed sys.stderr's descriptor; a UI that captures stderr (Textual's stand-in
    says -1) would make the spawn fail with "bad value(s) in fds_to_keep". It gets the process's
    own stderr for that one moment instead.
    """
    from multiprocessing import resource_tracker

    try:
        usable = sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = True  # no fileno() at all: the tracker then passes none, which is fine
    if usable or sys.__stderr__ is None:
        resource_tracker.ensure_running()
        return
    captured, sys.stderr = sys.stderr, sys.__stderr__
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


@contextlib.contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Processes started inside ignore SIGINT from their first instruction (the setting is inherited)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change signal handling (the TUI: no terminal Ctrl-C reaches it)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class PipeLink:
    """A worker process's side of its pipe (bench/worker.py's Link)."""

    def __init__(self, pipe: Connection) -> None:
        self.pipe = pipe
        self._start: asyncio.Future[float | None] | None = None

    def listen(self, on_stop: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        self._start = loop.create_future()
        threading.Thread(target=self._hear, args=(loop, on_stop), daemon=True, name="bench-worker-pipe").start()

    def _hear(self, loop: asyncio.AbstractEventLoop, on_stop: Callable[[], None]) -> None:
        while True:
            try:
                message = self.pipe.recv()
            except (EOFError, OSError):
                message = ("gone",)  # the coordinator has gone: stop, nobody is left to report to
            if message[0] == "go":
                loop.call_soon_threadsafe(self._settle, message[1])
                continue
            on_stop()
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._settle, None)
            if message[0] == "gone":
                return

    def _settle(self, start_at: float | None) -> None:
        if self._start is not None and not self._start.done():
            self._start.set_result(start_at)

    async def start_time(self) -> float | None:
        assert self._start is not None, "listen() first"
        return await self._start

    async def send(self, message: WorkerMessage) -> bool:
        with contextlib.suppress(OSError):  # the coordinator has gone; the stop is on its way
            self.pipe.send(message)
        return False

    def close(self) -> None:
        self.pipe.close()


def worker_process_main(job: WorkerJob, pipe: Connection) -> None:
    """The entry point of a worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # already ignored since birth; said again for clarity
    link = PipeLink(pipe)
    try:
        asyncio.run(run_worker(job, link))
    finally:
        link.close()
