"""Shared pytest fixtures. Several parts of the suite add theirs here: keep additions small."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# ---- keyring backends and running the real `main()` (profiles and credentials) ----------------


@pytest.fixture
def memory_keyring() -> Iterator["MemoryKeyring"]:  # noqa: F821
    """Install an in-memory keyring backend for one test; the previous one comes back after."""
    import keyring
    import keyring.core
    from _memory_keyring import MemoryKeyring

    previous = keyring.core._keyring_backend
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.core._keyring_backend = previous


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """keyring's fail backend, as on a headless box without a Secret Service."""
    import keyring
    import keyring.core
    from keyring.backends import fail

    previous = keyring.core._keyring_backend
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.core._keyring_backend = previous


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_workbench(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliRun]:
    """Run `workbench ARGS` through the real `main()` (its error wording and exit codes), in-process.

    In-process so fixtures such as `memory_keyring` apply; `input` feeds stdin and hidden prompts.
    """
    from click.testing import CliRunner

    from workbench.cli import main

    def run(*args: str, input: str | None = None, env: dict[str, str | None] | None = None) -> CliRun:
        runner = CliRunner()
        with runner.isolation(input=input, env=env) as (out, err, _):
            monkeypatch.setattr(sys, "argv", ["workbench", *args])
            try:
                main()
                code = 0
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            return CliRun(code, out.getvalue().decode(), err.getvalue().decode())

    return run


# ---- the fake LLM (`workbench mock`) -------------------------------------------------------


@pytest.fixture
async def mock_server():
    """A default mock (echo, open, no fault) on a free loopback port, for async tests."""
    from workbench.mock import MockConfig, MockServer

    async with MockServer(MockConfig()) as server:
        yield server


@pytest.fixture
def mock_thread():
    """The same mock on its own loop in a thread, for sync code such as the sync openai client."""
    from workbench.mock import MockConfig, MockServer

    with MockServer.start_in_thread(MockConfig()) as handle:
        yield handle


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the environment: loopback tests talk to the mock directly."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def loopback_http():
    """An httpx client for the mock on loopback (verify=False: plain HTTP, and no CA bundle to load per test)."""
    import httpx

    async with httpx.AsyncClient(timeout=10, verify=False) as client:
        yield client


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every platformdirs folder (config, data, cache, state) under one temporary home (the leak sessions)."""
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data-xdg"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.delenv("WORKBENCH_PROFILES", raising=False)
    return tmp_path


@pytest.fixture
def chat_endpoint() -> Callable[[Any], AbstractAsyncContextManager[str]]:
    """A throwaway endpoint on loopback whose POST /v1/chat/completions is `handler` (an aiohttp
    handler), for behaviour the mock has no switch for: `async with chat_endpoint(handler) as base_url`."""

    @asynccontextmanager
    async def serve(handler: Any) -> AsyncIterator[str]:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/v1/chat/completions", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            await runner.cleanup()

    return serve
