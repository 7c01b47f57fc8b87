"""RoundTrip: one request through the proxy, from the platform to the endpoint and back, recorded as it passes.

The steps, in order: `admit` (the front-door key, the headers that go on), `read` (the body,
up to the cap), `send` (the request written to the endpoint, then its response head awaited, or
a failure answered 502/504 in the OpenAI error envelope), `relay` (the head, then every piece of
the body written to the platform the moment it arrives, then recorded; never buffered), and
`finish` (the Exchange completed and handed on). A piece is written before it is recorded, so
the recording costs the platform nothing it waits for. A request whose body came whole with its
head is admitted and sent from the parser's callback (`begin`), before its task wakes; `run`
does the rest, and everything for any other request.

How it can end besides a clean end of body: the endpoint breaks off mid-body (the platform's
connection is closed the same way, with no clean end, so it sees what the endpoint did); the
platform hangs up (`front.FrontConnection` cancels this task: the endpoint's connection is
closed at once, so the endpoint sees the cancel); the proxy stops (the same, recorded as the
proxy's doing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import aiohttp
import httpx
from yarl import URL

from workbench import errors, wire
from workbench.client.pool import record_request
from workbench.exchange import Exchange
from workbench.proxy.calls import CallTracker
from workbench.proxy.config import ProxyConfig
from workbench.proxy.front import Answer, BodyTimeout, Incoming
from workbench.proxy.front_door import REFUSAL_HINT, Admission, FrontDoor
from workbench.proxy.headers import (
    decoded,
    request_headers,
    response_headers,
    same_case_repeats,
)
from workbench.proxy.recognise import recognise
from workbench.proxy.recorder import Recorder
from workbench.proxy.upstream import Reply, Sending, Upstream, describe, diagnosis
from workbench.proxy.verdict import (
    PLATFORM_HUNG_UP,
    PROXY_STOPPED,
    Proxied,
    judge,
    label_for,
)
from workbench.redact import shown_url

if TYPE_CHECKING:
    from workbench.client.diagnose import Diagnosis

# What the endpoint's side can raise while connecting, sending or reading.
UPSTREAM_ERRORS = (httpx.HTTPError, aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError)


class Sent(NamedTuple):
    """A request on its way to the endpoint, and what its recording needs."""

    sending: Sending
    url: str
    headers: list[tuple[str, str]]
    body: bytes
    admission: Admission
    clock: tuple[float, float]


class Forwarder:
    """The proxy's request handler: every request becomes a RoundTrip; each finished one goes to `done`."""

    def __init__(self, config: ProxyConfig, upstream: Upstream, front_door: FrontDoor,
                 done: Callable[[Proxied], None], refused: Callable[[str], None]) -> None:
        self.config = config
        self.upstream = upstream
        self.front_door = front_door
        self.calls = CallTracker()
        self.done = done
        self.refused = refused
        self.stopping = False

    def begin(self, request: Incoming) -> RoundTrip:
        """A RoundTrip for `request`, already sent on when nothing stands in its way (see `RoundTrip.begin`)."""
        trip = RoundTrip(self, request)
        trip.begin()
        return trip


