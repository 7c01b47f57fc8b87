"""Relay: hands items from another thread (the client's loop, the mock's) to the UI, batched.

The chat's text at 2000 tokens/s, or a mock's log under load, must not cost the UI one wake-up
per item, and the sending thread must never wait for the UI (it would carry the UI's delays
back into the timings). So items are appended under a lock, at most one hand-off waits on the
UI's loop at a time, and it takes everything that came meanwhile. With an `interval`, hand-offs
are at least that far apart: the first item goes at once, later ones wait on the sender's own
loop (a wake-up of the UI's thread per token would fight the sender for the interpreter).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

# A streaming reply's text reaches the UI's thread at most this often (the first piece at once):
# a chat bubble shows it at most every 40 ms anyway (chat_message.FLUSH_INTERVAL_S).
TEXT_HAND_OFF_S = 0.02


class Relay(Generic[T]):
    """`feed(item)` from any thread; `deliver(items)` runs on the loop that made the relay, in order."""

    def __init__(self, deliver: Callable[[list[T]], None], *, interval: float = 0.0) -> None:
        self._deliver = deliver
        self._interval = interval
        self._loop = asyncio.get_running_loop()  # made on the UI's loop: that is where items go
        self._lock = threading.Lock()
        self._pending: list[T] = []
        self._scheduled = False
        self._last = float("-inf")  # when the UI last took the items (monotonic seconds)

    def feed(self, item: T) -> None:
        """Queue `item` for the UI; never blocks on the UI (safe from any thread)."""
        with self._lock:
            self._pending.append(item)
            if self._scheduled:
                return
            self._scheduled = True
            wait = self._last + self._interval - time.monotonic()
        if wait > 0:
            try:
                asyncio.get_running_loop().call_later(wait, self._hand_off)
                return
            except RuntimeError:  # the sender runs on no loop: hand it over now
                pass
        self._hand_off()

    def _hand_off(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self.flush)
        except RuntimeError:  # the UI's loop has closed (the app quit): nobody is left to show it
            pass

    def flush(self) -> None:
        """Deliver what is queued now (on the UI's loop): the hand-off does this, and so does the
        UI before it shows a final state, so nothing fed earlier can arrive after it."""
        with self._lock:
            items, self._pending = self._pending, []
            self._scheduled = False
            self._last = time.monotonic()
        if items:
            self._deliver(items)
