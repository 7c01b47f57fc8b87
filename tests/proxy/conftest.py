"""Fixtures for the proxy's tests: a proxy in front of any base URL, and what it recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from workbench.proxy import Proxied, ProxyConfig, ProxyServer


class Running:
    """A proxy under test and every round trip it finished (and every refusal), in order."""

    def __init__(self, server: ProxyServer) -> None:
        self.server = server
        self.done: list[Proxied] = []
        self.refusals: list[str] = []
        server.subscribe(self.done.append)
        server.subscribe_refusals(self.refusals.append)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Proxied]:
        """The round trips, once `count` have ended (a stream's record comes just after its last byte)."""
        async def enough() -> None:
            while len(self.done) < count:
                await asyncio.sleep(0.005)

        await asyncio.wait_for(enough(), timeout)
        return self.done


@pytest.fixture
def proxy_to() -> Callable[..., AbstractAsyncContextManager[Running]]:
    """`async with proxy_to(base_url, **config) as proxy`: a proxy on a free loopback port."""

    @asynccontextmanager
    async def start(to: str, **options: Any) -> AsyncIterator[Running]:
        async with ProxyServer(ProxyConfig(to=to, port=0, **options)) as server:
            yield Running(server)

    return start


@pytest.fixture
async def proxied_mock(mock_server, proxy_to) -> AsyncIterator[Running]:
    """The default mock with a default proxy in front of it."""
    async with proxy_to(mock_server.base_url) as proxy:
        yield proxy


class RunningThread:
    """A proxy on its own loop in a thread (for sync tests that run the CLI, which runs its own loop)."""

    def __init__(self, to: str, **options: Any) -> None:
        self.done: list[Proxied] = []
        self.handle = ProxyServer.start_in_thread(ProxyConfig(to=to, port=0, **options))
        self.handle.server.subscribe(self.done.append)

    @property
    def base_url(self) -> str:
        return self.handle.base_url

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Proxied]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.done) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the proxy finished {len(self.done)} round trips in {timeout} s, not {count}")
            time.sleep(0.005)
        return self.done


@pytest.fixture
def proxy_thread_to():
    """`with proxy_thread_to(base_url, **config) as proxy`: a proxy in a thread, stopped after."""
    from contextlib import contextmanager

    @contextmanager
    def start(to: str, **options: Any):
        running = RunningThread(to, **options)
        try:
            yield running
        finally:
            running.handle.stop()

    return start
