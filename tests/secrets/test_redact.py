"""workbench.redact, the one place secrets are hidden: masking, finding keys in every form, split keys, URLs.

Fast and pure (no network, no keyring), so a mutation tool can run it once per mutant:
docs/mutation.md has the method and the score. Each test pins one rule of the module's
docstring; the cases the issue found untested are marked "(issue 12)".
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench import redact, wire
from workbench.exchange import TimedEvent
from workbench.redact import (
    ELLIPSIS,
    SECRET_HEADERS,
    Redactor,
    StreamScrubber,
    credential_scheme,
    is_secret_header,
    mask,
    mask_credential,
    mask_header,
    shown_url,
)

KEY = "sk-canary-7e2b9c4d1a0f6e83b5d2"
MASKED = "sk-…b5d2"
DOTS = ELLIPSIS * 3


@pytest.fixture(autouse=True)
def fresh_memory_of_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key remembered, and no table of forms built before (by other code, or a mutation tool's first run)."""
    monkeypatch.setattr(redact, "_IN_USE", set())
    redact._table.cache_clear()
    redact._runs.cache_clear()


def runs(text: str, key: str, shortest: int = 4) -> set[str]:
    """Every run of `shortest` or more characters of `key` found in `text`, outside its mask."""
    for form in {mask(key), json.dumps(mask(key))[1:-1]}:
        text = text.replace(form, "\0")
    return {key[i:j] for i in range(len(key)) for j in range(i + shortest, len(key) + 1) if key[i:j] in text}


# ---- mask ------------------------------------------------------------------------------------------


def test_the_ellipsis_is_one_character() -> None:
    assert ELLIPSIS == "\u2026" and DOTS == "\u2026\u2026\u2026"


@pytest.mark.parametrize(("secret", "shown"), [
    (None, ""),
    ("", ""),
    ("a", DOTS),
    ("abcdefgh", DOTS),  # 8 characters: the boundary, nothing shown (issue 12)
    ("abcdefghi", "ab…fghi"),  # 9: the first length that shows anything
    ("sk-abcdefgh", "sk-…efgh"),
    ("-abcdefghij", "-…ghij"),  # a dash first: the head is just the dash
    ("ab-cdefghij", "ab-…ghij"),
    ("abc-defghijk", "abc-…hijk"),  # a dash at the 4th character still counts
    ("abcd-efghijk", "ab…hijk"),  # a dash at the 5th does not
    ("a-b-cdefghij", "a-…ghij"),  # the first dash
    (KEY, MASKED),
])
def test_mask_shows_a_short_head_and_the_last_four(secret: str | None, shown: str) -> None:
    assert mask(secret) == shown


# ---- secret headers -----------------------------------------------------------------------------------


