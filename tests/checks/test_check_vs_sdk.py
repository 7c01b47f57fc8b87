"""The official `openai` SDK side by side with `workbench check`, fault by fault.

The SDK is lenient: for some broken replies it raises nothing and hands back an empty or
wrong reply, and a voice agent would then say nothing (or the wrong thing). For every fault
where the real SDK does that, the check (as the `openai` platform, in the same mode) must
report an error. The SDK's behaviour is measured here, not assumed, so a new SDK release that
changes it changes the list.
"""

from __future__ import annotations

import openai
import pytest

from workbench.checks.runner import run_check
from workbench.mock import FAULTS, MockConfig, MockServer
from workbench.target import Target

MESSAGES = [{"role": "user", "content": "Hello there"}]
EXPECTED_REPLY = "You said: Hello there"
# The three cases the issue names must be among those the SDK lets through silently.
NAMED = {("error-body-200", False), ("json-when-stream", True), ("ndjson", True), ("single-newline", True)}


@pytest.fixture(scope="module")
def mock():
    handle = MockServer.start_in_thread(MockConfig(port=0, slow_first_token_s=0.1, stall_s=30))
    yield handle
    handle.stop()


def sdk_reply(base_url: str, stream: bool) -> tuple[bool, str | None]:
    """(raised, reply text) from the real SDK, the way an app reads choices[0]."""
    client = openai.OpenAI(base_url=base_url, api_key="sk-unused", max_retries=0, timeout=1)
    try:
        if stream:
            text = ""
            for chunk in client.chat.completions.create(model="mock-model", messages=MESSAGES, stream=True):
                if chunk.choices and chunk.choices[0].delta.content:
                    text += chunk.choices[0].delta.content
            return False, text
        reply = client.chat.completions.create(model="mock-model", messages=MESSAGES)
    except openai.OpenAIError:
        return True, None
    except ValueError:  # the SDK's own JSON decoding of a chunk (json.JSONDecodeError) escaped as is
        return True, None
    try:
        return False, reply.choices[0].message.content
    except (TypeError, IndexError, AttributeError):
        return False, None  # returned without raising, but there is no reply to read


CASES = [(fault, stream) for fault in FAULTS for stream in (False, True)]


@pytest.mark.parametrize(("fault", "stream"), CASES, ids=[f"{f}-{'stream' if s else 'json'}" for f, s in CASES])
async def test_what_the_sdk_lets_through_the_check_reports_as_an_error(mock, fault: str, stream: bool) -> None:
    mock.server.set_fault(fault)
    try:
        import asyncio

        raised, reply = await asyncio.to_thread(sdk_reply, mock.base_url, stream)
        silent_breakage = not raised and (reply or "").strip() != EXPECTED_REPLY
        if (fault, stream) in NAMED:
            assert silent_breakage, f"the SDK no longer lets {fault} through silently (reply {reply!r})"
        if not silent_breakage:
            pytest.skip(f"the SDK raises or reads {fault} correctly ({'raised' if raised else repr(reply)})")
        target = Target(mock.base_url, "mock-model", stream=stream)
        report = await run_check(target, "openai", timeout=2)
    finally:
        mock.server.set_fault(None)
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors, f"the SDK returned {reply!r} for {fault} without raising, and the check found no error"
    assert not report.compatible
