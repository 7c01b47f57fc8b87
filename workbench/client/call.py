"""One request in flight: a state machine that sends, reads the reply as it arrives, and records it.

    call = client.chat(body)
    async for text in call:      # content text as it arrives
        ...
    exchange = call.exchange     # or: exchange = await call.run()

The steps of `_drive`, in order: `_start` (deadlines armed), `_open` (send; the response
head recorded), `_take` for each piece of the body (timing, the body cap, SSE sniffing,
content text), `_resume` after each text handed out (a cancel or the time limit seen there),
`_release` (whatever happened: timers, body and connection closed), `_end` (the body's last
events, the reply checked, the Exchange finished). A cancel, the first-token deadline or the
time limit interrupt the task only while it waits inside the call, never while the consumer
holds a text; their CancelledError is absorbed with `uncancel`, anyone else's is re-raised.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx

from workbench import errors
from workbench.client.assembler import StreamAssembler, looks_like_sse
from workbench.client.diagnose import Diagnosis
from workbench.client.inflate import body_chunks
from workbench.exchange import Exchange, Failure, RecordedRequest
from workbench.redact import SHORTEST_IN_BODIES, Redactor, scrub_reply

if TYPE_CHECKING:
    from workbench.client.pool import Client

# What a failing transport raises; anything else is a bug and propagates.
_TRANSPORT_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError)


class _StopRequested(Exception):
    """Raised inside the stream loop when `Call.cancel()` came while the consumer held a chunk."""


class Call:
    """One request in flight: iterate it for content text, `await run()` for the Exchange."""

    def __init__(
        self,
        client: Client,
        request: httpx.Request | None,
        recorded: RecordedRequest,
        *,
        stream: bool,
        label: str,
        raise_on_failure: bool,
        secrets: list[str],
    ) -> None:
        self.exchange = Exchange(request=recorded, label=label, stream_requested=stream, body_cap=client.body_cap)
        self.error: errors.EndpointError | None = None
        self.raise_on_failure = raise_on_failure
        self._client = client
        self._request = request
        self._stream = stream
        self._secrets = secrets
        self._diagnosis = Diagnosis(
            request.url if request is not None else None, self.exchange, client.target.timeouts,
            body_cap=client.body_cap, total_timeout=client.total_timeout, secrets=secrets,
        )
        self._gen: AsyncIterator[str] | None = None
        self._task: asyncio.Task[Any] | None = None
        self._inside = False  # the generator is running (not parked at a yield)
        self._cancels_sent = 0
        self._cancel_requested = False
        self._deadline_hit = False  # the first-token deadline passed
        self._total_hit = False  # the whole call's time limit passed
        self._done = False
        self._t0 = 0.0
        # While the reply is read:
        self._deadline: asyncio.TimerHandle | None = None  # the first-token deadline, until content came
        self._time_limit: asyncio.TimerHandle | None = None
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._assembler: StreamAssembler | None = None
        self._sse: bool | None = False  # read the body as SSE; None: not known until its first bytes
        self._over = False  # the last piece passed the body cap
        self._body = bytearray()  # exchange.body grows in place while the reply arrives; bytes at the end

    # ---- public -------------------------------------------------------------------------

    def __aiter__(self) -> "Call":
        return self

    async def __anext__(self) -> str:
        if self._gen is None:
            self._gen = self._drive()
        try:
            return await self._gen.__anext__()
        except StopAsyncIteration:
            if self.error is not None and self.raise_on_failure:
                raise self.error from None
            raise

    async def run(self) -> Exchange:
        """Consume the reply; return the Exchange, or raise its failure (see raise_on_failure)."""
        if self._gen is None:
            self._gen = self._drive()
        async for _ in self._gen:
            pass
        if self.error is not None and self.raise_on_failure:
            raise self.error
        return self.exchange

    def cancel(self) -> None:
        """Stop the call now; the Exchange keeps what arrived and says cancelled=True.

        Safe from any task on the loop's thread (from another thread, use
        loop.call_soon_threadsafe(call.cancel)). The consumer's loop simply ends.
        """
        if self._done or self._cancel_requested:
            return
        self._cancel_requested = True
        self._interrupt()

    async def aclose(self) -> None:
        """Release the connection of a call abandoned part way (e.g. after `break`)."""
        if self._gen is not None and not self._done:
            await self._gen.aclose()  # type: ignore[attr-defined]

    @property
    def done(self) -> bool:
        return self._done

    # ---- the stream -------------------------------------------------------------------

    async def _drive(self) -> AsyncIterator[str]:
        if not self._start():
            return
        ended = False
        try:
            async for chunk in await self._open():
                for text in self._take(chunk):
                    self._inside = False
                    yield text
                    self._resume()
                if self._over:
                    self.exchange.body_truncated = True
                    self._fail(self._diagnosis.too_large())
                    break
            ended = True
        except _StopRequested:
            self._stopped_by_us()
        except asyncio.CancelledError:
            if not self._absorb_cancel():
                raise
        except _TRANSPORT_ERRORS as error:
            if self._cancels_sent and self._own_cancel():
                # Our cancel surfaced as a transport error (a library tidied up on the way out).
                self._stopped_by_us()
            else:
                self._fail(self._diagnosis.describe(error, self._response is not None))
        finally:
            await self._release(ended)
        if self._done:
            return
        for text in self._end(ended):
            yield text

    def _start(self) -> bool:
        """Arm the deadlines and the clock; False when there is nothing to send (the call is then finished)."""
        if self._done:
            return False
        if self._request is None or self._cancel_requested:
            if self._cancel_requested:
                self._record_cancel(user=True)
            self._finish()
            return False
        if self._client._http is None:
            raise RuntimeError("Client closed before the call was run")
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._inside = True
        first_token = self._client.target.timeouts.first_token
        if self._stream and first_token:
            self._deadline = loop.call_at(loop.time() + first_token, self._first_token_due)
        total = self._client.total_timeout
        if total:
            self._time_limit = loop.call_at(loop.time() + total, self._time_limit_due)
        self._t0 = time.perf_counter()
        self.exchange.started_at = time.time()
        return True

    async def _open(self) -> AsyncIterator[bytes]:
        """Send the request and record the response head; the body's pieces to read."""
        http = self._client._http
        assert http is not None and self._request is not None  # _start said so
        exchange = self.exchange
        response = self._response = await http.send(self._request, stream=True)
        exchange.timings.headers_ms = round((time.perf_counter() - self._t0) * 1000, 3)
        exchange.status = response.status_code
        exchange.reason = response.reason_phrase
        exchange.http_version = response.http_version
        encoding = response.headers.encoding
        exchange.response_headers = [(k.decode(encoding), v.decode(encoding)) for k, v in response.headers.raw]
        exchange.body = self._body  # type: ignore[assignment]
        success = 200 <= response.status_code < 300
        if not success:
            self._content_came()  # an error status is a complete answer, not a late stream
        self._sse = True if exchange.is_sse else (None if self._stream and success else False)
        if self._sse:
            self._assembler = StreamAssembler(exchange)
        self._chunks = body_chunks(response)
        return self._chunks

    def _take(self, chunk: bytes) -> list[str]:
        """One piece of the body arrived: record it (up to the cap); the content texts it completed."""
        t_ms = (time.perf_counter() - self._t0) * 1000
        timings = self.exchange.timings
        if timings.first_byte_ms is None:
            timings.first_byte_ms = round(t_ms, 3)
        room = self._client.body_cap - len(self._body)
        self._over = len(chunk) > room
        if self._over:
            chunk = chunk[:room]
        self._body += chunk
        if self._sse is None and self._body.strip():
            chunk = self._sniff(chunk)
        if self._assembler is None:
            return []
        texts = self._assembler.feed(chunk, t_ms)
        if texts:
            self._content_came()
        return texts

    def _sniff(self, chunk: bytes) -> bytes:
        """Wrong Content-Type on a stream request: read it as SSE if it looks like SSE (from its first byte)."""
        self._sse = looks_like_sse(bytes(self._body[:64]))
        if self._sse:
            self._assembler = StreamAssembler(self.exchange)
            return bytes(self._body)
        self._content_came()
        return chunk

    def _content_came(self) -> None:
        """The first-token deadline is over: content came, or the reply can have none."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _resume(self) -> None:
        """The consumer asked for more after a text: stop here if a cancel or the time limit came meanwhile."""
        self._inside = True
        self._task = asyncio.current_task()
        if self._cancel_requested or self._total_hit:
            raise _StopRequested

    def _absorb_cancel(self) -> bool:
        """A CancelledError arrived: True when it was ours (recorded), False when it must propagate."""
        if self._own_cancel():
            self._stopped_by_us()
            return True
        self._record_cancel(user=False)
        self._finish()
        return False

    async def _release(self, ended: bool) -> None:
        """However the reading stopped: timers off, the body and the connection closed."""
        self._inside = False
        self._content_came()
        if self._time_limit is not None:
            self._time_limit.cancel()
        if self._chunks is not None:
            await self._chunks.aclose()  # type: ignore[attr-defined]
        if self._response is not None:
            await _close_quietly(self._response)
        if not self._done and not ended and self.exchange.failure is None:
            # Left early (the consumer broke off and the generator was closed).
            self._record_cancel(user=True)
            self._finish()

    def _end(self, ended: bool) -> list[str]:
        """The body ended: its last texts, the reply checked and the Exchange finished before they are handed out."""
        exchange = self.exchange
        assembler = self._assembler
        texts = assembler.close((time.perf_counter() - self._t0) * 1000) if assembler is not None else []
        if ended:
            self._check_reply(assembler)
        self._finish()  # before the last texts, so a consumer that stops here leaves a finished Exchange
        if exchange.cancelled:
            return []
        if not self._stream and ended and exchange.ok and not exchange.events:
            # A whole (non-streamed) reply arrives as one piece of text.
            text = exchange.reply_text
            if text:
                texts.append(text)
        return texts

    def _check_reply(self, assembler: StreamAssembler | None) -> None:
        exchange = self.exchange
        success = exchange.status is not None and 200 <= exchange.status < 300
        if self._stream and success and not exchange.is_sse:
            self._fail(self._diagnosis.not_sse())
        if assembler is not None and assembler.utf8_error is not None:
            self._fail(self._diagnosis.invalid_utf8(*assembler.utf8_error))
        elif assembler is None and success and _is_textual(exchange.content_type):
            try:
                bytes(exchange.body).decode("utf-8")
            except UnicodeDecodeError as error:
                self._fail(self._diagnosis.invalid_utf8(error.start, exchange.body[error.start : error.end]))

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        exchange = self.exchange
        if self._t0:
            exchange.timings.total_ms = round((time.perf_counter() - self._t0) * 1000, 3)
        exchange.body = bytes(exchange.body)
        self._scrub_reply()

    def _scrub_reply(self) -> None:
        """A server that echoes the credential back (in an error message, say) must not put it in the recording."""
        scrub_reply(self.exchange, Redactor(self._secrets, shortest=SHORTEST_IN_BODIES))

    # ---- cancellation and the first-token deadline ---------------------------------------

    def _interrupt(self) -> None:
        """Cancel the task running the generator, but only while it waits inside it."""
        task = self._task
        if not self._inside or task is None or task.done():
            return  # parked at a yield: the flag is seen when the consumer asks for more
        try:
            current = asyncio.current_task()
        except RuntimeError:
            current = None
        if task is current:
            return
        self._cancels_sent += 1
        task.cancel()

    def _first_token_due(self) -> None:
        self._deadline_hit = True
        self._interrupt()

    def _time_limit_due(self) -> None:
        self._total_hit = True
        self._interrupt()

    def _stopped_by_us(self) -> None:
        """The call was stopped by cancel(), the first-token deadline or the time limit: record which."""
        if self._cancel_requested:
            self._record_cancel(user=True)
        elif self._deadline_hit:
            self._fail(self._diagnosis.first_token_timeout())
        else:
            self._fail(self._diagnosis.reply_timeout())

    def _own_cancel(self) -> bool:
        """True when the CancelledError came from cancel() or the deadline alone (then it is absorbed)."""
        if not self._cancels_sent:
            return False
        task = asyncio.current_task()
        remaining = 0
        for _ in range(self._cancels_sent):
            remaining = task.uncancel() if task is not None else 0
        self._cancels_sent = 0
        return remaining == 0

    def _record_cancel(self, *, user: bool) -> None:
        exchange = self.exchange
        exchange.cancelled = True
        elapsed = (time.perf_counter() - self._t0) * 1000 if self._t0 else 0.0
        who = "by the caller" if user else "(the task running it was cancelled)"
        error = errors.Cancelled(
            f"The call was cancelled {who} after {elapsed:.0f} ms; kept {len(exchange.events)} events "
            f"and {len(exchange.reply_text)} characters of reply text.",
            "Nothing to fix: this is what arrived before the cancel.",
        )
        if exchange.failure is None:
            exchange.failure = Failure(error.kind, error.message, error.hint)

    def _fail(self, error: errors.EndpointError) -> None:
        """Record the first failure (later ones are consequences of it), the keys in it masked."""
        if self.exchange.failure is not None:
            return
        error.message = Redactor(self._secrets).scrub(error.message)
        error.args = (error.message,)
        self.error = error
        self.exchange.failure = Failure(error.kind, error.message, error.hint)


def _is_textual(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type.endswith("json")


async def _close_quietly(response: httpx.Response) -> None:
    try:
        await response.aclose()
    except (httpx.HTTPError, OSError):
        pass
