"""Runs a benchmark from a terminal: a progress line on stderr, and Ctrl-C that stops it cleanly.

On a TTY the progress bar redraws in place (at most 10 times a second); otherwise a plain line
is written every few seconds, so logs and CI output stay readable. The first Ctrl-C stops the
run and keeps what finished; a second one (if cancelling hangs) interrupts at once. With
`workers` or `ray` the run is a Fleet (bench/fleet.py): the same bar covers every worker, and
Ctrl-C stops them all.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from typing import TYPE_CHECKING, TextIO, Union

from workbench.bench.report import progress_line
from workbench.bench.plan import BenchPlan
from workbench.bench.result import BenchResult, VoiceBudget
from workbench.bench.runner import Bench, Progress
from workbench.target import Target

if TYPE_CHECKING:
    from workbench.bench.fleet import Fleet
    from workbench.simulate import AgentConfig

Runner = Union[Bench, "Fleet"]

TTY_REDRAW_S = 0.1
PLAIN_EVERY_S = 5.0


class ProgressPrinter:
    """Draws Progress snapshots on a stream: in place on a TTY, a line every few seconds elsewhere."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        # Plain output waits a whole interval first: a short run prints no progress at all.
        self._last_drawn = 0.0 if self.tty else time.monotonic()
        self._drawn_any = False

    def update(self, progress: Progress, force: bool = False) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        every = TTY_REDRAW_S if self.tty else PLAIN_EVERY_S
        if not force and now - self._last_drawn < every:
            return
        self._last_drawn = now
        if self.tty:
            # One line that never wraps, or the carriage return would redraw the wrong line.
            columns = self._columns()
            text = progress_line(progress, width=0)
            bar = max(0, min(30, columns - len(text) - 4))
            line = progress_line(progress, width=bar) if bar >= 10 else text
            self.stream.write("\r\033[K" + line[: columns - 1])
        else:
            self.stream.write("bench: " + progress_line(progress, width=20) + "\n")
        self.stream.flush()
        self._drawn_any = True

    def _columns(self) -> int:
        """The width of the terminal this stream is on (stdout may be redirected while stderr is not)."""
        try:
            return os.get_terminal_size(self.stream.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            return shutil.get_terminal_size((80, 24)).columns

    def clear(self) -> None:
        if self.stream is not None and self.tty and self._drawn_any:
            self.stream.write("\r\033[K")
            self.stream.flush()


def run_bench_command(
    target: Target,
    platform: str,
    plan: BenchPlan,
    budget: VoiceBudget,
    *,
    progress_to: TextIO | None = None,
    workers: int | str | None = None,
    ray: str | None = None,
    agent: "AgentConfig | None" = None,
    think_s: float = 0.0,
) -> BenchResult:
    """Run the benchmark to its end or to Ctrl-C, drawing progress; return what finished.

    `workers` (a count, or "auto" for every core or the Ray cluster's CPUs) and `ray` (an address,
    "auto" or "local") spread it over processes or a Ray cluster; neither: this one process.
    With an `agent`, each unit of the plan is a whole call of its file, `think_s` between turns.
    """
    from workbench.bench.split import PlanShare
    from workbench.bench.worker import WorkerJob

    printer = ProgressPrinter(progress_to)
    job = WorkerJob(PlanShare.whole(plan), target, platform, budget, agent=agent, think_s=think_s)
    bench: Runner
    if workers is None and ray is None:
        bench = job.build(on_progress=printer.update, start_gate=None)
    else:
        from workbench.bench.fleet import Fleet, backend_for

        count = None if workers == "auto" else workers
        bench = Fleet(job, backend_for(ray), workers=count, on_progress=printer.update)  # type: ignore[arg-type]

    async def main() -> BenchResult:
        loop = asyncio.get_running_loop()

        def on_interrupt() -> None:
            bench.stop()
            # A second Ctrl-C gets Python's default behaviour (KeyboardInterrupt: "Interrupted.").
            loop.remove_signal_handler(signal.SIGINT)

        try:
            loop.add_signal_handler(signal.SIGINT, on_interrupt)
            handling = True
        except (NotImplementedError, RuntimeError):  # no signal handlers here (Windows, not the main thread)
            handling = False
        ticker = asyncio.ensure_future(_tick(bench, printer)) if printer.tty else None
        try:
            return await bench.run()
        finally:
            if ticker is not None:
                ticker.cancel()
            if handling:
                loop.remove_signal_handler(signal.SIGINT)

    try:
        return asyncio.run(main())
    finally:
        printer.clear()


async def _tick(bench: Runner, printer: ProgressPrinter) -> None:
    """Redraw while requests are slow to finish, so the elapsed time keeps moving."""
    while True:
        await asyncio.sleep(0.25)
        printer.update(bench.snapshot())
