"""What went wrong with a call, in words a person can act on: every failure the client reports.

A `Diagnosis` knows one call (where it went, what had arrived, the limits it ran under) and
turns an httpx or OS exception, a deadline or a wrong reply into the `errors.EndpointError`
that names what was expected, what came, and the fix. One function per family of
exceptions, tried in turn by `describe`.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpx

from workbench import base_url, errors, wire
from workbench.client import proxies
from workbench.exchange import Exchange
from workbench.redact import Redactor
from workbench.target import Timeouts

_PREVIEW = 120  # bytes of a wrong reply shown in a message


class Diagnosis:
    """The words for one call's failures."""

    def __init__(self, url: httpx.URL | None, exchange: Exchange, timeouts: Timeouts, *, body_cap: int,
                 total_timeout: float | None, secrets: list[str]) -> None:
        self.url = url  # None: the request could not even be built
        self.exchange = exchange  # read when a message is worded, so it says what had arrived by then
        self.timeouts = timeouts
        self.body_cap = body_cap
        self.total_timeout = total_timeout
        self.secrets = secrets

    def where(self) -> str:
        url = self.url
        if url is None:
            return "the server"
        port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
        return f"{url.host}:{port}"

    def progress(self) -> str:
        exchange = self.exchange
        size = len(exchange.body)
        if exchange.events:
            return f"{len(exchange.events)} events, {size} bytes and {len(exchange.reply_text)} characters of text"
        return f"{size} bytes"

    # ---- exceptions ------------------------------------------------------------------------

    def describe(self, error: BaseException, got_response: bool) -> errors.EndpointError:
        """Turn an httpx/OS exception into the EndpointError a person can act on."""
        families: tuple[Callable[[BaseException, bool], errors.EndpointError | None], ...] = (
            self._proxy_or_pool, self._timeout, self._connect, self._transport, self._request_side,
        )
        for family in families:
            found = family(error, got_response)
            if found is not None:
                return found
        return errors.ProtocolFailure(
            f"The call to {self.where()} failed: {type(error).__name__}: {first_line(error)}.",
            "Check the URL and the server; run with WORKBENCH_DEBUG=1 if this keeps happening.",
        )

    def _proxy(self) -> str | None:
        """The proxy the environment routes this call through, as shown (no password)."""
        proxy = proxies.proxy_for(self.url if self.url is not None else httpx.URL(""))
        return proxies.shown(proxy) if proxy else None

    def _proxy_or_pool(self, error: BaseException, got_response: bool) -> errors.EndpointError | None:
        where = self.where()
        if isinstance(error, httpx.ProxyError):
            return errors.ConnectionRefused(
                f"The proxy {self._proxy() or ''} would not open a tunnel to {where}: {error}.".replace("  ", " "),
                "Check HTTPS_PROXY / HTTP_PROXY, or list the host in NO_PROXY to go direct.",
            )
        if isinstance(error, httpx.PoolTimeout):
            return errors.ConnectTimeout(
                f"No free connection to {where} within {self.timeouts.read:g} s: every connection of the pool is busy.",
                "Lower the concurrency, or raise the client's max_connections.",
            )
        return None

    def _timeout(self, error: BaseException, got_response: bool) -> errors.EndpointError | None:
        where, timeouts = self.where(), self.timeouts
        if isinstance(error, httpx.ConnectTimeout):
            proxy = self._proxy()
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
        if not isinstance(error, httpx.ReadTimeout):
            return None
        if not got_response:
            return errors.ReadTimeout(
                f"No reply from {where} within {timeouts.read:g} s of sending the request "
                "(the connection was accepted, but no response headers came).",
                "The server may be stuck before it answers (loading the model?); check its log, "
                "or raise the read timeout.",
            )
        return errors.ReadTimeout(
            f"The reply stalled: no data for {timeouts.read:g} s after {self.progress()}.",
            "The server stopped sending mid-reply; check its log. A stream should keep sending "
            "chunks (or `: keep-alive` comments) until `data: [DONE]`.",
        )

    def _connect(self, error: BaseException, got_response: bool) -> errors.EndpointError | None:
        if not isinstance(error, httpx.ConnectError):
            return None
        causes = root_causes(error)
        for cause in causes:
            found = self._tls(cause) or self._refused(cause)
            if found is not None:
                return found
        return errors.ConnectionRefused(
            f"Could not connect to {self.where()}: {first_line(causes[-1])}.",
            "Is the server running, and is the URL right?",
        )

    def _tls(self, cause: BaseException) -> errors.EndpointError | None:
        where = self.where()
        if isinstance(cause, ssl.SSLCertVerificationError):
            said = str(cause.verify_message or cause.reason or cause).rstrip(".")
            host = self.url.host if self.url is not None else "the host"
            return errors.TLSFailure(f"The TLS certificate of {where} could not be verified: {said}.",
                                     certificate_hint(cause.verify_code, host))
        if not isinstance(cause, ssl.SSLError):
            return None
        text = str(cause)
        if any(s in text for s in ("WRONG_VERSION_NUMBER", "record layer failure", "HTTP_REQUEST", "packet length")):
            url = self.url if self.url is not None else httpx.URL("")
            return errors.TLSFailure(
                f"{where} does not speak TLS: the https:// request got a plain-HTTP answer.",
                f"Use http:// for this server ({url.copy_with(scheme='http')}), or enable TLS on it.",
            )
        return errors.TLSFailure(
            f"The TLS handshake with {where} failed: {cause.reason or text}.",
            "Check that the server's TLS setup is complete (certificate chain, protocols), "
            "and that the URL's port is its HTTPS port.",
        )

    def _refused(self, cause: BaseException) -> errors.EndpointError | None:
        url = self.url if self.url is not None else httpx.URL("")
        where = self.where()
        if isinstance(cause, OSError) and cause.errno is not None and cause.errno < 0:
            # socket.gaierror: negative errno values are getaddrinfo's. Through a proxy, only the
            # proxy's name is looked up here (the proxy looks up the endpoint's).
            proxy = self._proxy()
            if proxy:
                return errors.DNSFailure(
                    f"The host name of the proxy {proxy} (used for {where} because of the proxy environment "
                    f"variables) could not be resolved ({cause.strerror}).",
                    "Fix the proxy's host in HTTPS_PROXY / HTTP_PROXY, or list the endpoint's host in NO_PROXY "
                    "to go direct.",
                )
            return errors.DNSFailure(
                f"The host name {url.host!r} could not be resolved ({cause.strerror}).",
                "Check the spelling of the URL's host, and your DNS or VPN; names under .invalid "
                "never resolve.",
            )
        if not isinstance(cause, ConnectionRefusedError):
            return None
        proxy = self._proxy()
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

    def _transport(self, error: BaseException, got_response: bool) -> errors.EndpointError | None:
        if not isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError)):
            return None
        where = self.where()
        text = first_line(root_causes(error)[-1])
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
        if closed and not got_response:
            return errors.ConnectionReset(
                f"{where} closed the connection without sending a response ({text}).",
                "The server crashed or rejected the request; check its log. If it speaks HTTPS, "
                "use an https:// URL.",
            )
        if closed:
            return errors.ConnectionReset(
                f"The connection closed mid-reply after {self.progress()} ({text}); what arrived is kept.",
                "The server dropped the reply before it finished (a crash, a worker timeout, or a "
                "proxy cutting long responses). A complete stream ends with `data: [DONE]` and then "
                "the end of the body.",
            )
        return errors.ProtocolFailure(
            f"{where} broke the HTTP protocol: {text}.",
            "The server's reply is not valid HTTP/1.1 (status line, headers or chunked framing); "
            "check the web server or framework in front of the model.",
        )

    def _request_side(self, error: BaseException, got_response: bool) -> errors.EndpointError | None:
        if isinstance(error, httpx.LocalProtocolError):
            return errors.ProtocolFailure(
                f"The request could not be sent: {first_line(error)}.",
                "Header values must be one line of text: check the profile's extra headers, and that the "
                "key has no stray newline or space (re-enter it with `workbench profiles set-key`).",
            )
        if isinstance(error, httpx.DecodingError):
            return errors.ProtocolFailure(
                f"The reply from {self.where()} could not be decompressed: {first_line(error)}.",
                "The Content-Encoding header does not match the body; send it uncompressed or fix the encoder.",
            )
        if isinstance(error, httpx.UnsupportedProtocol):
            return bad_request(str(self.url if self.url is not None else httpx.URL("")), error, self.secrets)
        return None

    # ---- limits and wrong replies ------------------------------------------------------------

    def first_token_timeout(self) -> errors.FirstTokenTimeout:
        exchange = self.exchange
        limit = self.timeouts.first_token
        if exchange.status is None:
            seen = "not even the response headers came"
        elif not exchange.events:
            seen = f"headers came after {exchange.timings.headers_ms:.0f} ms, then no event"
        else:
            seen = (f"headers after {exchange.timings.headers_ms:.0f} ms and {len(exchange.events)} events, "
                    "none with content text")
        return errors.FirstTokenTimeout(
            f"No content token within {limit:g} s of sending the request: {seen}.",
            "Voice platforms hang up on a late first token (Vapi after 20 s, most much sooner). Check that "
            "the model is loaded, that the server flushes each chunk as it is produced, and that no proxy "
            "buffers the stream.",
        )

    def reply_timeout(self) -> errors.ReplyTimeout:
        limit = self.total_timeout or 0
        if self.exchange.status is None:
            return errors.ReplyTimeout(
                f"{self.where()} did not finish sending its response headers within {limit:g} s "
                "(bytes kept coming, too slowly to ever end).",
                "The server (or something in front of it) sends its reply a trickle at a time; check its log "
                "and any proxy. Headers should arrive at once.",
            )
        return errors.ReplyTimeout(
            f"The reply did not end within {limit:g} s of sending the request; reading stopped there "
            f"({self.progress()} kept).",
            "A chat reply must end: after the last chunk send `data: [DONE]` and close the response (or end "
            "the chunked body). A stream that never stops, or one sent a byte at a time, holds the caller "
            "forever; if replies this long are expected, raise the time limit.",
        )

    def not_sse(self) -> errors.NotSSE:
        exchange = self.exchange
        ctype = exchange.header("content-type")
        came = f"Content-Type {ctype}" if ctype else "no Content-Type"
        head = bytes(exchange.body[:_PREVIEW])
        preview = head.decode("utf-8", "replace") + ("…" if len(exchange.body) > _PREVIEW else "")
        message = (
            f"Expected a text/event-stream reply to a streaming request; got {came} "
            f"({len(exchange.body)} bytes, beginning {preview!r})."
        )
        # The server's own words, read the one way (workbench/reply.py), when the body is a JSON error.
        said = exchange.server_message() if exchange.content_type == wire.JSON_CONTENT_TYPE else None
        if said is not None:
            message = (
                f"Expected a text/event-stream reply to a streaming request; got HTTP {exchange.status} "
                f"with a JSON error object instead: {said[:200]!r}."
            )
        return errors.NotSSE(message, _not_sse_hint(exchange, ctype, said is not None))

    def too_large(self) -> errors.BodyTooLarge:
        cap = self.body_cap
        size = f"{cap / (1 << 20):g} MiB" if cap >= 1 << 20 else f"{cap} bytes"
        return errors.BodyTooLarge(
            f"The reply passed the {size} recording cap; reading stopped there ({self.progress()} kept).",
            "A chat reply this large is almost always a bug (a stream that never ends?); raise the cap only "
            "if the size is expected.",
        )

    @staticmethod
    def invalid_utf8(offset: int, bad: bytes) -> errors.InvalidUTF8:
        return errors.InvalidUTF8(
            f"The reply is not valid UTF-8: byte(s) {bad.hex(' ')} at offset {offset} of the body.",
            "Encode every chunk as UTF-8 (e.g. json.dumps(..., ensure_ascii=False).encode('utf-8')) and "
            "never cut bytes out of the middle of a character; clients replace or reject such text.",
        )


