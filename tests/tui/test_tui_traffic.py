"""The Traffic screen: start the proxy in front of the active profile, see calls grouped live with their
verdicts and the Inspect detail, open a saved log, save a call as an agent file, stop it."""

from __future__ import annotations

import asyncio
import json

import httpx
from textual.widgets import Input, Select, Tree
from _tui_pilot import make_app, press, started, wait_for

from workbench.tui.screens.traffic import TrafficScreen
from workbench.tui.widgets.exchange_view import ExchangeView


async def open_traffic(pilot) -> TrafficScreen:
    app = pilot.app
    await press(pilot, "f9")
    await wait_for(pilot, lambda: isinstance(app.screen, TrafficScreen), "the Traffic screen")
    await pilot.pause(0.05)
    return app.screen


async def post(url: str, body: dict) -> httpx.Response:
    """A platform's request, sent from a thread (the proxy and the mock are on their own loops)."""
    def send() -> httpx.Response:
        with httpx.Client(timeout=10, trust_env=False) as http:
            return http.post(url, json=body)

    return await asyncio.to_thread(send)


def calls(tree: Tree) -> list[str]:
    return [str(node.label) for node in tree.root.children]


async def test_calls_through_the_proxy_show_up_grouped_with_their_verdicts(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        screen = await open_traffic(pilot)
        screen.query_one("#port", Input).value = "0"
        screen.query_one("#as", Select).value = "vapi"
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: screen.handle is not None, "the proxy")
        base = screen.handle.base_url
        state = screen.query_one("#traffic-state")
        # The URL is shown a message after the handle is set.
        await wait_for(pilot, lambda: base in str(state.render()), "the screen to show the proxy's URL")
        history = [{"role": "user", "content": "Hi"}]
        await post(base + "/chat/completions", {"model": "mock-model", "stream": True, "messages": history})
        app.mock.set_fault("no-done")
        await post(base + "/chat/completions", {"model": "mock-model", "stream": True, "messages": [
            *history, {"role": "assistant", "content": "You said: Hi"}, {"role": "user", "content": "Again"}]})
        await post(base + "/chat/completions", {"model": "mock-model", "stream": True,
                                                "messages": [{"role": "user", "content": "Another caller"}]})
        tree = screen.query_one("#calls", Tree)
        await wait_for(pilot, lambda: len(screen.entries) == 3, "three round trips")
        assert calls(tree) == ["⚠ Call 1 · vapi · 2 requests", "⚠ Call 2 · vapi · 1 request"]
        first = tree.root.children[0].children
        assert str(first[1].label).startswith("⚠ #2 ") and "stream.done-missing" in str(first[1].label)
        tree.focus()
        tree.move_cursor(first[1])
        await pilot.pause(0.2)
        view = screen.query_one(ExchangeView)
        assert view.display and "proxy as vapi" in str(view.query_one("#request-line").render())
        assert len(app.exchanges) == 3  # Inspect lists them too

        await press(pilot, "a")
        agents = tmp_path / "profiles" / "agents"
        await wait_for(pilot, lambda: agents.is_dir() and any(agents.iterdir()), "the agent file")
        written = next(agents.iterdir()).read_text()
        assert 'platform = "vapi"' in written and 'user = "Again"' in written

        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: screen.handle is None, "the proxy to stop")
        await wait_for(pilot, lambda: "stopped" in str(state.render()), "the screen to say so")  # a message later


async def test_a_saved_log_opens_as_calls(tmp_path, memory_keyring):
    line = {"request": {"method": "POST", "url": "http://127.0.0.1:9/v1/chat/completions", "headers": [],
                        "body": json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})},
            "status": 500, "label": "proxy as polyai",
            "proxy": {"platform": "polyai", "call": 4, "turn": 1, "findings": [
                {"id": "errors.server-error", "category": "errors", "severity": "error", "message": "500"}]}}
    log = tmp_path / "old.jsonl"
    log.write_text(json.dumps(line) + "\n")
    app = make_app(tmp_path, start_mock=False)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_traffic(pilot)
        await press(pilot, "ctrl+o")
        await pilot.pause(0.1)
        app.screen.query_one("#answer", Input).value = str(log)
        await press(pilot, "enter")
        tree = screen.query_one("#calls", Tree)
        await wait_for(pilot, lambda: screen.entries, "the log's round trips")
        assert calls(tree) == ["✗ Call 4 · polyai · 1 request · from old.jsonl"]


async def test_inspect_opens_a_proxy_log(tmp_path, memory_keyring):
    line = {"request": {"method": "POST", "url": "http://127.0.0.1:9/v1/chat/completions", "headers": [],
                        "body": json.dumps({"model": "m", "stream": True,
                                            "messages": [{"role": "user", "content": "hi"}]})},
            "status": 200, "label": "proxy as vapi", "stream_requested": True,
            "response_headers": [["Content-Type", "application/json"]], "body": "{}",
            "proxy": {"platform": "vapi", "call": 1, "turn": 1, "findings": []}}
    log = tmp_path / "calls.jsonl"
    log.write_text(json.dumps(line) + "\n" + json.dumps(line) + "\n")
    app = make_app(tmp_path, start_mock=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await press(pilot, "f3")
        await wait_for(pilot, lambda: app.screen.MODE == "inspect", "Inspect")
        await press(pilot, "o")
        await pilot.pause(0.1)
        app.screen.query_one("#answer", Input).value = str(log)
        await press(pilot, "enter")
        await wait_for(pilot, lambda: len(app.exchanges) == 2, "the log's exchanges")
        await pilot.pause(0.3)
        view = app.screen.query_one(ExchangeView)
        assert "proxy as vapi" in str(view.query_one("#request-line").render())
        assert "Findings (1 ✗)" in str(view.tabs.get_tab("tab-findings").label)  # JSON answered to a stream
