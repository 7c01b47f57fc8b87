"""Snapshot tests of the main screens (pytest-textual-snapshot), through tests/_tui_snapshot_app.py.

Each scene drives the real app against its embedded mock to a representative state. Update
the pictures after an intended change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`
and look at them (the failure report shows the difference side by side).
"""

from __future__ import annotations

from _tui_pilot import press, started, wait_for
from _tui_snapshot_app import make_snapshot_app

from workbench.mock import MockConfig

SIZE = (120, 36)


async def _chat(pilot, text: str) -> None:
    app = await started(pilot)
    await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
    screen = app.screen
    count = len(app.exchanges)
    screen.query_one("#prompt").value = text
    await press(pilot, "enter")
    await wait_for(pilot, lambda: len(app.exchanges) == count + 1 and not screen.streaming, "the reply")


def test_first_run_welcome(snap_compare, memory_keyring):
    async def scene(pilot):
        app = await started(pilot)
        await wait_for(pilot, lambda: app.profile_name == "local-mock", "local-mock")

    assert snap_compare(make_snapshot_app(first_run=True), run_before=scene, terminal_size=SIZE)


def test_chat_after_a_streamed_reply(snap_compare, memory_keyring):
    app = make_snapshot_app()
    app.mock_config = MockConfig(tokens_per_s=400)

    async def scene(pilot):
        await _chat(pilot, "Give me a **bold** answer, please.")

    assert snap_compare(app, run_before=scene, terminal_size=SIZE)


def test_profiles(snap_compare, memory_keyring):
    async def scene(pilot):
        app = await started(pilot)
        await wait_for(pilot, lambda: app.key_statuses, "the key statuses")

    assert snap_compare(make_snapshot_app("profiles"), run_before=scene, terminal_size=SIZE)


def test_inspect_timeline(snap_compare, memory_keyring):
    async def scene(pilot):
        await _chat(pilot, "inspect me")
        await press(pilot, "f3")
        await pilot.pause(0.1)
        pilot.app.screen.query_one("#tabs").active = "tab-timeline"

    assert snap_compare(make_snapshot_app(), run_before=scene, terminal_size=SIZE)


def test_check_checklist(snap_compare, memory_keyring):
    async def scene(pilot):
        app = await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        app.mock.set_fault("no-done")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: app.screen.reports and not app.screen.running, "the check")

    assert snap_compare(make_snapshot_app("check"), run_before=scene, terminal_size=SIZE)


def test_mock_request_log(snap_compare, memory_keyring):
    async def scene(pilot):
        await _chat(pilot, "hello mock")
        await press(pilot, "f8")
        await pilot.pause(0.1)

    assert snap_compare(make_snapshot_app(), run_before=scene, terminal_size=SIZE)


def test_traffic_calls(snap_compare, memory_keyring):
    import asyncio

    import httpx

    def send(url: str, messages: list) -> None:
        with httpx.Client(timeout=10, trust_env=False) as http:
            http.post(url, json={"model": "mock-model", "stream": True, "messages": messages})

    async def scene(pilot):
        app = await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        await press(pilot, "f9")
        await wait_for(pilot, lambda: app.screen.MODE == "traffic", "the Traffic screen")
        screen = app.screen
        screen.query_one("#port").value = "0"
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: screen.handle is not None, "the proxy")
        url = screen.handle.base_url + "/chat/completions"
        first = [{"role": "system", "content": "You book tables."}, {"role": "user", "content": "A table for two"}]
        await asyncio.to_thread(send, url, first)
        app.mock.set_fault("no-done")
        await asyncio.to_thread(send, url, [*first, {"role": "assistant", "content": "You said: A table for two"},
                                            {"role": "user", "content": "Friday at seven"}])
        await wait_for(pilot, lambda: len(screen.entries) == 2, "two round trips")
        tree = screen.query_one("#calls")
        tree.focus()
        tree.move_cursor(tree.root.children[0].children[1])
        await pilot.pause(0.3)

    assert snap_compare(make_snapshot_app(), run_before=scene, terminal_size=SIZE)


SIMULATED_CALL = """\
name = "Hours, a barge-in, then goodbye"
platform = "elevenlabs"

[[turns]]
user = "Tell me about the menu, the opening hours, the parking and the terrace, please."
interrupt_after_words = 3

[[turns]]
user = "That's all, thank you. Please end the call now."
expect_tool = "end_call"
[turns.tool_results]
end_call = "The call ends after your goodbye."
"""


def test_simulate_a_call_with_a_barge_in_and_a_tool(snap_compare, memory_keyring):
    app = make_snapshot_app("simulate")

    async def scene(pilot):
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        agent = app.folder / "call.toml"
        agent.write_text(SIMULATED_CALL, encoding="utf-8")
        screen = app.screen
        screen.load_agent(str(agent))
        await wait_for(pilot, lambda: screen.agent is not None, "the agent")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.report is not None and not screen.playing, "the call")

    assert snap_compare(app, run_before=scene, terminal_size=SIZE)


def test_bench_calls_by_turn(snap_compare, memory_keyring):
    from pathlib import Path

    from textual.widgets import Select

    agent = Path(__file__).resolve().parents[2] / "profiles" / "agents" / "vapi-short.toml"
    app = make_snapshot_app("bench")
    app.agents_dir = str(agent.parent)
    app.mock_config = MockConfig(tokens_per_s=400)

    async def scene(pilot):
        app = await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        screen = app.screen
        picker = screen.query_one("#agent", Select)
        await wait_for(pilot, lambda: len(picker._options) > 1, "the agent files")
        picker.value = str(agent)
        await wait_for(pilot, lambda: screen.agent is not None, "the agent file")
        for field, value in (("#requests", "4"), ("#concurrency", "2"), ("#think", "0")):
            screen.query_one(field).value = value
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, "the calls")
        await pilot.pause(0.3)  # the tables' column widths settle

    assert snap_compare(app, run_before=scene, terminal_size=SIZE)
