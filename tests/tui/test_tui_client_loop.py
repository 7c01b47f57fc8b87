"""Nothing the TUI times runs on its own event loop: the embedded mock and every outbound call are elsewhere.

A time to first token or a chunk gap is stamped as bytes are read; on the UI's loop every
layout and paint would delay the stamp. These tests prove the structure (which loop, which
thread), never a speed: benchmarks/bench_tui_first_token.py measures the figures.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Input, SelectionList
from _tui_pilot import make_app, press, started, wait_for

from workbench.client import Client
from workbench.tui.client_loop import ClientLoop
from workbench.tui.screens.chat import ChatScreen
from workbench.tui.widgets.chat_message import ChatMessage
from workbench.tui.widgets.message_box import MessageBox

AGENTS = Path(__file__).resolve().parents[2] / "profiles" / "agents"


# ---- ClientLoop on its own ---------------------------------------------------------------------


async def test_run_awaits_a_coroutine_that_runs_on_the_client_loops_thread() -> None:
    client_loop = ClientLoop()
    try:
        async def where() -> tuple[asyncio.AbstractEventLoop, str]:
            return asyncio.get_running_loop(), threading.current_thread().name

        loop, thread = await client_loop.run(where())
        assert loop is client_loop.loop and loop is not asyncio.get_running_loop()
        assert thread == "workbench-client"

        async def broken() -> None:
            raise ValueError("from the client loop")

        with pytest.raises(ValueError, match="from the client loop"):
            await client_loop.run(broken())
    finally:
        await asyncio.to_thread(client_loop.close)
    assert client_loop.thread is not None and not client_loop.thread.is_alive()


async def test_cancelling_the_waiter_cancels_the_coroutine_there_and_close_ends_what_is_left() -> None:
    client_loop = ClientLoop()
    started_waiting = threading.Event()
    cancelled = threading.Event()

    async def wait_forever() -> None:
        started_waiting.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    waiter = asyncio.ensure_future(client_loop.run(wait_forever()))
    await asyncio.to_thread(started_waiting.wait, 30)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert await asyncio.to_thread(cancelled.wait, 30)

    running = threading.Event()
    left = threading.Event()

    async def left_running() -> None:
        running.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            left.set()
            raise

    future = client_loop.submit(left_running())
    await asyncio.to_thread(running.wait, 30)
    not_started = client_loop.submit(asyncio.sleep(3600))  # submitted as the loop is told to stop
    await asyncio.to_thread(client_loop.close)
    assert left.is_set() and future.cancelled() and not_started.cancelled()
    with pytest.raises(RuntimeError, match="closed"):
        client_loop.submit(left_running())


# ---- the app ----------------------------------------------------------------------------------


async def test_the_embedded_mock_serves_on_its_own_loop_in_another_thread(tmp_path, memory_keyring) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        answered_on: list[tuple[asyncio.AbstractEventLoop, threading.Thread]] = []
        app.mock.subscribe(lambda record: answered_on.append((asyncio.get_running_loop(), threading.current_thread())))
        screen = app.screen
        screen.query_one("#prompt", MessageBox).value = "where are you?"
        await press(pilot, "enter")
        await wait_for(pilot, lambda: answered_on and not screen.streaming, "the reply")
        loop, thread = answered_on[0]
        assert loop is not asyncio.get_running_loop()  # the app's loop (Pilot runs it on the test's)
        assert loop is not app.client_loop.loop
        assert thread is not threading.main_thread() and thread.name == "workbench-mock"


async def test_every_timed_call_is_sent_from_the_client_loop(tmp_path, memory_keyring, monkeypatch) -> None:
    """Chat, simulate, bench and check: each request is built and read on the client loop."""
    sent_from: list[tuple[str, asyncio.AbstractEventLoop]] = []
    request = Client.request

    def spy(self: Client, method: str, url: str, **options: object):
        sent_from.append((str(options.get("label", "")), asyncio.get_running_loop()))
        return request(self, method, url, **options)

    monkeypatch.setattr(Client, "request", spy)
    normal_switching = sys.getswitchinterval()
    app = make_app(tmp_path)
    async with app.run_test(size=(130, 50)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        chat = app.screen
        chat.query_one("#prompt", MessageBox).value = "hello"
        await press(pilot, "enter")
        await wait_for(pilot, lambda: len(app.exchanges) == 1 and not chat.streaming, "the reply")

        await press(pilot, "f5")
        await wait_for(pilot, lambda: app.screen is not chat and hasattr(app.screen, "load_agent"), "Simulate")
        simulate = app.screen
        simulate.load_agent(str(AGENTS / "playai-smoke.toml"))
        await wait_for(pilot, lambda: simulate.agent is not None, "the agent")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: simulate.report is not None and not simulate.playing, "the call")

        await press(pilot, "f7")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "BenchScreen", "Bench")
        bench = app.screen
        bench.query_one("#requests", Input).value = "3"
        bench.query_one("#concurrency", Input).value = "1"
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: bench.result is not None and not bench.running, "the bench")

        await press(pilot, "f4")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CheckScreen", "Check")
        check = app.screen
        await wait_for(pilot, lambda: list(check.query_one("#platforms", SelectionList).selected), "a platform")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: not check.running and check.reports, "the check")

        labels = {label.split(":")[0].split(" #")[0] for label, _ in sent_from}
        assert {"chat", "simulate", "bench", "check"} <= labels, labels
        assert all(loop is app.client_loop.loop for _, loop in sent_from)
        assert app.client_loop.loop is not asyncio.get_running_loop()
        # the fine interval ended with each first token (switching.py)
        assert sys.getswitchinterval() == normal_switching


async def test_esc_before_the_request_goes_out_stops_the_reply_and_sends_nothing(
        tmp_path, memory_keyring, monkeypatch) -> None:
    from workbench.profiles import resolve as targets

    release = threading.Event()
    target_for = targets.target_for

    async def slow_keyring(profile):  # a keyring that takes its time (a prompt to unlock it, say)
        await asyncio.to_thread(release.wait, 30)
        return await target_for(profile)

    monkeypatch.setattr(targets, "target_for", slow_keyring)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        screen.query_one("#prompt", MessageBox).value = "never mind"
        await press(pilot, "enter")
        await wait_for(pilot, lambda: screen.streaming, "the reply to start")
        await press(pilot, "escape")
        await wait_for(pilot, lambda: not screen.streaming, "the stop")
        release.set()
        await pilot.pause(0.1)
        reply = screen.query(ChatMessage).last()
        assert "stopped before a request went out" in str(reply.query_one(".status").render())
        assert app.mock.requests == [] and app.exchanges == []


async def test_quitting_stops_the_mock_and_the_client_loop_and_the_next_run_gets_the_same_port(
        tmp_path, memory_keyring) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.profile_name == "local-mock", "the local-mock profile")
        screen = app.screen
        screen.query_one("#prompt", MessageBox).value = "hi"
        await press(pilot, "enter")
        await wait_for(pilot, lambda: app.exchanges and not screen.streaming, "the reply")
        port = app.mock.port
        server = app.mock
    assert not server.running
    assert app.client_loop.thread is not None and not app.client_loop.thread.is_alive()
    with socket.socket() as probe:  # the port is free again
        probe.bind(("127.0.0.1", port))

    again = make_app(tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert again.mock.port == port
