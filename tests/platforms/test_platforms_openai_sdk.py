"""The `openai` platform against the real SDK: what the SDK sends (captured by the mock) is what we send."""

from __future__ import annotations

import json

import openai
import pytest

from workbench.mock import MockConfig, MockServer
from workbench.platforms import get_platform
from workbench.target import Target

KEY = "sk-sdk-capture-key-77"
TRANSPORT = {"host", "content-length", "accept-encoding", "connection"}  # set by the HTTP library, not the SDK
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]


@pytest.fixture(scope="module")
def mock():
    handle = MockServer.start_in_thread(MockConfig(port=0, api_key=KEY))
    yield handle
    handle.stop()


@pytest.mark.parametrize("stream", [False, True])
def test_build_request_matches_a_captured_sdk_request(mock, stream: bool) -> None:
    client = openai.OpenAI(base_url=mock.base_url, api_key=KEY, max_retries=0)
    before = len(mock.server.requests)
    reply = client.chat.completions.create(model="mock-model", messages=MESSAGES, stream=stream, temperature=0.5)
    if stream:
        list(reply)
    captured = mock.wait_for_requests(before + 1)[before]
    ours = get_platform("openai").build_request(
        Target(mock.base_url, "mock-model", auth="bearer", api_key=KEY, params={"temperature": 0.5}, stream=stream),
        MESSAGES,
    )
    sdk_headers = {k.lower(): v for k, v in captured.headers.items() if k.lower() not in TRANSPORT}
    our_headers = {k.lower(): v for k, v in ours.headers.items()}
    assert set(sdk_headers) == set(our_headers)
    for name, value in sdk_headers.items():
        if name != "authorization":  # masked in the mock's log
            assert our_headers[name] == value, name
    assert captured.path == "/v1/chat/completions" and ours.url == mock.base_url + "/chat/completions"
    assert list(json.loads(captured.body)) == list(ours.body)  # same keys, same order
    assert json.loads(captured.body) == ours.body
