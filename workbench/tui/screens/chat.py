"""Chat: a multi-turn conversation with the active profile, the reply streaming in as Markdown.

The message box takes text from the first paint: a message sent before the profile can be
called (the embedded mock still starting) waits, saying so, and goes as soon as it can.
Esc stops a reply (or that wait), ctrl+r retries, ctrl+t takes the last message back to edit and resend,
ctrl+l clears, ctrl+y copies the reply (or the focused message), ctrl+g previews the exact
request. "Send as" a platform shapes the request the way that platform does.

The request goes out from the app's ClientLoop, not the UI's loop, so the time to first token
and the pace under a reply are the endpoint's; the text comes back through a Relay.

What an endpoint sent is shown through `printable` (an ESC sequence in a reply must not drive
the terminal), and at most REPLY_SHOWN_CHARS of one reply go into the chat (a reply that never
ends would otherwise grow one Markdown paragraph without bound); Inspect has what was recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from workbench import wire
from workbench.errors import WorkbenchError
from workbench.printable import printable
from workbench.tui.relay import TEXT_HAND_OFF_S, Relay
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.switching import FirstTokenWait
from workbench.tui.volatile import steady
from workbench.tui.widgets.chat_message import ChatMessage, KeptMessage, ThrottledStream
from workbench.tui.widgets.message_box import MessageBox
from workbench.tui.widgets.params_panel import ChatSettings, ParamsPanel
from workbench.tui.widgets.profile_list import ProfileList

if TYPE_CHECKING:
    from workbench.client import Call, Client
    from workbench.exchange import Exchange
    from workbench.profiles import Profile
    from workbench.target import Target

# At most this many messages stay mounted: every layout pass places every mounted widget, so a
# 500-message session would make each new token slower. Older ones wait in an archive, and
# "show earlier" brings them back a page at a time.
MOUNTED_MESSAGES = 40
EARLIER_PAGE = 30
# The most of one reply the chat shows (a long LLM answer is 5-20 thousand characters).
REPLY_SHOWN_CHARS = 64_000
# The longest one reply may take, as `workbench chat` allows (client.DEFAULT_TOTAL_TIMEOUT_S; not
# imported here, httpx loads after the first paint): a stream that never ends, or trickles inside
# the read timeout, is cut here. Esc stops one at any time.
REPLY_TIME_LIMIT_S = 300.0

EMPTY_TEXT = (
    "Type a message below and press Enter (shift+enter or ctrl+j starts a new line; a paste keeps every "
    "line). The reply streams in as it arrives, with its time to first token, pace and total time under it.\n"
    "Esc stops a reply · ctrl+r retries · ctrl+t edits the last message · ctrl+g shows the exact request · "
    "PgUp/PgDn scroll the conversation · Inspect (F3) shows every byte."
)
PROMPT_PLACEHOLDER = "Message · Enter sends · ctrl+j: new line"  # shift+enter too (the help above says so)


def waiting_line(reason: str) -> str:
    return f"⧗ waiting for {reason}; the message goes as soon as it can (Esc cancels)"


def start_call(client: "Client", target: "Target", settings: ChatSettings, messages: list[dict[str, Any]]) -> "Call":
    """The call for this turn, shaped as "Send as" says (the profile, or a platform) with the stream box honoured."""
    from workbench.chat import sender, shape_turn, start_turn

    platform = sender(settings.platform)
    return start_turn(client, shape_turn(target, messages, platform=platform, stream=settings.stream), platform)


class ShownText:
    """What a bubble shows of a reply as it streams: printable, and at most REPLY_SHOWN_CHARS."""

    def __init__(self, stream: ThrottledStream) -> None:
        self.stream = stream
        self.shown = 0

    def add(self, pieces: list[str]) -> None:
        room = REPLY_SHOWN_CHARS - self.shown
        if room <= 0:
            return
        text = printable("".join(pieces))[:room]
        self.shown += len(text)
        self.stream.add(text)


def shown_reply(text: str) -> tuple[str, str | None]:
    """The reply as the chat shows it, and a line saying it was cut (or None)."""
    shown = printable(text)
    if len(shown) <= REPLY_SHOWN_CHARS:
        return shown, None
    return shown[:REPLY_SHOWN_CHARS], (
        f"⚠ the chat shows the first {REPLY_SHOWN_CHARS:,} of {len(shown):,} characters; Inspect (F3) has "
        "all that was recorded")


def metrics_line(exchange: "Exchange") -> str:
    """`200 OK · ttft 41.0 ms · 1540 tokens/s · total 80.2 ms`: the figures under a reply."""
    from workbench.chat_output import tokens_per_s

    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value / 1000:.2f} s" if value >= 10_000 else f"{value:.1f} ms"

    status = f"{exchange.status} {exchange.reason}".rstrip() if exchange.status is not None else "no reply"
    rate = tokens_per_s(exchange)
    pace = f"{rate:.0f} tokens/s" if rate is not None else "– tokens/s"
    return f"{status} · ttft {ms(exchange.timings.first_token_ms)} · {pace} · total {ms(exchange.timings.total_ms)}"


class Conversation(VerticalScroll, can_focus=False):
    """The messages, scrolled by PgUp/PgDn while the message box keeps the focus (and by the mouse).

    Not focusable on purpose: Textual restyles a widget and everything in it whenever it gains
    or loses focus, and with 40 messages mounted that was ~140 ms on every click between the
    conversation and the message box. A message itself still takes focus (to copy it).
    """


class ChatScreen(WorkbenchScreen):
    MODE = "chat"

    BINDINGS = [
        Binding("escape", "stop", "Stop"),
        Binding("ctrl+r", "retry", "Retry"),
        Binding("ctrl+t", "edit_last", "Edit last"),
        Binding("ctrl+l", "clear", "Clear"),
        Binding("ctrl+y", "copy_reply", "Copy"),
        Binding("ctrl+g", "preview", "Preview"),
        Binding("ctrl+o", "toggle_params", "Params"),
        Binding("ctrl+b", "toggle_profiles", "Profiles"),
        Binding("pageup", "scroll_conversation('page_up')", "Scroll up", show=False),
        Binding("pagedown", "scroll_conversation('page_down')", "Scroll down", show=False),
        Binding("ctrl+home", "scroll_conversation('home')", "Top", show=False),
        Binding("ctrl+end", "scroll_conversation('end')", "Bottom", show=False),
    ]

    # Not a bindings reactive on purpose: refreshing the bindings makes the Footer mount all its
    # keys again (tens of ms), twice a reply; Esc and ctrl+r simply do nothing when idle/busy.
    streaming: reactive[bool] = reactive(False)

    class ReplyFinished(Message):
        def __init__(self, bubble: ChatMessage, exchange: "Exchange", platform: str | None, profile: str) -> None:
            super().__init__()
            self.reply_bubble = bubble  # not `bubble`: Message.bubble says whether it goes up to the parent
            self.exchange = exchange
            self.platform = platform
            self.profile = profile

    class ReplyFailed(Message):
        """No request went out (no key, no keyring, a bad setting)."""

        def __init__(self, bubble: ChatMessage, error: WorkbenchError) -> None:
            super().__init__()
            self.reply_bubble = bubble
            self.error = error

    class PreviewReady(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self.history: list[dict[str, Any]] = []  # user and assistant turns, as sent
        self._worker: Worker[None] | None = None
        self._reply_number = 0  # counts the replies asked for; Esc names the one it stops
        # Used on the client loop only: the reply in flight (its number, task and call), the
        # latest reply Esc stopped, and one connection pool for the conversation (a new Client
        # per message would pay for its TLS set-up and a new connection every turn, and that
        # time would show as latency).
        self._receiving = 0
        self._reply_task: asyncio.Task[Any] | None = None
        self._call: Call | None = None
        self._stopped_number = 0
        self._client: Client | None = None
        self._client_target: Target | None = None
        self.archive: list[KeptMessage] = []  # the oldest messages, no longer mounted
        self._waiting: ChatMessage | None = None  # the reply of a message waiting for its profile

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="chat-body"):
            yield ProfileList(id="profiles")
            with Vertical(id="conversation"):
                with Conversation(id="messages"):
                    yield Button("", id="earlier", classes="earlier")
                    yield Static(self._empty_text(), id="empty", markup=False)
                yield MessageBox(id="prompt", placeholder=PROMPT_PLACEHOLDER)
            yield ParamsPanel(id="params")

    def on_mount(self) -> None:
        self._show_earlier_button()
        self.query_one(ParamsPanel).load(self.workbench.active_profile)
        self.watch(self.app, "profile_name", self._profile_changed, init=False)
        self.workbench.mock_changed.subscribe(self, lambda _: self._mock_changed())
        # At once, not after the queued messages (Widget.focus waits its turn): keys typed from
        # the first paint reach the message box.
        self.set_focus(self.query_one("#prompt", MessageBox))

    def _empty_text(self) -> str:
        welcome = self.workbench.welcome
        if welcome is None and self.workbench.waiting_for(self.workbench.active_profile):
            welcome = "Starting the embedded mock LLM: type your message now, it goes as soon as the mock listens."
        return f"{welcome}\n\n{EMPTY_TEXT}" if welcome else EMPTY_TEXT

    def _mock_changed(self) -> None:
        for empty in self.query("#empty").results(Static):
            empty.update(self._empty_text())
        self.call_later(self._send_waiting)

    def _profile_changed(self, _: str | None) -> None:
        self.query_one(ParamsPanel).load(self.workbench.active_profile)
        self.call_later(self._send_waiting)

    def on_profile_list_picked(self, message: ProfileList.Picked) -> None:
        self.workbench.use_profile(message.name)
        self.query_one("#prompt", MessageBox).focus()

    def set_platform(self, platform: str | None) -> None:
        """Send the next messages the way `platform` would (from the command palette)."""
        self.query_one(ParamsPanel).set_platform(platform)

    # ---- sending --------------------------------------------------------------------------

    @property
    def _messages_view(self) -> Conversation:
        return self.query_one("#messages", Conversation)

    @property
    def _bubbles(self) -> list[ChatMessage]:
        return list(self._messages_view.query(ChatMessage))

    @on(MessageBox.Submitted, "#prompt")
    async def _submitted(self, event: MessageBox.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.streaming:
            self.notify("A reply is still streaming: Esc stops it.", severity="warning", timeout=3)
            return
        waiting = self.workbench.waiting_for(self.workbench.active_profile)
        if waiting is None and not self._ready():
            return
        event.box.clear()
        await self.add_user_message(text)
        if waiting is None:
            await self._send()
            return
        bubble = ChatMessage("assistant", streaming=True, status=waiting_line(waiting))
        await self._mount_bubble(bubble)
        self._waiting = bubble
        self.streaming = True

    async def _send_waiting(self) -> None:
        """The message that waited goes now, if what it waited for is there."""
        bubble = self._waiting
        if bubble is None:
            return
        waiting = self.workbench.waiting_for(self.workbench.active_profile)
        if waiting is not None:
            bubble.set_status(waiting_line(waiting))
            return
        self._waiting = None
        self.streaming = False
        problem = self._problem()
        if problem is not None:
            bubble.finish("", printable(f"✗ not sent: {problem.message}\n  Fix: {problem.hint}"), failed=True)
            return
        await self._send(bubble)

    def _problem(self) -> WorkbenchError | None:
        """Why a message cannot be sent now (None: it can)."""
        if self.workbench.active_profile is None:
            return WorkbenchError("No profile is active, so there is nowhere to send the message.",
                                  "add one on the Profiles screen (F2), or pick one in the list on the left")
        _, problems = self.query_one(ParamsPanel).settings()
        if problems:
            return WorkbenchError("The parameters panel has a problem: " + " ".join(problems),
                                  "fix the field shown in red (ctrl+o shows the panel)")
        return None

    def _ready(self) -> bool:
        problem = self._problem()
        if problem is not None:
            self.workbench.report(problem, title="Chat")
        return problem is None

    async def add_user_message(self, text: str) -> None:
        self.history.append(wire.message("user", text))
        await self._mount_bubble(ChatMessage("user", text))

    async def _mount_bubble(self, bubble: ChatMessage) -> None:
        view = self._messages_view
        for empty in view.query("#empty"):
            await empty.remove()
        await view.mount(bubble)
        view.anchor()
        await self._archive_oldest()

    async def _archive_oldest(self) -> None:
        """Keep at most MOUNTED_MESSAGES on screen; the oldest go to the archive."""
        bubbles = self._bubbles
        excess = len(bubbles) - MOUNTED_MESSAGES
        if excess <= 0:
            return
        leaving = [b for b in bubbles[:excess] if not b.streaming]
        self.archive.extend(b.kept() for b in leaving)
        if leaving:
            await self._messages_view.remove_children(leaving)
        self._show_earlier_button()

    def _show_earlier_button(self) -> None:
        button = self.query_one("#earlier", Button)
        button.display = bool(self.archive)
        if self.archive:
            shown = min(EARLIER_PAGE, len(self.archive))
            button.label = f"▲ {len(self.archive)} earlier messages: show {shown} more"

    @on(Button.Pressed, "#earlier")
    async def show_earlier(self) -> None:
        """Bring back the latest page of archived messages, above the ones on screen."""
        page = self.archive[-EARLIER_PAGE:]
        del self.archive[-EARLIER_PAGE:]
        bubbles = [ChatMessage.restored(kept) for kept in page]
        view = self._messages_view
        view.release_anchor()
        await view.mount_all(bubbles, after=self.query_one("#earlier"))
        self._show_earlier_button()

    async def _send(self, bubble: ChatMessage | None = None) -> None:
        """Send the conversation; the reply streams into `bubble` (one that waited) or a new one."""
        profile = self.workbench.active_profile
        settings, _ = self.query_one(ParamsPanel).settings()
        if profile is None or settings is None:
            return
        messages = ([wire.message("system", settings.system)] if settings.system else []) + list(self.history)
        if bubble is None:
            bubble = ChatMessage("assistant", streaming=True)
            await self._mount_bubble(bubble)
        else:
            bubble.set_status("")
        stream = bubble.start_stream()
        self.streaming = True
        self._reply_number += 1
        self._worker = self._stream_reply(self._reply_number, profile, settings, messages, bubble, stream)

    async def _client_for(self, target: "Target") -> "Client":
        """The conversation's Client, made again only when the target (profile, key, params) changes
        (on the client loop, where its connections live)."""
        from workbench.client import Client

        if self._client is not None and self._client_target == target:
            return self._client
        await self._close_client()
        client = Client(target, total_timeout=REPLY_TIME_LIMIT_S)
        await client.__aenter__()
        self._client, self._client_target = client, target
        return client

    async def _close_client(self) -> None:
        client, self._client, self._client_target = self._client, None, None
        if client is not None:
            await client.__aexit__(None, None, None)

    async def on_unmount(self) -> None:
        if self._client is not None:
            await self.workbench.client_loop.run(self._close_client())

    @work(exclusive=True, group="chat", exit_on_error=False)
    async def _stream_reply(self, number: int, profile: "Profile", settings: ChatSettings,
                            messages: list[dict[str, Any]], bubble: ChatMessage, stream: ThrottledStream) -> None:
        """Wait (on the UI's loop) for the reply the client loop receives; its text streams in
        through a relay, batched, into the bubble's own throttled stream."""
        relay: Relay[str] = Relay(ShownText(stream).add, interval=TEXT_HAND_OFF_S)
        try:
            exchange = await self.workbench.client_loop.run(
                self._receive(number, profile, settings, messages, relay.feed))
        except WorkbenchError as error:
            self.post_message(self.ReplyFailed(bubble, error))
            return
        relay.flush()  # all of the text is in the bubble before it is finished
        self.post_message(self.ReplyFinished(bubble, exchange, settings.platform, profile.name))

    async def _receive(self, number: int, profile: "Profile", settings: ChatSettings,
                       messages: list[dict[str, Any]], on_text: Callable[[str], None]) -> "Exchange":
        """On the client loop: send the turn and hand each piece of text to `on_text` as it arrives."""
        from workbench.profiles.resolve import target_for
        from workbench.redact import Redactor, StreamScrubber

        self._receiving, self._reply_task = number, asyncio.current_task()
        try:
            if self._stopped_number == number:
                raise asyncio.CancelledError  # Esc came first: nothing goes out
            target = settings.target(await target_for(profile))
            client = await self._client_for(target)
            call = start_call(client, target, settings, messages)
            self._call = call
            shown = StreamScrubber(Redactor.for_replies(target.secrets))  # an echoed key is masked as it streams
            try:
                with FirstTokenWait() as waiting:
                    async for text in call:
                        waiting.done()
                        if text := shown.feed(text):  # what can be shown yet (the end of a key may follow)
                            on_text(text)
                if rest := shown.flush():
                    on_text(rest)
            finally:
                self._call = None
            return call.exchange
        finally:
            self._receiving, self._reply_task = 0, None

    def _stop_on_client_loop(self, number: int) -> None:
        """Esc, carried out on the client loop: stop reply `number`'s call (the Exchange keeps
        what arrived), or, before the request went out, its task."""
        self._stopped_number = number
        if self._receiving != number:
            return  # not started yet (it will see the number) or already over
        if self._call is not None:
            self._call.cancel()
        elif self._reply_task is not None:
            self._reply_task.cancel()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._worker and event.state in (WorkerState.CANCELLED, WorkerState.ERROR):
            # Stopped before a request went out, or a bug: never leave the reply "streaming".
            # (A bug's error itself is reported by WorkbenchScreen.)
            self.streaming = False
            bubbles = [b for b in self._bubbles if b.streaming]
            for bubble in bubbles:
                self.call_next(bubble.finish, "", "stopped before a request went out", stopped=True)

    async def on_chat_screen_reply_finished(self, message: ReplyFinished) -> None:
        from workbench.chat_output import reply_warnings

        exchange = message.exchange
        self.workbench.record_exchange(exchange, profile=message.profile)
        if not message.reply_bubble.is_attached:  # its bubble was removed meanwhile: Inspect has the exchange
            self.streaming = False
            return
        text = exchange.reply_text
        shown, cut = shown_reply(text)
        lines = [steady(metrics_line(exchange), self.workbench.steady_numbers)]
        if message.platform:
            lines[0] = f"as {message.platform} · {lines[0]}"
        stopped = exchange.cancelled
        failed = False
        if not stopped:
            problem = exchange.problem()
            if problem is not None:
                failed = True
                lines.append(f"✗ {problem.message}")
                if problem.hint:
                    lines.append(f"  Fix: {problem.hint}")
            lines += [f"⚠ {warning}" for warning in reply_warnings(exchange)]
        if stopped:
            lines[0] += " · stopped (Esc)"
        if cut:
            lines.append(cut)
        # The endpoint's own words (error messages, a Location) are in the lines: printable too.
        message.reply_bubble.finish(shown, printable("\n".join(lines)), failed=failed, stopped=stopped)
        if text:
            self.history.append(wire.message("assistant", text))
        self.streaming = False

    async def on_chat_screen_reply_failed(self, message: ReplyFailed) -> None:
        error = message.error
        status = f"✗ {error.message}" + (f"\n  Fix: {error.hint}" if error.hint else "")
        message.reply_bubble.finish("", printable(status), failed=True)
        self.streaming = False

    # ---- actions ----------------------------------------------------------------------------

    def action_stop(self) -> None:
        if self._waiting is not None:
            bubble, self._waiting = self._waiting, None
            bubble.finish("", "stopped before a request went out", stopped=True)
            self.streaming = False
            return
        if self._worker is not None and self._worker.is_running:
            self.workbench.client_loop.call_soon(self._stop_on_client_loop, self._reply_number)

    async def action_retry(self) -> None:
        if self.streaming:
            return
        bubbles = self._bubbles
        if bubbles and bubbles[-1].role == "assistant":
            await bubbles[-1].remove()
            if self.history and self.history[-1]["role"] == "assistant":
                self.history.pop()
        if not self.history or self.history[-1]["role"] != "user":
            self.notify("Nothing to retry yet: send a message first.", timeout=3)
            return
        if self._ready():
            await self._send()

    async def action_edit_last(self) -> None:
        """Take the last message back into the input (its reply goes too); Enter sends it again."""
        if self.streaming:
            return
        bubbles = self._bubbles
        users = [i for i, b in enumerate(bubbles) if b.role == "user"]
        if not users:
            self.notify("No message to edit yet.", timeout=3)
            return
        last = users[-1]
        text = bubbles[last].text
        for bubble in bubbles[last:]:
            await bubble.remove()
        user_turns = [i for i, m in enumerate(self.history) if m["role"] == "user"]
        if user_turns:
            del self.history[user_turns[-1]:]
        prompt = self.query_one("#prompt", MessageBox)
        prompt.value = text
        prompt.focus()

    async def action_clear(self) -> None:
        if self.streaming:
            return
        self.history.clear()
        self.archive.clear()
        view = self._messages_view
        await view.remove_children(self._bubbles)
        await view.mount(Static(self._empty_text(), id="empty", markup=False))
        self._show_earlier_button()

    def action_copy_reply(self) -> None:
        focused = self.focused
        if isinstance(focused, ChatMessage):
            focused.action_copy()
            return
        replies = [b for b in self._bubbles if b.role == "assistant" and b.text]
        if not replies:
            self.notify("No reply to copy yet.", timeout=3)
            return
        replies[-1].action_copy()

    def action_scroll_conversation(self, where: str) -> None:
        """PgUp/PgDn, ctrl+Home/End: what the conversation's own keys would do if it had the focus."""
        view = self._messages_view
        actions = {"page_up": view.action_page_up, "page_down": view.action_page_down,
                   "home": view.action_scroll_home, "end": view.action_scroll_end}
        actions[where]()

    def action_toggle_params(self) -> None:
        panel = self.query_one(ParamsPanel)
        panel.display = not panel.display

    def action_toggle_profiles(self) -> None:
        sidebar = self.query_one(ProfileList)
        sidebar.display = not sidebar.display

    # ---- the exact request, before it goes -------------------------------------------------

    def action_preview(self) -> None:
        profile = self.workbench.active_profile
        if not self._ready() or profile is None:
            return
        settings, _ = self.query_one(ParamsPanel).settings()
        assert settings is not None
        pending = self.query_one("#prompt", MessageBox).value.strip()
        turns = list(self.history) + ([wire.message("user", pending)] if pending else [])
        if not turns:
            turns = [wire.message("user", "(your next message)")]
        messages = ([wire.message("system", settings.system)] if settings.system else []) + turns
        self._build_preview(profile, settings, messages)

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def _build_preview(self, profile: "Profile", settings: ChatSettings, messages: list[dict[str, Any]]) -> None:
        from workbench.chat_output import request_text
        from workbench.client import Client
        from workbench.profiles.resolve import target_for
        from workbench.tui.messages import WorkFailed

        try:
            target = settings.target(await target_for(profile))
            async with Client(target) as client:
                call = start_call(client, target, settings, messages)  # built, never sent
                text = request_text(call.exchange, pretty=True)  # as Inspect shows it
        except WorkbenchError as error:
            self.post_message(WorkFailed("building the request preview", error))
            return
        self.post_message(self.PreviewReady(text))

    def on_chat_screen_preview_ready(self, message: PreviewReady) -> None:
        from workbench.tui.widgets.dialogs import TextDialog

        self.app.push_screen(TextDialog("The exact request (the key is masked)", message.text))
