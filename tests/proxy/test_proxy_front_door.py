"""The proxy's front door: its own key required when set, consumed on the way in, and the endpoint's credential
either the platform's own (passed through) or the profile's (swapped in)."""

from __future__ import annotations

import httpx
import pytest
from aiohttp import web

from workbench.proxy.front_door import PROXY_KEY_HEADER, FrontDoor
from workbench.target import Target

KEY = "front-door-key-0123456789"


def test_an_open_door_forwards_everything() -> None:
    headers = [("Authorization", "Bearer sk-theirs-000000"), ("X-Other", "1")]
    admitted = FrontDoor(None).admit(headers)
    assert admitted is not None and admitted.headers == headers and admitted.secrets == ("sk-theirs-000000",)


@pytest.mark.parametrize("carrier", [("Authorization", f"Bearer {KEY}"), ("x-api-key", KEY), (PROXY_KEY_HEADER, KEY)])
def test_the_key_is_taken_from_any_of_its_three_places_and_consumed(carrier) -> None:
    admitted = FrontDoor(KEY).admit([carrier, ("X-Other", "1")])
    assert admitted is not None and admitted.headers == [("X-Other", "1")] and KEY in admitted.secrets


@pytest.mark.parametrize("headers", [[], [("Authorization", "Bearer nope")], [("x-api-key", KEY + "x")],
                                     [("Authorization", KEY)]])
def test_a_missing_or_wrong_key_is_refused(headers) -> None:
    assert FrontDoor(KEY).admit(headers) is None


def test_the_platforms_own_credential_passes_through_beside_the_proxy_header() -> None:
    admitted = FrontDoor(KEY).admit([(PROXY_KEY_HEADER, KEY), ("Authorization", "Bearer sk-endpoint-key-99")])
    assert admitted is not None and admitted.headers == [("Authorization", "Bearer sk-endpoint-key-99")]


def test_a_profile_credential_replaces_the_platforms() -> None:
    door = FrontDoor(KEY, {"x-api-key": "sk-profile-key-77"}, "sk-profile-key-77")
    admitted = door.admit([("Authorization", f"Bearer {KEY}"), ("api-key", "old"), ("X-Other", "1")])
    assert admitted is not None and admitted.headers == [("X-Other", "1"), ("x-api-key", "sk-profile-key-77")]
    assert "sk-profile-key-77" in admitted.secrets


async def test_the_endpoint_never_sees_the_proxys_key(proxy_to) -> None:
    seen: list[list[tuple[str, str]]] = []

    async def handler(request: web.BaseRequest) -> web.Response:
        seen.append([(k.decode(), v.decode()) for k, v in request.raw_headers])
        await request.read()
        return web.Response(body=b"{}", content_type="application/json")

    runner = web.ServerRunner(web.Server(handler))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"  # type: ignore[union-attr]
    profile = Target(base_url=base, model="m", auth="bearer", api_key="sk-profile-key-77", name="p")
    try:
        async with proxy_to(base, front_key=KEY) as open_through, \
                proxy_to(base, front_key=KEY, upstream=profile) as swap:
            async with httpx.AsyncClient(timeout=10) as http:
                refused = await http.get(open_through.base_url + "/models")
                await http.get(open_through.base_url + "/models",
                               headers={PROXY_KEY_HEADER: KEY, "Authorization": "Bearer sk-platform-own-1"})
                await http.get(swap.base_url + "/models", headers={"x-api-key": KEY})
    finally:
        await runner.cleanup()
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert "X-Workbench-Proxy-Key" in refused.json()["error"]["message"]
    assert len(seen) == 2
    assert not any(KEY in value for headers in seen for _, value in headers)
    assert ("Authorization", "Bearer sk-platform-own-1") in seen[0]
    assert ("Authorization", "Bearer sk-profile-key-77") in seen[1] and ("x-api-key", KEY) not in seen[1]


def test_the_start_up_words_say_what_is_exposed() -> None:
    from workbench.proxy import ProxyConfig, ProxyServer
    from workbench.proxy.console import exposure

    to = "http://127.0.0.1:9/v1"
    assert exposure(ProxyServer(ProxyConfig(to=to)))[0].startswith("open to this machine")
    assert exposure(ProxyServer(ProxyConfig(to=to, host="0.0.0.0")))[0].startswith("OPEN to anyone")
    door, credential = exposure(ProxyServer(ProxyConfig(to=to, host="0.0.0.0", front_key=KEY)))
    assert door.startswith("key required") and "proxy's key is removed" in credential
    profile = Target(base_url=to, model="m", auth="bearer", api_key="sk-profile-key-77", name="prod")
    assert "profile prod" in exposure(ProxyServer(ProxyConfig(to=to, upstream=profile)))[1]


async def _expecting(base_url: str, key: str | None) -> bytes:
    """What a raw client that sends `Expect: 100-continue` and waits before its body hears first."""
    import asyncio
    from urllib.parse import urlsplit

    where = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    head = (f"POST {where.path}/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: 2\r\nExpect: 100-continue\r\n{auth}\r\n")
    writer.write(head.encode())
    try:
        return await asyncio.wait_for(reader.read(64), 5)
    finally:
        writer.close()


async def test_expect_100_continue_is_answered_only_after_the_proxys_key_is_checked(mock_server, proxy_to) -> None:
    """A client without the proxy's key is turned away before it is invited to upload its body."""
    async with proxy_to(mock_server.base_url, front_key=KEY) as proxy:
        stranger = await _expecting(proxy.base_url, None)
        known = await _expecting(proxy.base_url, KEY)
    assert stranger.startswith(b"HTTP/1.1 401") and b"100 Continue" not in stranger
    assert known.startswith(b"HTTP/1.1 100 Continue")
