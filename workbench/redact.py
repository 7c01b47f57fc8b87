"""The one place secrets are hidden in text: masking a key, and finding keys wherever they turn up.

Every view, log, export, error, saved file and stream printer masks through this module, so
the rule for what a person may see of a credential is written once:

- `mask(key)`: a key of 8 characters or fewer shows nothing of itself (`………`); a longer one
  keeps its prefix up to a dash within its first 4 characters (else its first 2 characters)
  and its last 4 (`sk-…9f3a`): enough to tell keys apart, never enough to use one.
- Secret headers (`SECRET_HEADERS`, and any name `is_secret_name` calls secret: X-Custom-Auth,
  X-Session-Token) are masked whatever their value and its length; a value
  `Scheme credential` keeps its all-letters scheme readable (`Bearer sk-…9f3a`).
- Known keys are searched for in text by a `Redactor`. A key shorter than `SHORTEST` (4)
  characters is not searched for: it would mask letters all over a message. Header values,
  URLs, error messages and the keys the process remembers search keys of 4 or more; request
  bodies and replies (headers, body, stream events) only keys of `SHORTEST_IN_BODIES` (8) or
  more, since a short key searched in JSON would turn up inside words and numbers. So the
  workbench never sends a key shorter than that (`secrets.key_problem`): every key it sends
  is masked in every view. The one exception is the mock's own key in its own request log,
  masked at any length.
- A key is found as written and as text quotes it: stripped of surrounding whitespace, escaped
  by repr(), and escaped by JSON (with and without ensure_ascii). Each form is replaced by the
  mask written the same way, so a JSON body stays JSON. The longest form is matched first, so a
  remembered key inside a longer key never leaves a piece of the longer one.
- A key split across the pieces of a stream (SSE events) is found in the joined text; the
  piece where the key begins carries its mask and the following pieces lose their parts of it,
  so the joined pieces read as the joined text masked. The events' parsed JSON, data, raw text
  and the body are rewritten to say the same.
- A URL as shown (`shown_url`) has no userinfo (`user:password@` is removed) and the values of
  key-like query or fragment parameters (key, api_key, token, access_token, sig, …) masked.
- A printer that shows text as it arrives (`StreamScrubber`) holds back the end of the text
  that could still be the beginning of a key, until it knows, and masks keys as they complete.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

ELLIPSIS = "…"
SHORTEST = 4  # a shorter "secret" would mask letters all over a message
SHORTEST_IN_BODIES = 8  # in JSON bodies and replies a shorter key would turn up inside words

# The headers the auth methods send a key in (a profile sets `auth` instead of writing one).
AUTH_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})
# Headers whose values are credentials whatever they hold; any name `is_secret_name` calls secret too.
SECRET_HEADERS = AUTH_HEADERS | {"cookie"}

# Words a name that carries a credential ends with: a header (X-Custom-Auth, X-Session-Token), a
# request field (session_token), a query parameter (?key=, ?api_key=, ?access_token=, ?sig= of
# Azure SAS, ?X-Amz-Signature=, ?X-Amz-Credential=, ?password=).
_SECRET_WORD_ENDINGS = ("key", "keys", "token", "secret", "password", "passwd", "pwd", "sig", "signature",
                        "credential", "credentials", "auth", "authorization", "jwt")
# A session in a URL's query is a credential (?session=…); a session header is mostly an id a platform
# sends about its own call (x-livekit-session-id), shown as it came.
_SESSION_WORDS = ("session", "sessionid")


def mask(secret: str | None) -> str:
    """`sk-…9f3a`: enough to tell keys apart, never enough to use one (see the module's rules)."""
    if not secret:
        return ""
    if len(secret) <= 8:
        return ELLIPSIS * 3
    head = secret[: secret.index("-") + 1] if "-" in secret[:4] else secret[:2]
    return f"{head}{ELLIPSIS}{secret[-4:]}"


def is_secret_name(name: str) -> bool:
    """True for a header, field or parameter name that says its value is a secret: a word of it ends with
    key, token, secret, password, auth, signature, … (`X-Custom-Auth`, `session_token`,
    `apiKey`; not `max_tokens`). The one rule for what looks secret (the Cookie header is in SECRET_HEADERS;
    a word "cookie" alone is not, as in Set-Cookie-X)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)  # apiKey -> api Key
    return any(word.endswith(_SECRET_WORD_ENDINGS) for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word)


def is_secret_header(name: str) -> bool:
    """True for a header whose value is a credential (`Authorization`, `x-api-key`, `X-Custom-Auth`, …)."""
    return name.strip().lower().replace("_", "-") in SECRET_HEADERS or is_secret_name(name)


def credential_scheme(value: str) -> str:
    """The scheme a credential begins with (`Bearer` of `Bearer sk-…`), or "" when it has none.

    Only an all-letters first word followed by a space and more counts, so a key sent alone
    (as x-api-key) is never taken for a scheme and shown.
    """
    scheme, space, credential = value.partition(" ")
    return scheme if space and credential and scheme.isalpha() else ""


def mask_credential(value: str) -> str:
    """A secret header's value as shown: `Bearer sk-…9f3a` (an all-letters scheme stays readable)."""
    scheme = credential_scheme(value)
    return f"{scheme} {mask(value[len(scheme) + 1 :])}" if scheme else mask(value)


def mask_header(name: str, value: str) -> str:
    """A header's value as shown: masked when the header is a secret one, else as it came."""
    return mask_credential(value) if is_secret_header(name) else value


def shown_url(url: str, secrets: Iterable[str | None] = ()) -> str:
    """`url` as shown to a person: no userinfo, key-like parameters masked, and `secrets` masked."""
    url = _USERINFO.sub(r"\1//", url)
    rest, hash_mark, fragment = url.partition("#")
    base, question_mark, query = rest.partition("?")
    shown = base + question_mark + _masked_params(query) + hash_mark + _masked_params(fragment)
    return Redactor(secrets).scrub(shown)


# `scheme://user:password@` at the start of a URL; the userinfo ends at the authority's last @.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*@")


def _masked_params(query: str) -> str:
    items = query.split("&")
    for index, item in enumerate(items):
        name, equals, value = item.partition("=")
        if equals and value and is_key_param(name):
            items[index] = f"{name}={mask(value)}"
    return "&".join(items)


def is_key_param(name: str) -> bool:
    """True for a query parameter whose value is a credential (`key`, `api_key`, `access_token`, `sig`, `session`)."""
    words = re.split(r"[^a-z0-9]+", name.lower())
    return is_secret_name(name) or any(word.endswith(_SESSION_WORDS) for word in words)


# ---- keys remembered for the whole process -------------------------------------------------------

# Every credential this process has read (from the keyring, the environment, a Target), so
# that the last line of defence in cli.main() can mask them in any message it prints, even one
# from an exception nobody expected. Only in memory, only for this process.
_IN_USE: set[str] = set()


def remember(secret: str | None) -> None:
    """Note a credential in use, so `scrub` can mask it wherever it turns up."""
    if secret and len(secret) >= SHORTEST:
        _IN_USE.add(secret)


def scrub(text: str) -> str:
    """`text` with every credential in use masked (`sk-…9f3a`), in every form it may be quoted in."""
    return Redactor(_IN_USE).scrub(text)


# ---- finding keys in text --------------------------------------------------------------------------

# How text may quote a string: as is, stripped, escaped by repr(), escaped by JSON (ASCII only
# or not, and with / written \/ as PHP's json_encode does).
_FORMS: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    str.strip,
    lambda s: repr(s)[1:-1],
    lambda s: json.dumps(s)[1:-1],
    lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    lambda s: json.dumps(s, ensure_ascii=False)[1:-1].replace("/", "\\/"),
)