def test_the_secret_header_names() -> None:
    assert SECRET_HEADERS == {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie"}


@pytest.mark.parametrize("name", ["Authorization", "PROXY-AUTHORIZATION", "x-api-key", "X_API_KEY", " api-key ",
                                  "Cookie", "api_key"])
def test_secret_header_names_in_any_case_spacing_or_underscores(name: str) -> None:
    assert is_secret_header(name)


@pytest.mark.parametrize("name", ["x-trace", "content-type", "authorizations", "x-api", "set-cookie-x", ""])
def test_other_header_names_are_not_secret(name: str) -> None:
    assert not is_secret_header(name)


@pytest.mark.parametrize(("value", "shown"), [
    (f"Bearer {KEY}", f"Bearer {MASKED}"),
    ("Basic dXNlcjpwYXNzd29yZA==", "Basic dX…ZA=="),
    ("Bearer", DOTS),
    ("Bearer ", DOTS),  # a scheme and nothing after it: all of it masked
    ("abcdefghijkl", "ab…ijkl"),  # an all-letters key sent as x-api-key is masked, not kept as a scheme (issue 12)
    (KEY, MASKED),
    (f"Bea-rer {KEY}", "Bea-…b5d2"),  # not a scheme: masked whole
    (f"Bearer2 {KEY}", "Be…b5d2"),
    (f" {KEY}", " sk-…b5d2"),
    ("Token abc defghijk", "Token ab…hijk"),  # the scheme is the first word; the credential all the rest
])
def test_a_credential_keeps_only_an_all_letters_scheme(value: str, shown: str) -> None:
    assert mask_credential(value) == shown


@pytest.mark.parametrize(("value", "scheme"), [
    ("Bearer sk-…9f3a", "Bearer"),
    ("Basic abc", "Basic"),
    ("Bearer", ""),
    ("Bearer ", ""),
    ("abcdefghijkl", ""),
    ("Bea-rer x", ""),
    (" x", ""),
    ("Token a b", "Token"),
])
def test_the_scheme_of_a_credential(value: str, scheme: str) -> None:
    assert credential_scheme(value) == scheme


def test_mask_header_masks_secret_headers_and_leaves_the_rest() -> None:
    assert mask_header("Authorization", f"Bearer {KEY}") == f"Bearer {MASKED}"
    assert mask_header("x-api-key", "abcdefghijkl") == "ab…ijkl"
    assert mask_header("X-Trace", f"trace {KEY}") == f"trace {KEY}"


# ---- URLs as shown -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "shown"), [
    ("http://user:pass@127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ("https://sk-canary@llm.example.com/v1", "https://llm.example.com/v1"),
    ("http://u:p@ss@host/v1", "http://host/v1"),  # the userinfo ends at the last @ of the authority
    ("HTTP://U:P@HOST/", "HTTP://HOST/"),
    ("git+ssh://u@host/x", "git+ssh://host/x"),
    ("//u:p@host/x", "//host/x"),
    ("http://host/v1/a@b", "http://host/v1/a@b"),  # an @ in the path is no userinfo
    ("http://host/v1?to=a@b", "http://host/v1?to=a@b"),
    ("http://host/v1#a@b", "http://host/v1#a@b"),
    ("host@example.com", "host@example.com"),
    ("http://a@b/c?d@e", "http://b/c?d@e"),
    ("1http://u@h/", "1http://u@h/"),  # not a scheme: left alone
    ("http://u@h/v1#a?key=abcdefghijk#b", "http://h/v1#a?key=ab…jk#b"),  # the fragment is all after the first #
    ("http://h/v1?a=b?key=abcdefghijk", "http://h/v1?a=b?key=abcdefghijk"),  # the query: all after the first ?
    ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
])
def test_a_shown_url_has_no_userinfo(url: str, shown: str) -> None:
    assert shown_url(url) == shown


@pytest.mark.parametrize(("query", "shown"), [
    ("key=AIzaSyD0123456789", "key=AI…6789"),
    ("api_key=abcdefghij&model=m", "api_key=ab…ghij&model=m"),
    ("model=m&access_token=abc", f"model=m&access_token={DOTS}"),
    ("sig=0123456789abcdef", "sig=01…cdef"),
    ("X-Amz-Signature=0123456789abcdef", "X-Amz-Signature=01…cdef"),
    ("X-Amz-Credential=AKIA0123456789", "X-Amz-Credential=AK…6789"),
    (("token=t&password=p&apikey=k&client_secret=s&auth=a&jwt=j&session=s&sessionid=i&pwd=w&passwd=x&keys=y"
      "&authorization=z&signature=v"),
     "&".join(f"{name}={DOTS}" for name in ("token", "password", "apikey", "client_secret", "auth", "jwt", "session",
                                          "sessionid", "pwd", "passwd", "keys", "authorization", "signature"))),
    ("key=abcdefghij==", "key=ab…ij=="),  # the value is all after the first = (base64 ends in =)
    ("api_key_2=abcdefghij&auth-token-v2=abcdefghij&key.id=abcdefghij",
     "api_key_2=ab…ghij&auth-token-v2=ab…ghij&key.id=ab…ghij"),  # a key word anywhere in the name
    ("key=", "key="),  # nothing to mask
    ("key", "key"),
    ("stream=true&keyword=abcdefghij&model=gpt", "stream=true&keyword=abcdefghij&model=gpt"),
    ("=abcdefghij", "=abcdefghij"),
    ("", ""),
])
def test_a_shown_url_masks_key_like_parameters(query: str, shown: str) -> None:
    assert shown_url(f"http://h/v1?{query}") == f"http://h/v1?{shown}"
    assert shown_url(f"http://h/v1#{query}") == f"http://h/v1#{shown}"


