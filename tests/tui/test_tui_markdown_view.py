"""MarkdownView, the chat's reply: drawn as Rich draws the whole text while it streams and after,
redrawn for a new width or theme, corrected when the stream ends, and selectable with the mouse."""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from rich.style import Style
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Static

from workbench.tui.markdown_blocks import WHOLE
from workbench.tui.widgets.chat_message import ChatMessage
from workbench.tui.widgets.markdown_view import MarkdownView

REPLY = """## Streaming for voice

The endpoint streams each token as soon as the model has it, so the caller hears the agent start
to speak early, and **nothing** waits for the whole reply.

- first token under a second
- no gap longer than 300 ms

```python
for chunk in stream:
    speak(chunk.choices[0].delta.content or "")
```

> Silence on a phone call feels like a dropped line.

---

1. check the auth header
2. check the framing
"""


class SideBySide(App[None]):
    """A MarkdownView next to a Static drawing the same text with Rich, at the same width."""

    CSS = "Horizontal > * { width: 1fr; height: auto; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield MarkdownView()
            yield Static()


def drawn(widget: Widget) -> list[list[tuple[str, tuple]]]:
    """The lines the screen gets from `widget`, a cell at a time: the character and how it looks
    (colours, bold/italic/underline..., link), without the offsets the selection uses."""
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [[(char, looks(segment.style)) for segment in line for char in segment.text] for line in lines]


def looks(style: Style | None) -> tuple:
    if style is None:
        return ()
    return style.color, style.bgcolor, style._attributes, style._set_attributes, style.link


def plain(widget: Widget) -> list[str]:
    return ["".join(char for char, _ in line).rstrip() for line in drawn(widget)]


async def test_a_streamed_reply_is_drawn_as_rich_draws_the_whole_text(tmp_path):
    app = SideBySide()
    async with app.run_test(size=(140, 60)) as pilot:
        view, static = app.query_one(MarkdownView), app.query_one(Static)
        heights = []
        for start in range(0, len(REPLY), 23):
            view.append(REPLY[start:start + 23])
            await pilot.pause()
            heights.append(view.size.height)
        static.update(RichMarkdown(REPLY, code_theme="monokai"))
        await pilot.pause()
        assert heights == sorted(heights) and heights[0] < heights[-1]  # it grew on screen as text came
        assert view.source == REPLY and len(view.blocks) == 7
        assert view.size == static.size
        assert drawn(view) == drawn(static)
        assert plain(view)[0] == "Streaming for voice" and "**" not in "".join(plain(view))

        await pilot.resize_terminal(90, 60)  # narrower: every block is drawn again at the new width
        await pilot.pause()
        assert view.size.width == 45 and view.size == static.size
        assert drawn(view) == drawn(static)

        code = [line for line in plain(view) if "for chunk in stream" in line]
        dark_code = next(look for char, look in drawn(view)[plain(view).index(code[0])] if char == "f")
        app.theme = "textual-light"  # the base style under Rich's changes, and code is drawn light
        static.update(RichMarkdown(REPLY, code_theme="default"))
        await pilot.pause()
        assert drawn(view) == drawn(static)
        light_code = next(look for char, look in drawn(view)[plain(view).index(code[0])] if char == "f")
        assert light_code[1] != dark_code[1]  # the code block's background


async def test_text_is_selected_with_the_mouse_and_copied():
    app = SideBySide()
    async with app.run_test(size=(140, 60)) as pilot:
        view = app.query_one(MarkdownView)
        view.update(REPLY)
        await pilot.pause()
        row = plain(view).index(next(line for line in plain(view) if line.startswith("The endpoint")))
        await pilot.mouse_down(view, offset=(4, row))
        await pilot.hover(view, offset=(11, row + 1))
        await pilot.mouse_up(view, offset=(11, row + 1))
        await pilot.pause()
        selected = app.screen.get_selected_text()
        first, second = plain(view)[row], plain(view)[row + 1]
        assert selected == first[4:] + "\n" + second[:12]
        background = drawn(view)[0][0][1][1]
        highlighted = [char for char, look in drawn(view)[row] if look[1] != background]
        assert "".join(highlighted).startswith("endpoint streams")  # the selection is shown
        await pilot.press("ctrl+c")
        assert app.clipboard == selected


async def test_a_reply_is_parsed_whole_when_it_ends_and_blocks_the_stream_got_wrong_are_redrawn():
    text = "See [the docs][docs].\n\nMore to say.\n\n[docs]: https://example.com\n"

    class OneReply(App[None]):
        def compose(self) -> ComposeResult:
            yield ChatMessage("assistant", streaming=True)

    app = OneReply()
    async with app.run_test(size=(100, 30)) as pilot:
        reply = app.query_one(ChatMessage)
        stream = reply.start_stream()
        stream.add(text[:30])  # the first paragraph is finished before its link's definition comes
        await pilot.pause(0.1)
        assert "[the docs][docs]" in plain(reply.markdown)[0]
        stream.add(text[30:])
        reply.finish(text, "200 OK")
        for _ in range(50):
            await pilot.pause(0.02)
            if reply.markdown.blocks[0].kind == WHOLE:
                break
        assert [b.kind for b in reply.markdown.blocks] == [WHOLE]
        assert plain(reply.markdown)[0] == "See the docs."  # the link resolved
        assert str(reply.query_one(".status").render()) == "200 OK"