# OpenSSL's verify codes (X509_V_ERR_*) whose fix is not trusting another CA.
_OUT_OF_DATE = {9, 10}  # not yet valid, expired
_WRONG_NAME = {62, 64}  # hostname mismatch, IP address mismatch


def certificate_hint(verify_code: int, host: str) -> str:
    """The fix for a certificate that did not verify, by OpenSSL's verify code: a CA bundle helps only
    when the issuer is unknown (self-signed, a private CA); never for dates or names."""
    if verify_code in _OUT_OF_DATE:
        return ("Renew the server's certificate (or, if it is not valid yet, fix the server's clock): no CA bundle "
                "makes a certificate valid outside its dates, and platforms refuse it.")
    if verify_code in _WRONG_NAME:
        return (f"Serve a certificate whose names include {host}, or call the server by a name its certificate "
                "holds: no CA bundle changes the names a certificate is for, and platforms refuse it.")
    return ("Platforms accept only certificates from a public CA (Let's Encrypt, …): serve one where a platform "
            "calls. To test a private or self-signed certificate here, trust its CA: the profile's ca_bundle "
            "(a PEM file), or SSL_CERT_FILE=/path/ca.pem with --url; turn verify off only for a local test server.")


def _not_sse_hint(exchange: Exchange, ctype: str | None, error_object: bool) -> str:
    if error_object:
        return (
            "Report errors with a 4xx/5xx status and the OpenAI error envelope, never under 200: "
            "clients take 200 for success and the voice agent says nothing."
        )
    if exchange.events:
        return (
            "The body is SSE but labelled otherwise, and strict clients (httpx-sse, the platforms) "
            "refuse it: send Content-Type: text/event-stream."
        )
    if "ndjson" in (ctype or "") or "jsonl" in (ctype or ""):
        return (
            "NDJSON (one JSON object a line) is not SSE: send each chunk as `data: {json}` followed by "
            "a blank line, end with `data: [DONE]`, and use Content-Type: text/event-stream."
        )
    if exchange.content_type == wire.JSON_CONTENT_TYPE:
        return (
            'The request had "stream": true but the reply is one JSON document: honour stream=true with '
            "`data: {chunk}` events ending in `data: [DONE]`, or configure the platform not to stream."
        )
    return (
        "Reply to a stream request with Content-Type: text/event-stream and `data: {chunk}` events "
        "ending in `data: [DONE]`; a proxy or error page in front of the model can also cause this."
    )