def test_a_shown_url_keeps_its_shape() -> None:
    assert shown_url("http://h/v1?") == "http://h/v1?"
    assert shown_url("http://h/v1#") == "http://h/v1#"
    assert shown_url("http://h/v1?a=1#b=2") == "http://h/v1?a=1#b=2"
    assert shown_url("http://h/v1?key=abcdefghijk#token=abcdefghijk") == "http://h/v1?key=ab…hijk#token=ab…hijk"
    assert shown_url("http://u@h/v1?key=abcdefghijk", ()) == "http://h/v1?key=ab…hijk"


def test_a_shown_url_masks_the_keys_it_is_given() -> None:
    assert shown_url(f"http://h/v1/{KEY}/x", [KEY]) == f"http://h/v1/{MASKED}/x"
    assert shown_url(f"http://h/{KEY}", [None, "", KEY]) == f"http://h/{MASKED}"
    assert shown_url("http://h/abc", ["abc"]) == "http://h/abc"  # too short to search for
    assert shown_url("http://h/abcd", ["abcd"]) == f"http://h/{DOTS}"


# ---- keys remembered by the process --------------------------------------------------------------------


def test_remember_keeps_keys_of_four_characters_or_more() -> None:
    for secret in (None, "", "abc"):
        redact.remember(secret)
    assert redact._IN_USE == set()
    redact.remember("abcd")  # a 4-character key (issue 12)
    redact.remember(KEY)
    assert redact._IN_USE == {"abcd", KEY}
    assert redact.scrub(f"abc abcd {KEY} {KEY!r}") == f"abc {DOTS} {MASKED} '{MASKED}'"


def test_scrub_with_nothing_remembered_changes_nothing() -> None:
    assert redact.scrub(f"x {KEY} y") == f"x {KEY} y"


def test_a_remembered_key_inside_a_longer_one_masks_the_longer_one_whole() -> None:
    """Scrub order (issue 12): the longest key first, so no piece of the longer key survives."""
    inner = "7e2b9c4d1a0f"
    redact.remember(inner)
    redact.remember(KEY)
    assert redact.scrub(f"{KEY} and {inner}") == f"{MASKED} and 7e…1a0f"
    redact._IN_USE.clear()
    for secret in (KEY, inner):
        redact.remember(secret)
    assert redact.scrub(f"{KEY} and {inner}") == f"{MASKED} and 7e…1a0f"


# ---- Redactor: which keys, in which forms ----------------------------------------------------------------


def test_a_redactor_searches_keys_of_its_shortest_length_or_more() -> None:
    four, seven, eight = "abcd", "abcdefg", "abcdefgh"
    assert Redactor([None, "", "abc", four, seven, eight]).secrets == (eight, seven, four)
    assert Redactor([four, seven, eight], shortest=8).secrets == (eight,)
    assert Redactor(["bbbb", "aaaa", "cccc"]).secrets == ("aaaa", "bbbb", "cccc")  # ties in a stable order
    assert Redactor([seven], shortest=8).scrub(f"x {seven}") == f"x {seven}"
    assert Redactor([eight], shortest=8).scrub(f"x {eight}") == f"x {DOTS}"  # 8: at the boundary, searched (issue 12)
    assert Redactor([four]).scrub("x abcd y") == f"x {DOTS} y"  # a 4-character key (issue 12)
    assert Redactor(["abc"]).scrub("x abc") == "x abc"
    assert Redactor(["a"], shortest=1).scrub("banana") == f"b{DOTS}n{DOTS}n{DOTS}"


def test_a_redactor_is_true_when_it_has_keys_to_search() -> None:
    assert Redactor([KEY])
    assert not Redactor(["abc"])
    assert not Redactor([])


