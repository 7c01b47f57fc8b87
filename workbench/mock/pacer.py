"""A paced stream written from timer callbacks: no task wakes up for a token.

With 1,000 paced streams at 20 tokens a second the mock writes 20,000 chunks a second.
Waking each stream's handler task for each token (a future, a timer, then the resume of the
half-dozen coroutines between the event loop and the handler, and aiohttp's write path) was
most of that work. Here the handler writes what is due at once, the head with it (the
mock's own, `written.stream_head`, on an HTTP/1.1 keep-alive connection; else through
aiohttp's response), then waits on one future for the whole stream, while each later
token is one timer callback that frames its bytes as an HTTP chunk and gives them to the
transport. A run of plain content tokens (`streaming.TokenRun`) is one step: each token of it
is framed when its time comes, with no step object or generator turn of its own. Every token
is counted from the request's arrival and never sent early; a pause (a stall, the first-word
stall, a reasoning word) moves every later token by as much, and is counted from when the
step before it was planned, so late timers do not add up.
Unpaced streams (and every other reply) are written by `streaming.write_steps`.

Under keep-generating (`Pacing.finish_after_hangup`) a client that hangs up is only noted:
the reply goes on to its end unseen, as a server that never notices does.
"""

from __future__ import annotations

import asyncio
import time
import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import cast

from aiohttp import web
from aiohttp.http_writer import StreamWriter

from workbench.mock.streaming import DROP, Pacing, Step, TokenRun, pause_of

# What `_collect` found after the steps due now.
WAIT, DROPPED, ENDED = range(3)
# A token found early by more than this waits again (a loop whose clock differs from
# time.monotonic(); see LATER_S for why uvloop's does not).
EARLY_S = 0.0002
# uvloop's timers count whole milliseconds from the loop's clock, rounded: set for the due
# time itself, one may fire up to half a millisecond before it, and then wait again (a
# quarter of the wake-ups did). Set this much later, none fires early and none waits twice.
LATER_S = 0.0005


