"""The cycle collector of a server's own process, run while no reply is waiting on it.

Python frees almost everything by reference counting. Its cycle collector exists for the
rest, and it pauses the whole process while it walks every object it tracks. CPython starts a
collection whenever enough objects have been made since the last one. Under 1,000 open
streams this was the mock's largest delay:
- A collection of the older generation walked the 69,000 live objects of the open streams,
  paused the mock 22-68 ms, and found nothing to free.
- Every first token due during such a pause went out late: first-token drift p99 74-93 ms.
- With collection off it read p99 2.9-18 ms (benchmarks/README.md, the mock's stream drift).

The mock's replies make no reference cycles: 17,874 requests and 1,000 streams, with
collection off, left 0 objects for the collector to free. Cycles come from rarer paths, such
as a traceback that holds its frame.

So a server's own process (`workbench mock`, `workbench proxy`) turns automatic collection
off and runs a full collection itself, from a timer, at the first check where both hold:
- enough new objects are tracked to be worth a walk;
- no reply is waiting on the process: nothing is paced, delayed or in flight.

Under a load that never pauses, it collects anyway once `longest_s` has passed. That keeps
memory bounded, at the cost of one pause a minute rather than one every second.

A mock or proxy embedded in another program (the TUI, the tests) leaves that program's
collector alone: this class is only started by the `serve` of a process of its own.
`gc.collect()`, `gc.get_count()`, `gc.disable()` and `gc.freeze()` mean the same on CPython
3.11 to 3.15, including 3.14's incremental collector, so none of this depends on the
version's thresholds.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

# How often the timer looks. A look reads a counter; a collection (20-50 ms after a load of
# 1,000 streams) runs at most this often, and only as the rules below allow.
CHECK_S = 1.0
# New tracked objects (gc.get_count()[0]) worth a walk. CPython's own young threshold is
# 700-2,000; the mock ran with 7,000 before. Under it a collection has nothing to gain.
WORTH_COLLECTING = 7000
# The longest a busy process goes without a collection, to bound memory under endless load.
LONGEST_S = 60.0


class IdleCollector:
    """Runs `gc.collect()` between replies; `busy()` says whether a reply is waiting on the process now."""

    def __init__(
        self,
        busy: Callable[[], bool],
        *,
        check_s: float = CHECK_S,
        worth: int = WORTH_COLLECTING,
        longest_s: float = LONGEST_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.busy = busy
        self.check_s = check_s
        self.worth = worth
        self.longest_s = longest_s
        self.clock = clock
        self.last = clock()  # when the latest collection ran
        self.collections = 0  # run by this collector, for tests and diagnostics
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Collect what start-up left, set the survivors aside for good, and take over from CPython."""
        gc.collect()
        gc.freeze()  # modules, aiohttp, the app: never walked again
        gc.disable()
        self.last = self.clock()
        self._schedule()

    def stop(self) -> None:
        """Give collection back to CPython (the process is ending, or a test is done with it)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        gc.unfreeze()
        gc.enable()

    def check(self) -> bool:
        """One look: collect now if it is worth it and nobody waits, or if it has waited too long."""
        if gc.get_count()[0] < self.worth:
            return False
        if self.busy() and self.clock() - self.last < self.longest_s:
            return False
        gc.collect()
        self.last = self.clock()
        self.collections += 1
        return True

    def _schedule(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self.check_s, self._tick)

    def _tick(self) -> None:
        self.check()
        self._schedule()
