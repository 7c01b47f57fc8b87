"""ClientLoop: the TUI's outbound calls run on an event loop of their own, in a thread, off the UI's loop.

The figures a user reads under a reply (time to first token, gaps between chunks) are stamped
by the Client as it reads bytes. On the UI's loop every layout and paint in progress would
delay those reads and inflate the figures (by 20-40 ms on a first message, in a terminal). So
chat, simulate, bench and check send from this loop; text and progress come back through a
Relay, and the UI only awaits the result. One loop for the whole app, kept while it runs, so
a conversation's Client (its connection pool) lives from one message to the next.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

THREAD_NAME = "workbench-client"


class ClientLoop:
    """One event loop in a daemon thread, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The client loop (its thread starts here the first time)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the client loop is closed (the app is quitting)")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=self._serve, args=(loop,), name=THREAD_NAME, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Start `coro` on the client loop (from any thread)."""
        try:
            loop = self.loop
        except RuntimeError:
            coro.close()
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the client loop and await its result here (on the UI's loop).

        Cancelling the awaiting task (a worker cancelled) cancels `coro` there too.
        """
        future = self.submit(coro)
        try:
            return await asyncio.wrap_future(future)
        finally:
            future.cancel()  # a no-op once it is done

    def call_soon(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback(*args)` on the client loop soon (from any thread); e.g. a Call's cancel."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # closed between the check and the call
            pass

    def close(self, timeout: float = 5.0) -> None:
        """Cancel what still runs there, let it tidy up, end the thread. Blocks: call it off the UI's loop."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:
            return
        thread.join(timeout)

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            # Stopped: calls still in flight are cancelled (each keeps what arrived), then closed.
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
