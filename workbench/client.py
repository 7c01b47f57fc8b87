"""The one place that makes outbound HTTP: sends a request and records it as an Exchange.

    async with Client(target) as client:
        call = client.chat(body)
        async for text in call:      # content text as it arrives
            print(text, end="")
        exchange = call.exchange     # or: exchange = await client.chat(body).run()

Every request is recorded as sent (secrets masked), with the status, headers, raw body
(capped), every SSE event with its arrival time, and the timings. Failures are typed
`errors.EndpointError`s worded for a person; an HTTP error status is not a failure but a
recorded reply. httpx-sse is not used on the hot path: its EventSource parses lines and
drops the framing, and the checks need the raw event text, so wire.SSEDecoder reads the
bytes instead.
"""

from __future__ import annotations

import asyncio
import functools
import http.cookiejar
import os
import ssl
import time
import urllib.request
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpx

from workbench import errors, wire
from workbench.assembler import StreamAssembler, looks_like_sse
from workbench.exchange import Exchange, Failure, RecordedRequest
from workbench.redact import mask, remember
from workbench.target import AUTH_METHODS, Target

DEFAULT_BODY_CAP = 8 << 20
# The longest one call may take, from sending to the last byte. The read timeout bounds the
# silence between bytes and the first-token deadline the wait for content, but neither ends
# a stream that never stops or a server sending a byte a second; this does.
DEFAULT_TOTAL_TIMEOUT_S = 300.0
# The most a compressed read may inflate to in one step, so the body cap stops a gzip bomb
# before it costs memory (httpx inflates each 64 KiB read whole: 64 MiB for a bomb).
_INFLATE_STEP = 1 << 20
# Headers whose values are credentials whatever they hold.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})
# Secrets shorter than this are masked in headers but not searched for in reply bytes:
# scrubbing "abc" out of a JSON body would mangle it.
_MIN_SCRUB = 8
# In headers, URLs and our own messages a shorter secret is still searched for, but not a
# trivially short one (a 1-character "key" would mask every header holding that letter).
_MIN_SCRUB_SHORT = 4
_PREVIEW = 120  # bytes of a wrong reply shown in a message


def chat_body(target: Target, messages: list[dict[str, Any]], *, stream: bool | None = None) -> dict[str, Any]:
    """The chat/completions body a target sends: its model, the messages, its parameters."""
    params = {k: v for k, v in target.params.items() if k not in ("model", "messages", "stream")}
    return wire.chat_request(target.model, messages, stream=target.stream if stream is None else stream, **params)


@functools.lru_cache(maxsize=4)
def _default_ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """The verifying context httpx would build, shared; keyed on the variables that change it."""
    return httpx.create_ssl_context(verify=True, trust_env=True)