@pytest.mark.parametrize(("secret", "written"), [
    ('sk-ab"cd-0123456789', 'sk-ab\\"cd-0123456789'),  # a quote, JSON-escaped (issue 12)
    ("sk-ab\\cd-0123456789", "sk-ab\\\\cd-0123456789"),  # a backslash, escaped by JSON and repr (issue 12)
    ("sk-ab'cd\"-0123456789", "sk-ab\\'cd\"-0123456789"),  # both quotes: repr escapes the single one
    ("sk-ab\ncd-0123456789", "sk-ab\\ncd-0123456789"),
    ("sk-clé-0123456789", "sk-cl\\u00e9-0123456789"),  # JSON with ensure_ascii
    ("sk-ab/cd/0123456789", "sk-ab\\/cd\\/0123456789"),  # JSON as PHP writes it
    ("sk-ab/cd\u2028-0123456789", "sk-ab\\/cd\u2028-0123456789"),  # PHP-style, with the rest not made ASCII
    (" sk-canary-0123456789 \n", "sk-canary-0123456789"),  # stripped
])
def test_a_key_is_found_in_its_escaped_forms(secret: str, written: str) -> None:
    redactor = Redactor([secret])
    text = f"<{written}>"
    assert redactor.found_in(text) and redactor.found_in(text.encode())
    shown = redactor.scrub(text)
    assert written not in shown and shown.startswith("<") and shown.endswith(">")
    assert "89" in shown and "0123" not in shown


def test_each_form_is_replaced_by_the_mask_written_the_same_way() -> None:
    secret = 'sk-ab"cl\\é/-0123456789\n'
    masked = mask(secret)
    assert masked == "sk-…789\n"
    forms = {
        secret: masked,
        secret.strip(): masked.strip(),
        repr(secret)[1:-1]: repr(masked)[1:-1],
        json.dumps(secret)[1:-1]: json.dumps(masked)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1]: json.dumps(masked, ensure_ascii=False)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1].replace("/", "\\/"): json.dumps(masked, ensure_ascii=False)[1:-1],
    }
    assert len(forms) == 6
    redactor = Redactor([secret])
    for written, shown in forms.items():
        assert redactor.scrub(f"[{written}]") == f"[{shown}]", written


def test_a_json_body_with_an_escaped_key_stays_json() -> None:
    secret = 'sk-ab"cd\\é-0123456789'
    for ensure_ascii in (True, False):
        body = json.dumps({"content": f"key {secret}!"}, ensure_ascii=ensure_ascii)
        shown = Redactor([secret]).scrub(body)
        assert json.loads(shown) == {"content": f"key {mask(secret)}!"}


def test_the_first_form_of_a_key_decides_what_it_becomes() -> None:
    """A key with nothing to escape has one form; its mask is the plain one."""
    assert Redactor([KEY]).scrub(json.dumps(KEY)) == f'"{MASKED}"'


def test_forms_shorter_than_the_shortest_are_not_searched() -> None:
    redactor = Redactor(["  ab  "])  # 6 characters, but stripped it is 2: never searched for
    assert redactor.scrub("ab cab") == "ab cab"
    assert redactor.scrub("x  ab  y") == f"x{DOTS}y"


def test_a_key_inside_a_longer_key_never_leaves_a_piece_of_the_longer_one() -> None:
    """Scrub order (issue 12): 'abcd1234' inside 'xxabcd1234yy' must not leave xx…yy around a mask."""
    short, long = "abcd1234", "xxabcd1234yy"
    for order in ([short, long], [long, short]):
        redactor = Redactor(order)
        assert redactor.scrub(f"{long} {short}") == f"xx…34yy {DOTS}"


def test_found_in_looks_at_text_and_bytes() -> None:
    redactor = Redactor(["sk-clé-0123456789"])
    assert redactor.found_in("a sk-clé-0123456789 b")
    assert redactor.found_in("a sk-clé-0123456789 b".encode())
    assert not redactor.found_in("sk-cle-0123456789")
    assert not redactor.found_in(b"sk-cle-0123456789")
    assert not Redactor([]).found_in("anything")


def test_scrub_bytes_masks_utf8_and_keeps_other_bytes_as_they_were() -> None:
    redactor = Redactor([KEY])
    data = b"\xff\xfe " + KEY.encode() + b" \xc3"
    assert redactor.scrub_bytes(data) == b"\xff\xfe " + MASKED.encode() + b" \xc3"
    clean = b"\xff nothing here"
    assert redactor.scrub_bytes(clean) is clean


def test_a_key_holding_a_lone_surrogate_does_not_break_scrubbing() -> None:
    secret = "sk-abcdefgh\ud800"
    redactor = Redactor([secret])
    assert redactor.found_in(b"x sk-abcdefgh\\ud800")
    assert redactor.scrub_bytes(b"sk-abcdefgh\\ud800") == b"sk-\xe2\x80\xa6fgh\\ud800"
    assert redact._encode("a\ud800") == b"a\\ud800"
    assert redact._encode("a\udcff") == b"a\xff"


