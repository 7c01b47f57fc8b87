"""Relay: items fed from another thread reach the UI's loop in order, batched, never lost."""

from __future__ import annotations

import asyncio
import threading

from workbench.tui.relay import Relay


async def delivered_when(batches: list[list[int]], count: int) -> None:
    """Let the loop run until `count` items have been delivered (a safety net against a hang)."""
    async def wait() -> None:
        while sum(len(b) for b in batches) < count:
            await asyncio.sleep(0.001)

    await asyncio.wait_for(wait(), 30)


async def test_items_fed_from_another_thread_arrive_on_this_loop_in_order_and_batched() -> None:
    batches: list[list[int]] = []
    threads: set[int] = set()

    def deliver(items: list[int]) -> None:
        threads.add(threading.get_ident())
        batches.append(items)

    relay: Relay[int] = Relay(deliver)
    feeder = threading.Thread(target=lambda: [relay.feed(n) for n in range(5000)])
    feeder.start()
    feeder.join()  # all fed while this loop was not running: the hand-offs wait for it
    await delivered_when(batches, 5000)
    assert [n for batch in batches for n in batch] == list(range(5000))
    assert len(batches) < 5000  # at most one hand-off waits at a time: they come in batches
    assert threads == {threading.get_ident()}  # delivered on the loop that made the relay


async def test_flush_delivers_what_is_waiting_now_and_nothing_twice() -> None:
    batches: list[list[str]] = []
    relay: Relay[str] = Relay(batches.append)
    relay.feed("a")
    relay.feed("b")
    relay.flush()  # before the scheduled hand-off has run
    assert batches == [["a", "b"]]
    await asyncio.sleep(0.01)  # the scheduled hand-off finds nothing left
    assert batches == [["a", "b"]]
    relay.feed("c")
    await delivered_when(batches, 3)  # type: ignore[arg-type]
    assert batches == [["a", "b"], ["c"]]


async def test_with_an_interval_the_first_item_goes_at_once_and_the_next_ones_wait_together() -> None:
    batches: list[list[str]] = []
    relay: Relay[str] = Relay(batches.append, interval=60.0)  # far longer than this test runs
    relay.feed("first")
    await delivered_when(batches, 1)  # type: ignore[arg-type]
    relay.feed("second")
    relay.feed("third")
    await asyncio.sleep(0.05)
    assert batches == [["first"]]  # held back by the interval
    relay.flush()  # the UI takes them before it shows a final state
    assert batches == [["first"], ["second", "third"]]
