"""Issue 13 row 6: short and odd keys, one rule everywhere (workbench.secrets.key_problem).

A key is printable ASCII, at least 8 characters (secrets.SHORTEST_KEY): a shorter one turns up
inside words and numbers, so it could be neither found in a reply to be masked nor masked
there without breaking what the checks judge. A key that breaks the rule is refused with a
sentence naming its profile (or its variable), never quoting it: when it is stored
(set-key) and when it would be sent (chat, check, bench). A key of 8 characters is masked
whole (`………`) in every view: chat text and JSON, check JSON, bench JSON, profiles show.
"""

from __future__ import annotations

import json

import pytest
from _echo_endpoint import EchoEndpoint

from workbench.redact import mask

SHORT = {3: "k3Q", 4: "k3Qz", 7: "k3Qz9Xw"}
EIGHT = "k3Qz9Xw7"
NON_ASCII = "sk-clé-7d1e4f0b9a3c"
CONTROL = "sk-tab\there-0b9a3c"


@pytest.fixture
def echo(no_proxy):
    with EchoEndpoint(piece=64) as endpoint:  # the key comes back whole, in one event
        yield endpoint


@pytest.fixture
def wb(private_home, run_workbench, memory_keyring):
    folder = private_home / "profiles"

    def run(*args: str, **options):
        return run_workbench("--profiles", str(folder), *args, **options)

    return run


def _add(wb, url: str) -> None:
    added = wb("profiles", "add", "p", "--url", url, "--model", "m", "--auth", "bearer")
    assert added.exit_code == 0, added.stderr


def _calls(url: str) -> dict[str, tuple[str, ...]]:
    return {"chat text": ("chat", "p", "hello"), "chat json": ("chat", "p", "--format", "json", "hello"),
            "check json": ("check", "p", "--format", "json"),
            "bench json": ("bench", "p", "-n", "2", "--format", "json")}


@pytest.mark.parametrize("key", [*SHORT.values(), NON_ASCII, CONTROL], ids=["3", "4", "7", "non-ascii", "control"])
def test_set_key_refuses_a_key_it_could_not_send_naming_the_profile(wb, echo, memory_keyring, key):
    _add(wb, echo.base_url)
    result = wb("profiles", "set-key", "p", "--stdin", input=key + "\n")
    assert result.exit_code == 1
    assert "The key for profile 'p'" in result.stderr and "nothing was stored" in result.stderr
    assert key not in result.stdout + result.stderr
    assert memory_keyring.entries == {}


@pytest.mark.parametrize("key", [*SHORT.values(), NON_ASCII], ids=["3", "4", "7", "non-ascii"])
def test_a_stored_key_it_could_not_send_is_refused_at_call_time_everywhere(wb, echo, memory_keyring, key):
    """A key stored before the rule (or by another tool) is refused when it would be sent: nothing goes out."""
    _add(wb, echo.base_url)
    memory_keyring.set_password("byom-workbench", "p", key)
    for what, args in _calls(echo.base_url).items():
        result = wb(*args)
        assert result.exit_code == 1, (what, result.stderr)
        assert "The key of profile 'p' (from the OS keyring)" in result.stderr, what
        assert "nothing was sent" in result.stderr and "this is a bug" not in result.stderr, what
        assert key not in result.stdout + result.stderr, what
    assert echo.requests == []
    shown = wb("profiles", "show", "p")
    assert mask(key) in shown.stdout and "it will not be sent" in shown.stdout and key not in shown.stdout
    as_json = json.loads(wb("profiles", "show", "p", "--format", "json").stdout)
    assert as_json["key"]["masked"] == mask(key) and key not in json.dumps(as_json, ensure_ascii=False)
    assert "unsendable" in as_json["key"]


@pytest.mark.parametrize("key", [*SHORT.values(), NON_ASCII], ids=["3", "4", "7", "non-ascii"])
def test_a_key_from_api_key_env_it_could_not_send_names_the_variable(run_workbench, echo, monkeypatch, key):
    monkeypatch.setenv("ODD_KEY", key)
    result = run_workbench("chat", "--url", echo.base_url, "--model", "m", "--api-key-env", "ODD_KEY", "hello")
    assert result.exit_code == 1 and "The key in environment variable ODD_KEY" in result.stderr
    assert key not in result.stdout + result.stderr
    assert echo.requests == []


def test_an_eight_character_key_is_masked_whole_in_every_view(wb, echo):
    _add(wb, echo.base_url)
    stored = wb("profiles", "set-key", "p", "--stdin", input=EIGHT + "\n")
    assert stored.exit_code == 0 and "(………)" in stored.stdout
    for what, args in _calls(echo.base_url).items():
        result = wb(*args)
        assert result.exit_code in (0, 1), (what, result.stderr)
        assert "this is a bug" not in result.stderr, what
        assert EIGHT not in result.stdout + result.stderr, what
    assert any(request.get("Authorization") == f"Bearer {EIGHT}" for request in echo.requests)  # sent, echoed
    for fmt in ("text", "json"):
        shown = wb("profiles", "show", "p", "--format", fmt)
        assert EIGHT not in shown.stdout and ("………" in shown.stdout or "\\u2026\\u2026\\u2026" in shown.stdout)
    echoed = wb("chat", "p", "hello")
    assert "Authorization=Bearer ………" in echoed.stdout


async def test_the_client_never_quotes_a_character_of_a_non_ascii_key():
    """A Target built in code with a key HTTP cannot carry: a sentence, and not the character."""
    from workbench.client import Client
    from workbench.target import Target

    async with Client(Target(base_url="http://127.0.0.1:9/v1", model="m", auth="bearer", api_key=NON_ASCII)) as client:
        exchange = await client.chat({"model": "m", "messages": []}, raise_on_failure=False).run()
    assert exchange.failure is not None and "non-ASCII character" in exchange.failure.message
    assert "é" not in exchange.failure.message and "\\xe9" not in exchange.failure.message
