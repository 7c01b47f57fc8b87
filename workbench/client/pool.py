"""The client: one connection pool to one target, its TLS context, and each request built and recorded.

`Client.request` builds the request with the target's credential and records it as sent,
secrets masked through workbench.redact; the `Call` it returns does the sending.
"""

from __future__ import annotations

import functools
import http.cookiejar
import os
import ssl
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx

from workbench import errors
from workbench.client import proxies
from workbench.client.call import Call
from workbench.client.diagnose import bad_request
from workbench.exchange import RecordedRequest
from workbench.redact import (
    Redactor,
    is_secret_header,
    mask_credential,
    remember,
)
from workbench.target import AUTH_METHODS, Target

if TYPE_CHECKING:
    from workbench.platforms.base import PlatformRequest

DEFAULT_BODY_CAP = 8 << 20
# The longest one call may take, from sending to the last byte. The read timeout bounds the
# silence between bytes and the first-token deadline the wait for content, but neither ends
# a stream that never stops or a server sending a byte a second; this does.
DEFAULT_TOTAL_TIMEOUT_S = 300.0


@functools.lru_cache(maxsize=4)
def _default_ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """The verifying context httpx would build, shared; keyed on the variables that change it."""
    return httpx.create_ssl_context(verify=True, trust_env=True)


@functools.lru_cache(maxsize=1)
def _public_ssl_context() -> ssl.SSLContext:
    """Trust as a platform's servers have it: the public CAs (certifi), never SSL_CERT_FILE or a ca_bundle."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
def tls_verify(target: Target) -> ssl.SSLContext | bool:
    """What httpx (or aiohttp: the proxy's upstream) verifies `target`'s certificate with: a context, or False."""
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
        public_trust: bool = False,
    ) -> None:
        self.target = target
        # The credentials a call may carry: the target's, and a proxy's (a proxy's error page may echo
        # its Proxy-Authorization). Remembered so cli.main() masks them even in an unexpected error.
        self.secrets = [*target.secrets, *proxies.credentials()]
        for secret in self.secrets:
            remember(secret)
        self.body_cap = body_cap
        self.total_timeout = total_timeout  # seconds for a whole call; None: no limit
        # Headers masked in the recording besides redact's secret headers.
        self.secret_headers = frozenset(h.lower() for h in secret_headers)
        self.max_connections = max_connections
        # Verify as a platform would (public CAs only), whatever the target's verify and ca_bundle say:
        # the check judges the certificate with it.
        self.public_trust = public_trust
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> "Client":
        proxies.check_environment()  # httpx would fail on a proxy it cannot use with a bare ValueError
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
        if self.public_trust:
            return _public_ssl_context()
        return tls_verify(self.target)

    # ---- calls --------------------------------------------------------------------------

    def send(self, request: PlatformRequest, *, label: str = "", raise_on_failure: bool = False) -> Call:
        """Send a request exactly as a platform (or the profile: platforms/plain.py) shaped it.

        The auth header style is the one the platform used (Play.ai sends Bearer whatever the
        profile says); a stream is expected exactly when the request streams.
        """
        return self.request(
            request.method, request.url, json=request.body, headers=request.headers, auth=request.auth,
            stream=request.stream, label=label or "chat", raise_on_failure=raise_on_failure,
        )

    def chat(self, body: dict[str, Any], **options: Any) -> Call:
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
    ) -> Call:
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
        secrets = list(dict.fromkeys(s for s in (*self.secrets, api_key) if s))
        merged = dict(target.headers)
        try:
            merged.update(target.auth_headers(auth, key) if auth != "none" else {})
        except ValueError as error:
            raise errors.UsageError(str(error), f"Use one of: {', '.join(AUTH_METHODS)}.") from None
        merged.update(headers or {})
        try:
            request = self._http.build_request(method, url, json=json, content=content, headers=merged)
            port = request.url.port
            if port is not None and not 0 < port < 65536:  # httpx leaves it to connect(): an ExceptionGroup
                raise httpx.InvalidURL(f"port {port} is not from 1 to 65535")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeEncodeError, ValueError, TypeError) as error:
            recorded = RecordedRequest(method=method, url=Redactor(secrets).scrub(url), headers=[])
            call = Call(self, None, recorded, stream=stream, label=label, raise_on_failure=raise_on_failure,
                        secrets=secrets)
            call._fail(bad_request(url, error, secrets))
            return call
        recorded = self._record(request, secrets)
        return Call(self, request, recorded, stream=stream, label=label, raise_on_failure=raise_on_failure,
                    secrets=secrets)

    def _record(self, request: httpx.Request, secrets: list[str]) -> RecordedRequest:
        encoding = request.headers.encoding
        headers = [(k.decode(encoding), v.decode(encoding)) for k, v in request.headers.raw]
        return record_request(request.method, str(request.url), headers, request.content, secrets,
                              self.secret_headers)


def record_request(method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes, secrets: list[str],
                   secret_headers: Iterable[str] = ()) -> RecordedRequest:
    """A request as sent, credentials masked: secret headers whole, a key anywhere else where it is.

    The client records what it sends with this, and the proxy what it forwards.
    """
    redactor = Redactor(secrets)
    extra = frozenset(secret_headers)
    shown: list[tuple[str, str]] = []
    masked: list[str] = []
    for name, sent in headers:
        lower = name.lower()
        value = sent
        if is_secret_header(name) or lower in extra:
            value = mask_credential(sent)
            masked.append(lower)
        elif redactor.found_in(sent):
            value = redactor.scrub(sent)
            masked.append(lower)
        shown.append((name, value))
    return RecordedRequest(
        method=method,
        url=redactor.scrub(url),
        headers=shown,
        body=Redactor.for_replies(secrets).scrub_bytes(body),
        secret_headers=masked,
    )


def _join(base_url: str, url_or_path: str) -> str:
    if "://" in url_or_path:
        return url_or_path
    return base_url.rstrip("/") + "/" + url_or_path.lstrip("/")


async def _warm_up() -> None:
    """Load what httpcore imports on its first connection (anyio's asyncio backend, ~20 ms),
    so that cost is not counted in the first request's time to headers and first token."""
    import anyio
    import anyio.streams.tls
    import anyio.to_thread

    await anyio.lowlevel.checkpoint()
