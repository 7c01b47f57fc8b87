"""One message of the chat: who said it, the text (Markdown for replies), and the reply's numbers.

A reply streams in through `Markdown.get_stream()` (fragments are appended, finished blocks
are never parsed again) and gets one full `update()` at the end when the streamed blocks are
not the ones a whole parse makes (a line that turned a paragraph into a heading, say), so the
final picture is always that of the whole text. Focus a message and press `c` (or select text
with the mouse) to copy it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownBlock, MarkdownStream

ROLE_TITLES = {"user": "You", "assistant": "Reply", "system": "System"}
# Text reaches the Markdown at most this often: every append re-lays-out the screen, and at
# 2000 tokens/s a reflow per token would starve key presses. 40 ms is 25 frames a second.
FLUSH_INTERVAL_S = 0.04


class ThrottledStream:
    """Collects streamed text and hands it to a MarkdownStream at most every FLUSH_INTERVAL_S."""

    def __init__(self, stream: MarkdownStream, interval: float = FLUSH_INTERVAL_S) -> None:
        self.stream = stream
        self.interval = interval
        self._pending: list[str] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task[None]] = set()

    async def write(self, text: str) -> None:
        self.add(text)

    def add(self, text: str) -> None:
        """Queue `text` for the next flush (on the UI's loop; what a Relay delivers to)."""
        self._pending.append(text)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self._flush)

    def _flush(self) -> None:
        self._timer = None
        text = "".join(self._pending)
        self._pending.clear()
        if text:
            task = asyncio.ensure_future(self.stream.write(text))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    async def stop(self) -> None:
        """Hand over what is left, then stop the Markdown stream (it appends its backlog)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writes:
            await asyncio.gather(*self._writes)
        text = "".join(self._pending)
        self._pending.clear()
        if text:
            await self.stream.write(text)
        await self.stream.stop()


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
    ChatMessage Markdown { margin: 0; padding: 0; background: transparent; }
    ChatMessage .status { color: $text-muted; }
    ChatMessage.-failed .status { color: $error; }
    ChatMessage.-stopped .status { color: $warning; }
    """

    BINDINGS = [Binding("c", "copy", "Copy message")]

    def __init__(self, role: str, text: str = "", *, streaming: bool = False, status: str = "",
                 frozen: bool = False, classes: str = "") -> None:
        super().__init__(classes=f"-{role} {classes}".strip())
        self.role = role
        self.text = text
        self.streaming = streaming
        self._status = status
        self._start_frozen = frozen
        self._stream: ThrottledStream | None = None

    @classmethod
    def restored(cls, kept: "KeptMessage") -> "ChatMessage":
        """A message shown again from the archive of a long conversation (replies frozen)."""
        return cls(kept.role, kept.text, status=kept.status, frozen=True, classes=kept.classes)

    def kept(self) -> "KeptMessage":
        """What it takes to show this message again after it leaves the screen."""
        classes = " ".join(c for c in ("-failed", "-stopped") if self.has_class(c))
        return KeptMessage(self.role, self.text, self._status, classes)

    def compose(self) -> ComposeResult:
        title = ROLE_TITLES.get(self.role, self.role)
        yield Static(title + (" …" if self.streaming else ""), classes="role", markup=False)
        if self.role == "assistant" and self._start_frozen:
            from rich.markdown import Markdown as RichMarkdown

            yield Static(RichMarkdown(self.text), classes="text frozen")
        elif self.role == "assistant":
            yield Markdown(self.text, classes="text")
        else:
            yield Static(self.text, classes="text", markup=False)
        yield Static(self._status, classes="status", markup=False)

    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    @property
    def frozen(self) -> bool:
        return self.role == "assistant" and not self.query(Markdown)

    async def freeze(self) -> None:
        """Swap the reply's Markdown widget (one widget per block) for a single Static.

        Every block is a widget the screen lays out again whenever the conversation grows; a
        long session of long replies would make each streamed token slower. Older replies keep
        their look (Rich renders the same Markdown) as one widget each.
        """
        if self.streaming or self.frozen or self.role != "assistant":
            return
        from rich.markdown import Markdown as RichMarkdown

        await self.markdown.remove()
        await self.mount(Static(RichMarkdown(self.text), classes="text frozen"), before=self.query_one(".status"))

    # ---- streaming ----------------------------------------------------------------------

    def start_stream(self) -> ThrottledStream:
        """The stream a worker writes fragments to while the reply arrives."""
        self._stream = ThrottledStream(Markdown.get_stream(self.markdown))
        return self._stream

    async def finish(self, text: str, status: str, *, failed: bool = False, stopped: bool = False) -> None:
        """End the stream (its last append puts the whole text on screen) and show the status line.

        Right after the screen has refreshed, the reply is checked against a parse of the whole
        text and, where the blocks differ, rendered again in one full update.
        """
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.text = text
        self.streaming = False
        self.set_class(failed, "-failed")
        self.set_class(stopped, "-stopped")
        self.query_one(".role", Static).update(ROLE_TITLES.get(self.role, self.role))
        self.set_status(status)
        if self.role == "assistant":
            self.call_after_refresh(self._settle)

    async def _settle(self) -> None:
        if self.is_attached and not self.frozen and not await self._streamed_as_whole(self.text):
            await self.markdown.update(self.text)

    async def _streamed_as_whole(self, text: str) -> bool:
        """Whether the streamed blocks are those a full render of `text` would make.

        The stream parses each block again until the next one starts, so every block was
        built from its whole text; what can still differ is where blocks begin and end. Skip
        the full update (a remount of every block, 100+ ms for a long reply) only then.
        """
        from markdown_it import MarkdownIt

        markdown = self.markdown
        if markdown.source != text:
            return False
        tokens = await asyncio.to_thread(MarkdownIt("gfm-like").parse, text)
        if not self.is_attached or self.frozen:
            return True  # removed or frozen meanwhile: nothing left to correct
        whole = [tuple(t.map) for t in tokens if t.level == 0 and t.map is not None and t.nesting >= 0]
        streamed = [tuple(b.source_range) for b in markdown.children if isinstance(b, MarkdownBlock)]
        return whole == streamed

    def set_status(self, status: str) -> None:
        self._status = status
        self.query_one(".status", Static).update(status)

    # ---- copy ---------------------------------------------------------------------------

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.app.notify("Message copied to the clipboard.", timeout=2)
