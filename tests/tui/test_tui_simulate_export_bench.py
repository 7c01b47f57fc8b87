"""The Simulate, Export and Bench screens against the embedded mock."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from textual.widgets import Checkbox, DataTable, Input, OptionList, Select, TextArea
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


async def test_simulate_shows_tool_calls_a_barge_in_and_the_first_sentence(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="simulate")
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        for name in ("elevenlabs-end-call.toml", "pipecat-barge-in.toml"):
            screen.load_agent(str(AGENTS / name))
            await wait_for(pilot, lambda: screen.agent is not None, "the agent")
            info = str(screen.query_one("#agent-info").render())
            assert "first-sentence budget: the same" in info and "tools: end_call" in info
            await press(pilot, "ctrl+r")
            await wait_for(pilot, lambda: screen.report is not None and not screen.playing, "the call")
            assert screen.report.passed, screen.report.problems
            views = [str(v.render()) for v in screen.query(TurnView)]
            if name.startswith("elevenlabs"):
                assert "  tool:   end_call({" in views[1] and "→ The call ends after your goodbye." in views[1]
                assert "✓ calls end_call" in views[1] and "first sentence within 1000 ms" in views[1]
                assert "first sentence" in views[1].splitlines()[0]  # beside first token on the turn's line
                assert len(app.exchanges) == 3  # the request carrying the tool's result is recorded too
            else:
                assert "the caller barges in on 1 turn" in info
                assert ("  heard:  You said: I am  (the caller barged in after 4 words, before a first sentence)"
                        in views[0])
            screen.report = None


def agent_prompts(screen: SimulateScreen) -> list[str]:
    options = screen.query_one("#agents", OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_simulate_is_keyboard_usable_and_lists_only_agents_by_name(tmp_path, memory_keyring, monkeypatch):
    here = tmp_path / "checkout"
    (here / "profiles" / "agents").mkdir(parents=True)
    for name in ("playai-smoke.toml", "booking-replies.toml"):  # an agent and a mock reply file
        (here / "profiles" / "agents" / name).write_text((AGENTS / name).read_text())
    monkeypatch.chdir(here)
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    (config / "byom-workbench" / "agents").mkdir(parents=True)
    (config / "byom-workbench" / "agents" / "mine.toml").write_text(
        'platform = "openai"\n[[turns]]\nuser = "mine"\ncontains = ["You said"]\n')
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "vapi-short.toml").write_text((AGENTS / "vapi-short.toml").read_text())
    (extra / "notes.toml").write_text('title = "not an agent"\n')

    app = make_app(tmp_path, first_screen="simulate", agents_dir=extra)
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: agent_prompts(screen), "the agent list")
        assert app.focused is screen.query_one("#agents")  # the keyboard starts in the list
        prompts = agent_prompts(screen)
        assert [p.splitlines()[0] for p in prompts] == [
            "Vapi appointment reminder (vapi-short)", "Play.ai smoke test (playai-smoke)", "mine"]
        assert "--agents" in prompts[0] and "./profiles/agents" in prompts[1] and "config folder" in prompts[2]
        assert not any("replies" in p or "notes" in p or "/" + "tmp" in p for p in prompts)  # no reply file, no path

        await press(pilot, "down", "enter")  # the second agent, played by Enter
        await wait_for(pilot, lambda: screen.report is not None and not screen.playing, "the call")
        assert screen.agent.name == "Play.ai smoke test" and screen.report.passed

        await press(pilot, "down", "ctrl+r")  # ctrl+r plays the highlighted one, even while it is read
        await wait_for(pilot, lambda: screen.agent is not None and screen.agent.name == "mine"  # None while read
                       and screen.report is not None and screen.report.agent.name == "mine"
                       and not screen.playing, "the second call")
        assert screen.report.passed


async def test_on_an_80_by_24_terminal_the_agent_list_stays_in_view(tmp_path, memory_keyring, monkeypatch):
    """A long agent description scrolls in its own box; it never squeezes the list to nothing."""
    here = tmp_path / "checkout"
    (here / "profiles" / "agents").mkdir(parents=True)
    for path in AGENTS.glob("*.toml"):
        (here / "profiles" / "agents" / path.name).write_text(path.read_text())
    monkeypatch.chdir(here)
    app = make_app(tmp_path, first_screen="simulate")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: agent_prompts(screen) and screen.agent is not None, "the first agent read")
        await pilot.pause()
        agents = screen.query_one("#agents", OptionList)
        assert agents.content_region.height >= 4  # two agents (two lines each) at least
        assert screen.query_one("#play").region.bottom <= 24 - 1  # the button above the footer
        info = screen.query_one("#agent-info-scroll")
        assert info.region.height >= 2 and info.virtual_size.height > info.region.height  # it scrolls


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
        # Six figures: the first sentence came second (issue 14).
        assert table.row_count == 6 and table.get_row_at(0)[0] == "first token (ms)"
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


async def test_bench_check_and_simulate_judge_against_the_platforms_one_budget_and_say_it(tmp_path, memory_keyring):
    from workbench.platforms import get_platform
    from workbench.tui.screens.check import CheckScreen

    platform = get_platform("polyai")
    budget = f"{platform.first_token_budget_ms:g} ms"
    app = make_app(tmp_path, first_screen="bench", mock_config=MockConfig(tokens_per_s=500))
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        screen.query_one("#platform", Select).value = "polyai"
        screen.query_one("#requests", Input).value = "4"
        await pilot.pause(0.05)
        assert screen.query_one("#budget", Input).value == ""  # blank: the platform's
        assert budget in str(screen.query_one("#budget-note").render())
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, "the bench")
        assert f"the {budget} budget (polyai's)" in str(screen.query_one("#verdict").render())
        assert screen.result.verdict.budget_ms == platform.first_token_budget_ms

        await press(pilot, "f4")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckScreen), "Check")
        app.screen.run_for("polyai")
        await wait_for(pilot, lambda: app.screen.reports and not app.screen.running, "the check")
        verdict = str(app.screen.query_one(".verdict").render())
        assert f"(budget {budget})" in verdict

        await press(pilot, "f5")
        await wait_for(pilot, lambda: isinstance(app.screen, SimulateScreen), "Simulate")
        simulate = app.screen
        simulate.load_agent(str(AGENTS / "polyai-booking.toml"))
        await wait_for(pilot, lambda: simulate.agent is not None, "the agent")
        assert f"first-token budget: {budget}" in str(simulate.query_one("#agent-info").render())
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: simulate.report is not None and not simulate.playing, "the call")
        assert f"first token within {budget}" in str(simulate.query(TurnView).first().render())


async def test_the_export_ticks_what_a_passing_check_proved(tmp_path, memory_keyring):
    from workbench.tui.screens.check import CheckScreen

    app = make_app(tmp_path, first_screen="export")
    async with app.run_test(size=(130, 45)) as pilot:
        screen = await ready(pilot)
        screen.set_platform("polyai")
        await wait_for(pilot, lambda: "Final checklist" in screen.query_one("#sheet", TextArea).text, "the sheet")
        assert "[x]" not in screen.query_one("#sheet", TextArea).text  # no check yet
        await press(pilot, "f4")
        await wait_for(pilot, lambda: isinstance(app.screen, CheckScreen), "Check")
        app.screen.run_for("polyai")
        await wait_for(pilot, lambda: app.screen.reports and not app.screen.running, "the check")
        assert app.screen.reports["polyai"].compatible
        verdict = tmp_path / "data" / "reports" / "local-mock.polyai.json"
        await wait_for(pilot, verdict.exists, "the verdict")
        await press(pilot, "f6")
        sheet = screen.query_one("#sheet", TextArea)
        await wait_for(pilot, lambda: "- [x] Endpoint reachable with POST." in sheet.text, "the ticks")
        sheet = screen.query_one("#sheet", TextArea).text
        assert "- [x] Request/response match OpenAI chat/completions schema." in sheet
        assert "- [ ] Authentication header configured" in sheet  # the mock is open: auth.open