def test_scrub_json_masks_strings_and_object_keys_at_any_depth() -> None:
    value = {KEY: [1, 2.5, None, True, {"k": f"x{KEY}"}], "n": 3, "s": KEY}
    assert Redactor([KEY]).scrub_json(value) == {MASKED: [1, 2.5, None, True, {"k": f"x{MASKED}"}], "n": 3,
                                                  "s": MASKED}
    assert Redactor([KEY]).scrub_json(KEY) == MASKED
    assert Redactor([KEY]).scrub_json(7) == 7


# ---- keys split across pieces --------------------------------------------------------------------------------


@pytest.mark.parametrize(("pieces", "shown"), [
    (["hello Bearer s", "k-canary-7e2b", "9c4d1a0f6e83b5d2 bye"], ["hello Bearer " + MASKED, "", " bye"]),
    (["hello ", KEY, " bye"], ["hello ", MASKED, " bye"]),
    ([f"{KEY[:5]}", "", f"{KEY[5:]}"], [MASKED, "", ""]),
    ([f"a{KEY[:-1]}", f"{KEY[-1]}b"], [f"a{MASKED}", "b"]),
    ([KEY[:10], KEY[10:] + KEY[:3], KEY[3:]], [MASKED, MASKED, ""]),  # two keys: each where it begins
    ([f"{KEY} {KEY[:4]}", f"{KEY[4:]}"], [f"{MASKED} {MASKED}", ""]),
    (["no", " keys", ""], ["no", " keys", ""]),
    ([], []),
])
def test_a_key_split_across_pieces_is_masked_where_it_begins(pieces: list[str], shown: list[str]) -> None:
    assert Redactor([KEY]).scrub_pieces(pieces) == shown


def test_split_pieces_with_a_short_key_and_with_none() -> None:
    assert Redactor(["abcd"]).scrub_pieces(["xa", "bc", "dy"]) == [f"x{DOTS}", "", "y"]
    assert Redactor([]).scrub_pieces(["a", "b"]) == ["a", "b"]


@given(st.lists(st.text(alphabet="sk-canry7e2b9c4d1a0f6e83b5d2 x", max_size=12), max_size=8), st.data())
def test_joined_scrubbed_pieces_read_as_the_joined_text_scrubbed(pieces: list[str], data: st.DataObject) -> None:
    where = data.draw(st.integers(0, len(pieces)))
    pieces = pieces[:where] + [KEY[:7], KEY[7:20], KEY[20:]] + pieces[where:]
    redactor = Redactor([KEY, "canary-7e2b"])
    shown = redactor.scrub_pieces(pieces)
    assert len(shown) == len(pieces)
    assert "".join(shown) == redactor.scrub("".join(pieces))
    for piece in shown:
        assert runs(piece, KEY) == set()


# ---- recorded streams -----------------------------------------------------------------------------------------


def chunk(text: str, **extra: object) -> str:
    return json.dumps({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}], **extra})


def recorded(body: str) -> list[TimedEvent]:
    """The events the client's assembler records for a body (parsed JSON and content text)."""
    events = []
    for event in wire.SSEDecoder().feed(body):
        timed = TimedEvent(t_ms=0.0, raw=event.raw, data=event.data)
        if event.data is not None and event.data != wire.DONE:
            timed.parsed = wire.loads(event.data)
            timed.text = wire.delta_text(timed.parsed)
        events.append(timed)
    return events


def stream(*texts: str) -> str:
    return "".join(f"data: {chunk(text)}\n\n" for text in texts) + "data: [DONE]\n\n"


def views(events: list[TimedEvent], body: bytes) -> dict[str, str]:
    return {
        "body": body.decode(),
        "raw": "\n".join(e.raw for e in events),
        "data": "\n".join(e.data or "" for e in events),
        "parsed": json.dumps([e.parsed for e in events], ensure_ascii=False),
        "text": "".join(e.text for e in events),
    }


