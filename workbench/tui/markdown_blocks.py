"""A Markdown text as its top-level blocks, so a growing reply is drawn one block at a time.

Rich draws Markdown as a run of top-level blocks (paragraphs, headings, lists, quotes, code,
tables, rules). Drawing each block on its own and joining them as Rich does (`blank_between`)
gives the very lines a drawing of the whole text gives (tests hold this for thousands of
generated documents), so a streamed reply needs only its last block drawn again as text comes.

Two things only a drawing of the whole text gets right: a reference link whose definition is
in another block, and the blank line Rich puts before an image (it depends on the block before
it). A text with either is one block, `WHOLE` (`split_blocks(..., whole_if_needed=True)`).

No Textual here: the widget that draws the blocks is `tui/widgets/markdown_view.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

# A list, quote or table draws its own blank line above it (Rich's elements inside it ask for one).
CONTAINERS = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"})
RULE = "hr"  # Rich draws a rule with the blank line under it, so the next block adds none
WHOLE = "document"  # the kind of the one block of a text that must be drawn whole
# Where markdown-it ends a line (its normalize rule), so its line numbers map to offsets here.
# Not str.splitlines: that also breaks at U+2028/U+2029, which CommonMark keeps inside a line.
LINE_END = re.compile(r"\r\n?|\n")


def new_parser() -> MarkdownIt:
    """A parser set up as Rich's own (rich.markdown.Markdown), so blocks split where Rich's do."""
    return MarkdownIt().enable("strikethrough").enable("table")


@dataclass(frozen=True)
class Block:
    """One top-level block: where its source starts in the text, the source, and its kind."""

    start: int
    source: str
    kind: str  # the markdown-it type of the token that opens it ("paragraph_open", "fence", ...)


def blank_between(previous: Block, block: Block) -> bool:
    """Whether a blank line goes between two blocks that neither draws itself."""
    return block.kind not in CONTAINERS and previous.kind != RULE


def split_blocks(text: str, parser: MarkdownIt, *, offset: int = 0, whole_if_needed: bool = False) -> list[Block]:
    """The top-level blocks of `text` (`offset` is added to their starts).

    With `whole_if_needed`, a text that only a whole drawing gets right is one WHOLE block.
    """
    env: dict[str, object] = {}
    tokens = parser.parse(text, env)
    if whole_if_needed and text and (env.get("references") or _has_image(tokens)):
        return [Block(offset, text, WHOLE)]
    line_starts = [0, *(end.end() for end in LINE_END.finditer(text))]
    if line_starts[-1] != len(text):
        line_starts.append(len(text))  # the end of an unfinished last line
    last_line = len(line_starts) - 1
    blocks = []
    for token in tokens:
        if token.level == 0 and token.map is not None and token.nesting >= 0:
            first, end = token.map
            start, stop = line_starts[min(first, last_line)], line_starts[min(end, last_line)]
            blocks.append(Block(offset + start, text[start:stop], token.type))
    return blocks


def _has_image(tokens: list[Token]) -> bool:
    return any(child.type == "image" for token in tokens if token.children for child in token.children)


class MarkdownBlocks:
    """The blocks of a text that grows at its end.

    `append` parses again only from the block still open: the last block that began before the
    text's unfinished last line. Blocks before it are finished: CommonMark never reopens a block
    once a complete line has closed it. (A block that begins on the unfinished line proves
    nothing yet: `1` is a paragraph until `1. second` makes it the list's next item.) A new
    `MarkdownBlocks(text)` parses the whole text: what a stream ends with, so the last picture is
    that of the whole text.
    """

    def __init__(self, text: str = "") -> None:
        self._parser = new_parser()
        self.text = text
        self.blocks: list[Block] = split_blocks(text, self._parser, whole_if_needed=True)

    def append(self, fragment: str) -> int:
        """Add `fragment` at the end; the index of the first block that was parsed again."""
        unfinished_line = max(self.text.rfind("\n"), self.text.rfind("\r")) + 1
        open_block = 0
        for index, block in enumerate(self.blocks):
            if block.start < unfinished_line:
                open_block = index
        start = self.blocks[open_block].start if self.blocks else 0
        self.text += fragment
        self.blocks[open_block:] = split_blocks(self.text[start:], self._parser, offset=start)
        return open_block