class RoundTrip:
    """One request through the proxy."""

    answer: Answer  # given by `run`

    def __init__(self, forwarder: Forwarder, request: Incoming) -> None:
        self.forwarder = forwarder
        self.config = forwarder.config
        self.request = request
        self.recorder: Recorder | None = None
        self.words: Diagnosis | None = None
        self.sent: Sent | None = None  # once the request has left for the endpoint

    def begin(self) -> None:
        """Send the request on at once, from the parser's callback (before any task runs), when nothing
        stands in its way: its whole body within the cap, the front door's key. Anything else
        (a refusal, a body still coming, 100-continue) is left to `run`."""
        request = self.request
        if not request.complete or request.too_large or self._refusal() is not None:
            return
        admission = self.forwarder.front_door.admit(decoded(request.raw_headers))
        if admission is not None:
            self._send_on(admission, bytes(request.body_bytes))

    async def run(self, answer: Answer) -> None:
        """Answer the platform: the endpoint's reply relayed, or the proxy's refusal or 502/504."""
        self.answer = answer
        if self.sent is None and not await self._admit_and_send():
            return
        await self._forward()

    def abandon(self) -> None:
        """The platform left before `run`: an endpoint already called is told so (its connection closed)."""
        if self.sent is not None:
            self.sent.sending.cancel()

    async def _admit_and_send(self) -> bool:
        """The request checked and sent on; False when it was refused instead."""
        refusal = self._refusal()
        if refusal is not None:
            self._refuse(*refusal)
            return False
        admission = self.forwarder.front_door.admit(decoded(self.request.raw_headers))
        if admission is None:
            self._refuse(401, f"this proxy needs its own key, and none came that matches; {REFUSAL_HINT}.",
                         "invalid_api_key")
            return False
        try:
            body = await self._read()
        except BodyTimeout as slow:
            self._refuse(408, f"{slow}.", "request_timeout")
            return False
        if body is None:
            cap = self.config.body_cap
            self._refuse(413, f"the request body is over this proxy's {cap} byte cap.", "request_too_large")
            return False
        self._send_on(admission, body)
        return True

    def _refusal(self) -> tuple[int, str, str] | None:
        """Why no request like this one is forwarded: a full URL, or an expectation other than 100-continue."""
        request = self.request
        if not request.raw_path.startswith("/"):  # absolute-form: someone using it as a forward proxy
            return 400, "this proxy takes requests for its own paths only, not a full URL to forward to.", "bad_request"
        expect = request.header("expect")
        if expect is not None and request.version == (1, 1) and expect.lower() != "100-continue":
            return 417, "the only expectation this proxy takes is Expect: 100-continue.", "expectation_failed"
        return None

    def _refuse(self, status: int, message: str, code: str) -> None:
        request = self.request
        self.forwarder.refused(f"{request.method} {shown_url(request.raw_path[:200])} -> {status} (not forwarded): "
                               f"{message}")
        self.answer.error(status, message, code)

    async def _read(self) -> bytes | None:
        """The request body (`100 Continue` first when the platform waits for it), or None past the cap."""
        length = self.request.content_length
        if length is not None and length > self.config.body_cap:
            return None
        return await self.request.body()

    # ---- forwarding ---------------------------------------------------------------------

    def _send_on(self, admission: Admission, body: bytes) -> None:
        """Write the request to the endpoint now (where a kept connection is free): nothing but the
        forwarded headers is made before it leaves; the recording is set up while the endpoint works,
        its clock read just before the write."""
        request = self.request
        headers = same_case_repeats(request_headers(admission.headers))
        url = self.config.origin + request.raw_path
        clock = Recorder.clock()
        sending = self.forwarder.upstream.start(request.method, url, request.raw_path, headers, body)
        self.sent = Sent(sending, url, headers, body, admission, clock)

    async def _forward(self) -> None:
        """The reply relayed and the round trip recorded, judged and handed on."""
        sent = self.sent
        assert sent is not None
        request, secrets = self.request, list(sent.admission.secrets)
        self.recorder = Recorder(request.method, sent.url, sent.body, body_cap=self.config.body_cap,
                                 secrets=secrets, clock=sent.clock)
        ended = False
        try:
            ended = await self._send(sent.sending, sent.url)
        finally:
            self._finish(sent.url, sent.headers, sent.body, secrets, ended)

    def _words(self, url: str, secrets: list[str]) -> Diagnosis:
        """The client's words for this round trip's failures (made when first needed)."""
        if self.words is None:
            assert self.recorder is not None
            self.words = self.recorder.words = diagnosis(url, self.recorder.exchange, self.config, secrets)
        return self.words

    async def _send(self, sending: Sending, url: str) -> bool:
        """The endpoint's reply relayed (or the proxy's 502/504); True when its body came to its end."""
        recorder = self.recorder
        assert recorder is not None
        try:
            # The head deadline bounds a head that trickles in, which the read timeout alone never ends.
            async with asyncio.timeout(self.config.head_deadline_s):
                upstream = await sending.head()
        except asyncio.CancelledError:
            recorder.hung_up(self._who())
            raise
        except UPSTREAM_ERRORS as error:
            failure = describe(error, self._words(url, recorder.secrets), False)
            recorder.fail(failure)
            self._gateway_error(failure)
            return False
        try:
            return await self._relay(upstream, url)
        finally:
            upstream.close()  # a no-op once the body was read; mid-body, it tells the endpoint we are gone

    def _gateway_error(self, failure: errors.EndpointError) -> None:
        timed_out = isinstance(failure, (errors.ReadTimeout, errors.ConnectTimeout))
        status = 504 if timed_out else 502
        message = self.recorder.exchange.failure.message if self.recorder and self.recorder.exchange.failure else ""
        self.answer.error(status, f"no usable reply from the endpoint: {message}", failure.kind)

    async def _relay(self, upstream: Reply, url: str) -> bool:
        recorder = self.recorder
        assert recorder is not None
        raw = decoded(upstream.raw_headers)
        recorder.head(upstream.status, upstream.reason, upstream.version, raw)
        self.answer.start(upstream.status, upstream.reason, response_headers(raw))
        try:
            return await self._relay_body(upstream, url)
        except asyncio.CancelledError:
            recorder.hung_up(self._who())
            raise
        except ConnectionError:  # the platform's side closed while we wrote to it
            recorder.hung_up(PLATFORM_HUNG_UP.capitalize())
            return False

    async def _relay_body(self, upstream: Reply, url: str) -> bool:
        """Each piece written to the platform as it arrives (and only stamped); True at a clean end."""
        recorder = self.recorder
        assert recorder is not None
        answer = self.answer
        while True:
            try:
                piece = await upstream.piece()
                if not piece:
                    break
            except UPSTREAM_ERRORS as error:  # the endpoint broke off, stalled, or sent bad framing
                answer.cut()  # what came is delivered, with no clean end: as the endpoint ended its own
                words = self._words(url, recorder.secrets)
                recorder.catch_up()  # so the failure says how far the reply got
                recorder.fail(describe(error, words, True))
                return False
            arrived = recorder.ms()
            await answer.write(piece)
            recorder.take(piece, arrived)
        answer.end()
        return True

    def _who(self) -> str:
        return (PROXY_STOPPED if self.forwarder.stopping else PLATFORM_HUNG_UP).capitalize()

    def _finish(self, url: str, headers: list[tuple[str, str]], body: bytes, secrets: list[str], ended: bool) -> None:
        """The platform has its reply: record the request as forwarded, judge the round trip, hand it on."""
        recorder = self.recorder
        assert recorder is not None
        try:
            parsed = wire.loads(body) if body else None
        except ValueError:
            parsed = None
        platform, how = recognise(parsed, self.config.platform)
        sent = [("Host", URL(self.config.origin).raw_authority), *headers]
        if body or self.request.method not in ("GET", "HEAD", "OPTIONS", "DELETE"):
            sent.append(("Content-Length", str(len(body))))
        self._words(url, secrets)
        exchange: Exchange = recorder.finish(ended, record_request(self.request.method, url, sent, body, secrets),
                                             label_for(platform))
        call, turn = self.forwarder.calls.place(parsed) or (None, None)
        self.forwarder.done(Proxied(exchange, platform, how, call, turn, judge(exchange, platform)))
