"""Issue 13 row 12, URLs: --url values that ended in "this is a bug" or a misleading sentence.

Each is refused before anything is sent (exit 2), by the rule a profile's base_url follows
(workbench.base_url), in one sentence that says what was expected and what came, never
echoing a long URL whole.
"""

from __future__ import annotations

import pytest

from workbench import base_url
from workbench.errors import ProfileError
from workbench.profiles import from_dict

LONG = "http://127.0.0.1:8000/v1/" + "a" * 120_000
BAD_URLS = {
    "port past 65535": ("http://127.0.0.1:99999/v1", "port from 1 to 65535"),
    "port 0": ("http://127.0.0.1:0/v1", "port from 1 to 65535"),
    "a query": ("http://127.0.0.1:8000/v1?x", "without ?query or #fragment"),
    "a fragment": ("http://127.0.0.1:8000/v1#frag", "without ?query or #fragment"),
    "an empty query": ("http://127.0.0.1:8000/v1?", "without ?query or #fragment"),
    "no host": ("http:///v1", "has no host"),
    "not http": ("ftp://127.0.0.1/v1", "http:// or https://"),
    "a broken IPv6 host": ("http://[::1/v1", "http:// or https://"),
    "a space": ("http://127.0.0.1:8000/v 1", "a space or a control character"),
    "120 KB": (LONG, "at most 2,048 characters"),
}


@pytest.mark.parametrize("command", ["chat", "check", "bench"])
@pytest.mark.parametrize("case", list(BAD_URLS))
def test_a_bad_url_is_one_sentence_before_anything_is_sent(run_workbench, no_proxy, command, case):
    url, expected = BAD_URLS[case]
    args = {"chat": ("hello",), "check": (), "bench": ("-n", "1")}[command]
    result = run_workbench(command, "--url", url, "--model", "m", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "error: --url: " in result.stderr and expected in result.stderr
    assert "this is a bug" not in result.stderr and "/chat/completions`" not in result.stderr
    assert len(result.stdout + result.stderr) < 1_000  # a long URL is never echoed whole


@pytest.mark.parametrize("case", list(BAD_URLS))
def test_a_profile_follows_the_same_rule(case):
    url, expected = BAD_URLS[case]
    with pytest.raises(ProfileError) as raised:
        from_dict({"base_url": url, "model": "m"}, "p")
    assert expected in raised.value.message and len(raised.value.message) < 1_000


def test_a_long_url_is_shortened_when_quoted():
    shown = base_url.shown(LONG)
    assert len(shown) < 100 and "120,025 characters" in shown


async def test_the_client_refuses_a_port_http_cannot_reach_in_a_sentence():
    """A Target built without the rule (a test, a library user) still gets a sentence, not an ExceptionGroup."""
    from workbench.client import Client
    from workbench.target import Target

    for url in ("http://127.0.0.1:99999/v1", "http://127.0.0.1:0/v1"):
        async with Client(Target(base_url=url, model="m")) as client:
            exchange = await client.chat({"model": "m", "messages": []}, raise_on_failure=False).run()
        assert exchange.failure is not None and "is not from 1 to 65535" in exchange.failure.message
