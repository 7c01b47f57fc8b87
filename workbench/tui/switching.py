"""How soon the UI's thread hands the interpreter to the client's and the mock's: sooner while a first token is due.

The mock and the client run in threads so the UI's event loop cannot delay their timings,
but they share one interpreter lock with it: while the UI lays out or paints, a thread that
woke for a byte waits for the lock up to the switch interval (Python's default is 5 ms), once
per hop (the client sends, the mock answers, the client reads). For the time to first token,
the figure a voice developer reads first, that adds up; so while a timed call waits for its
first token the interval is FINE_INTERVAL_S. Not for the whole stream: at 2000 tokens/s a
fine interval makes the UI's thread give way thousands of times a second, and key presses
and painting lose more than the chunk gaps gain (benchmarks/README.md, the TUI section).
"""

from __future__ import annotations

import sys
import threading

FINE_INTERVAL_S = 0.0005

_lock = threading.Lock()
_waiting = 0  # timed calls waiting for their first token, app-wide
_normal = sys.getswitchinterval()


class FirstTokenWait:
    """Holds the fine interval from creation until `done()` (idempotent; a `with` block ends it too)."""

    def __init__(self) -> None:
        global _waiting, _normal
        self._done = False
        with _lock:
            if _waiting == 0:
                _normal = sys.getswitchinterval()
                sys.setswitchinterval(FINE_INTERVAL_S)
            _waiting += 1

    def done(self) -> None:
        """The first token came (or the call ended): back to the normal interval once no call waits."""
        global _waiting
        if self._done:
            return
        self._done = True
        with _lock:
            _waiting -= 1
            if _waiting == 0:
                sys.setswitchinterval(_normal)

    def __enter__(self) -> FirstTokenWait:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done()
