"""The proxies the environment names (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY): checked, named, and kept secret.

httpx reads these variables itself (the client is made with trust_env=True) and builds a
transport for every proxy named when the client is made, so one it cannot use fails every
call, whatever its host: an ftp:// proxy raised a bare ValueError, a SOCKS proxy without the
`socksio` package an ImportError, a port past 65535 an ExceptionGroup. `check_environment`
says which variable is wrong, and how to fix it, before the client is made.

A proxy's user and password are credentials: `credentials` lists them (the password, and the
`Proxy-Authorization: Basic` value made of them, which a proxy may echo in an error page) so
the client masks them in everything it records, like the target's key.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import urllib.request
from urllib.parse import unquote, urlsplit

import httpx

from workbench import errors
from workbench.redact import shown_url

SCHEMES = ("http", "https", "socks5", "socks5h")
SOCKS_FIX = ("install SOCKS support (pip install 'byom-workbench[socks]', which adds httpx[socks])")
SHOWN_CHARACTERS = 80


def environment_proxies() -> dict[str, str]:
    """{"http" | "https" | "all": proxy URL}, as httpx reads them (a URL without a scheme is http://)."""
    found = urllib.request.getproxies()
    return {scheme: url if "://" in url else f"http://{url}"
            for scheme in ("http", "https", "all") if (url := found.get(scheme))}


def variable(scheme: str) -> str:
    """The environment variable that names the proxy for `scheme` ("https" -> HTTPS_PROXY, or its lower case)."""
    name = f"{scheme}_proxy"
    return name if os.environ.get(name) else name.upper()


def shown(proxy: str) -> str:
    """A proxy URL as a sentence may show it: no user or password, at most SHOWN_CHARACTERS long."""
    text = shown_url(proxy)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def check_environment() -> None:
    """UsageError naming the variable when a proxy the environment names cannot be used at all."""
    for scheme, proxy in environment_proxies().items():
        problem = _problem(proxy)
        if problem is not None:
            name = variable(scheme)
            what, fix = problem
            raise errors.UsageError(
                f"{name} names a proxy the workbench cannot use ({shown(proxy)}): {what}.",
                f"{fix}; or unset {name} (every call goes through it, whatever the endpoint's host).",
            )


def _problem(proxy: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) for one proxy URL, or None when httpx can use it."""
    expected = "give a proxy URL such as http://proxy.example.com:3128"
    try:
        parts = urlsplit(proxy)
        port = parts.port
        httpx.URL(proxy)
    except (ValueError, httpx.InvalidURL) as error:
        if "out of range" in str(error):
            return "expected a port from 1 to 65535", expected
        return f"it is not a URL ({str(error).rstrip('.')})", expected
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return f"expected an http://, https:// or socks5:// proxy, got {scheme}://", expected
    if not parts.hostname:
        return "it has no host", expected
    if port is not None and not 0 < port < 65536:
        return f"expected a port from 1 to 65535, got {port}", expected
    if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        return "it is a SOCKS proxy, and this installation has no SOCKS support (the socksio package)", SOCKS_FIX
    return None


def credentials() -> list[str]:
    """Every secret the environment's proxies carry: each password, and the Basic credential made of
    user and password."""
    found: list[str] = []
    for proxy in environment_proxies().values():
        try:
            parts = urlsplit(proxy)
        except ValueError:
            continue
        if parts.password is None:
            continue
        user, password = unquote(parts.username or ""), unquote(parts.password)
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        found += [password, parts.password, basic, f"{user}:{password}"]
    return [secret for secret in dict.fromkeys(found) if secret]


def proxy_for(url: httpx.URL) -> str | None:
    """The proxy the environment names for this URL (to word messages; httpx does the routing)."""
    if not url.host:
        return None
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy:
        return None
    if urllib.request.proxy_bypass_environment(url.host, proxies):  # type: ignore[attr-defined]  # not in typeshed
        return None
    return proxy if "://" in proxy else f"http://{proxy}"
