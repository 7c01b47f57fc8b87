"""MessageBox: the chat's message box. Multi-line: a paste keeps every line, shift+enter or ctrl+j
adds a newline, Enter sends.

A TextArea, not an Input: an Input keeps only the first line of a paste. It grows with its text
up to MAX_LINES (then scrolls), and its height is set only when the number of lines changes, so
a key press that does not add a line lays out nothing but the box itself (an auto height would
lay out the whole screen on every key).
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widgets import TextArea

MAX_LINES = 8
NEWLINE_KEYS = ("shift+enter", "ctrl+j")  # terminals send ctrl+j for a bare line feed
BORDER_ROWS = 2
# TextArea's keys the chat screen uses: ctrl+y copies the reply (not redo), PgUp/PgDn scroll the
# conversation while the box keeps the focus.
SCREEN_KEYS = frozenset({"ctrl+y", "pageup", "pagedown"})


def _without_screen_keys(bindings: list[Binding]) -> list[Binding]:
    kept = []
    for binding in bindings:
        keys = [key for key in binding.key.split(",") if key.strip() not in SCREEN_KEYS]
        if keys:
            kept.append(replace(binding, key=",".join(keys)))
    return kept


class MessageBox(TextArea, inherit_bindings=False):
    DEFAULT_CSS = """
    MessageBox { height: 3; padding: 0 1; }
    MessageBox .text-area--cursor-line { background: transparent; }
    """
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = list(
        _without_screen_keys([b for b in TextArea.BINDINGS if isinstance(b, Binding)])
    )

    class Submitted(Message):
        """Enter: the text in the box (not cleared: the screen decides)."""

        def __init__(self, box: "MessageBox", value: str) -> None:
            super().__init__()
            self.box = box
            self.value = value

        @property
        def control(self) -> "MessageBox":
            return self.box

    def __init__(self, *, id: str | None = None, placeholder: str = "") -> None:
        super().__init__("", id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus",
                         placeholder=placeholder, highlight_cursor_line=False)
        self._rows = 1

    # Input's names, so a caller need not know which widget it is.
    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.text = text
        self.move_cursor(self.document.end)

    def clear(self) -> None:  # type: ignore[override]  # TextArea.clear returns an EditResult
        self.text = ""

    async def action_submit(self) -> None:  # async, as Input's is
        self.post_message(self.Submitted(self, self.text))

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        if event.key in NEWLINE_KEYS and not self.read_only:
            event.stop()
            event.prevent_default()
            self.replace("\n", *self.selection, maintain_selection_offset=False)
            return
        await super()._on_key(event)

    def render_line(self, y: int) -> Strip:
        if self.content_size.width <= 0:  # squeezed out (a narrow terminal): TextArea cannot wrap into 0
            return Strip.blank(self.size.width)
        return super().render_line(y)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._fit_height()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_height()

    def _fit_height(self) -> None:
        rows = max(1, min(MAX_LINES, self.wrapped_document.height))
        if rows != self._rows:
            self._rows = rows
            self.styles.height = rows + BORDER_ROWS
