"""The Simulate, Export and Bench screens against the embedded mock."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from textual.widgets import Checkbox, DataTable, Input, Select, TextArea
from _tui_pilot import make_app, notices, press, save_profile, started, wait_for

from workbench.mock import MockConfig
from workbench.secrets import SERVICE
from workbench.tui.screens.bench import BenchScreen
from workbench.tui.screens.export import ExportScreen
from workbench.tui.screens.simulate import SimulateScreen, TurnView
from workbench.tui.widgets.dialogs import ConfirmDialog

AGENTS = Path(__file__).resolve().parents[2] / "profiles" / "agents"
SECRET = "sk-export-abcdefghijkl7777"


async def ready(pilot):
    app = await started(pilot)
    await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
    return app.screen


# ---- simulate -----------------------------------------------------------------------------


async def test_simulate_plays_a_call_turn_by_turn_with_latency_against_the_budget(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="simulate")
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        assert isinstance(screen, SimulateScreen)
        screen.load_agent(str(AGENTS / "polyai-booking.toml"))
        await wait_for(pilot, lambda: screen.agent is not None, "the agent")
        assert "as PolyAI · 4 turns" in str(screen.query_one("#agent-info").render())
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.report is not None and not screen.playing, "the call")
        views = list(screen.query(TurnView))
        assert len(views) == 4 and all(v.has_class("-passed") for v in views)
        first = str(views[0].render())
        assert "Turn 1 of 4  PASS" in first and "whole reply in" in first and "first token within 1000 ms" in first
        assert "PASS: 4 of 4 turns passed" in str(screen.query_one(".summary").render())
        await wait_for(pilot, lambda: len(app.mock.requests) == 4, "the mock's records")  # logged as replies end
        bodies = [json.loads(r.body) for r in app.mock.requests]
        assert [len(b["messages"]) for b in bodies] == [2, 4, 6, 8]  # replies carried into the history
        assert bodies[0]["temperature"] == 0.7 and bodies[0]["stream"] is False
        assert len(app.exchanges) == 4


async def test_simulate_shows_failed_expectations_and_a_broken_endpoint(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="simulate")
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        app.mock.set_fault("server-error")
        screen.load_agent(str(AGENTS / "playai-smoke.toml"))
        await wait_for(pilot, lambda: screen.agent is not None, "the agent")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.report is not None and not screen.playing, "the call")
        view = screen.query_one(TurnView)
        assert view.has_class("-failed")
        assert "FAIL" in str(view.render()) and "500" in str(view.render())
        assert "FAIL: 0 of 1 turn passed" in str(screen.query_one(".summary").render())


async def test_a_bad_agent_file_is_explained(tmp_path, memory_keyring):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nplatform = "nope"\n[[turns]]\nuser = "hi"\n')
    app = make_app(tmp_path, first_screen="simulate")
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        screen.query_one("#agent-path", Input).value = str(bad)
        screen.query_one("#agent-path", Input).focus()
        await press(pilot, "enter")
        await wait_for(pilot, lambda: notices(app, "error"), "the error")
        assert "nope" in notices(app, "error")[-1] and "Fix:" in notices(app, "error")[-1]
        assert screen.agent is None


# ---- export --------------------------------------------------------------------------------


async def test_export_is_masked_until_revealed_and_saved_privately(tmp_path, memory_keyring):
    save_profile(tmp_path, "prod", "https://llm.example.com/v1", auth="x-api-key", platform="polyai")
    memory_keyring.entries[(SERVICE, "prod")] = SECRET
    app = make_app(tmp_path, first_screen="export")
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        assert isinstance(screen, ExportScreen)
        sheet = screen.query_one("#sheet", TextArea)
        await wait_for(pilot, lambda: "PolyAI" in sheet.text, "the sheet")
        assert "https://llm.example.com/v1/chat/completions" in sheet.text or "https://llm.example.com/v1" in sheet.text
        assert SECRET not in sheet.text and "sk-…7777" in sheet.text
        await press(pilot, "ctrl+y")
        assert SECRET not in app.clipboard and "sk-…7777" in app.clipboard

        screen.query_one("#reveal", Checkbox).value = True
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await press(pilot, "y")
        await wait_for(pilot, lambda: SECRET in sheet.text, "the revealed sheet")

        screen.query_one("#reveal", Checkbox).value = False
        await wait_for(pilot, lambda: SECRET not in sheet.text, "the masked sheet again")
        await press(pilot, "ctrl+s")
        saved = tmp_path / "data" / "exports" / "prod.polyai.setup.md"
        await wait_for(pilot, saved.exists, "the saved sheet")
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600 and SECRET not in saved.read_text()

        screen.set_platform("playai")
        await wait_for(pilot, lambda: "PATCH" in sheet.text, "the Play.ai sheet")
        screen.query_one("#format", Select).value = "json"
        await wait_for(pilot, lambda: sheet.text.startswith("{"), "the JSON sheet")
        assert json.loads(sheet.text)["platform"] == "playai"


async def test_export_shows_the_latest_check_verdict(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="check")
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: not screen.running and screen.reports, "the check")
        verdict = tmp_path / "data" / "reports" / "local-mock.openai.json"
        await wait_for(pilot, verdict.exists, "the saved verdict")
        await press(pilot, "f6")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), "export")
        sheet = app.screen.query_one("#sheet", TextArea)
        await wait_for(pilot, lambda: "Latest check" in sheet.text and "compatible" in sheet.text.lower(), "verdict")
        assert "no saved check" not in sheet.text


async def test_export_without_a_keyring_still_shows_the_sheet_and_says_why(tmp_path, no_keyring):
    save_profile(tmp_path, "prod", "https://llm.example.com/v1", auth="bearer", platform="vapi")
    app = make_app(tmp_path, first_screen="export")
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: "Vapi" in screen.query_one("#sheet", TextArea).text, "the sheet")
        note = str(screen.query_one("#export-note").render())
        assert "No OS keyring is available" in note and "Fix:" in note


# ---- bench ---------------------------------------------------------------------------------


async def test_bench_runs_shows_percentiles_and_saves_json(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="bench", mock_config=MockConfig(tokens_per_s=500))
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        assert isinstance(screen, BenchScreen)
        screen.query_one("#requests", Input).value = "12"
        screen.query_one("#concurrency", Input).value = "3"
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, "the bench")
        assert screen.result.requests == 12 and screen.result.errors == 0
        table = screen.query_one("#figures", DataTable)
        assert table.row_count == 5 and table.get_row_at(0)[0] == "first token (ms)"
        assert str(screen.query_one("#verdict").render()).startswith("PASS: first token p90")
        assert len(screen.query_one("#spark").data) == 12
        await press(pilot, "ctrl+s")
        folder = tmp_path / "data" / "bench"
        await wait_for(pilot, lambda: folder.is_dir() and any(folder.iterdir()), "the saved result")
        saved = next(folder.iterdir())
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert json.loads(saved.read_text())["requests"] == 12


async def test_bench_stop_keeps_what_finished_and_bad_numbers_are_refused(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="bench", mock_config=MockConfig(tokens_per_s=20))
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        screen.query_one("#requests", Input).value = "lots"
        await press(pilot, "ctrl+r")
        assert any("requests: expected a whole number" in n for n in notices(app, "error"))
        assert not screen.running
        screen.query_one("#requests", Input).value = "200"
        screen.query_one("#concurrency", Input).value = "2"
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.query_one("#progress").progress >= 2, "some requests")
        await press(pilot, "escape")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, "the stop")
        assert screen.result.run.interrupted and 2 <= screen.result.requests < 200
        assert "stopped:" in str(screen.query_one("#verdict").render())