class PacedWriter:
    """Writes `steps` on time, counted from `start` (time.monotonic() at arrival)."""

    __slots__ = (
        "chunked",
        "done",
        "due",
        "gone",
        "head",
        "headers_sent",
        "held",
        "loop",
        "pacing",
        "paused",
        "request",
        "start",
        "steps",
        "timer",
        "token_at",
        "token_run",
        "tokens",
        "transport",
    )

    def __init__(self, request: web.BaseRequest, steps: Iterator[Step | TokenRun], pacing: Pacing,
                 start: float, head: bytes | None = None) -> None:
        self.request = request
        self.transport = request.transport
        # `head`: the reply's status line and headers, written here before the first chunk
        # (written.stream_head); None: aiohttp's response wrote them, and frames by the version.
        self.head = head
        self.chunked = head is not None or cast(StreamWriter, request.writer).chunked  # 1.0: plain bytes
        self.steps = steps
        self.pacing = pacing
        self.start = start
        self.tokens = 0  # content tokens timed so far
        self.held: bytes | None = None  # a token waiting for its time
        self.token_run: TokenRun | None = None  # the run of tokens being written, and its next index
        self.token_at = 0
        self.paused: Step | None = None  # a step whose pause is being waited, its bytes still to come
        self.gone = False  # the client hung up and the reply goes on unseen (keep-generating)
        self.due = start  # when the step being written was planned to go out
        self.timer: asyncio.TimerHandle | None = None
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[bool] = self.loop.create_future()
        self.headers_sent = False

    async def run(self, response: web.StreamResponse | None) -> bool:
        """The whole stream; False when it was cut on purpose (drop-mid-stream).

        `response` is aiohttp's, prepared, or None when this writer has the head to write.
        """
        try:
            data, action = self._collect()
            if data:
                if response is None:
                    self._write(data)  # the head leaves with it
                else:
                    await response.write(data)  # through aiohttp: the headers leave with it
                    self.headers_sent = True
            self._act(action)
            if not await self.done:
                return False
            if not self.gone:
                if response is None:
                    self._write_end()
                else:
                    await response.write_eof()
            return True
        finally:
            if self.timer is not None:
                self.timer.cancel()

    def _collect(self) -> tuple[bytes, int]:
        """The bytes of every step due now, and what comes after them."""
        pending: list[bytes] = []
        if self.held is not None:
            pending.append(self.held)
            self.held = None
        now = time.monotonic()
        if self.token_run is not None and self._run_tokens(pending, now):
            return b"".join(pending), WAIT
        pacing = self.pacing
        steps = self.steps if self.paused is None else itertools.chain((self.paused,), self.steps)
        self.paused = None
        for step in steps:
            if isinstance(step, TokenRun):
                self.token_run, self.token_at = step, 0
                if self._run_tokens(pending, now):
                    return b"".join(pending), WAIT
                continue
            if step is DROP:
                return b"".join(pending), DROPPED
            pause = pause_of(step, pacing)
            if pause:
                self.start += pause  # every later token moves by the pause
                # From when the step before it was planned, not from now: a timer that fires late
                # must not make every later pause (a reasoning word each) later still.
                self.due += pause
                if step.data:
                    self.paused = replace(step, pause_s=0.0)
                return b"".join(pending), WAIT
            if step.token and self._time_next_token() > now:
                self.held = step.data
                return b"".join(pending), WAIT
            pending.append(step.data)
        return b"".join(pending), ENDED

    def _time_next_token(self) -> float:
        """The next content token's slot (counted from arrival), now its `due`; it is counted as timed."""
        pacing = self.pacing
        self.due = self.start + pacing.ttft_s + self.tokens * pacing.token_interval_s
        self.tokens += 1
        return self.due

    def _run_tokens(self, pending: list[bytes], now: float) -> bool:
        """The run's tokens due by `now` onto `pending`; True when the next one waits for its time."""
        run = self.token_run
        assert run is not None
        tokens, at = run.tokens, self.token_at
        while at < len(tokens):
            due = self._time_next_token()
            data = run.frame(tokens[at])
            at += 1
            if due > now:
                self.held, self.token_at = data, at
                return True
            pending.append(data)
        self.token_run = None
        return False

    def _act(self, action: int) -> None:
        if action == WAIT:
            self.timer = self.loop.call_at(self.due + LATER_S, self._fire)
        elif action == DROPPED:
            if self.transport is not None:
                self.transport.close()
            self._finish(False)
        else:
            self._finish(True)

    def _fire(self) -> None:
        self.timer = None
        if self.done.done():
            return
        now = time.monotonic()
        if self.due - now > EARLY_S:
            self.timer = self.loop.call_at(self.due + LATER_S, self._fire)
            return
        try:
            if not self._next_of_run(now):
                data, action = self._collect()
                self._write(data)
                self._act(action)
        except Exception as error:  # the client went away (or a bug): the handler gets it
            if not self.done.done():
                self.done.set_exception(error)

    def _next_of_run(self, now: float) -> bool:
        """The usual tick, kept short: the held token out, the run's next one framed and timed.

        False, having done nothing, when anything else is due: the run's end, a token already
        late (the general path writes all that is due at once). Half the Python calls of the
        general path, at 20,000 tokens a second (benchmarks/README.md, the mock's stream drift).
        """
        run, held = self.token_run, self.held
        if run is None or held is None or self.token_at >= len(run.tokens):
            return False
        pacing = self.pacing
        # `_time_next_token`'s slot, written out: this is the per-token path, and a token already
        # late is left to the general path uncounted.
        due = self.start + pacing.ttft_s + self.tokens * pacing.token_interval_s
        if due <= now:
            return False
        self.held = run.frame(run.tokens[self.token_at])
        self.token_at += 1
        self.tokens += 1
        self.due = due
        self._write(held)
        self.timer = self.loop.call_at(due + LATER_S, self._fire)
        return True

    def _write(self, data: bytes) -> None:
        if not data or self.gone:
            return
        transport = self.transport
        if transport is None or transport.is_closing():
            if self.pacing.finish_after_hangup:
                self.gone = True
                return
            raise ConnectionResetError("the client closed the stream")
        # The same framing as aiohttp's writer: the size in hex, the bytes, CRLF.
        framed = b"%x\r\n%b\r\n" % (len(data), data) if self.chunked else data
        if not self.headers_sent:  # the first bytes, or nothing was due at the start (no-role fault, a ttft)
            self.headers_sent = True
            if self.head is not None:
                framed = self.head + framed  # one write, one segment
            else:
                self.request.writer.send_headers()
        transport.write(framed)

    def _write_end(self) -> None:
        """The last chunk (and the head, if nothing came before it), when this writer has the head."""
        transport = self.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the client closed the stream")
        transport.write(b"0\r\n\r\n" if self.headers_sent else (self.head or b"") + b"0\r\n\r\n")
        self.headers_sent = True

    def _finish(self, whole: bool) -> None:
        if not self.done.done():
            self.done.set_result(whole)
