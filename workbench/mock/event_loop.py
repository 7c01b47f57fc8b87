"""The event loop the mock runs on: uvloop where it can be imported, else asyncio's own.

uvloop (libuv, in Cython) does the same work as asyncio's pure-Python selector loop in fewer
instructions: each read, write and timer of a request costs less (measured in
benchmarks/bench_mock_instructions.py). Windows has no uvloop, and a machine may lack it; the
mock then runs on asyncio's loop, the same in every behaviour but speed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """A function making a new event loop of the fastest kind this machine has."""
    try:
        import uvloop
    except ImportError:  # not installed (Windows, a minimal install): asyncio's loop does the same, slower
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """`uvloop` or `asyncio`, for benchmarks and diagnostics."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"
