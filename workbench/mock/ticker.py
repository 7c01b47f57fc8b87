"""One timer for every paced stream: each tick writes every stream whose next token is due.

With 1,000 paced streams at 20 tokens a second the mock writes 20,000 chunks a second. A
timer per stream per token (a handle made, started in the loop, fired through a context,
then freed) cost more than the chunk itself; here streams wait in one heap, ordered by when
their next token is due, and one loop timer, set for the soonest, wakes them: about 20
streams a millisecond share each wake-up at 1,000 streams.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol

# uvloop's timers count whole milliseconds from the loop's cached clock, so one may fire a
# little before its time: a stream found early by more than this waits for the next tick.
EARLY_S = 0.0002


class Due(Protocol):
    def fire(self, now: float) -> None:
        """Write what is due (`now` is time.monotonic()); `Ticker.add` again for what comes later."""


class Ticker:
    """Streams waiting for their time, soonest first, and the one timer set for the soonest."""

    __slots__ = ("heap", "order", "ticking", "timer", "timer_at")

    def __init__(self) -> None:
        # (due, order, stream): `order` keeps streams due at the same instant first come, first served.
        self.heap: list[tuple[float, int, Due]] = []
        self.order = itertools.count()
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0
        self.ticking = False  # inside a tick: the timer is set once, after it

    def add(self, due: float, stream: Due) -> None:
        """Fire `stream` at `due` (time.monotonic()), never before it by more than EARLY_S."""
        heapq.heappush(self.heap, (due, next(self.order), stream))
        if not self.ticking and (self.timer is None or due < self.timer_at):
            self._set_timer(due)

    def remove(self, stream: Due) -> None:
        """Forget `stream` (it ended while waiting: cancelled); rare, so a linear pass will do."""
        kept = [entry for entry in self.heap if entry[2] is not stream]
        if len(kept) == len(self.heap):
            return
        heapq.heapify(kept)
        self.heap[:] = kept
        if not self.heap and self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _set_timer(self, due: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer_at = due
        self.timer = asyncio.get_running_loop().call_later(max(due - time.monotonic(), 0.0), self._tick)

    def _tick(self) -> None:
        self.timer = None
        heap = self.heap
        self.ticking = True
        try:
            now = time.monotonic()
            while heap:
                if heap[0][0] - now > EARLY_S:
                    now = time.monotonic()  # writing takes time: what fell due meanwhile goes now too
                    if heap[0][0] - now > EARLY_S:
                        break
                heapq.heappop(heap)[2].fire(now)
        finally:  # even if a stream raised (PacedWriter catches its own), the others keep their time
            self.ticking = False
            if heap:
                self._set_timer(heap[0][0])
