"""The ticker behind every paced stream: each stream fires once, in the order it fell due, never early;
a stream forgotten while waiting never fires; streams added while a tick writes keep their time."""

from __future__ import annotations

import asyncio
import time

from workbench.mock.ticker import EARLY_S, Ticker


class Stream:
    def __init__(self, name: str, fired: list[tuple[str, float, float]], due: float) -> None:
        self.name, self.fired, self.due = name, fired, due

    def fire(self, now: float) -> None:
        self.fired.append((self.name, self.due, time.monotonic()))


async def test_streams_fire_once_each_in_due_order_and_never_early() -> None:
    ticker, fired = Ticker(), []
    start = time.monotonic()
    dues = {"c": 0.06, "a": 0.02, "b": 0.04, "a2": 0.02}
    for name, offset in dues.items():
        ticker.add(start + offset, Stream(name, fired, start + offset))
    await asyncio.sleep(0.15)
    assert sorted(name for name, _, _ in fired) == sorted(dues)  # each once
    assert [name for name, _, _ in fired] == ["a", "a2", "b", "c"]  # due order; same instant: first added first
    assert all(at >= due - EARLY_S for _, due, at in fired)


async def test_a_stream_removed_while_waiting_never_fires_and_the_rest_still_do() -> None:
    ticker, fired = Ticker(), []
    start = time.monotonic()
    gone, kept = Stream("gone", fired, start + 0.02), Stream("kept", fired, start + 0.04)
    ticker.add(gone.due, gone)
    ticker.add(kept.due, kept)
    ticker.remove(gone)
    await asyncio.sleep(0.1)
    assert [name for name, _, _ in fired] == ["kept"]


async def test_a_stream_added_from_a_tick_for_later_is_fired_at_its_own_time() -> None:
    ticker, fired = Ticker(), []
    start = time.monotonic()

    class Again(Stream):
        def fire(self, now: float) -> None:
            super().fire(now)
            if len(self.fired) == 1:  # the next token: due later, added while the tick runs
                self.due = time.monotonic() + 0.03
                ticker.add(self.due, self)

    stream = Again("s", fired, start + 0.01)
    ticker.add(stream.due, stream)
    await asyncio.sleep(0.12)
    assert len(fired) == 2 and all(at >= due - EARLY_S for _, due, at in fired)
    assert fired[1][2] - fired[0][2] >= 0.03 - EARLY_S
