"""The mock's API key: x-api-key or Bearer, --auth-header narrowing, 401 envelopes, masked in every record."""

from __future__ import annotations

import httpx
import pytest

from workbench.mock import MockConfig, MockServer
from workbench.mock.auth import KeyCheck

KEY = "sk-auth-test-0123456789abcdef"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


pytestmark = pytest.mark.usefixtures("no_proxy")


async def chat(loopback_http: httpx.AsyncClient, server: MockServer, headers: dict[str, str]) -> httpx.Response:
    return await loopback_http.post(server.base_url + "/chat/completions", json=BODY, headers=headers)


BEARER = {"authorization": f"Bearer {KEY}"}
X_API_KEY = {"x-api-key": KEY}


@pytest.mark.parametrize(("accepts", "headers", "status"), [
    ("any", BEARER, 200),
    ("any", X_API_KEY, 200),
    ("any", {"authorization": f"bearer {KEY}"}, 200),  # the scheme is case-insensitive
    ("any", {}, 401),
    ("any", {"authorization": "Bearer sk-wrong-000000000000"}, 401),
    ("any", {"x-api-key": "sk-wrong-000000000000"}, 401),
    ("any", {"authorization": f"Basic {KEY}"}, 401),
    ("any", {"x-api-key": "sk-wrong-000000000000", **BEARER}, 200),  # one right key is enough
    ("bearer", BEARER, 200),
    ("bearer", X_API_KEY, 401),
    ("x-api-key", X_API_KEY, 200),
    ("x-api-key", BEARER, 401),
])
async def test_key_accepted_only_where_auth_header_allows(
    accepts: str, headers: dict[str, str], status: int, loopback_http: httpx.AsyncClient
) -> None:
    async with MockServer(MockConfig(api_key=KEY, auth_header=accepts)) as server:
        response = await chat(loopback_http, server, headers)
        assert response.status_code == status
        models = await loopback_http.get(server.base_url + "/models", headers=headers)
        assert models.status_code == status  # /models takes the same key the same way
        if status == 401:
            error = response.json()["error"]
            assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
            assert KEY not in response.text
        assert (await loopback_http.get(server.root_url + "/health")).status_code == 200  # health is always open


@pytest.mark.parametrize(("accepts", "headers", "words"), [
    ("any", {}, ("x-api-key: YOUR_KEY", "Authorization: Bearer YOUR_KEY")),
    ("any", {"authorization": "Bearer sk-wrong-key-00009999"}, ("Incorrect API key provided: sk-…9999",)),
    ("any", {"authorization": "Token abc"}, ("must be 'Bearer YOUR_KEY'",)),
    ("bearer", X_API_KEY, ("Authorization header using Bearer auth",)),
    ("x-api-key", BEARER, ("x-api-key header",)),
])
async def test_401_message_says_what_to_send(
    accepts: str, headers: dict[str, str], words: tuple[str, ...], loopback_http: httpx.AsyncClient
) -> None:
    async with MockServer(MockConfig(api_key=KEY, auth_header=accepts)) as server:
        response = await chat(loopback_http, server, headers)
    assert response.status_code == 401
    for word in words:
        assert word in response.json()["error"]["message"]


async def test_no_key_configured_means_open(mock_server: MockServer, loopback_http: httpx.AsyncClient) -> None:
    for headers in ({}, {"authorization": "Bearer whatever"}, {"x-api-key": "anything"}):
        assert (await chat(loopback_http, mock_server, headers)).status_code == 200
    assert "open" in mock_server.auth_summary


def test_auth_summary_names_the_headers_never_the_key() -> None:
    for accepts, words in (("any", ("x-api-key", "Bearer")), ("bearer", ("Bearer <key> only",)),
                           ("x-api-key", ("x-api-key: <key> only",))):
        summary = MockServer(MockConfig(api_key=KEY, auth_header=accepts)).auth_summary
        assert KEY not in summary and all(word in summary for word in words)


def test_every_offered_key_is_compared() -> None:
    """Both headers go through compare_digest, so timing does not tell which one matched."""
    import workbench.mock.auth as auth

    compared: list[str] = []
    real = auth.same_secret

    def spy(given: str, expected: bytes) -> bool:
        compared.append(given)
        return real(given, expected)

    check = KeyCheck(KEY)
    auth.same_secret = spy
    try:
        assert check.refuse({"authorization": f"Bearer {KEY}", "x-api-key": "sk-other-0000000000"}) is None
    finally:
        auth.same_secret = real
    assert compared == [KEY, "sk-other-0000000000"]


async def test_records_name_the_auth_header_and_mask_the_key(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig(api_key=KEY)) as server:
        await chat(loopback_http, server, BEARER)
        await chat(loopback_http, server, X_API_KEY)
        await chat(loopback_http, server, {})
        await chat(loopback_http, server, {**BEARER, **X_API_KEY})
        records = list(server.requests)
    assert [r.auth_header for r in records] == ["authorization", "x-api-key", None, "authorization+x-api-key"]
    assert [r.status for r in records] == [200, 200, 401, 200]
    lowered = [{name.lower(): value for name, value in r.headers.items()} for r in records]
    assert lowered[0]["authorization"] == "Bearer sk-…cdef"
    assert lowered[1]["x-api-key"] == "sk-…cdef"
    for record in records:
        assert KEY not in repr(record) and KEY not in record.console_line()