def test_a_key_split_across_two_events_leaves_no_run_of_it_in_any_view() -> None:
    """Issue 13 row 2: `…Bearer s` in one event and `k-CANARY…` in the next."""
    body = stream("Authorization=Bearer s", KEY[1:], " ok")
    events = recorded(body)
    shown = Redactor([KEY]).scrub_stream(events, body.encode())
    for view, text in views(events, shown).items():
        assert runs(text, KEY) == set(), view
    assert [e.text for e in events] == [f"Authorization=Bearer {MASKED}", "", " ok", ""]
    assert shown.decode() == stream(f"Authorization=Bearer {MASKED}", "", " ok")
    for event in events[:3]:
        assert wire.loads(event.data) == event.parsed and event.raw == f"data: {event.data}"
        assert wire.delta_text(event.parsed) == event.text


def test_a_key_split_in_many_small_pieces() -> None:
    pieces = [KEY[i : i + 3] for i in range(0, len(KEY), 3)]
    body = stream("key: ", *pieces, ".")
    events = recorded(body)
    shown = Redactor([KEY]).scrub_stream(events, body.encode())
    assert "".join(e.text for e in events) == f"key: {MASKED}."
    assert shown.decode() == stream("key: ", MASKED, *[""] * (len(pieces) - 1), ".")


def test_a_split_key_with_a_quote_and_a_backslash_in_escaped_json() -> None:
    secret = 'sk-ab"cd\\ef-0123456789'
    for ensure_ascii in (True, False):
        body = "".join(f"data: {json.dumps({'choices': [{'delta': {'content': t}}]}, ensure_ascii=ensure_ascii)}\n\n"
                       for t in ("x é " + secret[:9], secret[9:] + " é"))
        events = recorded(body)
        shown = Redactor([secret]).scrub_stream(events, body.encode())
        assert [e.text for e in events] == [f"x é {mask(secret)}", " é"]
        for event in events:
            assert wire.loads(event.data) == event.parsed
        assert [e.parsed for e in recorded(shown.decode())] == [e.parsed for e in events]


def test_a_server_that_escapes_otherwise_still_loses_the_parts_of_the_key() -> None:
    """`\\u0073` for `s` is valid JSON no Python json writes: the parts are then found as they are."""
    first = '{"choices":[{"delta":{"content":"Bearer \\u0073k-canary-7e2b"}}]}'
    second = f'{{"choices":[{{"delta":{{"content":"{KEY[14:]} ok"}}}}]}}'
    body = f"data: {first}\n\ndata: {second}\n\n"
    events = recorded(body)
    assert events[0].text == "Bearer sk-canary-7e2b"
    shown = Redactor([KEY]).scrub_stream(events, body.encode())
    for view, text in views(events, shown).items():
        assert runs(text, KEY) == set(), view
    assert events[0].text == f"Bearer {MASKED}" and events[1].text == " ok"
    assert events[0].data == '{"choices":[{"delta":{"content":"Bearer \\u0073…"}}]}'
    assert events[1].data == '{"choices":[{"delta":{"content":" ok"}}]}'
    assert shown.decode() == f"data: {events[0].data}\n\ndata: {events[1].data}\n\n"


def test_the_body_is_rewritten_event_by_event_in_order() -> None:
    """A part of a key that is no key where it stands earlier in the stream is left there."""
    for texts, shown in [
        ([KEY[4:], "hi", KEY[:4], KEY[4:]], [KEY[4:], "hi", MASKED, ""]),
        ([KEY[15:] + " then", KEY[:15], KEY[15:]], [KEY[15:] + " then", MASKED, ""]),
    ]:
        body = stream(*texts)
        events = recorded(body)
        scrubbed = Redactor([KEY]).scrub_stream(events, body.encode())
        assert [e.text for e in events[:-1]] == shown
        assert scrubbed.decode() == stream(*shown)


def bare(*texts: str) -> tuple[list[TimedEvent], str]:
    """Events whose data is a bare JSON string (its text), with little framing between them."""
    events = [TimedEvent(t_ms=0.0, raw=f"data: {json.dumps(t)}", data=json.dumps(t), parsed=t, text=t) for t in texts]
    return events, "".join(f"{e.raw}\n\n" for e in events)


