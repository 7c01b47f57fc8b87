"""MarkdownView: Markdown drawn by Rich in one widget, block by block, so a streamed reply stays cheap.

Textual's Markdown widget makes a widget of every block (four of every list item): an 800-word
reply is ~70 widgets, and each append of a streamed reply mounted, styled and laid out the new
ones, then the screen placed all of them again. At 2000 tokens/s that kept the UI busy for as
long as the stream lasted, and the last words reached the screen a median 62-81 ms after they
arrived (here: 26-27 ms; benchmarks/README.md).

Here a reply is one widget. Each top-level block is drawn by Rich once at the current width
and kept (keyed by its source, so a block drawn during the stream is not drawn again at the
end); an append draws again only the block that grew and the ones it started. The lines are
those of `Static(rich.markdown.Markdown(text, code_theme=...))`, code in a light or dark theme
as the app's theme is, and text can be selected with the mouse.
"""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from rich.segment import Segment
from textual.geometry import Size
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from workbench.tui.markdown_blocks import Block, MarkdownBlocks, blank_between

BLANK = Strip([])


def code_theme(dark: bool) -> str:
    """The Pygments theme for code blocks: Rich's own (monokai) on a dark theme, a light one on light."""
    return "monokai" if dark else "default"


class MarkdownView(Widget):
    """Markdown text, drawn by Rich; `append` adds streamed text, `update` replaces it."""

    DEFAULT_CSS = "MarkdownView { width: 1fr; height: auto; }"

    def __init__(self, text: str = "", *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._blocks = MarkdownBlocks(text)
        self._width = 0  # the width the kept drawings are for
        self._code_theme = ""  # and the code theme
        self._drawn: dict[str, list[Strip]] = {}  # a block's source -> its lines at _width
        self._lines: list[Strip] | None = None  # all lines at _width (None: join them again)

    @property
    def source(self) -> str:
        """The Markdown text shown."""
        return self._blocks.text

    @property
    def blocks(self) -> list[Block]:
        """The top-level blocks the text is drawn as."""
        return self._blocks.blocks

    def append(self, fragment: str) -> None:
        """Add streamed text at the end: the last block and any new ones are drawn again."""
        if fragment:
            self._blocks.append(fragment)
            self._changed()

    def update(self, text: str) -> None:
        """Show `text`, parsed whole (blocks already drawn are kept)."""
        self.set_blocks(MarkdownBlocks(text))

    def set_blocks(self, blocks: MarkdownBlocks) -> None:
        """Show text already parsed (in a thread, say): what `update` does without the parse."""
        same = [(b.source, b.kind) for b in blocks.blocks] == [(b.source, b.kind) for b in self._blocks.blocks]
        self._blocks = blocks
        if not same:
            self._changed()

    def _changed(self) -> None:
        height = len(self._lines) if self._lines is not None else None
        self._lines = None
        if not self.is_attached:
            return  # drawn when (if) it is mounted
        if self._width and height == len(self._all_lines(self._width)):
            self.refresh()  # the same height: no layout pass for the screen
        else:
            self.refresh(layout=True)

    # ---- drawing ------------------------------------------------------------------------

    def _draw(self, block: Block, width: int) -> list[Strip]:
        """Rich's lines for one block, as `Static` draws a Rich renderable (textual.visual.RichVisual)."""
        drawn = self._drawn.get(block.source)
        if drawn is None:
            app = self.app
            options = app.console_options.update(highlight=False, width=width, height=None)
            segments = app.console.render(RichMarkdown(block.source, code_theme=self._code_theme), options)
            lines = Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False)
            drawn = self._drawn[block.source] = [Strip(line) for line in lines]
        return drawn

    def _all_lines(self, width: int) -> list[Strip]:
        if width <= 0:
            return []  # not laid out yet, or hidden: keep what was drawn for the real width
        theme = code_theme(self.app.current_theme.dark)
        if width != self._width or theme != self._code_theme:
            self._width, self._code_theme = width, theme
            self._drawn.clear()
            self._lines = None
        if self._lines is None:
            lines: list[Strip] = []
            blocks = self._blocks.blocks
            for index, block in enumerate(blocks):
                if index and blank_between(blocks[index - 1], block):
                    lines.append(BLANK)
                lines.extend(self._draw(block, width))
            self._lines = lines
            shown = {block.source for block in blocks}
            for source in [s for s in self._drawn if s not in shown]:
                del self._drawn[source]  # a block the stream outgrew, or text replaced
        return self._lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._all_lines(width))

    def render_line(self, y: int) -> Strip:
        # Lines go out as Rich drew them; Textual pads them to the width with the background.
        lines = self._all_lines(self.size.width)
        if y >= len(lines):
            return BLANK
        line = lines[y].apply_style(self.visual_style.rich_style)
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            line = self._select(line, span)
        return line.apply_offsets(0, y)

    # ---- selection ----------------------------------------------------------------------

    def _select(self, line: Strip, span: tuple[int, int]) -> Strip:
        start, end = span
        end = line.cell_length if end == -1 else end
        style = self.screen.get_component_rich_style("screen--selection")
        before, chosen, after = line.divide([start, end, line.cell_length])
        selected = Strip(Segment.apply_style(chosen, post_style=style), chosen.cell_length)
        return Strip.join([before, selected, after])

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        text = "\n".join(line.text.rstrip() for line in self._all_lines(self._width or self.size.width))
        return selection.extract(text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()
