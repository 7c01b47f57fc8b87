"""The Bench screen with an agent file: whole calls from the keyboard, and a row of figures a turn."""

from __future__ import annotations

from pathlib import Path

from _tui_pilot import make_app, notices, press, started, wait_for
from textual.widgets import DataTable, Input, Select

from workbench.mock import MockConfig

AGENTS = Path(__file__).resolve().parents[2] / "profiles" / "agents"


async def _ready(pilot):  # type: ignore[no-untyped-def]
    app = await started(pilot)
    await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
    screen = app.screen
    picker = screen.query_one("#agent", Select)
    await wait_for(pilot, lambda: len(picker._options) > 1, "the agent files")
    return screen


async def test_an_agent_file_picked_from_the_keyboard_benches_whole_calls_turn_by_turn(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="bench", agents_dir=str(AGENTS), mock_config=MockConfig(tokens_per_s=500))
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await _ready(pilot)
        picker = screen.query_one("#agent", Select)
        assert app.focused is picker  # the first thing to choose
        values = [value for _, value in picker._options]
        await press(pilot, "enter", *["down"] * values.index(str(AGENTS / "vapi-short.toml")), "enter")
        await wait_for(pilot, lambda: screen.agent is not None, "the agent file")
        assert screen.agent.name == "Vapi appointment reminder"
        platform = screen.query_one("#platform", Select)
        assert platform.value == "vapi" and platform.disabled  # the agent file says who calls
        assert str(screen.query_one("#requests-label").render()) == "Calls"
        assert screen.query_one("#think").display
        screen.query_one("#think", Input).value = "many"
        await press(pilot, "ctrl+r")
        assert any("think time: expected a number of milliseconds" in n for n in notices(app, "error"))
        screen.query_one("#requests", Input).value = "5"
        screen.query_one("#concurrency", Input).value = "3"
        screen.query_one("#think", Input).value = "0"
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, "the calls")
        result = screen.result
        assert result.requests == 10 and result.errors == 0 and result.run.calls is not None
        assert sorted((s.call, s.turn) for s in result.samples) == [(c, t) for c in range(5) for t in (1, 2)]
        assert screen.query_one("#progress").progress == 10 and screen.query_one("#progress").total == 10
        table = screen.query_one("#turns", DataTable)
        assert table.display and table.row_count == 2
        for row, (turn, part) in enumerate(result.by_turn()):
            cells = table.get_row_at(row)
            assert cells[:2] == [str(turn), "5"] and cells[-1] == "0"
            assert cells[2] == f"{part.ttft.p50:.1f}" and cells[5] == f"{part.first_sentence.p50:.1f}"
        verdict = str(screen.query_one("#verdict").render())
        assert "calls: 5 played (2 turns each, 0 ms think time): 5 complete" in verdict

        picker.value = "-"  # back to single requests
        await wait_for(pilot, lambda: not screen.query_one("#think").display, "single requests")
        assert not platform.disabled and str(screen.query_one("#requests-label").render()) == "Requests"
        screen.query_one("#requests", Input).value = "4"
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, "the requests")
        assert screen.result.requests == 4 and screen.result.run.calls is None
        assert not screen.query_one("#turns", DataTable).display


async def test_a_broken_agent_file_is_explained_and_not_run(tmp_path, memory_keyring):
    agents = tmp_path / "agents"
    agents.mkdir()
    (agents / "broken.toml").write_text('platform = "vapi"\n[[turns]]\nuser = "hi"\ncontains = 3\n')
    app = make_app(tmp_path, first_screen="bench", agents_dir=str(agents))
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await _ready(pilot)
        screen.query_one("#agent", Select).value = str(agents / "broken.toml")
        await wait_for(pilot, lambda: any("broken.toml:4:" in n for n in notices(app, "error")), "the explanation")
        await press(pilot, "ctrl+r")
        assert any("The agent file broken.toml is not read" in n for n in notices(app, "error"))
        assert not screen.running and screen.result is None
