"""The Bench screen with worker processes: the bar covers every worker, and Stop stops them all."""

from __future__ import annotations

from textual.widgets import Input
from _tui_pilot import make_app, notices, press, started, wait_for

from workbench.mock import MockConfig


async def test_two_worker_processes_report_together_and_stop_together(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="bench", mock_config=MockConfig(tokens_per_s=20))
    async with app.run_test(size=(130, 45)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        screen = app.screen
        screen.query_one("#workers", Input).value = "none"
        await press(pilot, "ctrl+r")
        assert any("workers: expected a whole number from 1, or auto" in n for n in notices(app, "error"))
        screen.query_one("#requests", Input).value = "400"
        screen.query_one("#concurrency", Input).value = "4"
        screen.query_one("#workers", Input).value = "2"
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: screen.query_one("#progress").progress >= 6, "requests from the workers")
        assert screen.query_one("#spark").data  # first-token times arrive from the workers as they finish
        await press(pilot, "escape")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, "the stop")
        result = screen.result
        assert result.run.interrupted and 6 <= result.requests < 400
        assert [w.index for w in result.workers] == [0, 1]
        assert sum(w.requests for w in result.workers) == result.requests
        assert all(w.run.interrupted for w in result.workers)  # each worker was stopped, not left running
        assert "stopped:" in str(screen.query_one("#verdict").render())