def bad_request(url: str, error: BaseException, secrets: list[str]) -> errors.EndpointError:
    """The request could not be built (a bad URL, a header value HTTP cannot carry)."""
    shown = base_url.shown(url, secrets)
    said = Redactor(secrets).scrub(first_line(error))
    if isinstance(error, httpx.UnsupportedProtocol) or not url.lower().startswith(("http://", "https://")):
        return errors.ProtocolFailure(
            f"The URL {shown} is not an http:// or https:// URL.",
            "Give the base URL in full, e.g. http://127.0.0.1:8000/v1.",
        )
    if isinstance(error, httpx.InvalidURL):
        return errors.ProtocolFailure(
            f"The URL {shown} is not valid: {said}.",
            "Give the base URL in full, e.g. http://127.0.0.1:8000/v1.",
        )
    if isinstance(error, UnicodeEncodeError):  # its text quotes the character: perhaps one of the key's
        return errors.ProtocolFailure(
            "The request could not be built: a header value (the key, or one of the profile's headers) holds a "
            "non-ASCII character, which HTTP headers cannot carry.",
            "Header values and keys must be printable ASCII: re-enter the key (`workbench profiles set-key`) or "
            "fix the header.",
        )
    return errors.ProtocolFailure(
        f"The request could not be built: {said}.",
        "Header values must be ASCII text on one line, and the body JSON-serialisable.",
    )


def root_causes(error: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from, outermost first."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(".")
