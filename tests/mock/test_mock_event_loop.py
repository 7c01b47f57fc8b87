"""The mock runs on uvloop where it imports, and on asyncio's own loop, the same in behaviour, where it does not."""

from __future__ import annotations

import asyncio
import sys

import httpx
import pytest

from workbench.mock import MockConfig, MockServer
from workbench.mock.event_loop import loop_factory, loop_name

pytestmark = pytest.mark.usefixtures("no_proxy")


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build")
def test_the_mock_runs_on_uvloop_where_it_is_installed() -> None:
    pytest.importorskip("uvloop")
    with MockServer.start_in_thread(MockConfig()) as handle:
        assert loop_name(handle._loop) == "uvloop"
        assert httpx.get(handle.root_url + "/health").status_code == 200


def test_without_uvloop_the_mock_falls_back_to_asyncio_and_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` now raises ImportError
    assert loop_factory() is asyncio.new_event_loop
    with MockServer.start_in_thread(MockConfig()) as handle:
        assert loop_name(handle._loop) == "asyncio"
        reply = httpx.post(handle.base_url + "/chat/completions",
                           json={"model": "m", "messages": [{"role": "user", "content": "plain asyncio"}]})
    assert reply.status_code == 200 and "plain asyncio" in reply.json()["choices"][0]["message"]["content"]
