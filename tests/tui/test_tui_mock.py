"""The Mock screen: state, fault switching (and what chat gets), restart with latency, stop, the request log."""

from __future__ import annotations

import json

from textual.widgets import DataTable, Input, Select, TextArea
from _tui_pilot import make_app, press, started, wait_for

from workbench.tui.screens.chat import ChatScreen
from workbench.tui.screens.mock import MockScreen
from workbench.tui.widgets.chat_message import ChatMessage
from workbench.tui.widgets.message_box import MessageBox


async def say(pilot, text: str) -> ChatMessage:
    app = pilot.app
    await press(pilot, "f1")
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), "chat")
    screen = app.screen
    count = len(app.exchanges)
    screen.query_one("#prompt", MessageBox).value = text
    await press(pilot, "enter")
    await wait_for(pilot, lambda: len(app.exchanges) == count + 1 and not screen.streaming, "the reply")
    return screen.query(ChatMessage).last()


async def open_mock(pilot) -> MockScreen:
    app = pilot.app
    await press(pilot, "f8")
    await wait_for(pilot, lambda: isinstance(app.screen, MockScreen), "the Mock screen")
    await pilot.pause(0.05)
    return app.screen


async def test_the_state_shows_where_it_listens_and_the_log_shows_every_request(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(130, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        await say(pilot, "before")
        screen = await open_mock(pilot)
        state = str(screen.query_one("#mock-state").render())
        assert app.mock.base_url in state and "open (no API key required)" in state
        table = screen.query_one("#log", DataTable)
        assert table.row_count == 1  # the request made before the screen was opened
        await say(pilot, "after")
        # The mock logs a request as its reply ends, on its own thread: the row follows the reply.
        await wait_for(pilot, lambda: table.row_count == 2, "the second row")
        row = [str(cell) for cell in table.get_row_at(1)]  # what the caller sent is a Text cell (verbatim)
        assert row[1] == "POST /v1/chat/completions" and row[3] == "200" and row[5] == "yes"
        table.move_cursor(row=1)
        await pilot.pause(0.05)
        record = screen.query_one("#record", TextArea).text
        assert '"content": "after"' in record and "Content-Type: application/json" in record


async def test_switching_the_fault_changes_what_chat_gets(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(130, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        screen = await open_mock(pilot)
        screen.query_one("#fault", Select).value = "rate-limit"
        await wait_for(pilot, lambda: app.mock.fault == "rate-limit", "the fault")
        reply = await say(pilot, "hello?")
        status = str(reply.query_one(".status").render())
        assert "429" in status and "Rate limited" in status and reply.has_class("-failed")
        screen = await open_mock(pilot)
        await wait_for(pilot, lambda: screen.query_one("#log", DataTable).row_count == 1, "the logged request")
        assert screen.query_one("#log", DataTable).get_row_at(0)[6] == "rate-limit"
        screen.query_one("#fault", Select).value = "none"
        await wait_for(pilot, lambda: app.mock.fault is None, "no fault")
        assert (await say(pilot, "now?")).text == "You said: now?"


async def test_restart_applies_latency_and_a_key_on_the_same_port(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(130, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        port = app.mock.port
        screen = await open_mock(pilot)
        screen.query_one("#tokens", Input).value = "500"
        screen.query_one("#mock-key", Input).value = "mock-secret-key-123"
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: app.mock.config.tokens_per_s == 500, "the restart")
        assert app.mock.port == port and app.mock.running
        assert "x-api-key: <key> or Authorization: Bearer <key>" in str(screen.query_one("#mock-state").render())
        assert "mock-secret-key-123" not in str(screen.query_one("#mock-state").render())
        reply = await say(pilot, "let me in")
        assert "401" in str(reply.query_one(".status").render())  # local-mock sends no key


async def test_stop_and_start(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(130, 40)) as pilot:
        await started(pilot)
        port = app.mock.port
        screen = await open_mock(pilot)
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: not app.mock.running, "the stop")
        await pilot.pause(0.05)
        assert "stopped" in str(screen.query_one("#mock-state").render())
        reply = await say(pilot, "anyone?")
        assert "Connection refused" in str(reply.query_one(".status").render())
        screen = await open_mock(pilot)
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: app.mock.running, "the start")
        assert app.mock.port == port
        assert (await say(pilot, "back")).text == "You said: back"
        await wait_for(pilot, lambda: app.mock.requests, "the mock's record")  # logged as its reply ends
        assert json.loads(app.mock.requests[-1].body)["messages"][-1]["content"] == "back"
