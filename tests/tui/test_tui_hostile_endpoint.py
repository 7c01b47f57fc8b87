"""The TUI's side of the hostile-endpoint suite: chat against every nasty server of tests/_hostile_server.py.

Each reply must end by the profile's timeouts (or the chat's whole-reply limit, made short
here), with a sentence in the chat saying what happened and what to do; the app must still
take a key press afterwards; no traceback anywhere; and nothing the endpoint sent may reach
the terminal as a control sequence (the painted screen is checked, not just the widget's
text). Waits have a generous limit (tui_pilot.PATIENCE_S): a hang fails, speed is not tested.
"""

from __future__ import annotations

import json
import re

import pytest
from _hostile_server import (
    BEHAVIOURS,
    ROLE_EVENT,
    SSE_HEAD,
    HostileServer,
    ServerThread,
    chunk_event,
    read_request,
    send,
)
from _tui_pilot import make_app, notices, press, save_profile, wait_for

from workbench import wire
from workbench.client import DEFAULT_TOTAL_TIMEOUT_S
from workbench.target import Timeouts
from workbench.tui.screens import chat
from workbench.tui.screens.chat import ChatScreen
from workbench.tui.widgets.chat_message import ChatMessage
from workbench.tui.widgets.message_box import MessageBox

QUICK = Timeouts(connect=2.0, read=1.0, first_token=0.6)
TIME_LIMIT_S = 1.6  # the chat's whole-reply limit here (300 s by default, as `workbench chat`)
# Each behaviour meets only the deadline it is about. A short deadline that is not what a behaviour
# tests raced its real ending under load: gzip-bomb, huge-line or chunk-overrun read for more than
# 0.6 s and ended as first-token-timeout; endless-stream could hit the 1.6 s limit before the cap.
USERS = Timeouts(connect=2.0)  # a user's defaults: read 30 s, first token 20 s
DRIP_S = 0.25  # byte-a-second's pause: inside the read timeout, so only a deadline ends it
# C0 controls but tab and newline, DEL and C1: none may be painted.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
NASTY = "clear\x1b[2J red\x1b[31m title\x1b]0;pwned\x07 clipboard\x1b]52;c;cHduZWQ=\x07 back\x08 cr\r end"


# ---- two more behaviours, for what the chat prints: bytes that are not UTF-8, and ESC sequences ----


async def invalid_utf8(reader, writer, server) -> None:
    """A stream whose second chunk carries bytes that are not UTF-8 inside its JSON string."""
    await read_request(reader)
    broken = chunk_event("BROKEN").replace(b"BROKEN", b"bad \xff\xfe bytes")
    await send(writer, SSE_HEAD + ROLE_EVENT + chunk_event("fine, then ") + broken + wire.SSE_DONE)


async def escape_sequences(reader, writer, server) -> None:
    """A valid stream whose text clears the screen, sets the title and writes the clipboard."""
    await read_request(reader)
    finish = wire.sse_event(wire.chunk("chatcmpl-hostile", "m", 1700000000, {}, "stop"))
    await send(writer, SSE_HEAD + ROLE_EVENT + chunk_event(NASTY) + finish + wire.SSE_DONE)


async def escape_in_error(reader, writer, server) -> None:
    """A 400 whose OpenAI error message carries an ESC sequence (it is quoted in the chat's status)."""
    await read_request(reader)
    body = json.dumps({"error": {"message": "bad request\x1b[2J\x1b]52;c;cHduZWQ=\x07", "type": "invalid"}}).encode()
    await send(writer, b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
               % (len(body), body))


EXTRA = {"invalid-utf8": invalid_utf8, "escape-sequences": escape_sequences, "escape-in-error": escape_in_error}

