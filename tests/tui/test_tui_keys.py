"""One key source for every screen, and a key for this session only where no keyring works
(issue 17, items 4 and 5): Test connection and chat use the same key; on a headless box the
typed key can be held in memory (never written, labelled, gone on exit); a profile's
api_key_env variable set since start-up is picked up without a restart."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from textual.widgets import Button, Input
from _tui_pilot import make_app, notices, press, save_profile, started, wait_for

from workbench import secrets
from workbench.mock import MockConfig
from workbench.tui.screens.chat import ChatScreen
from workbench.tui.screens.profiles import ProfilesScreen
from workbench.tui.widgets.chat_message import ChatMessage
from workbench.tui.widgets.message_box import MessageBox
from workbench.tui.widgets.profile_list import ProfileList

KEY = "sk-session-only-0123456789abcd"


def sidebar(screen) -> str:
    return "\n".join(str(option.prompt) for option in screen.query_one(ProfileList)._options)


def result_text(screen: ProfilesScreen) -> str:
    return str(screen.query_one("#test-result").render())


async def guarded_profile(pilot, tmp_path: Path, name: str, **fields) -> None:
    """A bearer profile for the embedded mock, which requires KEY."""
    app = pilot.app
    await started(pilot)
    save_profile(tmp_path, name, app.mock.base_url, auth="bearer", **fields)
    app.reload_profiles(select=name)
    await wait_for(pilot, lambda: name in app.key_statuses, "the key statuses")


async def chat(pilot, text: str) -> ChatMessage:
    app = pilot.app
    await press(pilot, "f1")
    await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), "the Chat screen")
    screen = app.screen
    count = len(app.exchanges)
    failed_before = len(screen.query(ChatMessage))
    screen.query_one("#prompt", MessageBox).value = text
    await press(pilot, "enter")
    await wait_for(pilot, lambda: len(screen.query(ChatMessage)) >= failed_before + 2 and not screen.streaming,
                   "the reply")
    assert len(app.exchanges) in (count, count + 1)
    return screen.query(ChatMessage).last()


def files_holding(folder: Path, text: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


async def test_no_keyring_a_session_key_serves_test_connection_and_chat_and_is_gone_on_exit(tmp_path, no_keyring):
    app = make_app(tmp_path, first_screen="profiles", mock_config=MockConfig(api_key=KEY))
    async with app.run_test(size=(120, 50)) as pilot:
        await guarded_profile(pilot, tmp_path, "guarded")
        screen = app.screen
        assert isinstance(screen, ProfilesScreen)
        screen._show("guarded")
        await pilot.pause(0.05)
        button = screen.query_one("#session-key", Button)
        assert button.display  # offered next to the fixes: no keyring works
        key_source = str(screen.query_one("#key-source").render())
        assert "gnome-keyring" in key_source and "api_key_env" in key_source and "this session only" in key_source

        screen.query_one("#api_key", Input).value = KEY
        await press(pilot, "ctrl+t")  # a key only in the form: chat could not use it, so neither does the test
        await wait_for(pilot, lambda: "✗" in result_text(screen), "the test's refusal")
        assert "not stored yet" in result_text(screen) and not app.exchanges

        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: any("not stored" in n for n in notices(app, "error")), "the keyring error")
        assert any("this session only" in n for n in notices(app, "error"))
        await pilot.click("#session-key")
        await wait_for(pilot, lambda: app.key_statuses["guarded"].source == "session", "the session key")
        assert screen.query_one("#api_key", Input).value == ""
        await wait_for(pilot, lambda: "key: this session only" in sidebar(screen), "the sidebar's label")
        assert "this session only" in str(screen.query_one("#key-source").render())
        assert KEY not in str(screen.query_one("#key-source").render())  # masked

        await press(pilot, "ctrl+t")
        await wait_for(pilot, lambda: result_text(screen).startswith(("✓", "✗")), "the test result")
        assert result_text(screen).startswith("✓ Connected"), result_text(screen)

        reply = await chat(pilot, "hello with the session key")
        assert reply.text == "You said: hello with the session key"
        assert "key: this session only" in sidebar(app.screen)
        assert files_holding(tmp_path, KEY) == []  # never written: profiles, data, saved verdicts
    assert secrets.SESSION_KEYS.get("guarded") is None  # gone on exit


async def test_the_test_and_chat_fail_alike_without_a_key(tmp_path, no_keyring):
    app = make_app(tmp_path, first_screen="profiles", mock_config=MockConfig(api_key=KEY))
    async with app.run_test(size=(120, 50)) as pilot:
        await guarded_profile(pilot, tmp_path, "nokey")
        screen = app.screen
        screen._show("nokey")
        await pilot.pause(0.05)
        await press(pilot, "ctrl+t")
        await wait_for(pilot, lambda: "✗" in result_text(screen), "the test result")
        assert "No OS keyring is available" in result_text(screen)
        assert "this session only" in result_text(screen)
        reply = await chat(pilot, "hi")
        status = str(reply.query_one(".status").render())
        assert "No OS keyring is available" in status and "this session only" in status
        assert not app.exchanges  # neither sent a request with a key chat would not have


async def test_an_api_key_env_variable_set_later_is_used_without_a_restart(tmp_path, no_keyring, monkeypatch):
    variable = f"WB_LATER_{uuid.uuid4().hex[:8].upper()}"
    monkeypatch.delenv(variable, raising=False)
    app = make_app(tmp_path, mock_config=MockConfig(api_key=KEY))
    async with app.run_test(size=(120, 50)) as pilot:
        await guarded_profile(pilot, tmp_path, "envy", api_key_env=variable)
        first = await chat(pilot, "before")
        assert f"environment variable {variable} is not set" in str(first.query_one(".status").render())
        assert "key: missing" in sidebar(app.screen)

        monkeypatch.setenv(variable, KEY)  # set in this process since start-up (as a test, a plugin or a debugger can)
        await wait_for(pilot, lambda: f"key: ${variable}" in sidebar(app.screen), "the sidebar to see it")
        second = await chat(pilot, "after")
        assert second.text == "You said: after"
        assert os.environ[variable] == KEY


@pytest.mark.keyring
@pytest.mark.skipif(os.environ.get("WORKBENCH_REAL_KEYRING") != "1",
                    reason="needs a real Secret Service: run scripts/test (dbus-run-session + unlocked gnome-keyring)")
async def test_with_the_real_keyring_test_connection_and_chat_use_the_stored_key(tmp_path):
    import keyring
    import keyring.core

    previous = keyring.core._keyring_backend
    keyring.core._keyring_backend = None  # detect afresh: the Secret Service of scripts/test
    name = f"wb-real-{uuid.uuid4().hex[:10]}"
    try:
        app = make_app(tmp_path, first_screen="profiles", mock_config=MockConfig(api_key=KEY))
        async with app.run_test(size=(120, 50)) as pilot:
            await guarded_profile(pilot, tmp_path, name)
            screen = app.screen
            screen._show(name)
            await pilot.pause(0.05)
            assert not screen.query_one("#session-key", Button).display  # a keyring works: nothing to offer
            screen.query_one("#api_key", Input).value = KEY
            await press(pilot, "ctrl+s")
            await wait_for(pilot, lambda: app.key_statuses[name].source == "keyring", "the key in the keyring")
            await press(pilot, "ctrl+t")
            await wait_for(pilot, lambda: result_text(screen).startswith(("✓", "✗")), "the test result")
            assert result_text(screen).startswith("✓ Connected"), result_text(screen)
            reply = await chat(pilot, "from the keyring")
            assert reply.text == "You said: from the keyring"
        assert keyring.get_keyring().get_password(secrets.SERVICE, name) == KEY
    finally:
        try:
            keyring.get_keyring().delete_password(secrets.SERVICE, name)
        except Exception:
            pass
        keyring.core._keyring_backend = previous
