"""The proxy's side toward the endpoint, and its failures in the client's own words.

Straight to the endpoint, requests go through `http1.Pool` (HTTP/1.1 framed by hand: the
fastest way there, see its docstring). Through an environment proxy they go through one aiohttp
session, which adds nothing to a request (no User-Agent, Accept, Accept-Encoding or Content-Type
of its own: `skip_auto_headers`), keeps no cookies, follows no redirect (the platform gets the
redirect, as it would have), and never decompresses (the platform gets the bytes the endpoint
sent; the recording inflates its own copy). It honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY, as
the client does, read once when the proxy starts: aiohttp's own `trust_env` reads them (and
~/.netrc) again for every request in a worker thread, two thread hops that cost several
milliseconds of every first token. TLS is verified with the client's context (a --profile's
ca_bundle or verify = false).

Failures: aiohttp's exceptions are translated to the httpx ones they correspond to, and the
client's `Diagnosis` words them, so a refused connection, a DNS failure, a stall or a reply cut
short reads (and is judged) exactly as `workbench check` reports it.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from workbench import errors
from workbench.client.diagnose import Diagnosis
from workbench.client.pool import tls_verify
from workbench.exchange import Exchange
from workbench.proxy import http1
from workbench.proxy.config import ProxyConfig
from workbench.target import Target, Timeouts

# Headers aiohttp would otherwise add to a request (the body's Content-Type among them).
SKIP_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


class Upstream:
    """Where every forwarded request goes: the hand-written HTTP/1.1 pool straight to the endpoint,
    or aiohttp's session when the environment names a proxy for it."""

    def __init__(self, config: ProxyConfig) -> None:
        target = config.upstream or Target(base_url=config.to, model="")
        tls = tls_verify(target)
        self.via, self.via_auth = environment_proxy(config.origin)
        self.pool = http1.Pool(config.origin, tls=tls, limit=config.max_connections, connect_s=config.connect_s,
                               read_s=config.timeout_s)
        self.session: aiohttp.ClientSession | None = None
        if self.via is not None:
            connector = aiohttp.TCPConnector(limit=config.max_connections, limit_per_host=0, ssl=tls)
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=config.connect_s, sock_read=config.timeout_s)
            self.session = aiohttp.ClientSession(
                connector=connector, timeout=timeout, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False, skip_auto_headers=SKIP_AUTO_HEADERS, read_bufsize=http1.READ_BUFFER,
            )

    def start(self, method: str, url: str, path: str, headers: list[tuple[str, str]],
              body: bytes) -> http1.Sending | SessionSending:
        """Send one request (the path as it came), at once where it can go at once; `.head()` waits for the reply."""
        if self.session is None:
            return self.pool.start(method, path, headers, body)
        return SessionSending(self, method, url, headers, body)

    async def close(self) -> None:
        self.pool.close()
        if self.session is not None:
            await self.session.close()


class SessionSending:
    """A request through aiohttp's session (an environment proxy): sent when `head()` is awaited."""

    def __init__(self, upstream: Upstream, method: str, url: str, headers: list[tuple[str, str]],
                 body: bytes) -> None:
        self.upstream, self.method, self.url, self.headers, self.body = upstream, method, url, headers, body

    def cancel(self) -> None:
        """Nothing to undo: this request is sent only when `head()` is awaited."""

    async def head(self) -> SessionReply:
        upstream = self.upstream
        assert upstream.session is not None
        response = await upstream.session.request(
            self.method, URL(self.url, encoded=True), headers=self.headers, data=self.body or None,
            allow_redirects=False, proxy=upstream.via, proxy_auth=upstream.via_auth)
        return SessionReply(response)


class SessionReply:
    """aiohttp's response in the shape of `http1.Reply`: the head, then `piece()` until b""."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.status = response.status
        self.reason = response.reason or ""
        self.version = f"HTTP/{response.version.major}.{response.version.minor}" if response.version else ""
        self.raw_headers = list(response.raw_headers)

    async def piece(self) -> bytes:
        return await self.response.content.readany()

    def close(self) -> None:
        self.response.close()  # a no-op once the body was read; mid-body, it tells the endpoint we are gone


def environment_proxy(origin: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy HTTPS_PROXY / HTTP_PROXY / ALL_PROXY name for `origin`, unless NO_PROXY exempts it."""
    try:
        return get_env_proxy_for_url(URL(origin))
    except LookupError:
        return None, None


def timeouts(config: ProxyConfig) -> Timeouts:
    """The limits the proxy runs under, as the client's Diagnosis words them."""
    return Timeouts(connect=config.connect_s, read=config.timeout_s, first_token=config.timeout_s)


def diagnosis(url: str, exchange: Exchange, config: ProxyConfig, secrets: list[str]) -> Diagnosis:
    try:
        parsed: httpx.URL | None = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    return Diagnosis(parsed, exchange, timeouts(config), body_cap=config.body_cap, total_timeout=None,
                     secrets=secrets)


def describe(error: BaseException, words: Diagnosis, got_response: bool) -> errors.EndpointError:
    """An aiohttp (or timeout, or OS) failure as the EndpointError the client would report."""
    return words.describe(as_httpx(error), got_response)


def as_httpx(error: BaseException) -> BaseException:
    """The httpx exception that means what `error` means; the OS or TLS cause kept as its cause."""
    if isinstance(error, (httpx.HTTPError, httpx.InvalidURL)):
        return error  # the recording's own inflater raises httpx.DecodingError
    if isinstance(error, aiohttp.ClientHttpProxyError):
        return httpx.ProxyError(f"{error.status} {error.message}")
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(str(error))
    if isinstance(error, asyncio.TimeoutError):  # aiohttp's SocketTimeoutError is one
        return httpx.ReadTimeout(str(error))
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return _caused(httpx.ConnectError(str(error)), error.certificate_error)
    if isinstance(error, aiohttp.ClientConnectorError):
        return _caused(httpx.ConnectError(str(error)), error.os_error)
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError("Server disconnected without sending a response.")
    if isinstance(error, aiohttp.ClientPayloadError):
        detail = str(error.__cause__ or error).strip()
        return httpx.ReadError(f"peer closed connection without sending complete message body: {detail}")
    if isinstance(error, aiohttp.ClientResponseError):  # a response head aiohttp's parser refused
        return httpx.RemoteProtocolError(error.message or str(error))
    if isinstance(error, (aiohttp.ClientOSError, ConnectionError)):
        return httpx.ReadError(str(error) or type(error).__name__)
    if isinstance(error, aiohttp.InvalidURL):
        return httpx.InvalidURL(str(error))
    return error


def _caused(error: httpx.HTTPError, cause: BaseException) -> httpx.HTTPError:
    error.__cause__ = cause
    return error


# What the round trip relays: the head, then `piece()` until b"", then `close()`.
Reply = http1.Reply | SessionReply
# A request on its way: `await .head()` for its Reply.
Sending = http1.Sending | SessionSending
