"""A reply split into top-level blocks draws exactly as the whole text does, however it streams in.

The chat draws a reply block by block (tui/widgets/markdown_view.py) so a streamed reply only
draws its last block again. These hold what makes that safe, against Rich itself: blocks drawn
one by one and joined give Rich's lines for the whole text, and a stream, cut anywhere, ends
with the blocks of a whole parse.
"""

from __future__ import annotations

import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markdown import Markdown
from rich.segment import Segment

from workbench.tui.markdown_blocks import WHOLE, MarkdownBlocks, blank_between

EXAMPLES = settings(max_examples=int(os.environ.get("WORKBENCH_FUZZ_EXAMPLES", "200")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Pieces of Markdown an LLM writes, and the ones whose block boundaries are easy to get wrong.
PIECES = [
    "# Title", "## Section", "### Smaller", "A paragraph with *emphasis*, **strong**, `code` and ~~struck~~ text.",
    "---", "***", "- one\n- two", "- loose\n\n  second paragraph\n- next", "1. first\n2. second", "3. starts at three",
    "1) with a paren", "+ plus\n+ list", "- nested\n  - deeper\n    - deepest", "- [ ] a task", "> a quote\n> goes on",
    "> - a list in a quote", "| a | b |\n|---|---|\n| 1 | 2 |", "```python\nx = 1\n```", "```\nnot closed yet",
    "    indented code", "Setext heading\n==============", "Setext two\n---", "<div>html</div>", "hard  \nbreak",
    "lazy\ncontinuation", "[a link](https://example.com)", "word " * 30, "",
    # Line breaks to Python's str.splitlines but not to CommonMark (U+2028/2029), and CR line ends.
    "a line\u2028separator", "a paragraph\u2029separator", "carriage\rreturn", "windows\r\nline ends",
]
SEPARATORS = ["\n", "\n\n", "\n\n\n"]

documents = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).flatmap(
    lambda pieces: st.lists(st.sampled_from(SEPARATORS), min_size=len(pieces), max_size=len(pieces)).map(
        lambda seps: "".join(piece + sep for piece, sep in zip(pieces, seps, strict=True))))


def rich_lines(text: str, width: int) -> list[list[Segment]]:
    """Rich's lines for `text` at `width`, as Textual's Static draws a Rich renderable."""
    console = Console(file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True)
    options = console.options.update(highlight=False, width=width, height=None)
    lines = Segment.split_and_crop_lines(console.render(Markdown(text), options), width,
                                         include_new_lines=False, pad=False)
    return [list(Segment.simplify(line)) for line in lines]


def joined_lines(blocks: MarkdownBlocks, width: int) -> list[list[Segment]]:
    """Each block drawn on its own, joined as the chat's MarkdownView joins them."""
    lines: list[list[Segment]] = []
    for index, block in enumerate(blocks.blocks):
        if index and blank_between(blocks.blocks[index - 1], block):
            lines.append([])
        lines.extend(rich_lines(block.source, width))
    return lines


@EXAMPLES
@given(documents, st.sampled_from([24, 60, 100]))
def test_blocks_drawn_one_by_one_are_the_whole_text_drawn(text, width):
    assert joined_lines(MarkdownBlocks(text), width) == rich_lines(text, width)


@EXAMPLES
@given(documents, st.data())
def test_a_stream_cut_anywhere_ends_with_the_blocks_of_the_whole_text(text, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12)))
    stream = MarkdownBlocks()
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        stream.append(text[start:end])
    assert stream.text == text
    assert stream.blocks == MarkdownBlocks(text).blocks


LLM_REPLY = """## Streaming for voice

The endpoint streams each token as soon as the model has it, so the caller hears the agent start
to speak early. A platform reads the first sentence aloud while the rest is still arriving.

- first token under a second
- no gap longer than 300 ms
- end with `data: [DONE]`

```python
for chunk in stream:
    speak(chunk.choices[0].delta.content or "")
```

1. check the **auth header**
2. check the *framing*

> Silence on a phone call feels like a dropped line.

| figure | budget |
|---|---|
| first token | 800 ms |

---

That is all.
"""


def test_an_llm_shaped_reply_is_many_blocks_and_streams_to_the_same_ones():
    text = LLM_REPLY
    whole = MarkdownBlocks(text)
    assert [b.kind for b in whole.blocks] == [
        "heading_open", "paragraph_open", "bullet_list_open", "fence", "ordered_list_open", "blockquote_open",
        "table_open", "hr", "paragraph_open"]
    stream = MarkdownBlocks()
    for start in range(0, len(text), 7):
        stream.append(text[start:start + 7])
    assert stream.blocks == whole.blocks
    assert joined_lines(whole, 100) == rich_lines(text, 100)


def test_a_text_with_a_reference_link_or_an_image_is_drawn_whole():
    reference = "See [the docs][docs].\n\nMore.\n\n[docs]: https://example.com\n"
    image = "Before.\n\n![a chart](chart.png) after\n"
    for text in (reference, image):
        blocks = MarkdownBlocks(text).blocks
        assert [(b.kind, b.source) for b in blocks] == [(WHOLE, text)]
        assert joined_lines(MarkdownBlocks(text), 80) == rich_lines(text, 80)
    drawn = "\n".join("".join(s.text for s in line) for line in rich_lines(reference, 80))
    assert "[docs]" not in drawn and "the docs" in drawn  # the link resolved across blocks


def test_only_the_block_still_open_is_parsed_again_on_append():
    stream = MarkdownBlocks()
    assert stream.append("# Title\n\nFirst paragraph.\n\n- it") == 0
    assert [b.kind for b in stream.blocks] == ["heading_open", "paragraph_open", "bullet_list_open"]
    # The list began on the unfinished line, so the paragraph may still be open; the heading is not.
    assert stream.append("em\n") == 1
    assert stream.append("- another\n\n") == 2  # the list began on a complete line: the paragraph is done
    assert [b.source for b in stream.blocks] == ["# Title\n", "First paragraph.\n", "- item\n- another\n\n"]


def test_a_block_begun_on_the_unfinished_line_does_not_finish_the_one_before():
    stream = MarkdownBlocks()
    stream.append("1. first\n\n1")  # "1" is a paragraph for now...
    assert [b.kind for b in stream.blocks] == ["ordered_list_open", "paragraph_open"]
    stream.append(". second\n")  # ...until it is the list's second item
    assert [(b.kind, b.source) for b in stream.blocks] == [("ordered_list_open", "1. first\n\n1. second\n")]


def test_a_unicode_line_separator_inside_a_paragraph_does_not_move_the_blocks_after_it():
    text = "A line\u2028with a separator.\n\n- item one\n- item two\n\n## Heading\n"
    blocks = MarkdownBlocks(text).blocks
    assert [(b.kind, b.source) for b in blocks] == [
        ("paragraph_open", "A line\u2028with a separator.\n"),
        ("bullet_list_open", "- item one\n- item two\n\n"),  # a list keeps the blank line after it
        ("heading_open", "## Heading\n"),  # was "\n": the heading vanished from the chat
    ]
