"""One message of the chat: who said it, the text (Markdown for replies), and the reply's numbers.

A reply streams in through `Markdown.get_stream()` (fragments are appended, finished blocks
are never parsed again) and gets one full `update()` at the end so code fences and tables
come out right. Focus a message and press `c` (or select text with the mouse) to copy it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

ROLE_TITLES = {"user": "You", "assistant": "Reply", "system": "System"}


class ChatMessage(Vertical, can_focus=True):
    """A user message (plain text) or a reply (Markdown, streamed), with a status line under replies."""

    DEFAULT_CSS = """
    ChatMessage { height: auto; margin: 0 1 1 1; padding: 0 1; border-left: wide $primary 30%; }
    ChatMessage:focus { border-left: wide $accent; background: $boost; }
    ChatMessage.-user { border-left: wide $secondary 60%; }
    ChatMessage .role { color: $text-muted; text-style: bold; }
    ChatMessage .text { height: auto; }
    ChatMessage Markdown { margin: 0; padding: 0; background: transparent; }
    ChatMessage .status { color: $text-muted; }
    ChatMessage.-failed .status { color: $error; }
    ChatMessage.-stopped .status { color: $warning; }
    """

    BINDINGS = [Binding("c", "copy", "Copy message")]

    def __init__(self, role: str, text: str = "", *, streaming: bool = False) -> None:
        super().__init__(classes=f"-{role}")
        self.role = role
        self.text = text
        self.streaming = streaming
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        title = ROLE_TITLES.get(self.role, self.role)
        yield Static(title + (" …" if self.streaming else ""), classes="role", markup=False)
        if self.role == "assistant":
            yield Markdown(self.text, classes="text")
        else:
            yield Static(self.text, classes="text", markup=False)
        yield Static("", classes="status", markup=False)

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    # ---- streaming ----------------------------------------------------------------------

    def start_stream(self) -> MarkdownStream:
        """The stream a worker writes fragments to while the reply arrives."""
        self._stream = Markdown.get_stream(self.markdown)
        return self._stream

    async def finish(self, text: str, status: str, *, failed: bool = False, stopped: bool = False) -> None:
        """End the stream and render the whole reply once, with its status line under it."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.text = text
        self.streaming = False
        self.set_class(failed, "-failed")
        self.set_class(stopped, "-stopped")
        self.query_one(".role", Static).update(ROLE_TITLES.get(self.role, self.role))
        await self.markdown.update(text)
        self.set_status(status)

    def set_status(self, status: str) -> None:
        self.query_one(".status", Static).update(status)

    # ---- copy ---------------------------------------------------------------------------

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.app.notify("Message copied to the clipboard.", timeout=2)