def test_the_body_is_read_on_from_the_end_of_the_last_rewritten_text() -> None:
    """The second rewritten event's text also stands just before the first: only the one after counts."""
    tail = KEY[12:]
    long = "a long text before the key " * 3
    events, body = bare(tail, long + KEY[:12], tail)
    shown = Redactor([KEY]).scrub_stream(events, body.encode())
    assert [e.text for e in events] == [tail, long + MASKED, ""]
    assert shown.decode() == bare(tail, long + MASKED, "")[1]


def test_an_unchanged_later_event_with_the_same_text_is_left_alone() -> None:
    events, body = bare(KEY[:4], KEY[4:], KEY[4:])
    shown = Redactor([KEY]).scrub_stream(events, body.encode())
    assert [e.text for e in events] == [MASKED, "", KEY[4:]]
    assert shown.decode() == bare(MASKED, "", KEY[4:])[1]


def test_a_split_key_in_json_written_without_ascii_escapes_stays_so() -> None:
    texts = ["é " + KEY[:9], KEY[9:] + " é"]
    events = [TimedEvent(t_ms=0.0, raw="data: " + json.dumps(t, ensure_ascii=False),
                         data=json.dumps(t, ensure_ascii=False), parsed=t, text=t) for t in texts]
    body = "".join(f"{e.raw}\n\n" for e in events)
    shown = Redactor([KEY]).scrub_stream(events, body.encode())
    assert [e.data for e in events] == [f'"é {MASKED}"', '" é"']
    assert shown.decode() == f'data: "é {MASKED}"\n\ndata: " é"\n\n'


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_a_split_key_in_json_written_as_php_does(ensure_ascii: bool) -> None:
    """PHP's json_encode writes / as \\/: the texts are found and rewritten in that form."""
    secret = "sk-ab/cd/ef/0123456789/x"
    texts = ["é a/b " + secret[:9], secret[9:] + " c/d"]

    def php(text: str) -> str:
        return json.dumps(text, ensure_ascii=ensure_ascii).replace("/", "\\/")

    events = [TimedEvent(t_ms=0.0, raw=f"data: {php(t)}", data=php(t), parsed=t, text=t) for t in texts]
    body = "".join(f"{e.raw}\n\n" for e in events)
    shown = Redactor([secret]).scrub_stream(events, body.encode())
    assert mask(secret) == "sk-…89/x"
    assert [e.text for e in events] == ["é a/b sk-…89/x", " c/d"]
    assert [e.data for e in events] == [php("é a/b sk-…89/x"), php(" c/d")]
    assert shown.decode() == "".join(f"data: {php(t)}\n\n" for t in ("é a/b sk-…89/x", " c/d"))


def test_whole_keys_in_any_part_of_an_event_are_masked() -> None:
    body = f"data: {chunk('hi', model=KEY, **{KEY: 1})}\n: note {KEY}\n\n"
    events = recorded(body)
    shown = Redactor([KEY]).scrub_stream(events, body.encode())
    (event,) = events
    assert KEY not in event.raw and KEY not in (event.data or "") and KEY not in json.dumps(event.parsed)
    assert event.parsed["model"] == MASKED and event.parsed[MASKED] == 1 and event.text == "hi"
    assert shown.decode() == body.replace(KEY, MASKED)


def test_events_without_data_or_text_pass_through() -> None:
    body = f": keep-alive {KEY}\n\nevent: ping\n\n"
    events = recorded(body)
    shown = Redactor([KEY]).scrub_stream(events, body.encode())
    assert [e.raw for e in events] == [f": keep-alive {MASKED}", "event: ping"]
    assert [e.data for e in events] == [None, None]
    assert shown.decode() == f": keep-alive {MASKED}\n\nevent: ping\n\n"


def test_a_stream_body_with_invalid_utf8_keeps_its_other_bytes() -> None:
    body = stream("a" + KEY[:6], KEY[6:]).encode() + b"\xff"
    events = recorded(body[:-1].decode())
    shown = Redactor([KEY]).scrub_stream(events, body)
    assert shown == stream("a" + MASKED, "").encode() + b"\xff"


def test_a_stream_without_keys_is_unchanged() -> None:
    body = stream("nothing", " here")
    events = recorded(body)
    before = [(e.raw, e.data, e.text, e.parsed) for e in events]
    assert Redactor([KEY]).scrub_stream(events, body.encode()) == body.encode()
    assert [(e.raw, e.data, e.text, e.parsed) for e in events] == before


