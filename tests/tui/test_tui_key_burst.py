"""Issue 13 row 14: no burst of keys crashes or freezes the chat, and an unexpected error is never silent.

A 1 MB message that fails fast (413), then Enter, ctrl+r, Esc, ctrl+t, Esc in several orders,
repeated, with no pause between keys: bubbles are removed (retry, edit) while their replies
are still being finished. The app must stay up and answer a key afterwards.
"""

from __future__ import annotations

import itertools

import pytest
from _tui_pilot import make_app, press, save_profile, started, wait_for
from textual.widgets import Static

from workbench.tui.screens.chat import ChatScreen
from workbench.tui.widgets.chat_message import MESSAGE_SHOWN_CHARS
from workbench.tui.widgets.message_box import MessageBox

BIG = "x" * (1 << 20)
BURSTS = [
    ("enter", "ctrl+r", "escape", "ctrl+t", "escape"),
    ("ctrl+r", "ctrl+r", "enter", "ctrl+t", "escape", "enter"),
    ("ctrl+t", "enter", "ctrl+r", "escape", "ctrl+t", "ctrl+r"),
    ("escape", "enter", "enter", "ctrl+t", "ctrl+r", "escape"),
]


@pytest.fixture
async def too_large(chat_endpoint):
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": "request too large", "type": "invalid_request_error"}},
                                 status=413)

    async with chat_endpoint(handler) as base_url:
        yield base_url


async def test_a_burst_of_keys_after_a_big_message_that_fails_fast_neither_crashes_nor_freezes(tmp_path, too_large,
                                                                                               no_proxy):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        save_profile(tmp_path, "small", too_large, model="m")
        app.reload_profiles(select="small")
        await wait_for(pilot, lambda: app.active_profile is not None and app.active_profile.name == "small", "profile")
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        for round_, burst in zip(range(8), itertools.cycle(BURSTS)):
            chat.query_one("#prompt", MessageBox).value = BIG if round_ == 0 else f"again {round_}"
            await press(pilot, *burst)
            await pilot.pause(0.05)
            await wait_for(pilot, lambda: not chat.streaming, f"the replies to end: round {round_} froze the UI")
            for bubble in chat._bubbles:  # a bubble lays out a bounded text, however long the message
                if bubble.role == "user":
                    assert len(str(bubble.query_one(".text", Static).content)) <= MESSAGE_SHOWN_CHARS + 100
        await press(pilot, "ctrl+l")
        await wait_for(pilot, lambda: not chat._bubbles, "the chat to clear: the app still answers keys")
    assert app.return_code in (None, 0)


async def test_an_unexpected_error_ends_the_app_with_a_sentence_and_status_1(tmp_path, no_proxy, monkeypatch):
    """Never silently, never exit status 0, and never Textual's traceback with its locals (a key could be one)."""
    from workbench.redact import remember

    monkeypatch.delenv("WORKBENCH_DEBUG", raising=False)
    remember("sk-canary-crash-0123456789")  # as if read from the keyring
    app = make_app(tmp_path)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(100, 30)) as pilot:
            await started(pilot)

            def boom() -> None:
                raise RuntimeError("sk-canary-crash-0123456789 went wrong")

            app.call_later(boom)
            await pilot.pause(0.2)
    assert app.return_code == 1
    assert "unexpected error: RuntimeError" in app.crash_message and "WORKBENCH_DEBUG=1" in app.crash_message
    assert "sk-canary-crash-0123456789" not in app.crash_message  # a key the process read is masked there
    assert "sk-…6789 went wrong" in app.crash_message


async def test_a_bubble_removed_before_its_reply_is_finished_is_left_alone(tmp_path, no_proxy):
    """The crash of issue 13: ChatMessage.finish on a removed bubble raised NoMatches('.role')."""
    from workbench.tui.widgets.chat_message import ChatMessage

    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        chat = app.screen
        bubble = ChatMessage("assistant", streaming=True)
        await chat.query_one("#messages").mount(bubble)
        bubble.start_stream()
        await bubble.remove()
        bubble.finish("late", "✗ failed", failed=True)  # as a late reply handler would
        bubble.set_status("later still")
        await pilot.pause(0.1)
        assert bubble.text == "late" and not bubble.streaming
