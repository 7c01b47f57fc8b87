"""HTTP's Date value (RFC 9110 §5.6.7), made once a second for the replies the mock and the proxy frame.

Both write a Date on every reply they frame themselves. Formatting one costs a few microseconds,
and its value changes once a second. The cache is one tuple, swapped whole: the mock and the
proxy may run on threads of one process (the TUI), and each sees a consistent pair.
"""

from __future__ import annotations

from email.utils import formatdate

_made: tuple[int, bytes] = (-1, b"")


def http_date(now: float) -> bytes:
    """`now` (time.time()) as a Date header's value: b"Mon, 07 Dec 2026 16:39:04 GMT"."""
    global _made
    second = int(now)
    if _made[0] != second:
        _made = (second, formatdate(second, usegmt=True).encode())
    return _made[1]
