"""RoundTrip: one request through the proxy, from the platform to the endpoint and back, recorded as it passes.

The steps, in order: `admit` (the front-door key, the headers that go on), `read` (the body,
up to the cap), `send` (the endpoint's response head, or a failure answered 502/504 in the
OpenAI error envelope), `relay` (the head, then every piece of the body written to the platform
the moment it arrives, then recorded; never buffered), and `finish` (the Exchange completed
and handed on). A piece is written before it is recorded, so the recording costs the platform
nothing it waits for.

How it can end besides a clean end of body: the endpoint breaks off mid-body (the platform's
connection is closed the same way, with no clean end, so it sees what the endpoint did); the
platform hangs up (aiohttp cancels this task: the endpoint's connection is closed at once, so
the endpoint sees the cancel); the proxy stops (the same, recorded as the proxy's doing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiohttp
import httpx
from aiohttp import web
from yarl import URL

from workbench import errors, wire
from workbench.client.pool import record_request
from workbench.exchange import Exchange
from workbench.mock.expect import expectation_supported, go_ahead
from workbench.proxy.calls import CallTracker
from workbench.proxy.config import ProxyConfig
from workbench.proxy.front_door import REFUSAL_HINT, FrontDoor
from workbench.proxy.headers import (
    decoded,
    request_headers,
    response_headers,
    same_case_repeats,
)
from workbench.proxy.recognise import recognise
from workbench.proxy.recorder import Recorder
from workbench.proxy.upstream import Reply, Upstream, describe, diagnosis
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
JSON = {"Content-Type": "application/json"}


class ExactResponse(web.StreamResponse):
    """A response that carries only the endpoint's headers: aiohttp adds no Server or Content-Type of its own.

    (A Date is still added when the endpoint sent none, as RFC 9110 §6.6.1 asks of a proxy.)
    """

    async def _prepare_headers(self) -> None:
        absent = [name for name in ("Server", "Content-Type") if name not in self.headers]
        await super()._prepare_headers()
        for name in absent:
            self.headers.popall(name, None)


def envelope(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> web.Response:
    """The proxy's own answer, in the OpenAI error envelope (the platforms all read it)."""
    body = wire.error_envelope(f"workbench proxy: {message}", "proxy_error", code=code)
    return web.Response(status=status, body=wire.dumps(body).encode(), headers={**JSON, **(headers or {})})


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

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        return await RoundTrip(self, request).run()