class Client:
    """One connection pool to one target. Use as an async context manager."""

    def __init__(
        self,
        target: Target,
        *,
        body_cap: int = DEFAULT_BODY_CAP,
        secret_headers: Iterable[str] = (),
        max_connections: int | None = None,
        total_timeout: float | None = DEFAULT_TOTAL_TIMEOUT_S,
    ) -> None:
        self.target = target
        remember(target.api_key)  # so cli.main() masks it even in an unexpected error's message
        self.body_cap = body_cap
        self.total_timeout = total_timeout  # seconds for a whole call; None: no limit
        self.secret_headers = SECRET_HEADERS | {h.lower() for h in secret_headers}
        self.max_connections = max_connections
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> "Client":
        timeouts = self.target.timeouts
        limits = httpx.Limits()
        if self.max_connections:
            limits = httpx.Limits(
                max_connections=self.max_connections, max_keepalive_connections=self.max_connections
            )
        self._http = httpx.AsyncClient(
            trust_env=True,  # HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY, SSL_CERT_FILE
            verify=self._tls_verify(),
            # Platforms call statelessly: a cookie one reply sets must not ride along on the next
            # request (a check's probes would stop being independent).
            cookies=http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
            follow_redirects=False,  # a redirect is recorded so the checks can report it
            timeout=httpx.Timeout(
                connect=timeouts.connect, read=timeouts.read, write=timeouts.read, pool=timeouts.read
            ),
            limits=limits,
        )
        await _warm_up()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _tls_verify(self) -> ssl.SSLContext | bool:
        target = self.target
        if not target.verify:
            return False
        if not target.ca_bundle:
            # httpx's default (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), built once: loading the
            # bundle costs ~20 ms of CPU, too much to pay for every Client a bench or check opens.
            return _default_ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        path = os.path.expanduser(target.ca_bundle)
        try:
            if os.path.isdir(path):
                return ssl.create_default_context(capath=path)
            return ssl.create_default_context(cafile=path)
        except (OSError, ssl.SSLError) as error:
            raise errors.TLSFailure(
                f"The CA bundle {path} could not be loaded: {getattr(error, 'strerror', None) or error}.",
                "Point the profile's ca_bundle at a PEM file holding the certificate(s) that signed the "
                "server's certificate.",
            ) from None

    # ---- calls --------------------------------------------------------------------------

    def chat(self, body: dict[str, Any], **options: Any) -> "Call":
        """POST a chat/completions body to the target; a stream is expected when body["stream"] is true."""
        options.setdefault("stream", bool(body.get("stream")))
        options.setdefault("label", "chat")
        return self.request("POST", self.target.chat_url, json=body, **options)

    def request(
        self,
        method: str,
        url_or_path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: str | None = None,
        api_key: str | None = None,
        stream: bool | None = None,
        label: str = "",
        raise_on_failure: bool = True,
    ) -> "Call":
        """Prepare a call (nothing is sent until it is iterated or run).

        `auth` overrides the target's method ("none" sends no credential); `api_key`
        overrides its credential (a wrong one, to probe auth). `stream=None` expects SSE when
        the JSON body says `"stream": true`. Never raises for a bad URL or header: the Call
        carries the failure.
        """
        if self._http is None:
            raise RuntimeError("Client used outside `async with Client(target) as client:`")
        if auth is not None and auth not in AUTH_METHODS:
            raise errors.UsageError(
                f"Unknown auth method {auth!r}.", f"Use one of: {', '.join(AUTH_METHODS)}."
            )
        target = self.target
        url = _join(target.base_url, url_or_path)
        if stream is None:
            stream = isinstance(json, dict) and bool(json.get("stream"))
        key = target.api_key if api_key is None else api_key
        secrets = [s for s in {target.api_key, api_key} if s]
        merged = dict(target.headers)
        try:
            merged.update(target.auth_headers(auth, key) if auth != "none" else {})
        except ValueError as error:
            raise errors.UsageError(str(error), f"Use one of: {', '.join(AUTH_METHODS)}.") from None
        merged.update(headers or {})
        try:
            request = self._http.build_request(method, url, json=json, content=content, headers=merged)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeEncodeError, ValueError, TypeError) as error:
            recorded = RecordedRequest(method=method, url=_scrub(url, secrets), headers=[])
            call = Call(self, None, recorded, stream=stream, label=label, raise_on_failure=raise_on_failure, secrets=secrets)
            call._fail(_bad_request(url, error, secrets))
            return call
        recorded = self._record(request, secrets)
        return Call(self, request, recorded, stream=stream, label=label, raise_on_failure=raise_on_failure, secrets=secrets)

    def _record(self, request: httpx.Request, secrets: list[str]) -> RecordedRequest:
        encoding = request.headers.encoding
        headers: list[tuple[str, str]] = []
        masked: list[str] = []
        for raw_name, raw_value in request.headers.raw:
            name, value = raw_name.decode(encoding), raw_value.decode(encoding)
            lower = name.lower()
            if lower in self.secret_headers:
                value = _mask_credential(value)
                masked.append(lower)
            elif any(len(s) >= _MIN_SCRUB_SHORT and s in value for s in secrets):
                value = _scrub(value, secrets, minimum=_MIN_SCRUB_SHORT)
                masked.append(lower)
            headers.append((name, value))
        body = request.content
        if any(len(s) >= _MIN_SCRUB and s.encode() in body for s in secrets):
            body = _scrub(body.decode("utf-8", "replace"), secrets).encode()
        return RecordedRequest(
            method=request.method,
            url=_scrub(str(request.url), secrets, minimum=_MIN_SCRUB_SHORT),
            headers=headers,
            body=body,
            secret_headers=masked,
        )


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
        self._gen: AsyncIterator[str] | None = None
        self._task: asyncio.Task[Any] | None = None
        self._inside = False  # the generator is running (not parked at a yield)
        self._cancels_sent = 0
        self._cancel_requested = False
        self._deadline_hit = False  # the first-token deadline passed
        self._total_hit = False  # the whole call's time limit passed
        self._done = False
        self._t0 = 0.0

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
        exchange = self.exchange
        if self._done:
            return
        if self._request is None or self._cancel_requested:
            if self._cancel_requested:
                self._record_cancel(user=True)
            self._finish()
            return
        http = self._client._http
        if http is None:
            raise RuntimeError("Client closed before the call was run")
        loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._inside = True
        timeouts = self._client.target.timeouts
        deadline: asyncio.TimerHandle | None = None
        if self._stream and timeouts.first_token:
            deadline = loop.call_at(loop.time() + timeouts.first_token, self._first_token_due)
        total = self._client.total_timeout
        time_limit = loop.call_at(loop.time() + total, self._time_limit_due) if total else None
        chunks: AsyncIterator[bytes] | None = None
        response: httpx.Response | None = None
        assembler: StreamAssembler | None = None
        ended = False
        self._t0 = t0 = time.perf_counter()
        exchange.started_at = time.time()
        timings = exchange.timings
        body = bytearray()  # exchange.body grows in place while the reply arrives; bytes at the end
        try:
            response = await http.send(self._request, stream=True)
            timings.headers_ms = round((time.perf_counter() - t0) * 1000, 3)
            exchange.status = response.status_code
            exchange.reason = response.reason_phrase
            exchange.http_version = response.http_version
            encoding = response.headers.encoding
            exchange.response_headers = [(k.decode(encoding), v.decode(encoding)) for k, v in response.headers.raw]
            exchange.body = body  # type: ignore[assignment]
            success = 200 <= response.status_code < 300
            if deadline is not None and not success:
                deadline.cancel()  # an error status is a complete answer, not a late stream
                deadline = None
            events: bool | None = True if exchange.is_sse else (None if self._stream and success else False)
            if events:
                assembler = StreamAssembler(exchange)
            cap = self._client.body_cap
            chunks = _body_chunks(response)
            async for chunk in chunks:
                t_ms = (time.perf_counter() - t0) * 1000
                if timings.first_byte_ms is None:
                    timings.first_byte_ms = round(t_ms, 3)
                room = cap - len(body)
                over = len(chunk) > room
                if over:
                    chunk = chunk[:room]
                body += chunk
                if events is None and body.strip():
                    # Wrong Content-Type on a stream request: read it as SSE if it looks like SSE.
                    events = looks_like_sse(bytes(body[:64]))
                    if events:
                        assembler = StreamAssembler(exchange)
                        chunk = bytes(body)
                    elif deadline is not None:
                        deadline.cancel()
                        deadline = None
                if assembler is not None:
                    texts = assembler.feed(chunk, t_ms)
                    if texts:
                        if deadline is not None:
                            deadline.cancel()
                            deadline = None
                        for text in texts:
                            self._inside = False
                            yield text
                            self._inside = True
                            self._task = asyncio.current_task()
                            if self._cancel_requested or self._total_hit:
                                raise _StopRequested
                if over:
                    exchange.body_truncated = True
                    self._fail(self._too_large())
                    break
            ended = True
        except _StopRequested:
            self._stopped_by_us()
        except asyncio.CancelledError:
            if not self._own_cancel():
                self._record_cancel(user=False)
                self._finish()
                raise
            self._stopped_by_us()
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as error:
            if self._cancels_sent and self._own_cancel():
                # Our cancel surfaced as a transport error (a library tidied up on the way out).
                self._stopped_by_us()
            else:
                self._fail(self._describe(error, response))
        finally:
            self._inside = False
            if deadline is not None:
                deadline.cancel()
            if time_limit is not None:
                time_limit.cancel()
            if chunks is not None:
                await chunks.aclose()  # type: ignore[attr-defined]
            if response is not None:
                await _close_quietly(response)
            if not self._done and not ended and self.exchange.failure is None:
                # Left early (the consumer broke off and the generator was closed).
                self._record_cancel(user=True)
                self._finish()
        if self._done:
            return
        texts = assembler.close((time.perf_counter() - t0) * 1000) if assembler is not None else []
        if ended:
            self._check_reply(assembler)
        self._finish()  # before the last yields, so a consumer that stops here leaves a finished Exchange
        if exchange.cancelled:
            return
        for text in texts:
            yield text
        if not self._stream and ended and exchange.ok and not exchange.events:
            # A whole (non-streamed) reply arrives as one piece of text.
            text = exchange.reply_text
            if text:
                yield text

    def _check_reply(self, assembler: StreamAssembler | None) -> None:
        exchange = self.exchange
        success = exchange.status is not None and 200 <= exchange.status < 300
        if self._stream and success and not exchange.is_sse:
            self._fail(self._not_sse())
        if assembler is not None and assembler.utf8_error is not None:
            self._fail(self._invalid_utf8(*assembler.utf8_error))
        elif assembler is None and success and _is_textual(exchange.content_type):
            try:
                bytes(exchange.body).decode("utf-8")
            except UnicodeDecodeError as error:
                self._fail(self._invalid_utf8(error.start, exchange.body[error.start : error.end]))

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
        secrets = [s for s in self._secrets if len(s) >= _MIN_SCRUB]
        exchange = self.exchange
        if not secrets:
            return
        raw_secrets = [s.encode() for s in secrets]
        headers_hit = any(s in v for _, v in exchange.response_headers for s in secrets)
        if not headers_hit and not any(s in exchange.body for s in raw_secrets):
            return
        exchange.response_headers = [(k, _scrub(v, secrets)) for k, v in exchange.response_headers]
        exchange.body = _scrub(exchange.body.decode("utf-8", "surrogateescape"), secrets).encode(
            "utf-8", "surrogateescape"
        )
        for event in exchange.events:
            event.raw = _scrub(event.raw, secrets)
            if event.data is not None:
                event.data = _scrub(event.data, secrets)
            event.text = _scrub(event.text, secrets)
            if event.parsed is not None:
                event.parsed = _scrub_json(event.parsed, secrets)

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
            self._fail(self._first_token_timeout())
        else:
            self._fail(self._reply_timeout())

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
        """Record the first failure (later ones are consequences of it)."""
        if self.exchange.failure is not None:
            return
        error.message = _scrub(error.message, _secret_forms(self._secrets), minimum=_MIN_SCRUB_SHORT)
        error.args = (error.message,)
        self.error = error
        self.exchange.failure = Failure(error.kind, error.message, error.hint)

    # ---- wording ------------------------------------------------------------------------

    def _where(self) -> str:
        url = self._request.url if self._request is not None else None
        if url is None:
            return "the server"
        port = url.port or (443 if url.scheme == "https" else 80)
        return f"{url.host}:{port}"

    def _progress(self) -> str:
        exchange = self.exchange
        size = len(exchange.body)
        if exchange.events:
            return f"{len(exchange.events)} events, {size} bytes and {len(exchange.reply_text)} characters of text"
        return f"{size} bytes"

    def _describe(self, error: BaseException, response: httpx.Response | None) -> errors.EndpointError:
        """Turn an httpx/OS exception into the EndpointError a person can act on."""
        where = self._where()
        url = self._request.url if self._request is not None else httpx.URL("")
        proxy = _proxy_for(url)
        timeouts = self._client.target.timeouts
        cause = _root_causes(error)
        if isinstance(error, httpx.ProxyError):
            return errors.ConnectionRefused(
                f"The proxy {proxy or ''} would not open a tunnel to {where}: {error}.".replace("  ", " "),
                "Check HTTPS_PROXY / HTTP_PROXY, or list the host in NO_PROXY to go direct.",
            )
        if isinstance(error, httpx.PoolTimeout):
            return errors.ConnectTimeout(
                f"No free connection to {where} within {timeouts.read:g} s: every connection of the pool is busy.",
                "Lower the concurrency, or raise the client's max_connections.",
            )
        if isinstance(error, httpx.ConnectTimeout):
            via = f" through the proxy {proxy}" if proxy else ""
            return errors.ConnectTimeout(
                f"Could not connect to {where}{via} within {timeouts.connect:g} s.",
                "Is the host reachable and the port right? A firewall or a wrong address drops the "
                "connection silently; raise the connect timeout only if the network is known to be slow.",
            )
        if isinstance(error, httpx.WriteTimeout):
            return errors.ReadTimeout(
                f"{where} did not take the request body within {timeouts.read:g} s.",
                "The server stopped reading; check that it is not stuck, or raise the read timeout.",
            )
        if isinstance(error, httpx.ReadTimeout):
            if response is None:
                return errors.ReadTimeout(
                    f"No reply from {where} within {timeouts.read:g} s of sending the request "
                    "(the connection was accepted, but no response headers came).",
                    "The server may be stuck before it answers (loading the model?); check its log, "
                    "or raise the read timeout.",
                )
            return errors.ReadTimeout(
                f"The reply stalled: no data for {timeouts.read:g} s after {self._progress()}.",
                "The server stopped sending mid-reply; check its log. A stream should keep sending "
                "chunks (or `: keep-alive` comments) until `data: [DONE]`.",
            )
        if isinstance(error, httpx.ConnectError):
            for exc in cause:
                if isinstance(exc, ssl.SSLCertVerificationError):
                    return errors.TLSFailure(
                        f"The TLS certificate of {where} could not be verified: "
                        f"{exc.verify_message or exc.reason or exc}.",
                        "If the server uses a private or self-signed certificate, set the profile's "
                        "ca_bundle to the CA's PEM file; turn verify off only for a local test server.",
                    )
                if isinstance(exc, ssl.SSLError):
                    text = str(exc)
                    if any(s in text for s in ("WRONG_VERSION_NUMBER", "record layer failure", "HTTP_REQUEST", "packet length")):
                        return errors.TLSFailure(
                            f"{where} does not speak TLS: the https:// request got a plain-HTTP answer.",
                            f"Use http:// for this server ({url.copy_with(scheme='http')}), or enable TLS on it.",
                        )
                    return errors.TLSFailure(
                        f"The TLS handshake with {where} failed: {exc.reason or text}.",
                        "Check that the server's TLS setup is complete (certificate chain, protocols), "
                        "and that the URL's port is its HTTPS port.",
                    )
                if isinstance(exc, OSError) and getattr(exc, "errno", None) is not None and exc.errno < 0:
                    # socket.gaierror: negative errno values are getaddrinfo's.
                    return errors.DNSFailure(
                        f"The host name {url.host!r} could not be resolved ({exc.strerror}).",
                        "Check the spelling of the URL's host, and your DNS or VPN; names under .invalid "
                        "never resolve.",
                    )
                if isinstance(exc, ConnectionRefusedError):
                    if proxy:
                        return errors.ConnectionRefused(
                            f"Connection refused by the proxy {proxy} (used for {where} because of the "
                            "proxy environment variables).",
                            "Start the proxy, fix HTTPS_PROXY / HTTP_PROXY, or list the host in NO_PROXY.",
                        )
                    return errors.ConnectionRefused(
                        f"Connection refused by {where}: nothing is listening on that port.",
                        "Is the server running, and on this port? Start it (for a local test: "
                        f"`workbench mock --port {url.port or 8000}`) or fix the URL.",
                    )
            return errors.ConnectionRefused(
                f"Could not connect to {where}: {_first_line(cause[-1] if cause else error)}.",
                "Is the server running, and is the URL right?",
            )
        if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError)):
            text = _first_line(cause[-1] if cause else error)
            if "receive buffer too long" in text.lower():
                # h11 stops reading a head (or a chunk-size line) that passes its size limit.
                return errors.ProtocolFailure(
                    f"{where} sent a response head (or a chunk header) longer than the client accepts "
                    "(about 100 KiB), without the line end that finishes it.",
                    "Keep response headers small (huge cookies or debug headers?), and check that the server "
                    "ends its headers with a blank line and frames chunks correctly.",
                )
            closed = isinstance(error, (httpx.ReadError, httpx.WriteError)) or any(
                s in text.lower() for s in ("disconnect", "closed", "incomplete", "reset")
            )
            if closed and response is None:
                return errors.ConnectionReset(
                    f"{where} closed the connection without sending a response ({text}).",
                    "The server crashed or rejected the request; check its log. If it speaks HTTPS, "
                    "use an https:// URL.",
                )
            if closed:
                return errors.ConnectionReset(
                    f"The connection closed mid-reply after {self._progress()} ({text}); what arrived is kept.",
                    "The server dropped the reply before it finished (a crash, a worker timeout, or a "
                    "proxy cutting long responses). A complete stream ends with `data: [DONE]` and then "
                    "the end of the body.",
                )
            return errors.ProtocolFailure(
                f"{where} broke the HTTP protocol: {text}.",
                "The server's reply is not valid HTTP/1.1 (status line, headers or chunked framing); "
                "check the web server or framework in front of the model.",
            )
        if isinstance(error, httpx.LocalProtocolError):
            return errors.ProtocolFailure(
                f"The request could not be sent: {_first_line(error)}.",
                "Header values must be one line of text: check the profile's extra headers, and that the "
                "key has no stray newline or space (re-enter it with `workbench profiles set-key`).",
            )
        if isinstance(error, httpx.DecodingError):
            return errors.ProtocolFailure(
                f"The reply from {where} could not be decompressed: {_first_line(error)}.",
                "The Content-Encoding header does not match the body; send it uncompressed or fix the encoder.",
            )
        if isinstance(error, httpx.UnsupportedProtocol):
            return _bad_request(str(url), error, self._secrets)
        return errors.ProtocolFailure(
            f"The call to {where} failed: {type(error).__name__}: {_first_line(error)}.",
            "Check the URL and the server; run with WORKBENCH_DEBUG=1 if this keeps happening.",
        )

    def _first_token_timeout(self) -> errors.FirstTokenTimeout:
        exchange = self.exchange
        limit = self._client.target.timeouts.first_token
        if exchange.status is None:
            seen = "not even the response headers came"
        elif not exchange.events:
            seen = f"headers came after {exchange.timings.headers_ms:.0f} ms, then no event"
        else:
            seen = f"headers after {exchange.timings.headers_ms:.0f} ms and {len(exchange.events)} events, none with content text"
        return errors.FirstTokenTimeout(
            f"No content token within {limit:g} s of sending the request: {seen}.",
            "Voice platforms hang up on a late first token (Vapi after 20 s, most much sooner). Check that "
            "the model is loaded, that the server flushes each chunk as it is produced, and that no proxy "
            "buffers the stream.",
        )

    def _reply_timeout(self) -> errors.ReplyTimeout:
        limit = self._client.total_timeout or 0
        if self.exchange.status is None:
            return errors.ReplyTimeout(
                f"{self._where()} did not finish sending its response headers within {limit:g} s "
                "(bytes kept coming, too slowly to ever end).",
                "The server (or something in front of it) sends its reply a trickle at a time; check its log "
                "and any proxy. Headers should arrive at once.",
            )
        return errors.ReplyTimeout(
            f"The reply did not end within {limit:g} s of sending the request; reading stopped there "
            f"({self._progress()} kept).",
            "A chat reply must end: after the last chunk send `data: [DONE]` and close the response (or end "
            "the chunked body). A stream that never stops, or one sent a byte at a time, holds the caller "
            "forever; if replies this long are expected, raise the time limit.",
        )

    def _not_sse(self) -> errors.NotSSE:
        exchange = self.exchange
        ctype = exchange.header("content-type")
        came = f"Content-Type {ctype}" if ctype else "no Content-Type"
        head = bytes(exchange.body[:_PREVIEW])
        preview = head.decode("utf-8", "replace") + ("…" if len(exchange.body) > _PREVIEW else "")
        message = (
            f"Expected a text/event-stream reply to a streaming request; got {came} "
            f"({len(exchange.body)} bytes, beginning {preview!r})."
        )
        parsed = exchange.json() if exchange.content_type == wire.JSON_CONTENT_TYPE else None
        error_object = parsed.get("error") if isinstance(parsed, dict) else None
        if error_object is not None:
            said = error_object.get("message") if isinstance(error_object, dict) else error_object
            message = (
                f"Expected a text/event-stream reply to a streaming request; got HTTP {exchange.status} "
                f"with a JSON error object instead: {str(said)[:200]!r}."
            )
            hint = (
                "Report errors with a 4xx/5xx status and the OpenAI error envelope, never under 200: "
                "clients take 200 for success and the voice agent says nothing."
            )
        elif exchange.events:
            hint = (
                "The body is SSE but labelled otherwise, and strict clients (httpx-sse, the platforms) "
                "refuse it: send Content-Type: text/event-stream."
            )
        elif "ndjson" in (ctype or "") or "jsonl" in (ctype or ""):
            hint = (
                "NDJSON (one JSON object a line) is not SSE: send each chunk as `data: {json}` followed by "
                "a blank line, end with `data: [DONE]`, and use Content-Type: text/event-stream."
            )
        elif exchange.content_type == wire.JSON_CONTENT_TYPE:
            hint = (
                'The request had "stream": true but the reply is one JSON document: honour stream=true with '
                "`data: {chunk}` events ending in `data: [DONE]`, or configure the platform not to stream."
            )
        else:
            hint = (
                "Reply to a stream request with Content-Type: text/event-stream and `data: {chunk}` events "
                "ending in `data: [DONE]`; a proxy or error page in front of the model can also cause this."
            )
        return errors.NotSSE(message, hint)

    def _too_large(self) -> errors.BodyTooLarge:
        cap = self._client.body_cap
        size = f"{cap / (1 << 20):g} MiB" if cap >= 1 << 20 else f"{cap} bytes"
        return errors.BodyTooLarge(
            f"The reply passed the {size} recording cap; reading stopped there ({self._progress()} kept).",
            "A chat reply this large is almost always a bug (a stream that never ends?); raise the cap only "
            "if the size is expected.",
        )

    def _invalid_utf8(self, offset: int, bad: bytes) -> errors.InvalidUTF8:
        return errors.InvalidUTF8(
            f"The reply is not valid UTF-8: byte(s) {bad.hex(' ')} at offset {offset} of the body.",
            "Encode every chunk as UTF-8 (e.g. json.dumps(..., ensure_ascii=False).encode('utf-8')) and "
            "never cut bytes out of the middle of a character; clients replace or reject such text.",
        )


