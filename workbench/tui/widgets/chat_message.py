"""One message of the chat: who said it, the text (Markdown for replies), and the reply's numbers.

A reply is one MarkdownView (Rich draws it block by block). While it streams, text reaches the
view at most every FLUSH_INTERVAL_S and only the block that grew is drawn again; when it ends,
the whole text is parsed once more and any block that differs from what the stream built (a
line that turned a paragraph into a heading, say) is drawn again, so the final picture is
always that of the whole text. Focus a message and press `c` (or select text with the mouse)
to copy it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from workbench.tui.markdown_blocks import MarkdownBlocks
from workbench.tui.widgets.markdown_view import MarkdownView

ROLE_TITLES = {"user": "You", "assistant": "Reply", "system": "System"}
# The most of one user message a bubble shows: Static wraps and lays out all of its text on every
# refresh, and a 1 MB message pasted in froze the UI for 15-20 s (issue 13). The whole text is
# sent, kept in `text` (ctrl+t edits it) and in Inspect.
MESSAGE_SHOWN_CHARS = 8_000
# Text reaches the reply at most this often: each append lays out and paints the screen again,
# and at 2000 tokens/s a frame per token would starve key presses. 40 ms is 25 frames a second.
FLUSH_INTERVAL_S = 0.04


def shown_message(text: str) -> str:
    """A user message as its bubble shows it: whole, or its first MESSAGE_SHOWN_CHARS and a note."""
    if len(text) <= MESSAGE_SHOWN_CHARS:
        return text
    return (f"{text[:MESSAGE_SHOWN_CHARS]}\n… the bubble shows {MESSAGE_SHOWN_CHARS:,} of {len(text):,} "
            "characters; all were sent")


class ThrottledStream:
    """Collects streamed text and appends it to a MarkdownView at most every FLUSH_INTERVAL_S."""

    def __init__(self, view: MarkdownView, interval: float = FLUSH_INTERVAL_S) -> None:
        self.view = view
        self.interval = interval
        self._pending: list[str] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, text: str) -> None:
        """Queue `text` for the next flush (on the UI's loop; what a Relay delivers to)."""
        self._pending.append(text)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self._flush)

    def _flush(self) -> None:
        self._timer = None
        text = "".join(self._pending)
        self._pending.clear()
        self.view.append(text)

    def stop(self) -> None:
        """The reply is over: append what is waiting now instead of at the next flush."""
        if self._timer is not None:
            self._timer.cancel()
        self._flush()


@dataclass(frozen=True)
class KeptMessage:
    """A message of a long conversation that is no longer mounted."""

    role: str
    text: str
    status: str = ""
    classes: str = ""


class ChatMessage(Vertical, can_focus=True):
    """A user message (plain text) or a reply (Markdown, streamed), with a status line under replies."""

    DEFAULT_CSS = """
    ChatMessage { height: auto; margin: 0 1 1 1; padding: 0 1; border-left: wide $primary 30%; }
    ChatMessage:focus { border-left: wide $accent; background: $boost; }
    ChatMessage.-user { border-left: wide $secondary 60%; }
    ChatMessage .role { color: $text-muted; text-style: bold; }
    ChatMessage .text { height: auto; }
    ChatMessage .status { color: $text-muted; }
    ChatMessage.-assistant .status { margin-top: 1; }
    ChatMessage.-failed .status { color: $error; }
    ChatMessage.-stopped .status { color: $warning; }
    """

    BINDINGS = [Binding("c", "copy", "Copy message")]

    def __init__(self, role: str, text: str = "", *, streaming: bool = False, status: str = "",
                 classes: str = "") -> None:
        super().__init__(classes=f"-{role} {classes}".strip())
        self.role = role
        self.text = text
        self.streaming = streaming
        self._status = status
        self._stream: ThrottledStream | None = None

    @classmethod
    def restored(cls, kept: "KeptMessage") -> "ChatMessage":
        """A message shown again from the archive of a long conversation."""
        return cls(kept.role, kept.text, status=kept.status, classes=kept.classes)

    def kept(self) -> "KeptMessage":
        """What it takes to show this message again after it leaves the screen."""
        classes = " ".join(c for c in ("-failed", "-stopped") if self.has_class(c))
        return KeptMessage(self.role, self.text, self._status, classes)

    def compose(self) -> ComposeResult:
        title = ROLE_TITLES.get(self.role, self.role)
        yield Static(title + (" …" if self.streaming else ""), classes="role", markup=False)
        if self.role == "assistant":
            yield MarkdownView(self.text, classes="text")
        else:
            yield Static(shown_message(self.text), classes="text", markup=False)
        yield Static(self._status, classes="status", markup=False)

    @property
    def markdown(self) -> MarkdownView:
        return self.query_one(MarkdownView)

    # ---- streaming ----------------------------------------------------------------------

    def start_stream(self) -> ThrottledStream:
        """The stream a worker writes fragments to while the reply arrives."""
        self._stream = ThrottledStream(self.markdown)
        return self._stream

    def finish(self, text: str, status: str, *, failed: bool = False, stopped: bool = False) -> None:
        """End the stream (its last append puts the whole text on screen) and show the status line.

        Right after the screen has refreshed, the reply is parsed whole and any block that
        differs from the streamed ones is drawn again.
        """
        if self._stream is not None:
            self._stream.stop()
            self._stream = None
        self.text = text
        self.streaming = False
        self._status = status
        self.set_class(failed, "-failed")
        self.set_class(stopped, "-stopped")
        if not self.is_attached or not self.children:
            # removed (ctrl+r, ctrl+t, ctrl+l) before its reply was finished, or not yet composed
            # (compose reads the fields set above): nothing to update
            return
        self.query_one(".role", Static).update(ROLE_TITLES.get(self.role, self.role))
        self.set_status(status)
        if self.role == "assistant":
            self.call_after_refresh(self._settle)

    async def _settle(self) -> None:
        text = self.text
        whole = await asyncio.to_thread(MarkdownBlocks, text)  # a long reply parses in ~10 ms: not on the UI
        views = self.query(MarkdownView)  # none while the message is being removed (a key burst can do that)
        if self.is_attached and self.text == text and views:
            views.first().set_blocks(whole)

    def set_status(self, status: str) -> None:
        self._status = status
        if self.is_attached and self.children:
            self.query_one(".status", Static).update(status)

    # ---- copy ---------------------------------------------------------------------------

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.app.notify("Message copied to the clipboard.", timeout=2)
