"""`--ray ADDRESS`: bench workers as Ray tasks, on a cluster (KubeRay, `ray start --head`) or a local Ray.

Ray is an optional extra (`pip install 'byom-workbench[scale]'`) and is imported only here, and
only when a run asks for it: `workbench bench --help` and every other command never load it.
Each worker is a Ray task that runs bench/worker.py's run_worker, the same asyncio client and
timing code as one process, in its own worker process; tasks are spread over the nodes. A small
async actor, the Hub, carries the messages both ways: workers push their hello, ticks and done
(each push answers whether a stop was asked), wait on it for the common start, and the
coordinator drains it. When the coordinator ends, Ray ends the tasks and the actor it owns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.bench.worker import WorkerFailed, WorkerJob, WorkerMessage, run_worker
from workbench.errors import UsageError

# How often the coordinator collects the workers' messages.
POLL_S = 0.05
LOCAL = "local"
# Ray's single-machine mode (its default on macOS and Windows): every Ray process of a `local` run
# listens on loopback, as the mock does, instead of the machine's network address. Read by Ray when it
# is imported, and by the processes it starts.
SINGLE_MACHINE = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise UsageError(
            f"--ray needs Ray, which is not installed here ({error}).",
            "pip install 'byom-workbench[scale]' (or pip install ray), or drop --ray to use processes "
            "on this machine (--workers)") from None
    return ray


class Hub:
    """The actor between the coordinator and its workers (made a Ray actor by RayBackend)."""

    def __init__(self) -> None:
        self.outbox: list[WorkerMessage] = []
        self.start: float | None = None
        self.stopped = False
        self._decided: asyncio.Event | None = None

    def _event(self) -> asyncio.Event:
        if self._decided is None:  # made on the actor's own loop, at first use
            self._decided = asyncio.Event()
        return self._decided

    async def push(self, message: WorkerMessage) -> bool:
        self.outbox.append(message)
        return self.stopped

    async def drain(self) -> list[WorkerMessage]:
        messages, self.outbox = self.outbox, []
        return messages

    async def start_time(self) -> float | None:
        await self._event().wait()
        return None if self.stopped else self.start

    async def go(self, start_at: float) -> None:
        self.start = start_at
        self._event().set()

    async def stop(self) -> None:
        self.stopped = True
        self._event().set()


class HubLink:
    """A Ray worker's side of the line (bench/worker.py's Link): every push also asks whether to stop."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self._on_stop: Callable[[], None] | None = None

    def listen(self, on_stop: Callable[[], None]) -> None:
        self._on_stop = on_stop  # the stop comes back as the answer to a push (a tick every TICK_S)

    async def start_time(self) -> float | None:
        start: float | None = await self.hub.start_time.remote()
        return start

    async def send(self, message: WorkerMessage) -> bool:
        return bool(await self.hub.push.remote(message))

    def close(self) -> None:
        pass


def ray_worker_main(job: WorkerJob, hub: Any) -> None:
    """A Ray task: one worker, to its end."""
    asyncio.run(run_worker(job, HubLink(hub)))


class RayBackend:
    """Runs each worker as a Ray task, spread over the cluster's nodes."""

    name = "ray"

    def __init__(self, address: str) -> None:
        self.address = address
        self._ray: Any = None
        self._started_here = False
        self._cpus_each = 1.0
        self._hub: Any = None
        self._tasks: dict[Any, int] = {}
        self._poller: asyncio.Future[None] | None = None

    async def prepare(self, asked: int | None) -> int:
        if self.address == LOCAL:
            for name, value in SINGLE_MACHINE.items():
                os.environ.setdefault(name, value)
        self._ray = import_ray()
        cpus = await asyncio.get_running_loop().run_in_executor(None, self._connect)
        count = asked or max(1, int(cpus))
        # More workers than CPUs would wait for each other forever (every one must be ready to start):
        # ask each for its share of the CPUs instead, so all of them are placed.
        self._cpus_each = min(1.0, cpus / count) if cpus else 1.0
        return count

    def _connect(self) -> float:
        ray = self._ray
        if not ray.is_initialized():
            # Ray's start-up chatter (token set-up, "not the main thread") is not the user's business;
            # a worker's failure comes back as a message.
            options: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False,
                                       "include_dashboard": False}
            if self.address == LOCAL:
                ray.init(num_cpus=os.cpu_count() or 1, **options)
                self._started_here = True
            else:
                # The workers run this very workbench (its code shipped with the job); the nodes need its
                # dependencies (`pip install 'byom-workbench[scale]'` in the cluster's image).
                import workbench

                runtime_env = {"py_modules": [str(Path(workbench.__file__).parent)]}
                ray.init(address=self.address, runtime_env=runtime_env, **options)
        return float(ray.cluster_resources().get("CPU", 0.0))

    async def launch(self, jobs: list[WorkerJob], deliver: Callable[[WorkerMessage], None]) -> None:
        ray = self._ray
        self._hub = ray.remote(num_cpus=0)(Hub).remote()
        task = ray.remote(ray_worker_main).options(num_cpus=self._cpus_each, scheduling_strategy="SPREAD",
                                                   max_retries=0)
        self._tasks = {task.remote(job, self._hub): job.share.index for job in jobs}
        self._poller = asyncio.ensure_future(self._poll(deliver))

    async def _poll(self, deliver: Callable[[WorkerMessage], None]) -> None:
        """Pass on the workers' messages; a task that raised is a failed worker."""
        ray = self._ray
        pending = dict(self._tasks)
        while True:
            finished: list[Any] = []
            if pending:
                finished, _ = ray.wait(list(pending), num_returns=len(pending), timeout=0)
            for message in await self._hub.drain.remote():
                deliver(message)
            for ref in finished:
                index = pending.pop(ref)
                try:
                    await ref
                except Exception as error:  # the task itself failed: not installed there, killed, …
                    deliver(WorkerFailed(index, f"its Ray task failed: {type(error).__name__}: {error}"))
            await asyncio.sleep(POLL_S)

    def go(self, start_at: float) -> None:
        self._hub.go.remote(start_at)

    def stop(self) -> None:
        if self._hub is not None:
            self._hub.stop.remote()

    async def close(self) -> None:
        ray = self._ray
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        for ref in self._tasks:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        if self._hub is not None:
            with contextlib.suppress(Exception):
                ray.kill(self._hub)
        if self._started_here and ray is not None:
            await asyncio.get_running_loop().run_in_executor(None, ray.shutdown)
