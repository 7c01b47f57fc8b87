"""The Check screen: pick platforms, the checklist fills in live, the verdict is saved, the report exported."""

from __future__ import annotations

import json
import stat

from textual.widgets import SelectionList
from _tui_pilot import make_app, notices, press, started, wait_for

from workbench.mock import MockConfig
from workbench.tui.screens.check import CheckScreen
from workbench.tui.widgets.checklist import Checklist


async def open_check(pilot) -> CheckScreen:
    app = await started(pilot)
    await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
    assert isinstance(app.screen, CheckScreen)
    return app.screen


def shown(screen: CheckScreen) -> str:
    return "\n".join(str(w.render()) for w in screen.query_one(Checklist).children)


async def test_a_check_fills_the_checklist_and_saves_the_verdict(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="check")
    async with app.run_test(size=(130, 50)) as pilot:
        screen = await open_check(pilot)
        assert list(screen.query_one("#platforms", SelectionList).selected) == ["openai"]  # the profile's
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: not screen.running and screen.reports, "the check")
        text = shown(screen)
        assert "As OpenAI SDK" in text and "✓ OpenAI SDK's own request" in text
        assert "auth.open" in text and "Fix: Require a key" in text  # the mock is open: a warning with its fix
        assert "Compatible with OpenAI SDK, with warnings" in text
        assert all(line.status != "running" for line in screen.query_one(Checklist).lines)
        verdict = tmp_path / "data" / "reports" / "local-mock.openai.json"
        await wait_for(pilot, verdict.exists, "the saved verdict")
        saved = json.loads(verdict.read_text())
        assert saved["compatible"] is True and saved["platform"] == "openai"
        assert app.exchanges and all(ex.label.startswith("check: ") for ex in app.exchanges)
        assert all(id(ex) in app.exchange_findings for ex in app.exchanges)  # Inspect shows the check's own


async def test_a_broken_endpoint_fails_with_errors_and_fixes_for_each_platform_picked(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="check")
    async with app.run_test(size=(130, 50)) as pilot:
        screen = await open_check(pilot)
        app.mock.set_fault("json-when-stream")
        screen.run_for("playai")
        await wait_for(pilot, lambda: not screen.running and screen.reports, "the check")
        text = shown(screen)
        assert "As Play.ai" in text and "✗" in text
        assert "NOT compatible with Play.ai" in text
        assert "Fix:" in text
        assert not screen.reports["playai"].compatible

        selection = screen.query_one("#platforms", SelectionList)
        selection.select("polyai")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: not screen.running and len(screen.reports) == 2, "both checks")
        assert "As PolyAI" in shown(screen) and "As Play.ai" in shown(screen)


async def test_esc_stops_a_check_against_a_stalled_endpoint(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="check", mock_config=MockConfig(stall_s=30))
    async with app.run_test(size=(130, 50)) as pilot:
        screen = await open_check(pilot)
        app.mock.set_fault("stall")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.query_one(Checklist).lines, "the first line")
        await press(pilot, "escape")
        await wait_for(pilot, lambda: not screen.running, "the stop")
        assert "Stopped" in shown(screen)


async def test_the_report_is_exported_privately_and_copied(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="check")
    async with app.run_test(size=(130, 50)) as pilot:
        screen = await open_check(pilot)
        await press(pilot, "e")
        assert any("Run a check first" in n for n in notices(app))
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: not screen.running and screen.reports, "the check")
        await press(pilot, "e")
        folder = tmp_path / "data" / "reports"
        await wait_for(pilot, lambda: any("Saved 3 files" in n for n in notices(app)), "the exported report")
        for name in ("local-mock.openai.report.md", "local-mock.openai.report.json", "local-mock.openai.report.xml"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
        assert json.loads((folder / "local-mock.openai.report.json").read_text())["platform"] == "openai"
        assert app.clipboard.startswith("#") or "OpenAI SDK" in app.clipboard