# ---- helpers ---------------------------------------------------------------------------


def _join(base_url: str, url_or_path: str) -> str:
    if "://" in url_or_path:
        return url_or_path
    return base_url.rstrip("/") + "/" + url_or_path.lstrip("/")


def _mask_credential(value: str) -> str:
    """`Bearer sk-…9f3a`: the scheme stays readable, the credential is masked."""
    scheme, space, credential = value.partition(" ")
    if space and credential and scheme.isalpha():
        return f"{scheme} {mask(credential)}"
    return mask(value)


def _scrub(text: str, secrets: Iterable[str], minimum: int = _MIN_SCRUB) -> str:
    for secret in secrets:
        if secret and len(secret) >= minimum and secret in text:
            text = text.replace(secret, mask(secret))
    return text


def _secret_forms(secrets: Iterable[str]) -> list[str]:
    """A secret as an error message may quote it: escaped (repr of bytes/str) or stripped."""
    forms: list[str] = []
    for secret in secrets:
        forms += [repr(secret)[1:-1], secret, secret.strip()]
    return forms


def _scrub_json(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return _scrub(value, secrets)
    if isinstance(value, list):
        return [_scrub_json(v, secrets) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, secrets): _scrub_json(v, secrets) for k, v in value.items()}
    return value


def _is_textual(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type.endswith("json")


def _root_causes(error: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from, outermost first."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(".")


def _proxy_for(url: httpx.URL) -> str | None:
    """The proxy the environment names for this URL (only to word messages; httpx does the routing)."""
    if not url.host:
        return None
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy:
        return None
    if urllib.request.proxy_bypass_environment(url.host, proxies):
        return None
    return proxy


def _bad_request(url: str, error: BaseException, secrets: list[str]) -> errors.EndpointError:
    shown = _scrub(url, secrets, minimum=_MIN_SCRUB_SHORT)
    if isinstance(error, httpx.UnsupportedProtocol) or not shown.lower().startswith(("http://", "https://")):
        return errors.ProtocolFailure(
            f"The URL {shown!r} is not an http:// or https:// URL.",
            "Give the base URL in full, e.g. http://127.0.0.1:8000/v1.",
        )
    if isinstance(error, httpx.InvalidURL):
        return errors.ProtocolFailure(
            f"The URL {shown!r} is not valid: {_scrub(_first_line(error), secrets, minimum=_MIN_SCRUB_SHORT)}.",
            "Give the base URL in full, e.g. http://127.0.0.1:8000/v1.",
        )
    return errors.ProtocolFailure(
        f"The request could not be built: {_scrub(_first_line(error), secrets, minimum=_MIN_SCRUB_SHORT)}.",
        "Header values must be ASCII text on one line, and the body JSON-serialisable.",
    )


async def _body_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    """The decoded body, a bounded piece at a time.

    httpx inflates each network read whole, so 64 KiB of a gzip bomb arrive as 64 MiB at once;
    gzip and deflate are inflated here instead, at most `_INFLATE_STEP` bytes per step, so the
    body cap ends a bomb after a few MiB. Other encodings (rare: several at once, br, zstd) go
    through httpx as before.
    """
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) != 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        async for chunk in response.aiter_bytes():
            yield chunk
        return
    inflater = _Inflater(codings[0])
    async for raw in response.aiter_raw():
        for piece in inflater.feed(raw):
            yield piece
    for piece in inflater.feed(b"", final=True):
        yield piece


class _Inflater:
    """gzip or deflate, inflated in bounded steps; bad data raises httpx.DecodingError, as httpx would."""

    def __init__(self, coding: str) -> None:
        self.gzip = coding != "deflate"
        self.first = True  # deflate is zlib-wrapped or raw: httpx tries one, then the other
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16 if self.gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes, final: bool = False) -> Iterator[bytes]:
        try:
            if not self.gzip and self.first and data:
                self.first = False
                try:
                    piece = self._inflate.decompress(data, _INFLATE_STEP)
                except zlib.error:
                    self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                    piece = self._inflate.decompress(data, _INFLATE_STEP)
            else:
                piece = self._inflate.decompress(data, _INFLATE_STEP) if data else b""
            while True:
                if piece:
                    yield piece
                if not self._inflate.unconsumed_tail and len(piece) < _INFLATE_STEP:
                    break
                piece = self._inflate.decompress(self._inflate.unconsumed_tail, _INFLATE_STEP)
            if final:
                rest = self._inflate.flush()
                if rest:
                    yield rest
        except zlib.error as error:
            raise httpx.DecodingError(str(error)) from None


async def _warm_up() -> None:
    """Load what httpcore imports on its first connection (anyio's asyncio backend, ~20 ms),
    so that cost is not counted in the first request's time to headers and first token."""
    import anyio
    import anyio.streams.tls  # noqa: F401
    import anyio.to_thread  # noqa: F401

    await anyio.sleep(0)


async def _close_quietly(response: httpx.Response) -> None:
    try:
        await response.aclose()
    except (httpx.HTTPError, OSError):
        pass