class _Table:
    """Every form of some strings, each with what it becomes, and one pattern finding them all."""

    def __init__(self, pairs: Iterable[tuple[str, str]], shortest: int) -> None:
        self.replacements: dict[str, str] = {}
        for found, shown in pairs:
            for form in _FORMS:
                written = form(found)
                if len(written) >= shortest and written not in self.replacements:
                    self.replacements[written] = form(shown)
        self.ordered = sorted(self.replacements, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, self.ordered))) if self.ordered else None
        self.longest = len(self.ordered[0]) if self.ordered else 0

    @functools.cached_property
    def beginnings(self) -> frozenset[str]:
        """Every beginning of a form that is not the whole of it: text ending in one may grow into a key."""
        return frozenset(form[:end] for form in self.ordered for end in range(1, len(form)))

    @functools.cached_property
    def encoded(self) -> list[bytes]:
        return [_encode(form) for form in self.ordered]

    def sub(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(self.shown, text)

    def shown(self, match: re.Match[str]) -> str:
        return self.replacements[match.group()]


@functools.lru_cache(maxsize=64)
def _table(secrets: tuple[str, ...], shortest: int) -> _Table:
    return _Table(((secret, mask(secret)) for secret in secrets), shortest)


class StreamEvent(Protocol):
    """What `Redactor.scrub_stream` needs of a recorded SSE event (exchange.TimedEvent)."""

    raw: str
    data: str | None
    text: str
    parsed: Any


class Redactor:
    """Finds the given keys in text, bytes, JSON values and streams, and masks them.

    `shortest`: keys with fewer characters are not searched for (SHORTEST, or
    SHORTEST_IN_BODIES for bodies and replies).
    """

    def __init__(self, secrets: Iterable[str | None], shortest: int = SHORTEST) -> None:
        kept = {secret for secret in secrets if secret and len(secret) >= shortest}
        self.secrets = tuple(sorted(kept, key=lambda s: (-len(s), s)))
        self._table = _table(self.secrets, shortest)

    @classmethod
    def for_replies(cls, secrets: Iterable[str | None]) -> "Redactor":
        """The redactor for request bodies and replies (headers, body, stream events, text as it streams)."""
        return cls(secrets, shortest=SHORTEST_IN_BODIES)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def found_in(self, text: str | bytes) -> bool:
        """True when some form of a key is in `text`."""
        if isinstance(text, str):
            return any(form in text for form in self._table.replacements)
        return any(form in text for form in self._table.encoded)

    def scrub(self, text: str) -> str:
        """`text` with every key masked, in every form it is written in."""
        return self._table.sub(text)

    def scrub_bytes(self, data: bytes) -> bytes:
        """`data` (UTF-8, or anything: other bytes pass through unchanged) with every key masked."""
        if not self.found_in(data):
            return data
        return _encode(self.scrub(data.decode(errors="surrogateescape")))

    def scrub_json(self, value: Any) -> Any:
        """A parsed JSON value with every key masked in its strings (keys of objects too)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.scrub_json(item) for item in value]
        if isinstance(value, dict):
            return {self.scrub(key): self.scrub_json(item) for key, item in value.items()}
        return value

    def scrub_pieces(self, pieces: Sequence[str]) -> list[str]:
        """The pieces of one text (stream deltas) with every key masked, also keys split across pieces.

        The pieces joined read as the joined text scrubbed: the piece where a key begins
        carries its mask, the following pieces lose their parts of it.
        """
        return [piece for piece, _ in self._split(pieces)]

    def scrub_stream(self, events: Sequence[StreamEvent], body: bytes) -> bytes:
        """Mask every key in a recorded stream: the events in place, and the body returned.

        Keys whole in a piece are masked everywhere (text, data, raw, parsed, body). A key split
        across events is found in the joined text of the events; each event's text, parsed
        JSON, data and raw, and its place in the body, are rewritten as `scrub_pieces` says.
        """
        texts = [event.text for event in events]
        shown = self._split(texts)
        whole = body.decode(errors="surrogateescape")
        cursor = 0
        for event, old, (new, parts) in zip(events, texts, shown):
            if new != old:
                whole, cursor = _rewrite_piece(event, old, new, parts, whole, cursor)
            event.raw = self.scrub(event.raw)
            if event.data is not None:
                event.data = self.scrub(event.data)
            event.text = self.scrub(event.text)
            event.parsed = self.scrub_json(event.parsed)
        return _encode(self.scrub(whole))

    def _split(self, pieces: Sequence[str]) -> list[tuple[str, list[str]]]:
        """For each piece: the piece as shown, and the parts of keys it held."""
        joined = "".join(pieces)
        ends: list[int] = []
        for piece in pieces:
            ends.append((ends[-1] if ends else 0) + len(piece))
        shown: list[list[str]] = [[] for _ in pieces]
        parts: list[list[str]] = [[] for _ in pieces]
        pattern = self._table.pattern
        done = 0
        for match in pattern.finditer(joined) if pattern is not None else ():
            start, end = match.span()
            _spread(joined, ends, done, start, shown)
            for order, (index, (low, high)) in enumerate(_overlaps(ends, start, end)):
                shown[index].append("" if order else self._table.shown(match))
                parts[index].append(joined[low:high])
            done = end
        _spread(joined, ends, done, len(joined), shown)
        return [("".join(piece), held) for piece, held in zip(shown, parts)]


class RecordedReply(Protocol):
    """What `scrub_reply` needs of a recorded reply (exchange.Exchange)."""

    response_headers: list[tuple[str, str]]
    body: bytes

    @property
    def events(self) -> Sequence[StreamEvent]: ...


def scrub_reply(reply: RecordedReply, redactor: Redactor) -> None:
    """Mask the keys a server echoed back (in an error message, say) in a recorded reply, in place.

    Headers, body and stream events, also a key split across events; nothing is rewritten when
    no key is there (the common case costs one search per part).
    """
    if not redactor:
        return
    echoed = (
        any(redactor.found_in(value) for _, value in reply.response_headers)
        or redactor.found_in(reply.body)
        or redactor.found_in("".join(event.text for event in reply.events))  # a key split across events
    )
    if not echoed:
        return
    reply.response_headers = [(name, redactor.scrub(value)) for name, value in reply.response_headers]
    reply.body = redactor.scrub_stream(reply.events, reply.body)


def _overlaps(ends: list[int], start: int, end: int) -> list[tuple[int, tuple[int, int]]]:
    """The pieces (by index) that the span start..end of the joined text falls in, and where."""
    found = []
    low = 0
    for index, high in enumerate(ends):
        if low < end and start < high:
            found.append((index, (max(start, low), min(end, high))))
        low = high
    return found


def _spread(joined: str, ends: list[int], start: int, end: int, shown: list[list[str]]) -> None:
    """Give each piece its own characters of joined[start:end], unchanged."""
    for index, (low, high) in _overlaps(ends, start, end):
        shown[index].append(joined[low:high])


def _rewrite_piece(event: StreamEvent, old: str, new: str, parts: list[str], body: str,
                   cursor: int) -> tuple[str, int]:
    """One event's text changed from `old` to `new`: say the same in its parsed JSON, data, raw and body.

    The text is a JSON string in the event's data, replaced in the forms JSON writers use. A
    server that escapes otherwise (`\\u0073` for `s`) leaves parts of the key there: every run
    of SHORTEST or more characters of them becomes an ellipsis. Returns the body and where in
    it the next event's text can be.
    """
    event.text = new
    event.parsed = _replace_string(event.parsed, old, new)
    swaps = _json_swaps(old, new)
    leftovers = _runs(tuple(parts))
    event.raw = leftovers.sub(_swapped(event.raw, swaps))
    if event.data is not None:
        event.data = leftovers.sub(_swapped(event.data, swaps))
    for was, now in swaps:
        at = body.find(was, cursor)
        if at != -1:
            return body[:at] + now + body[at + len(was) :], at + len(now)
    return body[:cursor] + leftovers.sub(body[cursor:]), cursor


def _json_swaps(old: str, new: str) -> list[tuple[str, str]]:
    """`old` and `new` as JSON strings, as json writers write them (ASCII only or not, / as \\/ or not)."""
    swaps = []
    for ensure_ascii in (True, False):
        was, now = json.dumps(old, ensure_ascii=ensure_ascii), json.dumps(new, ensure_ascii=ensure_ascii)
        swaps += [(was, now), (was.replace("/", "\\/"), now.replace("/", "\\/"))]
    return swaps


def _swapped(text: str, swaps: list[tuple[str, str]]) -> str:
    for was, now in swaps:
        text = text.replace(was, now)
    return text


@functools.lru_cache(maxsize=16)
def _runs(parts: tuple[str, ...]) -> _Table:
    """Every run of SHORTEST or more characters of these parts of a key, each to become an ellipsis."""
    runs = {part[i:j] for part in parts for i in range(len(part)) for j in range(i + SHORTEST, len(part) + 1)}
    return _Table(((run, ELLIPSIS) for run in runs), SHORTEST)


def _replace_string(value: Any, old: str, new: str) -> Any:
    """A parsed JSON value with every string equal to `old` (not object keys) replaced by `new`."""
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, list):
        return [_replace_string(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _replace_string(item, old, new) for key, item in value.items()}
    return value


def _encode(text: str) -> bytes:
    """Text decoded with surrogateescape, back to the bytes it came from."""
    try:
        return text.encode(errors="surrogateescape")
    except UnicodeEncodeError:  # a key holding a lone surrogate put one into the mask
        return text.encode(errors="backslashreplace")


class StreamScrubber:
    """Masks keys in text shown as it arrives (a streamed reply printed token by token).

    `feed` returns what can be shown now: it holds back the end of the text that could still
    be the beginning of a key (at most the longest key's length less one), until the next
    text says whether it is. `flush` returns the rest when the stream ends.
    """

    def __init__(self, redactor: Redactor) -> None:
        self._table = redactor._table
        self._held = ""

    def feed(self, text: str) -> str:
        """What of the text so far can be shown now, keys masked."""
        pattern = self._table.pattern
        if pattern is None:  # no key to look for: a stream that never ends costs nothing here
            return text
        held = self._held + text
        out: list[str] = []
        done = 0
        while True:
            open_at = self._unfinished(held, done)
            match = pattern.search(held, done) if pattern is not None else None
            if match is None or match.start() >= open_at:
                break
            # A key that begins before any unfinished end is whole: no later text can change it.
            out += [held[done : match.start()], self._table.shown(match)]
            done = match.end()
        out.append(held[done:open_at])
        self._held = held[open_at:]
        return "".join(out)

    def flush(self) -> str:
        """What was held back, masked: the stream has ended."""
        held, self._held = self._held, ""
        return self._table.sub(held)

    def _unfinished(self, text: str, done: int) -> int:
        """The first place from `done` where the rest of the text may still grow into a key (else its end)."""
        beginnings = self._table.beginnings
        for start in range(max(done, len(text) - self._table.longest + 1), len(text)):
            if text[start:] in beginnings:
                return start
        return len(text)
