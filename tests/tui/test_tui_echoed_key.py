"""Issue 13 row 1 in the TUI: a reply that echoes the request headers shows the key masked as it streams."""

from __future__ import annotations

from _echo_endpoint import EchoEndpoint, runs_of
from _tui_pilot import make_app, press, save_profile, started, wait_for

from workbench.secrets import set_secret
from workbench.tui.screens.chat import ChatScreen
from workbench.tui.widgets.markdown_view import MarkdownView

KEY = "sk-canary-tui-7f3b91c2d08a4e65"


async def test_a_streamed_reply_echoing_the_key_shows_it_masked_as_it_streams(private_home, memory_keyring,
                                                                               no_proxy, monkeypatch):
    appended: list[str] = []  # every piece of text the reply bubble was given while it streamed
    original = MarkdownView.append

    def recording(view: MarkdownView, fragment: str) -> None:
        appended.append(fragment)
        original(view, fragment)

    monkeypatch.setattr(MarkdownView, "append", recording)
    with EchoEndpoint(piece=3) as echo:
        app = make_app(private_home)
        async with app.run_test(size=(140, 45)) as pilot:
            await started(pilot)
            save_profile(private_home, "echo", echo.base_url, model="m", auth="bearer")
            set_secret("echo", KEY)
            app.reload_profiles(select="echo")
            await wait_for(pilot, lambda: app.active_profile is not None and app.active_profile.name == "echo",
                           "the echo profile")
            chat = app.screen
            assert isinstance(chat, ChatScreen)
            await press(pilot, *"hi", "enter")
            await wait_for(pilot, lambda: len(app.exchanges) == 1 and not chat.streaming, "the reply")
            await pilot.pause(0.1)
            screen = app.export_screenshot()
            bubble_text = chat._bubbles[-1].text
    assert echo.requests[-1]["Authorization"] == f"Bearer {KEY}"  # sent, and echoed back in pieces
    streamed = "".join(appended)
    assert "Authorization=Bearer sk-…4e65;" in streamed
    for where, text in {"streamed": streamed, "bubble": bubble_text, "screen": screen}.items():
        assert runs_of(KEY, text.replace("sk-…4e65", "")) == [], where