class RoundTrip:
    """One request through the proxy."""

    def __init__(self, forwarder: Forwarder, request: web.BaseRequest) -> None:
        self.forwarder = forwarder
        self.config = forwarder.config
        self.request = request
        self.recorder: Recorder | None = None
        self.words: Diagnosis | None = None

    async def run(self) -> web.StreamResponse:
        request = self.request
        if not request.raw_path.startswith("/"):  # absolute-form: someone using it as a forward proxy
            return self._refuse(400, "this proxy takes requests for its own paths only, not a full URL to "
                                "forward to.", "bad_request")
        admission = self.forwarder.front_door.admit(decoded(request.raw_headers))
        if admission is None:
            return self._refuse(401, f"this proxy needs its own key, and none came that matches; {REFUSAL_HINT}.",
                                "invalid_api_key")
        if "Expect" in request.headers and not expectation_supported(request):
            return self._refuse(417, "the only expectation this proxy takes is Expect: 100-continue.",
                                "expectation_failed")
        body = await self._read()
        if body is None:
            cap = self.config.body_cap
            return self._refuse(413, f"the request body is over this proxy's {cap} byte cap.", "request_too_large")
        return await self._forward(same_case_repeats(request_headers(admission.headers)), body, list(admission.secrets))

    def _refuse(self, status: int, message: str, code: str) -> web.Response:
        request = self.request
        self.forwarder.refused(f"{request.method} {shown_url(request.raw_path[:200])} -> {status} (not forwarded): "
                               f"{message}")
        return envelope(status, message, code)

    async def _read(self) -> bytes | None:
        """The request body, or None when it passes the cap."""
        cap = self.config.body_cap
        request = self.request
        if request.content_length is not None and request.content_length > cap:
            return None
        await go_ahead(request)  # only now, after the front door's key check
        body = bytearray()
        async for piece in request.content.iter_any():
            body += piece
            if len(body) > cap:
                return None
        return bytes(body)

    # ---- forwarding ---------------------------------------------------------------------

    async def _forward(self, headers: list[tuple[str, str]], body: bytes, secrets: list[str]) -> web.StreamResponse:
        """Send the request on its way at once; the rest is worked out once the platform has its reply."""
        url = self.config.origin + self.request.raw_path
        self.recorder = Recorder(self.request.method, url, body, body_cap=self.config.body_cap, secrets=secrets)
        ended = False
        try:
            response, ended = await self._send(url, headers, body)
            return response
        finally:
            self._finish(url, headers, body, secrets, ended)

    def _words(self, url: str, secrets: list[str]) -> Diagnosis:
        """The client's words for this round trip's failures (made when first needed)."""
        if self.words is None:
            assert self.recorder is not None
            self.words = self.recorder.words = diagnosis(url, self.recorder.exchange, self.config, secrets)
        return self.words

    async def _send(self, url: str, headers: list[tuple[str, str]], body: bytes) -> tuple[web.StreamResponse, bool]:
        """The endpoint's reply relayed (or the proxy's 502/504); True when its body came to its end."""
        recorder = self.recorder
        assert recorder is not None
        try:
            # The head deadline bounds a head that trickles in, which the read timeout alone never ends.
            async with asyncio.timeout(self.config.head_deadline_s):
                upstream = await self.forwarder.upstream.send(self.request.method, url, self.request.raw_path,
                                                              headers, body)
        except asyncio.CancelledError:
            recorder.hung_up(self._who())
            raise
        except UPSTREAM_ERRORS as error:
            failure = describe(error, self._words(url, recorder.secrets), False)
            recorder.fail(failure)
            return self._gateway_error(failure), False
        try:
            return await self._relay(upstream, url)
        finally:
            upstream.close()  # a no-op once the body was read; mid-body, it tells the endpoint we are gone

    def _gateway_error(self, failure: errors.EndpointError) -> web.Response:
        timed_out = isinstance(failure, (errors.ReadTimeout, errors.ConnectTimeout))
        status = 504 if timed_out else 502
        message = self.recorder.exchange.failure.message if self.recorder and self.recorder.exchange.failure else ""
        return envelope(status, f"no usable reply from the endpoint: {message}", failure.kind)

    async def _relay(self, upstream: Reply, url: str) -> tuple[web.StreamResponse, bool]:
        recorder = self.recorder
        assert recorder is not None
        raw = decoded(upstream.raw_headers)
        recorder.head(upstream.status, upstream.reason, upstream.version, raw)
        response = ExactResponse(status=upstream.status, reason=upstream.reason)
        for name, value in response_headers(raw):
            response.headers.add(name, value)
        try:
            await response.prepare(self.request)
            return response, await self._relay_body(upstream, response, url)
        except asyncio.CancelledError:
            recorder.hung_up(self._who())
            raise
        except ConnectionError:  # the platform's side closed while we wrote to it
            recorder.hung_up(PLATFORM_HUNG_UP.capitalize())
            return response, False

    async def _relay_body(self, upstream: Reply, response: web.StreamResponse, url: str) -> bool:
        """Each piece written to the platform as it arrives (and only stamped); True at a clean end."""
        recorder = self.recorder
        assert recorder is not None
        while True:
            try:
                piece = await upstream.piece()
                if not piece:
                    break
            except UPSTREAM_ERRORS as error:  # the endpoint broke off, stalled, or sent bad framing
                self._cut()
                words = self._words(url, recorder.secrets)
                recorder.catch_up()  # so the failure says how far the reply got
                recorder.fail(describe(error, words, True))
                return False
            arrived = recorder.ms()
            await response.write(piece)
            recorder.take(piece, arrived)
        await response.write_eof()
        return True

    def _cut(self) -> None:
        """End the platform's connection as the endpoint ended its own: what came is delivered, no clean end."""
        transport = self.request.transport
        if transport is not None:
            transport.close()

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
