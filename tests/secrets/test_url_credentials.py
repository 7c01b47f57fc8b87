"""Issue 13 row 3: a credential in --url (user:password@, a key in the query) is refused, never sent.

httpx would turn `user:password@` into `Authorization: Basic …`: a credential the user never
chose to send. chat, check, bench and simulate refuse such a URL (exit 2) with a sentence that
names the safe way (--api-key-env), before anything goes out, and never echo the secret.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _echo_endpoint import EchoEndpoint

PASSWORD = "pw-7f3b91c2d08a4e65"
AGENT = Path(__file__).parents[2] / "profiles" / "agents" / "polyai-booking.toml"
COMMANDS = {
    "chat": ("chat", "--model", "m", "hello"),
    "check": ("check", "--model", "m"),
    "bench": ("bench", "--model", "m", "-n", "1"),
    "simulate": ("simulate", str(AGENT), "--model", "m"),
}


@pytest.fixture
def echo(no_proxy):
    with EchoEndpoint() as endpoint:
        yield endpoint


def _with_credential(base_url: str, form: str) -> str:
    host = base_url.removeprefix("http://")
    if form == "userinfo":
        return f"http://user:{PASSWORD}@{host}"
    return f"{base_url}?api_key={PASSWORD}"


@pytest.mark.parametrize("form", ["userinfo", "query"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_credential_in_url_is_refused_with_the_safe_way_and_nothing_is_sent(echo, run_workbench, command, form):
    name, *rest = COMMANDS[command]
    result = run_workbench(name, "--url", _with_credential(echo.base_url, form), *rest)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "--api-key-env" in result.stderr and "Nothing was sent" in result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stdout + result.stderr and PASSWORD[-8:] not in result.stdout + result.stderr
    assert echo.requests == []  # not one request went out, so no Authorization: Basic either


def test_a_credential_in_url_next_to_a_profile_is_refused_too(echo, run_workbench, tmp_path):
    profiles = tmp_path / "profiles"
    added = run_workbench("--profiles", str(profiles), "profiles", "add", "p", "--url", echo.base_url, "--model", "m")
    assert added.exit_code == 0, added.stderr
    result = run_workbench("--profiles", str(profiles), "chat", "p", "--url",
                           _with_credential(echo.base_url, "userinfo"), "hello")
    assert result.exit_code == 2 and "--api-key-env" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert echo.requests == []
