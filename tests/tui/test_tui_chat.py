"""The Chat screen against the embedded mock: streaming, stop, retry, edit, clear, copy, send as."""

from __future__ import annotations

import json
import socket

from textual.widgets import Input, TextArea
from _tui_pilot import make_app, notices, press, save_profile, started, wait_for

from workbench.mock import MockConfig
from workbench.secrets import SERVICE
from workbench.tui.screens.chat import ChatScreen
from workbench.tui.widgets.chat_message import ChatMessage
from workbench.tui.widgets.dialogs import TextDialog
from workbench.tui.widgets.message_box import MessageBox

LONG = " ".join(f"word{i}" for i in range(60))


async def open_chat(pilot) -> ChatScreen:
    app = await started(pilot)
    await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
    assert isinstance(app.screen, ChatScreen)
    return app.screen


async def say(pilot, screen: ChatScreen, text: str) -> ChatMessage:
    """Send `text` and wait for its reply to finish; return the reply."""
    bubbles = screen.query(ChatMessage)
    previous = bubbles.last() if bubbles else None
    screen.query_one("#prompt", MessageBox).value = text
    await press(pilot, "enter")

    def replied() -> bool:
        found = screen.query(ChatMessage)
        last = found.last() if found else None
        return last is not None and last is not previous and last.role == "assistant" and not last.streaming

    await wait_for(pilot, lambda: replied() and not screen.streaming, "the reply")
    return screen.query(ChatMessage).last()


def status(bubble: ChatMessage) -> str:
    return str(bubble.query_one(".status").render())


async def last_body(pilot) -> dict:
    """The body of the mock's latest request (it logs one as its reply ends, on its own thread)."""
    app = pilot.app
    await wait_for(pilot, lambda: len(app.mock.requests) == len(app.exchanges), "the mock's record")
    return json.loads(app.mock.requests[-1].body)


