"""Bad input to the mock: a 400 naming the field, 404, 405 with Allow, 413; never a 500, never a traceback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.mock import MockConfig, MockServer, MockThread


pytestmark = pytest.mark.usefixtures("no_proxy")


@pytest.fixture
def sync_http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, verify=False) as client:
        yield client


USER = [{"role": "user", "content": "hi"}]


def valid(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "m", "messages": USER}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


# (body, the param the error names, words the message must hold)
BAD_BODIES: list[tuple[Any, str | None, tuple[str, ...]]] = [
    (b"{not json", None, ("could not parse the JSON body", "line 1 column 2")),
    (b"", None, ("body is empty",)),
    (b"\xff\xfe{}", None, ("UTF-8",)),
    (b"[1, 2]", None, ("must be a JSON object", "an array")),
    (b'"text"', None, ("must be a JSON object", "a string")),
    (valid(messages=...), "messages", ("Missing required parameter: 'messages'",)),
    (valid(messages="hi"), "messages", ("expected an array of message objects", "got a string")),
    (valid(messages={"role": "user"}), "messages", ("got an object",)),
    (valid(messages=[]), "messages", ("empty array",)),
    (valid(messages=["hi"]), "messages[0]", ("expected an object", "got a string")),
    (valid(messages=[{"content": "hi"}]), "messages[0].role", ("Missing required parameter",)),
    (valid(messages=[{"role": "bot", "content": "hi"}]), "messages[0].role", ("'bot'", "Supported values")),
    (valid(messages=[{"role": 3, "content": "hi"}]), "messages[0].role", ("expected a string", "a number")),
    (valid(messages=[{"role": "user"}]), "messages[0].content", ("Missing required parameter",)),
    (valid(messages=[*USER, {"role": "user", "content": 42}]), "messages[1].content", ("a number",)),
    (valid(messages=[{"role": "user", "content": ["hi"]}]), "messages[0].content[0]", ("expected an object",)),
    (valid(messages=[{"role": "user", "content": [{"text": "hi"}]}]), "messages[0].content[0].type", ("Missing",)),
    (valid(messages=[{"role": "user", "content": [{"type": "text", "text": 1}]}]), "messages[0].content[0].text",
     ("expected a string",)),
    (valid(model=...), "model", ("Missing required parameter: 'model'",)),
    (valid(model=7), "model", ("expected a string", "got a number")),
    (valid(stream="yes"), "stream", ("expected a boolean", "got a string")),
    (valid(stream=1), "stream", ("expected a boolean", "got a number")),
    (valid(stream=True, stream_options="usage"), "stream_options", ("expected an object",)),
    (valid(stream=True, stream_options={"include_usage": "yes"}), "stream_options.include_usage", ("boolean",)),
    (valid(temperature="0.7"), "temperature", ("expected a number", "got a string")),
    (valid(temperature=True), "temperature", ("expected a number", "got a boolean")),
    (valid(temperature=3), "temperature", ("from 0 to 2", "got 3")),
    (valid(top_p=[1]), "top_p", ("expected a number", "got an array")),
    (valid(top_p=1.5), "top_p", ("from 0 to 1",)),
    (valid(presence_penalty="high"), "presence_penalty", ("expected a number",)),
    (valid(max_tokens=10.5), "max_tokens", ("expected an integer", "got a number")),
    (valid(max_tokens="10"), "max_tokens", ("expected an integer", "got a string")),
    (valid(max_tokens=0), "max_tokens", ("at least 1", "got 0")),
    (valid(n=False), "n", ("expected an integer", "got a boolean")),
    (valid(seed="x"), "seed", ("expected an integer",)),
    (valid(tools={"type": "function"}), "tools", ("expected an array",)),
]


@pytest.mark.parametrize(("payload", "param", "words"), BAD_BODIES, ids=[str(i) for i in range(len(BAD_BODIES))])
async def test_bad_body_is_a_400_naming_the_field(
    payload: Any, param: str | None, words: tuple[str, ...], mock_server: MockServer, loopback_http: httpx.AsyncClient
) -> None:
    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = await loopback_http.post(mock_server.base_url + "/chat/completions", content=content,
                               headers={"content-type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"
    assert error["param"] == param
    if param is not None:
        assert f"'{param}'" in error["message"]  # the message names the field too, for people
    for word in words:
        assert word in error["message"]
    assert mock_server.requests[-1].status == 400 and mock_server.requests[-1].error == error["message"]


async def test_extra_openai_fields_and_nulls_are_accepted(
    mock_server: MockServer, loopback_http: httpx.AsyncClient
) -> None:
    body = valid(frequency_penalty=0.5, presence_penalty=None, temperature=None, stream=None, user="u1",
                 logit_bias={}, messages=[{"role": "system", "content": "x"},
                                          {"role": "assistant", "content": None, "tool_calls": []},
                                          {"role": "user", "content": [{"type": "text", "text": "hi"}]}])
    response = await loopback_http.post(mock_server.base_url + "/chat/completions", json=body)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "You said: hi"


async def test_max_tokens_cuts_the_reply_with_finish_reason_length(
    mock_server: MockServer, loopback_http: httpx.AsyncClient
) -> None:
    response = await loopback_http.post(mock_server.base_url + "/chat/completions", json=valid(max_tokens=2))
    choice = response.json()["choices"][0]
    assert choice["message"]["content"] == "You said: " and choice["finish_reason"] == "length"
    assert response.json()["usage"]["completion_tokens"] == 2


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("POST", "/v1/completions"), ("GET", "/v1/chat"),
                                         ("POST", "/v2/chat/completions")])
async def test_unknown_path_is_a_404_envelope_listing_the_routes(
    method: str, path: str, mock_server: MockServer, loopback_http: httpx.AsyncClient
) -> None:
    response = await loopback_http.request(method, mock_server.root_url + path)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_url" and path in error["message"] and "/v1/chat/completions" in error["message"]


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("GET", "/v1/chat/completions", "POST"), ("PUT", "/chat/completions", "POST"),
    ("POST", "/v1/models", "GET, HEAD"), ("DELETE", "/health", "GET, HEAD"), ("POST", "/v1/models/x", "GET, HEAD"),
])
async def test_wrong_method_is_a_405_with_allow(
    method: str, path: str, allow: str, mock_server: MockServer, loopback_http: httpx.AsyncClient
) -> None:
    response = await loopback_http.request(method, mock_server.root_url + path)
    assert response.status_code == 405 and response.headers["allow"] == allow
    error = response.json()["error"]
    assert (error["code"] == "method_not_allowed" and method in error["message"]
            and allow.split(",")[0] in error["message"])


async def test_body_over_the_limit_is_a_413(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig(max_body=1000)) as server:
        big = valid(messages=[{"role": "user", "content": "x" * 2000}])
        response = await loopback_http.post(server.base_url + "/chat/completions", json=big)
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["code"] == "request_too_large" and "at most 1000 bytes" in error["message"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while reading
            yield json.dumps(big).encode()

        response = await loopback_http.post(server.base_url + "/chat/completions", content=chunks())
        assert response.status_code == 413 and "more than 1000 bytes" in response.json()["error"]["message"]
        small = await loopback_http.post(server.base_url + "/chat/completions", json=valid())
        assert small.status_code == 200


async def test_health_and_model_lookup(mock_server: MockServer, loopback_http: httpx.AsyncClient) -> None:
    assert (await loopback_http.get(mock_server.root_url + "/health")).json() == {"status": "ok"}
    assert (await loopback_http.get(mock_server.root_url + "/models")).json()["data"][0]["id"] == "mock-model"
    missing = await loopback_http.get(mock_server.base_url + "/models/gpt-9")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"


async def test_a_model_id_with_a_slash_is_found(loopback_http: httpx.AsyncClient) -> None:
    # Hugging Face style ids (org/name) are common behind vLLM; the SDK puts them in the path as they are.
    async with MockServer(MockConfig(models=("mock-model", "meta-llama/Llama-3.1-8B"))) as server:
        found = await loopback_http.get(server.base_url + "/models/meta-llama/Llama-3.1-8B")
        missing = await loopback_http.get(server.base_url + "/models/meta-llama/other")
        trailing = await loopback_http.get(server.base_url + "/models/")
    assert found.status_code == 200 and found.json()["id"] == "meta-llama/Llama-3.1-8B"
    assert missing.status_code == 404 and "'meta-llama/other'" in missing.json()["error"]["message"]
    assert trailing.status_code == 404 and trailing.json()["error"]["code"] == "unknown_url"


async def test_a_bug_in_the_mock_is_a_clean_500_logged_to_stderr(
    mock_server: MockServer, loopback_http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(messages: object) -> str:
        raise KeyError("boom-internal-detail")

    monkeypatch.setattr(mock_server._app.script, "reply_for", broken)
    response = await loopback_http.post(mock_server.base_url + "/chat/completions", json=valid())
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "server_error" and "KeyError" in error["message"]
    assert "Traceback" not in response.text and "boom-internal-detail" not in response.text
    assert any("boom-internal-detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
message_like = st.dictionaries(st.sampled_from(["role", "content", "name"]),
                               json_values | st.sampled_from(["user", "system", "developer", "bot"]), max_size=3)
body_like = st.fixed_dictionaries(
    {},
    optional={
        "model": json_values | st.just("m"),
        "messages": st.lists(message_like | json_values, max_size=3) | json_values,
        "stream": json_values | st.booleans(),
        "stream_options": json_values,
        "temperature": json_values,
        "top_p": json_values,
        "max_tokens": json_values,
        "n": json_values,
    },
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=body_like | json_values | st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
def test_fuzzed_bodies_get_200_or_a_400_envelope_never_a_500(
    payload: Any, mock_thread: MockThread, sync_http: httpx.Client
) -> None:
    content = json.dumps(payload).encode()
    response = sync_http.post(mock_thread.base_url + "/chat/completions", content=content)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        error = response.json()["error"]
        assert error["message"] and error["type"] == "invalid_request_error"
    elif payload.get("stream") is True:  # a 200 is a real reply, streamed when asked
        assert response.text.endswith("data: [DONE]\n\n")
    else:
        assert response.json()["choices"][0]["message"]["content"].startswith("You said: ")


async def test_quoted_values_are_cut_short_and_console_lines_stay_one_line(
    mock_server: MockServer, loopback_http: httpx.AsyncClient
) -> None:
    role = "bot\nfake log line " + "x" * 5000
    response = await loopback_http.post(mock_server.base_url + "/chat/completions",
                               json=valid(messages=[{"role": role, "content": "hi"}]))
    message = response.json()["error"]["message"]
    assert response.status_code == 400 and len(message) < 300 and "…" in message
    line = mock_server.requests[-1].console_line()
    assert "\n" not in line and "\\n" in line


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400)
@given(value=JSON_VALUES, before=st.sampled_from(["", " ", "\n", "\ufeff"]),
       after=st.sampled_from(["", " ", "\n", "x", "}", "{}", ","]), cut=st.integers(0, 3))
def test_the_fast_json_path_reads_and_refuses_exactly_as_json_loads(
    value: Any, before: str, after: str, cut: int
) -> None:
    from workbench.mock.validation import _loads

    text = before + json.dumps(value) + after
    text = text[: len(text) - cut] if cut else text  # sometimes cut short
    try:
        expected: Any = ("value", json.loads(text))
    except json.JSONDecodeError as error:
        expected = ("error", error.msg, error.pos)
    try:
        got: Any = ("value", _loads(text))
    except json.JSONDecodeError as error:
        got = ("error", error.msg, error.pos)
    assert repr(got) == repr(expected)  # repr: NaN is not equal to itself
