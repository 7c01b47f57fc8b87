"""A first run as a newcomer has it: typing from the first paint, multi-line messages, notices
that stay off the work (issue 17, items 1, 2 and 8)."""

from __future__ import annotations

import threading

from textual import events
from _tui_pilot import (
    make_app,
    notices,
    press,
    save_profile,
    started,
    type_fast,
    wait_for,
)

from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.chat import ChatScreen
from workbench.tui.widgets.chat_message import ChatMessage
from workbench.tui.widgets.message_box import MessageBox

PLAN = "\n".join(["# Release plan", ""] + [f"- step {n}: ship part {n} of the [release](https://example.com)"
                                           for n in range(1, 39)])


class SlowMock:
    """Holds the embedded mock's start until released, as a busy machine does for 2-4 s."""

    def __init__(self, monkeypatch) -> None:
        self.release = threading.Event()
        original = WorkbenchApp._start_mock_thread

        def held(app, config, port):
            assert self.release.wait(30), "the test never released the mock"
            return original(app, config, port)

        monkeypatch.setattr(WorkbenchApp, "_start_mock_thread", held)


def bubbles(screen: ChatScreen) -> list[ChatMessage]:
    return list(screen.query(ChatMessage))


def status(bubble: ChatMessage) -> str:
    return str(bubble.query_one(".status").render())


async def test_a_message_typed_at_the_first_paint_waits_for_the_mock_then_goes(tmp_path, memory_keyring, monkeypatch):
    slow = SlowMock(monkeypatch)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.startup_ms is not None, "the first paint")
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        assert "Starting the embedded mock" in str(screen.query_one("#empty").render())
        await type_fast(pilot, *"hello there", "enter")  # typed at once, before any profile exists
        await wait_for(pilot, lambda: len(bubbles(screen)) == 2, "the message and its waiting reply")
        mine, reply = bubbles(screen)
        assert mine.text == "hello there" and screen.query_one("#prompt", MessageBox).value == ""
        assert "waiting for the embedded mock to start" in status(reply)
        assert app.profile_name is None and not notices(app, "error")

        slow.release.set()
        await wait_for(pilot, lambda: reply.text == "You said: hello there" and not screen.streaming, "the reply")
        assert "200 OK" in status(reply) and "waiting" not in status(reply)
        assert app.profile_name == "local-mock" and len(app.exchanges) == 1 and app.exchanges[0].is_sse
        welcome = str(screen.query_one("#empty").render()) if screen.query("#empty") else ""
        assert welcome == ""  # the conversation took the welcome's place
        assert not notices(app, "error")


async def test_a_message_to_local_mock_waits_until_the_mock_listens(tmp_path, memory_keyring, monkeypatch):
    save_profile(tmp_path, "local-mock", "http://127.0.0.1:9/v1")  # the port it names is taken: moved
    slow = SlowMock(monkeypatch)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.startup_ms is not None, "the first paint")
        screen = app.screen
        assert app.profile_name == "local-mock"  # there at once; its mock is not
        await type_fast(pilot, *"early", "enter")
        await wait_for(pilot, lambda: len(bubbles(screen)) == 2, "the waiting reply")
        assert "waiting for the embedded mock" in status(bubbles(screen)[1])
        await press(pilot, "escape")
        await wait_for(pilot, lambda: not screen.streaming, "the wait to stop")
        assert "stopped before a request went out" in status(bubbles(screen)[1])
        slow.release.set()
        await started(pilot)
        assert not app.exchanges  # nothing went out


async def test_a_multi_line_paste_keeps_every_line_and_ctrl_j_adds_one(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app_ = await started(pilot)
        await wait_for(pilot, lambda: app_.active_profile is not None, "a profile")
        screen = app.screen
        box = screen.query_one("#prompt", MessageBox)
        app.post_message(events.Paste(PLAN))
        await wait_for(pilot, lambda: box.value == PLAN, "the whole paste in the box")
        await press(pilot, "enter")
        await wait_for(pilot, lambda: len(app.exchanges) == 1 and not screen.streaming, "the reply")
        mine, reply = bubbles(screen)
        assert mine.text == PLAN and len(mine.text.splitlines()) == 40
        assert reply.text == f"You said: {PLAN}"
        sent = app.exchanges[0].request.body.decode()
        assert "step 38" in sent and "# Release plan" in sent

        await press(pilot, *"one", "ctrl+j", *"two", "shift+enter", *"three")
        await wait_for(pilot, lambda: box.value == "one\ntwo\nthree", "three lines in the box")
        assert box.outer_size.height == 5  # it grew to show them (3 lines and its border)
        await press(pilot, "enter")
        await wait_for(pilot, lambda: len(app.exchanges) == 2 and not screen.streaming, "the second reply")
        assert bubbles(screen)[-1].text == "You said: one\ntwo\nthree"
        assert box.value == "" and box.outer_size.height == 3


async def test_the_welcome_is_in_the_conversation_and_a_screen_s_error_stays_on_it(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.welcome is not None, "the welcome")
        assert "Welcome to BYOM Workbench" in str(app.screen.query_one("#empty").render())
        assert not app._notifications  # nothing over the message box or the parameters

        await press(pilot, "f5")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SimulateScreen", "Simulate")
        app.screen.load_agent(str(tmp_path / "missing.toml"))
        await wait_for(pilot, lambda: len(app._notifications) == 1, "the Simulate error")
        await press(pilot, "f6")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ExportScreen", "Export")
        await pilot.pause(0.1)
        assert not app._notifications  # the Simulate error stayed behind
        assert any("missing.toml" in n for n in notices(app, "error"))  # (it was said, on Simulate)