async def test_a_conversation_carries_its_history_and_system_prompt(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        screen.query_one("#system", TextArea).text = "Be brief."
        screen.query_one("#temperature", Input).value = "0.3"
        first = await say(pilot, screen, "one")
        assert first.text == "You said: one"
        second = await say(pilot, screen, "two")
        assert second.text == "You said: two"
        body = await last_body(pilot)
        assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
        assert body["messages"][0]["content"] == "Be brief."
        assert body["messages"][2]["content"] == "You said: one"
        assert body["temperature"] == 0.3 and body["stream"] is True
        assert "ttft" in status(second) and "tokens/s" in status(second)


async def test_esc_stops_a_streaming_reply_and_keeps_what_arrived(tmp_path, memory_keyring):
    app = make_app(tmp_path, mock_config=MockConfig(tokens_per_s=40))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        screen.query_one("#prompt", MessageBox).value = LONG
        await press(pilot, "enter")
        await wait_for(pilot, lambda: screen.query(ChatMessage).last().markdown.source, "the first words")
        await press(pilot, "escape")
        await wait_for(pilot, lambda: not screen.streaming, "the stop")
        reply = screen.query(ChatMessage).last()
        assert "stopped" in status(reply)
        assert reply.has_class("-stopped")
        assert reply.text and len(reply.text) < len("You said: " + LONG)
        assert app.exchanges[-1].cancelled
        assert screen.history[-1] == {"role": "assistant", "content": reply.text}


async def test_retry_edit_and_clear(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        await say(pilot, screen, "first")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: len(app.mock.requests) == 2 and not screen.streaming, "the retry")
        await pilot.pause(0.05)
        assert [b.role for b in screen.query(ChatMessage)] == ["user", "assistant"]
        assert len(screen.history) == 2

        await press(pilot, "ctrl+t")
        await pilot.pause(0.05)
        assert screen.query_one("#prompt", MessageBox).value == "first"
        assert not screen.query(ChatMessage) and screen.history == []
        screen.query_one("#prompt", MessageBox).value = "first, edited"
        await press(pilot, "enter")
        await wait_for(pilot, lambda: len(screen.history) == 2, "the resent message")
        assert (await last_body(pilot))["messages"][-1]["content"] == "first, edited"

        await press(pilot, "ctrl+l")
        await pilot.pause(0.05)
        assert not screen.query(ChatMessage) and screen.history == []


async def test_copy_puts_the_reply_on_the_clipboard(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        reply = await say(pilot, screen, "copy me")
        await press(pilot, "ctrl+y")
        assert app.clipboard == "You said: copy me"
        user = screen.query(ChatMessage).first()
        user.focus()
        await press(pilot, "c")
        assert app.clipboard == "copy me"
        assert reply.text == "You said: copy me"


async def test_send_as_a_platform_shapes_the_request_and_the_preview_shows_it(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        screen.set_platform("vapi")
        screen.query_one("#prompt", MessageBox).value = "hello vapi"
        await press(pilot, "ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the preview")
        preview = app.screen.text
        assert "POST " + app.mock.base_url + "/chat/completions" in preview
        assert '"call"' in preview and '"hello vapi"' in preview
        await press(pilot, "escape")
        await wait_for(pilot, lambda: app.screen is screen, "the chat again")
        assert app.mock.requests == []  # a preview sends nothing
        reply = await say(pilot, screen, "hello vapi")
        body = await last_body(pilot)
        assert "call" in body and "metadata" in body and body["temperature"] == 0
        assert status(reply).startswith("as vapi")


async def test_the_preview_and_inspect_render_the_request_the_same_way(tmp_path, memory_keyring):
    from workbench.tui.screens.inspect import InspectScreen

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        screen.query_one("#system", TextArea).text = "Be brief."
        screen.query_one("#prompt", MessageBox).value = "same request"
        await press(pilot, "ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the preview")
        preview = app.screen.text
        await press(pilot, "escape")
        await wait_for(pilot, lambda: app.screen is screen, "the chat again")
        await say(pilot, screen, "same request")
        await press(pilot, "f3")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen), "Inspect")
        shown = app.screen.query_one("#request", TextArea)
        await wait_for(pilot, lambda: shown.text, "the request in Inspect")
        assert shown.text == preview  # one rendering: request line, headers, the body as indented JSON
        assert '\n  "messages": [' in preview


async def test_the_preview_masks_the_key(tmp_path, memory_keyring):
    secret = "sk-live-abcdefghijklmnop9f3a"
    save_profile(tmp_path, "keyed", "http://127.0.0.1:9/v1", auth="bearer")
    memory_keyring.entries[(SERVICE, "keyed")] = secret
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        await press(pilot, "ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the preview")
        assert secret not in app.screen.text
        assert "Bearer sk-…9f3a" in app.screen.text
        assert screen is not None


async def test_fault_switching_on_the_mock_changes_what_chat_gets(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        assert (await say(pilot, screen, "fine")).text == "You said: fine"
        app.mock.set_fault("server-error")
        failed = await say(pilot, screen, "broken")
        assert failed.has_class("-failed")
        assert "500" in status(failed) and "Fix:" in status(failed)
        assert screen.history[-1]["role"] == "user"  # no reply to carry; retry resends it
        app.mock.set_fault(None)
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.history[-1]["role"] == "assistant", "the retried reply")
        assert screen.history[-1]["content"] == "You said: broken"


async def test_an_endpoint_that_is_down_gets_a_sentence_and_a_fix(tmp_path, memory_keyring):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    save_profile(tmp_path, "down", f"http://127.0.0.1:{port}/v1")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        reply = await say(pilot, screen, "anyone?")
        assert "Connection refused" in status(reply) and "Fix:" in status(reply)
        assert reply.has_class("-failed")


async def test_a_missing_key_or_keyring_is_explained_before_anything_is_sent(tmp_path, no_keyring):
    save_profile(tmp_path, "cloud", "http://127.0.0.1:9/v1", auth="bearer")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        reply = await say(pilot, screen, "hi")
        shown = status(reply)
        assert "No OS keyring is available" in shown and "Fix:" in shown and "api_key_env" in shown
        assert not screen.streaming


async def test_a_bad_parameter_blocks_sending_with_the_reason(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        screen.query_one("#extra", TextArea).text = '{"seed": 7, "api_key": "x"}'
        await pilot.pause(0.05)
        screen.query_one("#prompt", MessageBox).value = "hi"
        await press(pilot, "enter")
        await pilot.pause(0.05)
        assert any("never holds a secret" in n for n in notices(app, "error"))
        assert app.mock.requests == [] and not screen.query(ChatMessage)


async def test_a_long_conversation_keeps_only_the_latest_mounted(tmp_path, memory_keyring, monkeypatch):
    from workbench.tui.screens import chat

    monkeypatch.setattr(chat, "MOUNTED_MESSAGES", 4)
    monkeypatch.setattr(chat, "EARLIER_PAGE", 2)
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        first = await say(pilot, screen, "**one**")
        second = await say(pilot, screen, "two")
        assert first.text == "You said: **one**" and second.text == "You said: two"
        drawn = first.markdown.render_line(0)
        assert drawn.text.rstrip() == "You said: one"  # drawn as Markdown: the asterisks make it bold
        assert [segment.style.bold for segment in drawn if segment.text.strip() == "one"] == [True]
        await say(pilot, screen, "three")
        await say(pilot, screen, "four")
        bubbles = list(screen.query(ChatMessage))
        assert len(bubbles) == 4 and [b.text for b in bubbles][:1] == ["three"]
        assert [k.text for k in screen.archive] == ["**one**", "You said: **one**", "two", "You said: two"]
        assert len(screen.history) == 8  # the whole conversation is still sent
        button = screen.query_one("#earlier")
        assert button.display and "4 earlier messages" in str(button.label)
        await pilot.click("#earlier")
        await pilot.pause(0.05)
        texts = [b.text for b in screen.query(ChatMessage)]
        assert texts[:2] == ["two", "You said: two"] and len(texts) == 6
        assert "2 earlier messages" in str(button.label)
        await press(pilot, "ctrl+l")
        await pilot.pause(0.05)
        assert not screen.archive and not button.display


async def test_page_keys_scroll_the_conversation_while_the_message_box_keeps_the_focus(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 24)) as pilot:
        screen = await open_chat(pilot)
        for number in range(4):
            await say(pilot, screen, f"{number} {LONG}")
        view = screen.query_one("#messages")
        prompt = screen.query_one("#prompt", MessageBox)
        await wait_for(pilot, lambda: view.scroll_y == view.max_scroll_y > 0, "the conversation at its end")
        bottom = view.scroll_y
        await press(pilot, "pageup")
        await wait_for(pilot, lambda: view.scroll_y < bottom, "a page up")
        assert app.focused is prompt and not view.can_focus
        await press(pilot, "ctrl+home")
        await wait_for(pilot, lambda: view.scroll_y == 0, "the top")
        await press(pilot, "pagedown")
        await wait_for(pilot, lambda: view.scroll_y > 0, "a page down")
        await press(pilot, "ctrl+end")
        await wait_for(pilot, lambda: view.scroll_y == bottom, "the end")
        assert app.focused is prompt


async def test_the_stream_box_is_honoured_when_sending_as_a_platform(tmp_path, memory_keyring):
    """PolyAI lets its users choose streaming: the box decides. Play.ai always streams: it streams unticked too."""
    from textual.widgets import Checkbox

    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_chat(pilot)
        box = screen.query_one("#stream", Checkbox)
        sent = []
        for platform, ticked in (("polyai", False), ("polyai", True), ("playai", False)):
            screen.set_platform(platform)
            box.value = ticked
            await pilot.pause()
            reply = await say(pilot, screen, f"as {platform}, ticked {ticked}")
            assert status(reply).startswith(f"as {platform}")
            sent.append((await last_body(pilot))["stream"])
        assert sent == [False, True, True]
