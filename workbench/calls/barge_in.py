"""A caller barging in: a streamed reply cancelled after its first few words, the next turn sent at once.

`listen` is the one barge-in step (the check's probe and `workbench simulate`'s
`interrupt_after_words` both read a reply through it); `barge_in` is the check's whole scene.

What the platforms do, from their code (research/platform-facts.md): on an interruption Pipecat
cancels the LLM task and closes the HTTP response (services/openai/base_llm.py 455-469), and
its next request carries only the words actually spoken as the assistant turn
(processors/aggregators/llm_response_universal.py 1677-1726); LiveKit closes the stream too
(voice/agent_activity.py 3534) and keeps the text that reached the caller
(voice/generation.py 579-596). Nothing spoken, no assistant turn. Vapi and ElevenLabs:
unconfirmed. `Platform.interrupted_history` says what each sends.

A server that does not notice the client hung up goes on generating the abandoned reply; one
that serves a generation at a time then holds the next turn until it is done (PLATFORMS.md,
"What breaks in practice" 6). Comparing that turn's first token with a turn that followed no
interruption shows the wait.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench import speech, wire
from workbench.exchange import Exchange

if TYPE_CHECKING:
    from workbench.client import Call, Client
    from workbench.platforms.base import Platform
    from workbench.target import Target

CANCEL_AFTER = 3  # content pieces: "the first few words" a caller hears before talking over them
# A turn that invites a long answer, so there is a reply to abandon.
INTERRUPTED_TURN = ("I am calling about the booking I made last week for Saturday evening, and I would like you to "
                    "tell me everything about the menu, the opening hours, the parking and the terrace, please.")
NEXT_TURN = "Sorry, just the opening hours, please."


@dataclass
class Heard:
    """What the caller heard of a streamed reply, and whether they barged in on it."""

    spoken: str  # the words heard (reasoning is silence): what the platform sends as the assistant turn
    cut: bool  # True: the stream was cancelled while the reply was still coming; False: it ended first
    pieces: int  # the content pieces handed out before the cancel (or in all)


class _WordCounter:
    """Counts the words of the spoken text as it grows, reading each spoken piece once."""

    def __init__(self) -> None:
        self.tracker = speech.SpeechTracker()
        self.words = 0
        self._seen = 0  # spoken pieces already counted
        self._in_word = False

    def add(self, text: str) -> int:
        self.tracker.feed(text, "", 0.0)
        pieces = self.tracker.spoken_pieces
        for piece in pieces[self._seen:]:
            for match in _WORD.finditer(piece):
                self.words += not (match.start() == 0 and self._in_word)
            self._in_word = bool(piece) and not piece[-1].isspace()
        self._seen = len(pieces)
        return self.words


_WORD = re.compile(r"\S+")


def first_words(text: str, count: int) -> str:
    """The first `count` words of `text` (whitespace-separated) as they were written, from the first word
    to the end of the last (the blank lines after a reasoning block are not heard)."""
    start = None
    for number, match in enumerate(_WORD.finditer(text), start=1):
        start = match.start() if start is None else start
        if number == count:
            return text[start: match.end()]
    return text.strip()


async def listen(call: Call, *, after_pieces: int | None = None, after_words: int | None = None,
                 on_text: Callable[[str], None] | None = None) -> Heard:
    """Read a streamed reply as a caller hears it, and barge in after `after_pieces` content pieces or
    `after_words` spoken words (None: hear it all): the stream is cancelled, as the platform closes it,
    and the loop ends there. `on_text` gets each piece handed out. The one barge-in step the check and
    simulate share. Failures stay on the call's Exchange, never raised.

    With `after_words` the caller heard exactly the first `after_words` words (a piece may carry more);
    with `after_pieces`, every piece that came before the cancel."""
    words = _WordCounter()
    pieces = 0
    barged = False
    async for text in call:
        if not text:
            continue
        pieces += 1
        if on_text is not None:
            on_text(text)
        counted = words.add(text)
        if not barged and ((after_pieces is not None and pieces >= after_pieces)
                           or (after_words is not None and counted >= after_words)):
            barged = True
            call.cancel()  # the stream is closed, as the platform closes it; the loop ends here
    words.tracker.end(0.0)
    spoken = words.tracker.spoken
    if after_words is not None and barged:
        spoken = first_words(spoken, after_words)
    return Heard(spoken, barged and call.exchange.cancelled, pieces)


@dataclass
class BargeIn:
    """What happened: the interrupted reply, what the caller heard of it, and the turn after."""

    interrupted: Exchange
    spoken: str  # the words that came before the cancel (the platform sends them as the assistant turn)
    cut: bool  # True: the cancel came while the reply was still coming; False: it had already ended
    next_turn: Exchange

    def delay_ms(self, baseline: Exchange) -> float | None:
        """How much later the next turn's first token came than `baseline`'s (a turn after no interruption)."""
        late, usual = self.next_turn.timings.first_token_ms, baseline.timings.first_token_ms
        if late is None or usual is None:
            return None
        return round(late - usual, 1)


def next_turn_messages(platform: Platform, history: list[dict[str, Any]], spoken: str,
                       interrupted: str = INTERRUPTED_TURN, next_user: str = NEXT_TURN) -> list[dict[str, Any]]:
    """The messages of the turn after the interruption, as `platform` sends them."""
    return [*history, wire.message("user", interrupted), *platform.interrupted_history(spoken),
            wire.message("user", next_user)]


async def barge_in(client: Client, platform: Platform, target: Target, history: list[dict[str, Any]], *,
                   interrupted: str = INTERRUPTED_TURN, next_user: str = NEXT_TURN, after: int = CANCEL_AFTER,
                   label: str = "barge-in") -> BargeIn:
    """Stream a reply to `interrupted`, cancel it after `after` content pieces, then send `next_user`
    at once with the history the platform sends. Failures are on the Exchanges, never raised."""
    request = platform.build_request(target, [*history, wire.message("user", interrupted)], stream=True)
    call = client.send(request, label=f"{label}: interrupted")
    heard = await listen(call, after_pieces=after)
    first = call.exchange
    following = platform.build_request(
        target, next_turn_messages(platform, history, heard.spoken, interrupted, next_user), stream=True)
    second = await client.send(following, label=f"{label}: next turn").run()
    return BargeIn(first, heard.spoken, first.cancelled, second)
