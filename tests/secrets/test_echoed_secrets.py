"""Issue 13, secrets rows: an endpoint that echoes the request (headers and body) back, split in pieces.

Every key it is sent comes back inside the reply, split across several stream events (3
characters an event). Whatever a command shows of that reply (text as it streams, JSON,
check findings, bench results, profile views) must hold no run of 4 characters of the key.
"""

from __future__ import annotations

import json

import pytest
from _echo_endpoint import EchoEndpoint, runs_of

KEY = "sk-canary-7d1e4f0b9a3c5e2d9f3a"


@pytest.fixture
def echo(no_proxy):
    with EchoEndpoint(piece=3) as endpoint:
        yield endpoint


def _without_mask(text: str) -> str:
    """The text less the masks of KEY (sk-…9f3a, however escaped): the last 4 characters are meant to show."""
    import re

    return re.sub(r"sk-(…|\\+u2026)9f3a", "", text)


def test_chat_text_masks_a_key_echoed_in_a_streamed_reply(echo, run_workbench, monkeypatch):
    """Row 1: the reply is printed as it streams, and the key in it is masked as it streams."""
    monkeypatch.setenv("ECHO_KEY", KEY)
    result = run_workbench("chat", "--url", echo.base_url, "--model", "m", "--api-key-env", "ECHO_KEY", "hello")
    assert result.exit_code == 0, result.stderr
    assert echo.requests[-1]["Authorization"] == f"Bearer {KEY}"  # it really was sent, and echoed
    assert "Authorization=Bearer sk-…9f3a;" in result.stdout
    assert runs_of(KEY, _without_mask(result.stdout + result.stderr)) == []


def test_chat_text_masks_an_echoed_key_not_streamed_too(echo, run_workbench, monkeypatch):
    monkeypatch.setenv("ECHO_KEY", KEY)
    result = run_workbench("chat", "--url", echo.base_url, "--model", "m", "--api-key-env", "ECHO_KEY",
                           "--no-stream", "hello")
    assert result.exit_code == 0, result.stderr
    assert "Authorization=Bearer sk-…9f3a;" in result.stdout
    assert runs_of(KEY, _without_mask(result.stdout + result.stderr)) == []


def test_chat_json_masks_a_key_split_across_events_in_every_view(echo, run_workbench, monkeypatch):
    """Row 2, end to end: body, raw, data, parsed and text of every event read as the joined text masked."""
    monkeypatch.setenv("ECHO_KEY", KEY)
    result = run_workbench("chat", "--url", echo.base_url, "--model", "m", "--api-key-env", "ECHO_KEY",
                           "--format", "json", "hello")
    assert result.exit_code == 0, result.stderr
    exchange = json.loads(result.stdout)
    pieces = [event["text"] for event in exchange["events"] if event.get("text")]
    assert any(len(piece) == 3 for piece in pieces)  # the key really came back in pieces
    assert "Authorization=Bearer sk-…9f3a;" in "".join(pieces)
    assert runs_of(KEY, _without_mask(result.stdout + result.stderr)) == []
