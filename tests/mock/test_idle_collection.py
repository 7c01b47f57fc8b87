"""The cycle collector of `workbench mock` and `workbench proxy` runs between replies, never during one.

The collector is CPython's own (`gc`), driven for real: reference cycles are made, and a weak
reference says whether a collection freed them. Whether a reply is waiting comes from a real
mock (and a real proxy in front of it) streaming over loopback.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable, Iterator

import httpx
import pytest

from workbench.idle_collection import IdleCollector
from workbench.mock import MockConfig, MockServer
from workbench.proxy import ProxyConfig, ProxyServer

pytestmark = pytest.mark.usefixtures("no_proxy")


class Node:
    """An object that can sit in a reference cycle, and be weakly referenced."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cyclic_garbage(pairs: int) -> weakref.ref[Node]:
    """`pairs` two-object cycles nobody refers to: only the cycle collector frees them."""
    first = None
    for _ in range(pairs):
        a, b = Node(), Node()
        a.other, b.other = b, a
        first = first or weakref.ref(a)
    assert first is not None
    return first


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def taken_over() -> Iterator[None]:
    """Collection as `workbench mock` runs it, given back to CPython after the test, pass or fail."""
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.usefixtures("taken_over")
async def test_cycles_wait_while_a_reply_waits_and_go_once_none_does() -> None:
    busy = True
    collector = IdleCollector(lambda: busy, check_s=3600, worth=100)
    collector.start()
    assert not gc.isenabled()  # CPython's own collections would pause the open streams
    canary = cyclic_garbage(1000)

    assert collector.check() is False
    assert canary() is not None  # still there: nothing walked the objects while a reply waited
    busy = False
    assert collector.check() is True
    assert canary() is None
    collector.stop()
    assert gc.isenabled()


@pytest.mark.usefixtures("taken_over")
async def test_a_load_that_never_pauses_is_collected_once_the_longest_wait_is_over() -> None:
    clock = Clock()
    collector = IdleCollector(lambda: True, check_s=3600, worth=100, longest_s=60.0, clock=clock)
    collector.start()
    canary = cyclic_garbage(1000)
    clock.now += 59.0
    assert collector.check() is False and canary() is not None
    clock.now += 2.0
    assert collector.check() is True and canary() is None  # memory stays bounded under endless load
    collector.stop()


@pytest.mark.usefixtures("taken_over")
async def test_an_idle_process_with_little_new_is_not_walked_at_all() -> None:
    collector = IdleCollector(lambda: False, check_s=3600, worth=10**7)
    collector.start()
    canary = cyclic_garbage(10)
    assert collector.check() is False and canary() is not None
    assert collector.collections == 0
    collector.stop()


@pytest.mark.usefixtures("taken_over")
async def test_the_timer_collects_on_its_own_once_the_process_is_idle() -> None:
    collector = IdleCollector(lambda: False, check_s=0.01, worth=100)
    collector.start()
    canary = cyclic_garbage(1000)
    for _ in range(500):
        if canary() is None:
            break
        await asyncio.sleep(0.01)
    collector.stop()
    assert canary() is None and collector.collections >= 1


STREAM = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hello there"}]}


async def busy_while_streaming(loopback_http: httpx.AsyncClient, url: str, busy: Callable[[], bool]) -> list[bool]:
    """`busy()` as each piece of a paced stream arrives, then once the server has finished the reply."""
    seen = []
    async with loopback_http.stream("POST", url + "/chat/completions", json=STREAM) as response:
        async for _ in response.aiter_raw():
            seen.append(busy())
    for _ in range(100):  # the handler finishes on the server's next loop turns
        if not busy():
            break
        await asyncio.sleep(0.01)
    return [*seen, busy()]


async def test_the_mock_says_a_reply_waits_for_as_long_as_a_paced_stream_runs(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig(ttft_ms=100, tokens_per_s=20)) as server:
        assert server.replies_waiting() is False
        seen = await busy_while_streaming(loopback_http, server.base_url, server.replies_waiting)
    assert len(seen) > 2 and all(seen[:-2])  # every piece but the last came while it was paced
    assert seen[-1] is False


async def test_the_proxy_says_a_round_trip_is_open_until_the_reply_has_ended(
    loopback_http: httpx.AsyncClient,
) -> None:
    async with MockServer(MockConfig(ttft_ms=100, tokens_per_s=20)) as mock, \
            ProxyServer(ProxyConfig(to=mock.base_url, port=0)) as proxy:
        assert proxy.round_trips_open() is False
        seen = await busy_while_streaming(loopback_http, proxy.base_url, proxy.round_trips_open)
    assert len(seen) > 2 and all(seen[:-2])
    assert seen[-1] is False
