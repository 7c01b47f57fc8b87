"""What a caller hears of a reply: the spoken text (reasoning is silence), when its first word and its
first speakable unit came, and how much reasoning came before them. Pure; the client's assembler
feeds it each content piece with its arrival time (workbench/client/assembler.py).

Reasoning is silence. `<think>…</think>` in the content (DeepSeek-R1 style models served without
a reasoning parser; vLLM docs, "reasoning outputs") and the `reasoning_content` / `reasoning` /
`reasoning_details` deltas (DeepSeek, vLLM >= 0.11, OpenRouter) are not an answer: the first
token is the first *content* token after them, and the reasoning before it is counted (characters
and milliseconds) so a report can say how long the caller waited. Pipecat speaks `<think>` text
aloud (its base service pushes content to TTS as is); LiveKit strips it (llm/utils.py
`strip_thinking_tokens`): research/platform-facts.md.

The first speakable unit, exactly: the shortest beginning of the spoken text that
1. ends with a sentence end (`.`, `!`, `?` or `…`, closing quotes or brackets allowed after it)
   followed by whitespace, once it holds a word; or
2. ends with a clause end (`,`, `;`, `:`, a dash) followed by whitespace, once it holds at least
   CLAUSE_WORDS words; or
3. holds UNIT_WORDS words, the last one followed by whitespace; or
4. is the whole reply, when the reply ends first and holds a word.
The "followed by whitespace" keeps "3.14" and "e.g" from ending a sentence half way. Why these
lines, in docs/check.md ("First sentence").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
REASONING_FIELDS = ("reasoning_content", "reasoning", "reasoning_details")
_REASONING_KEYS = frozenset(REASONING_FIELDS)
CLAUSE_WORDS = 4  # "Well," alone is not a unit: the caller hears one word and then silence
UNIT_WORDS = 8  # about three seconds of speech: a TTS that streams words has started by then

_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’»)\]]*$")
_CLAUSE_END = re.compile(r"[,;:—–-]+[\"'”’»)\]]*$")
_HAS_WORD = re.compile(r"\w")
_SPACE = re.compile(r"\s+")
_NON_SPACE = re.compile(r"\S")
# A "word" this long with no whitespace in it is not speech: scanning stops there (the reply's end
# still counts as a unit), so a stream of megabytes without a space costs linear time, not square.
LONGEST_WORD = 4096


class UnitScanner:
    """Finds the first speakable unit in text that arrives piece by piece, reading each character once."""

    __slots__ = ("found", "gave_up", "has_word", "offset", "tail", "words")

    def __init__(self) -> None:
        self.words = 0
        self.offset = 0  # where `tail` (the text not yet cut into words) begins in the whole text
        self.tail = ""
        self.found: int | None = None  # the index the first unit ends at
        self.has_word = False
        self.gave_up = False

    def add(self, text: str) -> int | None:
        """More text came; the end of the first unit once it has come, else None."""
        if self.found is not None or self.gave_up or not text:
            return self.found
        self.has_word = self.has_word or bool(_HAS_WORD.search(text))
        scan_from = len(self.tail)
        self.tail += text
        while self.found is None:
            space = _SPACE.search(self.tail, scan_from)  # the tail before scan_from holds no whitespace
            if space is None:
                self.gave_up = len(self.tail) > LONGEST_WORD
                break
            token = self.tail[: space.start()]
            self.offset += space.end()
            self.tail = self.tail[space.end():]
            scan_from = 0
            if token and self._ends_unit(token):
                self.found = self.offset - (space.end() - space.start())
        return self.found

    def _ends_unit(self, token: str) -> bool:
        self.words += bool(_HAS_WORD.search(token))
        return bool(self.words and _SENTENCE_END.search(token)) or (
            self.words >= CLAUSE_WORDS and bool(_CLAUSE_END.search(token))) or self.words >= UNIT_WORDS

    def end(self, text_length: int) -> int | None:
        """The reply ended at `text_length` characters: the whole reply is a unit when it holds a word."""
        if self.found is None and self.has_word:
            self.found = text_length
        return self.found


def first_unit_end(text: str, final: bool = False) -> int | None:
    """Where the first speakable unit of `text` ends (an index into it), or None when it holds none
    yet. `final`: the reply has ended, so what it holds is complete."""
    scanner = UnitScanner()
    found = scanner.add(text)
    if found is None and final:
        found = scanner.end(len(text.rstrip()))
    return found


def reasoning_text(delta: object) -> str:
    """The reasoning a stream delta (or a whole reply's message) carries in its reasoning fields."""
    if not isinstance(delta, dict) or not _REASONING_KEYS & delta.keys():
        return ""
    parts = []
    for name in REASONING_FIELDS:
        value = delta.get(name)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):  # OpenRouter's reasoning_details: [{"type", "text"|"summary", …}]
            parts += [item.get("text") or item.get("summary") or "" for item in value if isinstance(item, dict)]
    return "".join(p for p in parts if isinstance(p, str))


