""""Copy as curl": the command never holds the key, and running it really sends the same request."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import subprocess

import pytest

from workbench import wire
from workbench.chat import shape_turn
from workbench.client import Client
from workbench.curl import to_curl
from workbench.exchange import RecordedRequest
from workbench.mock import MockConfig, MockServer
from workbench.target import Target

KEY = "sk-curl-canary-55aa66bb77cc9f3a"


def recorded() -> RecordedRequest:
    return RecordedRequest(
        method="POST",
        url="http://127.0.0.1:8000/v1/chat/completions",
        headers=[("Host", "127.0.0.1:8000"), ("Authorization", "Bearer sk-…9f3a"), ("X-Note", "it's fine"),
                 ("Content-Length", "2"), ("Content-Type", "application/json")],
        body=b'{"text":"it\'s $HOME"}',
        secret_headers=["authorization"],
    )


def test_the_credential_becomes_a_variable_and_the_rest_is_quoted_exactly() -> None:
    command = to_curl(recorded(), stream=True)
    assert "…" not in command and "${API_KEY}" in command
    args = shlex.split(command)
    assert args[:3] == ["curl", "-N", "http://127.0.0.1:8000/v1/chat/completions"]
    assert "Authorization: Bearer ${API_KEY}" in args and "X-Note: it's fine" in args
    assert not any(a.startswith(("Host:", "Content-Length:")) for a in args)  # curl sets those itself
    assert args[-2:] == ["--data-binary", '{"text":"it\'s $HOME"}']  # single quotes: no expansion


def test_other_methods_and_a_bad_variable_name() -> None:
    get = RecordedRequest("GET", "http://h/v1/models", [("x-api-key", "sk-…9f3a")], secret_headers=["x-api-key"])
    assert to_curl(get, key_variable="MY_KEY") == 'curl http://h/v1/models -H "x-api-key: ${MY_KEY}"'
    with pytest.raises(ValueError):
        to_curl(get, key_variable="$(rm -rf)")


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_command_runs_against_the_mock_with_the_key_from_the_environment() -> None:
    handle = MockServer.start_in_thread(MockConfig(api_key=KEY))
    try:
        target = Target(base_url=handle.base_url, model="mock-model", auth="bearer", api_key=KEY)

        async def record() -> RecordedRequest:
            async with Client(target) as client:
                call = client.chat(shape_turn(target, [wire.message("user", "from curl")], stream=False).body)
                return call.exchange.request  # built, never sent

        command = to_curl(asyncio.run(record()))
        assert KEY not in command
        done = subprocess.run(["bash", "-c", command + " -sS"], capture_output=True, text=True, timeout=10,
                              env={**os.environ, "API_KEY": KEY})
    finally:
        handle.stop()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["choices"][0]["message"]["content"] == "You said: from curl"
