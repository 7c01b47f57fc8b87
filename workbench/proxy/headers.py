"""Which headers cross the proxy: the hop-by-hop ones stop here (RFC 9110 §7.6.1, RFC 9112), the rest pass as they came.

A header that describes one connection, not the message, belongs to that connection alone:
`Connection` and every header it names, `Keep-Alive`, `Proxy-Connection` (the non-standard
one some clients still send), `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`, and the
`Proxy-Authorization` / `Proxy-Authenticate` pair (a credential for a proxy is for the proxy
it was sent to). The framing of each side is then its own: the body is forwarded whole with
its length written anew (http1.py), and the reply is framed for the platform by front.py.
`Host` names the endpoint on the way out (a reverse proxy rewrites it; the platform's Host is
the tunnel's name). `Expect: 100-continue`
is answered here, since the proxy reads the body before it calls the endpoint. Everything
else, including every credential the platform sends, goes on untouched, in order, with its
case and its repeats kept.
"""

from __future__ import annotations

from collections.abc import Iterable

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    "proxy-authorization", "proxy-authenticate",
})
# Set by the proxy for the outgoing request (Host, Content-Length) or answered here (Expect).
REQUEST_OWN = frozenset({"host", "content-length", "expect"})

Header = tuple[str, str]


def connection_listed(headers: Iterable[Header]) -> frozenset[str]:
    """The header names a Connection header lists (`Connection: close, X-Foo` -> {"close", "x-foo"})."""
    listed: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            listed.update(token.strip().lower() for token in value.split(",") if token.strip())
    return frozenset(listed)


def end_to_end(headers: Iterable[Header], *, also_drop: frozenset[str] = frozenset()) -> list[Header]:
    """`headers` without the hop-by-hop ones (and `also_drop`), in order, case and repeats kept."""
    headers = list(headers)
    drop = HOP_BY_HOP | connection_listed(headers) | also_drop
    return [(name, value) for name, value in headers if name.lower() not in drop]


def request_headers(headers: Iterable[Header], *, also_drop: frozenset[str] = frozenset()) -> list[Header]:
    """What of a platform's request headers goes on to the endpoint (before the credential swap, if any)."""
    return end_to_end(headers, also_drop=REQUEST_OWN | also_drop)


def same_case_repeats(headers: Iterable[Header]) -> list[Header]:
    """A repeated header spelled as it was first spelled (`X-Trace`, `x-trace` -> `X-Trace` twice).

    aiohttp's client (used through an environment proxy) keeps repeats only when they are spelled
    alike: a second spelling replaces the first. Spelled alike on every path, a request reaches the
    endpoint the same way whichever path it takes; names are case-insensitive, so the values and
    their order are what count.
    """
    first: dict[str, str] = {}
    return [(first.setdefault(name.lower(), name), value) for name, value in headers]


def response_headers(headers: Iterable[Header]) -> list[Header]:
    """What of the endpoint's response headers goes back to the platform."""
    return end_to_end(headers)


def decoded(raw: Iterable[tuple[bytes, bytes]]) -> list[Header]:
    """Raw header bytes as text: UTF-8, which the proxy writes them back as, so they leave as they came.

    Bytes that are not UTF-8 (rare, and refused by most servers) are read as Latin-1 and so
    leave as the UTF-8 of those characters.
    """
    return [(_text(name), _text(value)) for name, value in raw]


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