def spoken_text(content: str) -> str:
    """`content` without its <think>…</think> blocks (an unclosed one runs to the end)."""
    tracker = SpeechTracker()
    tracker.feed(content, "", 0.0)
    tracker.end(0.0)
    return tracker.spoken


class SpeechTracker:
    """Follows a reply piece by piece: its spoken text, and when the caller would hear what.

    Times are the caller's (milliseconds since the request began); None where the moment never
    came. `think_chars` counts reasoning inside <think> tags in the content, `reasoning_chars`
    reasoning in the reasoning fields, both before the first content token. Each character is
    looked at a bounded number of times, so a long or hostile stream costs linear time.
    """

    def __init__(self) -> None:
        self.first_token_ms: float | None = None
        self.first_sentence_ms: float | None = None
        self.reasoning_started_ms: float | None = None
        self.reasoning_ms: float | None = None  # from the first reasoning to the first content token (or the end)
        self.think_chars = 0
        self.reasoning_chars = 0
        self.ended = False
        self._pieces: list[str] = []
        self._length = 0
        self._nonblank = False  # the spoken text holds more than whitespace
        self._units = UnitScanner()
        self._in_think = False
        self._held = ""  # a tail that may be the start of a tag: it waits for the next piece

    @property
    def spoken(self) -> str:
        return "".join(self._pieces)

    @property
    def spoken_pieces(self) -> Sequence[str]:
        """The spoken text so far as it was added, piece by piece (read it, do not change it): a reader
        that follows a long reply takes only the pieces past the ones it has seen."""
        return self._pieces

    @property
    def reasoned(self) -> bool:
        return self.reasoning_started_ms is not None

    def feed(self, content: str, reasoning: str, t_ms: float) -> None:
        """One piece of the reply arrived at `t_ms`: its content text and its reasoning text."""
        if reasoning and self.first_token_ms is None:
            self.reasoning_chars += len(reasoning)
            self._reasoning_at(t_ms)
        if content:
            self._take(self._held + content, t_ms, final=False)
            self._heard(t_ms)

    def end(self, t_ms: float) -> None:
        """The reply ended at `t_ms` (a finish_reason, [DONE], or the body's end)."""
        if self.ended:
            return
        self.ended = True
        if self._held:
            self._take(self._held, t_ms, final=True)
        self._heard(t_ms)
        if self.first_sentence_ms is None and self._units.end(self._length) is not None:
            self.first_sentence_ms = t_ms
        if self.reasoning_ms is None and self.reasoning_started_ms is not None:
            self.reasoning_ms = round(t_ms - self.reasoning_started_ms, 3)

    def _reasoning_at(self, t_ms: float) -> None:
        if self.reasoning_started_ms is None:
            self.reasoning_started_ms = t_ms

    def _take(self, text: str, t_ms: float, *, final: bool) -> None:
        """Split `text` into spoken words and <think> reasoning, holding back a tail that may be a tag."""
        self._held = ""
        while text:
            tag = THINK_CLOSE if self._in_think else THINK_OPEN
            at = text.find(tag)
            if at < 0:
                keep = 0 if final else _partial_tag(text, tag)
                self._add(text[: len(text) - keep])
                self._held = text[len(text) - keep :]
                return
            self._add(text[:at])
            if not self._in_think:
                self._reasoning_at(t_ms)
            self._in_think = not self._in_think
            text = text[at + len(tag) :]

    def _add(self, text: str) -> None:
        if not text:
            return
        if self._in_think:
            if self.first_token_ms is None:
                self.think_chars += len(text)
            return
        self._pieces.append(text)
        self._length += len(text)
        self._nonblank = self._nonblank or bool(_NON_SPACE.search(text))
        self._units.add(text)

    def _heard(self, t_ms: float) -> None:
        """The first token and the first unit, if this piece completed them."""
        # After reasoning, the blank lines that follow </think> are not a word yet.
        if self.first_token_ms is None and (self._nonblank or (self._length and not self.reasoned)):
            self.first_token_ms = t_ms
            if self.reasoning_started_ms is not None:
                self.reasoning_ms = round(t_ms - self.reasoning_started_ms, 3)
        if self.first_sentence_ms is None and self.first_token_ms is not None and self._units.found is not None:
            self.first_sentence_ms = t_ms


def _partial_tag(text: str, tag: str) -> int:
    """How many characters at the end of `text` could be the beginning of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0
