"""Keys never leave the proxy unmasked: not in its console lines, its log, or what it hands the TUI (canaries).

The credential the platform sends is forwarded untouched (the endpoint needs it) and masked in
everything the proxy shows or writes: headers, the body, the query, and a reply that echoes it.
"""

from __future__ import annotations

import json

import httpx

from workbench.mock import MockConfig, MockServer
from workbench.proxy.console import console_line
from workbench.target import Target

PLATFORM_KEY = "sk-CANARY-platform-7f3a9b2c1d"
FRONT_KEY = "CANARY-front-door-5e6f7a8b9c"
PROFILE_KEY = "sk-CANARY-profile-0a1b2c3d4e"


def _everything_shown(proxy, log_text: str) -> str:
    lines = [console_line(p) for p in proxy.done]
    saved = [json.dumps(p.to_log(), ensure_ascii=False) for p in proxy.done]
    messages = [f.message + f.hint for p in proxy.done for f in p.findings]
    return "\n".join([*lines, *saved, *messages, *proxy.refusals, log_text])


async def test_the_platforms_key_is_forwarded_untouched_and_masked_everywhere(proxy_to, tmp_path) -> None:
    log = tmp_path / "proxy.jsonl"
    async with MockServer(MockConfig(api_key=PLATFORM_KEY)) as mock, \
            proxy_to(mock.base_url, log_path=str(log)) as proxy:
        async with httpx.AsyncClient(timeout=10) as http:
            for stream in (False, True):
                reply = await http.post(
                    proxy.base_url + f"/chat/completions?api_key={PLATFORM_KEY}",
                    headers={"Authorization": f"Bearer {PLATFORM_KEY}", "x-api-key": PLATFORM_KEY},
                    json={"model": "m", "stream": stream,
                          "messages": [{"role": "user", "content": f"my key is {PLATFORM_KEY} ok"}]})
                assert reply.status_code == 200  # the mock took the key: it was forwarded untouched
                assert PLATFORM_KEY in reply.text  # and the platform gets the endpoint's reply as it was
        await proxy.wait_for(2)
    shown = _everything_shown(proxy, log.read_text(encoding="utf-8"))
    assert "CANARY" not in shown
    assert "Bearer sk-…2c1d" in shown and "sk-…2c1d" in proxy.done[1].exchange.reply_text


async def test_the_front_door_key_and_the_profiles_key_are_never_shown(proxy_to, tmp_path) -> None:
    log = tmp_path / "proxy.jsonl"
    profile = Target(base_url="http://unused/v1", model="m", auth="x-api-key", api_key=PROFILE_KEY, name="prod")
    async with MockServer(MockConfig(api_key=PROFILE_KEY, auth_header="x-api-key")) as mock, \
            proxy_to(mock.base_url, log_path=str(log), front_key=FRONT_KEY, upstream=profile) as proxy:
        async with httpx.AsyncClient(timeout=10) as http:
            body = {"model": "m", "messages": [{"role": "user", "content": f"{FRONT_KEY} and {PROFILE_KEY}"}]}
            ok = await http.post(proxy.base_url + "/chat/completions", json=body,
                                 headers={"Authorization": f"Bearer {FRONT_KEY}"})
            wrong = await http.post(proxy.base_url + "/chat/completions", json=body,
                                    headers={"Authorization": f"Bearer {FRONT_KEY}x"})
        await proxy.wait_for(1)
    assert ok.status_code == 200 and wrong.status_code == 401
    shown = _everything_shown(proxy, log.read_text(encoding="utf-8"))
    assert "CANARY" not in shown and len(proxy.refusals) == 1
    sent = dict(proxy.done[0].exchange.request.headers)
    assert "Authorization" not in sent and sent["x-api-key"] == "sk-…3d4e"  # the profile's, in its own header