# What the chat says for each (words of its status line), and the failure kind that ended it
# (None: a reply the client accepts; the chat still says what is wrong with it, if anything).
EXPECTED: dict[str, tuple[str, str | None]] = {
    "endless-stream": ("passed the 8 MiB recording cap", "body-too-large"),
    "endless-trickle": (f"did not end within {TIME_LIMIT_S:g} s", "reply-timeout"),
    "byte-a-second": ("No content token within 0.6 s", "first-token-timeout"),
    "slow-headers": ("No content token within 0.6 s", "first-token-timeout"),
    "huge-headers": ("response head", "protocol"),
    "many-headers": ("response head", "protocol"),
    "gzip-bomb": ("passed the 8 MiB recording cap", "body-too-large"),
    "huge-line": ("passed the 8 MiB recording cap", "body-too-large"),
    "redirect-loop": ("answered 307 Temporary Redirect", None),
    "close-after-headers": ("connection closed mid-reply", "connection-reset"),
    "close-after-stream-headers": ("did not end with data: [DONE]", None),
    "http-1.0": ("200 OK", None),
    "bad-chunk-size": ("broke the HTTP protocol", "protocol"),
    "chunk-overrun": ("broke the HTTP protocol", "protocol"),
    "chunked-cut": ("connection closed mid-reply", "connection-reset"),
    "garbage-status": ("broke the HTTP protocol", "protocol"),
    "silent": ("No content token within 0.6 s", "first-token-timeout"),
    "invalid-utf8": ("not valid UTF-8", "invalid-utf8"),
    "escape-sequences": ("200 OK", None),
    "escape-in-error": ("answered 400 Bad Request", None),
}
# Replies that are fine to a user (no ✗ line, no "Fix:").
ACCEPTED = {"http-1.0", "escape-sequences", "close-after-stream-headers"}


@pytest.fixture
def hostile_behaviours(monkeypatch):
    for name, behaviour in EXTRA.items():
        monkeypatch.setitem(BEHAVIOURS, name, behaviour)
    return sorted(BEHAVIOURS)


def deadlines(name: str) -> tuple[Timeouts, float]:
    """The profile's timeouts and the chat's reply limit for behaviour `name`: short only where the
    deadline is the expected ending."""
    kind = EXPECTED[name][1]
    return (QUICK if kind == "first-token-timeout" else USERS,
            TIME_LIMIT_S if kind == "reply-timeout" else DEFAULT_TOTAL_TIMEOUT_S)


async def painted(pilot) -> str:
    """Every character of the screen as it goes to the terminal (the compositor's segments), once
    the latest changes are laid out."""
    await pilot.pause(0.05)
    update = pilot.app.screen._compositor.render_update(full=True)
    return "".join(segment.text for strip in update.strips for segment in strip)


def status(bubble: ChatMessage) -> str:
    return str(bubble.query_one(".status").render())


async def chat_once(pilot, screen: ChatScreen, text: str) -> ChatMessage:
    """Send `text`, wait for the reply to end, and return it."""
    app = pilot.app
    count = len(app.exchanges)
    screen.query_one("#prompt", MessageBox).value = text
    await press(pilot, "enter")
    await wait_for(pilot, lambda: len(app.exchanges) > count and not screen.streaming, f"the reply to {text!r}")
    return screen.query(ChatMessage).last()


async def a_key_is_handled(pilot, screen: ChatScreen) -> None:
    prompt = screen.query_one("#prompt", MessageBox)
    prompt.value = ""
    prompt.focus()
    await press(pilot, "k")
    await wait_for(pilot, lambda: prompt.value == "k", "the key press")
    prompt.value = ""


def test_the_time_limit_of_a_reply_is_the_one_workbench_chat_uses() -> None:
    assert chat.REPLY_TIME_LIMIT_S == DEFAULT_TOTAL_TIMEOUT_S


def test_every_behaviour_has_an_expected_outcome(hostile_behaviours) -> None:
    assert set(EXPECTED) == set(hostile_behaviours)