def test_replace_string_replaces_values_not_object_keys() -> None:
    value = {"a": ["x", {"x": "x", "y": 1}], "x": "y"}
    assert redact._replace_string(value, "x", "z") == {"a": ["z", {"x": "z", "y": 1}], "x": "y"}
    assert redact._replace_string(3, "x", "z") == 3


# ---- the stream printer ---------------------------------------------------------------------------------------


def printed(redactor: Redactor, pieces: list[str]) -> list[str]:
    printer = StreamScrubber(redactor)
    return [printer.feed(piece) for piece in pieces] + [printer.flush()]


def test_the_printer_masks_a_key_split_across_pieces() -> None:
    shown = printed(Redactor([KEY]), ["Bearer s", KEY[1:12], KEY[12:] + " ok"])
    assert shown == ["Bearer ", "", MASKED + " ok", ""]


def test_the_printer_holds_back_only_what_could_begin_a_key() -> None:
    redactor = Redactor([KEY])
    assert printed(redactor, ["hello", " world"]) == ["hello", " world", ""]
    assert printed(redactor, ["ask", "ed"]) == ["a", "sked", ""]  # "sk" could begin the key, "ske" cannot
    assert printed(redactor, ["x sk-canary-7e2b9c4d1a0f6e83b5d"]) == ["x ", "sk-canary-7e2b9c4d1a0f6e83b5d"]
    assert printed(redactor, ["x sk-canary-7e2b9c4d1a0f6e83b5d", "2"]) == ["x ", MASKED, ""]


def test_the_printer_char_by_char_prints_the_scrubbed_text() -> None:
    redactor = Redactor([KEY, "abcd1234", "xxabcd1234yy"])
    text = f"one {KEY} two xxabcd1234yy three abcd1234 four xxabcd1234 sk-canary"
    shown = printed(redactor, list(text))
    assert "".join(shown) == redactor.scrub(text)
    assert shown[-1] == "sk-canary"  # held to the end: it could have begun the key
    assert all(runs(piece, KEY) == set() for piece in shown[:-1])


def test_a_longer_key_may_still_complete_after_a_shorter_one() -> None:
    redactor = Redactor(["abcd1234", "abcd12345678"])
    assert printed(redactor, ["abcd1234", "5678 x"]) == ["", "ab…5678 x", ""]
    assert printed(redactor, ["abcd1234", " x"]) == ["", "………" + " x", ""]


def test_a_match_that_runs_past_an_unfinished_end_is_whole() -> None:
    """'xabcdefghij' is a key; 'ghij' could begin another; the first key, begun earlier, wins."""
    redactor = Redactor(["xabcdefghij", "ghijklmnopq"])
    assert printed(redactor, ["> xabcdefghij"]) == ["> xa…ghij", ""]


def test_the_printer_without_keys_prints_everything_at_once() -> None:
    assert printed(Redactor([]), ["a", "b"]) == ["a", "b", ""]


def test_the_printer_holds_at_most_the_longest_key_less_one() -> None:
    redactor = Redactor(["aaaaaaaa"])
    printer = StreamScrubber(redactor)
    assert printer.feed("a" * 20) == DOTS + DOTS  # 20 a's: two keys, and 4 that could begin a third
    assert printer.flush() == "aaaa"
    assert printer.flush() == ""
    assert printer.feed("b" + "a" * 7) == "b"
    assert printer.feed("a") == DOTS


@given(st.text(alphabet="abcd1234xy", max_size=40), st.lists(st.integers(0, 40), max_size=6))
def test_the_printer_prints_what_scrubbing_the_whole_text_gives(text: str, cuts: list[int]) -> None:
    redactor = Redactor(["abcd1234", "d123", "xyab", "abcd12345678xy"])
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert "".join(printed(redactor, pieces)) == redactor.scrub(text)


def test_masked_forms_never_hide_a_pattern_with_regex_meaning() -> None:
    secret = "a.b*c+d?(e)[f]"
    redactor = Redactor([secret])
    assert redactor.scrub("aXbbbcd") == "aXbbbcd"
    assert redactor.scrub(f"<{secret}>") == f"<{mask(secret)}>"
