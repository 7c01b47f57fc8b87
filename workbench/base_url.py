"""What a base URL must be: the one rule for a profile's base_url, --url, and the client.

A base URL is where the workbench appends /chat/completions and /models: an http:// or
https:// URL with a host, a port from 1 to 65535 when one is given, no spaces or control
characters, at most MAX_LENGTH characters, and nothing the appended path would land behind
(a ?query or #fragment swallows it: `/v1?x` + `/chat/completions` asks for `/v1`).

It never carries a credential. `user:password@` would be sent by httpx as `Authorization:
Basic …`, a credential the user never chose to send, and shown wherever the URL is; a key in
the query (`?api_key=…`) would be in every view and log. Such a URL is refused with the safe
way to give a key (the OS keyring, or an environment variable), never accepted and masked:
refusing keeps one rule (what is sent is what the user chose) instead of masking in every
place a URL goes.

The URL is never echoed whole in a sentence: `shown` masks what could be a credential and
shortens it to SHOWN_CHARACTERS.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from workbench.redact import shown_url

MAX_LENGTH = 2048  # longer URLs are refused by common servers and proxies (8 KiB request lines at most)
SHOWN_CHARACTERS = 80
EXAMPLE = "https://llm.example.com/v1"


@dataclass(frozen=True)
class URLProblem:
    """What is wrong with a base URL: a sentence (`expected …, got …`), and whether it holds a credential."""

    message: str
    credential: bool = False


def shown(url: str, secrets: Iterable[str | None] = ()) -> str:
    """`url` as a sentence quotes it ("…", as TOML writes text): credentials (and `secrets`) masked, at
    most SHOWN_CHARACTERS long."""
    text = shown_url(url, secrets)
    if len(text) > SHOWN_CHARACTERS:
        keep = SHOWN_CHARACTERS - 20
        text = f"{text[:keep]}…({len(url):,} characters)"
    return json.dumps(text, ensure_ascii=False)


def problem(url: str) -> URLProblem | None:
    """What is wrong with `url` as a base URL, or None when it is a good one."""
    expected = f"expected an http:// or https:// URL with a host, like {EXAMPLE}"
    if len(url) > MAX_LENGTH:
        return URLProblem(f"expected a URL of at most {MAX_LENGTH:,} characters, got {len(url):,} ({shown(url)}).")
    if any(c.isspace() or not c.isprintable() for c in url):
        return URLProblem(f"{expected}, got {shown(url)}, which holds a space or a control character.")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number or past 65535
    except ValueError as error:
        if "out of range" in str(error):
            return URLProblem(f"expected a port from 1 to 65535, got {shown(url)}.")
        return URLProblem(f"{expected}, got {shown(url)} ({error}).")
    if parts.scheme.lower() not in ("http", "https"):
        return URLProblem(f"{expected}, got {shown(url)}: a base URL must start with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        return URLProblem("the URL holds a user name or password (user:password@host), which would be sent as "
                          "a credential (Authorization: Basic) and shown wherever the URL is.", credential=True)
    if not parts.hostname:
        return URLProblem(f"{expected}, got {shown(url)}, which has no host.")
    if port == 0:
        return URLProblem(f"expected a port from 1 to 65535, got {shown(url)}.")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return _query_problem(url, parts.query + "&" + parts.fragment)
    return None


def _query_problem(url: str, params: str) -> URLProblem:
    from workbench.redact import is_key_param

    if any(is_key_param(item.partition("=")[0]) for item in params.split("&") if item):
        return URLProblem(f"the URL's query holds what looks like a key ({shown(url)}), which would be shown and "
                          "logged wherever the URL is.", credential=True)
    return URLProblem(f"expected a base URL without ?query or #fragment (the workbench appends /chat/completions, "
                      f"which would land behind it), got {shown(url)}.")