async def test_every_hostile_endpoint_ends_in_the_chat_with_a_sentence_and_the_app_stays_usable(
        tmp_path, memory_keyring, hostile_behaviours, monkeypatch) -> None:
    with ServerThread() as thread:  # not on the app's loop: a busy UI must not slow what they send
        servers = {name: thread.start(HostileServer(name, interval_s=DRIP_S)) for name in hostile_behaviours}
        for name, server in servers.items():
            save_profile(tmp_path, name, server.base_url, timeouts=deadlines(name)[0])
        app = make_app(tmp_path, start_mock=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
            screen = app.screen
            assert isinstance(screen, ChatScreen)
            for name in hostile_behaviours:
                app.use_profile(name)
                # Read when the profile's client is made, at its first message.
                monkeypatch.setattr(chat, "REPLY_TIME_LIMIT_S", deadlines(name)[1])
                reply = await chat_once(pilot, screen, f"hello {name}")
                said, kind = EXPECTED[name]
                shown = status(reply)
                exchange = app.exchanges[-1]
                assert servers[name].connections >= 1, name
                assert said in shown, (name, shown)
                assert (exchange.failure.kind if exchange.failure else None) == kind, (name, exchange.failure)
                if name in ACCEPTED:
                    assert "✗" not in shown and not reply.has_class("-failed"), (name, shown)
                else:
                    assert "✗" in shown and "Fix:" in shown and reply.has_class("-failed"), (name, shown)
                screen_text = await painted(pilot)
                assert reply.query_one(".status") in app.screen._compositor.visible_widgets, name  # it is painted
                assert not CONTROL.search(screen_text), (name, CONTROL.findall(screen_text))
                await a_key_is_handled(pilot, screen)
            everything = "\n".join(notices(app))
            assert "Traceback" not in everything and not notices(app, "error"), everything


async def test_escape_sequences_in_a_reply_are_shown_as_text_never_sent_to_the_terminal(
        tmp_path, memory_keyring, hostile_behaviours) -> None:
    async with HostileServer("escape-sequences") as server:
        save_profile(tmp_path, "nasty", server.base_url, timeouts=USERS)
        app = make_app(tmp_path, start_mock=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
            screen = app.screen
            reply = await chat_once(pilot, screen, "say something nasty")
            assert reply.text == (r"clear\x1b[2J red\x1b[31m title\x1b]0;pwned\x07 clipboard\x1b]52;c;cHduZWQ=\x07 "
                                  r"back\x08 cr\x0d end")
            screen_text = await painted(pilot)
            assert r"clear\x1b[2J red" in screen_text  # the user sees what was sent, as text
            assert not CONTROL.search(screen_text)
            # What the endpoint said goes back to it unchanged in the next turn, as a platform would send it.
            assert screen.history[-1] == {"role": "assistant", "content": NASTY}


async def test_a_reply_larger_than_the_chat_shows_is_cut_with_a_note(tmp_path, memory_keyring,
                                                                       hostile_behaviours) -> None:
    async with HostileServer("endless-stream") as server:
        save_profile(tmp_path, "flood", server.base_url, timeouts=USERS)  # only the recording cap ends it
        app = make_app(tmp_path, start_mock=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
            screen = app.screen
            reply = await chat_once(pilot, screen, "go on forever")
            recorded = app.exchanges[-1].reply_text
            assert len(recorded) > chat.REPLY_SHOWN_CHARS
            assert len(reply.text) == chat.REPLY_SHOWN_CHARS and recorded.startswith(reply.text)
            assert reply.markdown.source == reply.text  # the streamed view stopped at the same place
            assert f"shows the first {chat.REPLY_SHOWN_CHARS:,} of {len(recorded):,} characters" in status(reply)
            assert "Inspect (F3)" in status(reply)
            await a_key_is_handled(pilot, screen)


async def test_esc_stops_a_reply_that_never_ends_keeping_what_arrived(tmp_path, memory_keyring, monkeypatch) -> None:
    monkeypatch.setattr(chat, "REPLY_TIME_LIMIT_S", DEFAULT_TOTAL_TIMEOUT_S)  # only Esc can end it here
    async with HostileServer("endless-trickle") as server:
        save_profile(tmp_path, "trickle", server.base_url, timeouts=USERS)  # only Esc ends it
        app = make_app(tmp_path, start_mock=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
            screen = app.screen
            screen.query_one("#prompt", MessageBox).value = "tick forever"
            await press(pilot, "enter")
            await wait_for(pilot, lambda: "tick tick" in screen.query(ChatMessage).last().markdown.source,
                           "the first ticks")
            await press(pilot, "escape")
            await wait_for(pilot, lambda: not screen.streaming, "the stop")
            reply = screen.query(ChatMessage).last()
            exchange = app.exchanges[-1]
            assert exchange.cancelled and exchange.reply_text.startswith("tick tick")
            assert reply.text == exchange.reply_text and "stopped (Esc)" in status(reply)
            await a_key_is_handled(pilot, screen)
