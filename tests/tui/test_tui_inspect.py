"""The Inspect screen: every exchange listed; request, response, SSE timeline, findings; curl and JSON."""

from __future__ import annotations

import json
import stat

from textual.widgets import DataTable, TextArea
from _tui_pilot import make_app, press, save_profile, started, wait_for

from workbench.secrets import SERVICE
from workbench.tui.screens.chat import ChatScreen
from workbench.tui.screens.inspect import InspectScreen
from workbench.tui.widgets.dialogs import ConfirmDialog

SECRET = "sk-live-inspect-0123456789ab"


async def chat(pilot, text: str) -> None:
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, ChatScreen)
    count = len(app.exchanges)
    screen.query_one("#prompt").value = text
    await press(pilot, "enter")
    await wait_for(pilot, lambda: len(app.exchanges) == count + 1 and not screen.streaming, "the exchange")


async def open_inspect(pilot) -> InspectScreen:
    app = pilot.app
    await press(pilot, "f3")
    await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen), "the Inspect screen")
    await pilot.pause(0.1)
    return app.screen


def findings_text(screen: InspectScreen) -> str:
    return str(screen.query_one("#findings-text").render())


async def open_tab(pilot, screen: InspectScreen, tab: str) -> None:
    """Open a tab of the detail (each is filled when it is first shown)."""
    screen.query_one("#tabs").active = tab
    await pilot.pause(0.05)


async def test_a_chat_exchange_shows_its_request_timeline_and_findings(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        await chat(pilot, "look at me")
        app.mock.set_fault("no-done")
        await chat(pilot, "and me")
        screen = await open_inspect(pilot)
        table = screen.query_one("#exchanges", DataTable)
        assert table.row_count == 2
        assert table.cursor_row == 1  # the latest is selected
        await wait_for(pilot, lambda: '"and me"' in screen.query_one("#request", TextArea).text, "the request")
        request = screen.query_one("#request", TextArea).text
        assert '"content": "and me"' in request and "Content-Type: application/json" in request
        await open_tab(pilot, screen, "tab-response")
        assert "HTTP/1.1 200 OK" in screen.query_one("#response", TextArea).text
        await open_tab(pilot, screen, "tab-timeline")
        timeline = screen.query_one("#timeline", DataTable)
        exchange = app.exchanges[1]
        assert timeline.row_count == len(exchange.events) > 0
        deltas = [str(timeline.get_row_at(i)[1]) for i in range(timeline.row_count)]  # cells are Text (verbatim)
        assert any('"content": "me"' in d for d in deltas)
        assert not any(d == "[DONE]" for d in deltas)
        await open_tab(pilot, screen, "tab-findings")
        assert "stream.done-missing" in findings_text(screen)

        table.move_cursor(row=0)
        await wait_for(pilot, lambda: "No findings" in findings_text(screen), "the first exchange")
        await open_tab(pilot, screen, "tab-timeline")
        assert any(d == "[DONE]" for d in (str(timeline.get_row_at(i)[1]) for i in range(timeline.row_count)))
        await open_tab(pilot, screen, "tab-request")
        assert '"content": "look at me"' in screen.query_one("#request", TextArea).text


async def test_exchanges_made_while_inspect_is_open_appear(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        screen = await open_inspect(pilot)
        assert screen.query_one("#exchanges", DataTable).row_count == 0
        assert screen.query_one("#empty").display
        await press(pilot, "f1")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), "chat")
        await chat(pilot, "new one")
        assert screen.query_one("#exchanges", DataTable).row_count == 1


async def test_curl_is_masked_unless_the_key_is_asked_for_and_json_is_saved_privately(tmp_path, memory_keyring):
    mock_url = None
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await started(pilot)
        mock_url = app.mock.base_url
        save_profile(tmp_path, "keyed", mock_url, auth="bearer")
        memory_keyring.entries[(SERVICE, "keyed")] = SECRET
        app.reload_profiles(select="keyed")
        await pilot.pause(0.05)
        await chat(pilot, "secret stuff")
        screen = await open_inspect(pilot)

        await wait_for(pilot, lambda: "Bearer" in screen.query_one("#request", TextArea).text, "the detail")
        await press(pilot, "c")
        assert "Authorization: Bearer ${API_KEY}" in app.clipboard and SECRET not in app.clipboard
        assert SECRET not in screen.query_one("#request", TextArea).text
        assert "Bearer sk-…89ab" in screen.query_one("#request", TextArea).text

        await press(pilot, "k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await press(pilot, "y")
        await wait_for(pilot, lambda: SECRET in app.clipboard, "the command with the key")
        assert app.clipboard.startswith(f"API_KEY={SECRET} curl")

        await press(pilot, "s")
        folder = tmp_path / "data" / "exchanges"
        # the save writes a hidden temporary file, then renames it: wait for the .json itself
        await wait_for(pilot, lambda: folder.is_dir() and any(folder.glob("*.json")), "the saved file")
        saved = next(folder.glob("*.json"))
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        text = saved.read_text()
        assert SECRET not in text
        data = json.loads(text)
        assert data["status"] == 200 and data["label"] == "chat"


async def test_two_thousand_exchanges_are_listed_and_the_last_one_opens(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(140, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")
        await chat(pilot, "template")
        template = app.exchanges[0]
        from workbench.exchange import Exchange

        for _ in range(1999):
            app.record_exchange(Exchange.from_dict(template.to_dict()))
        screen = await open_inspect(pilot)
        table = screen.query_one("#exchanges", DataTable)
        assert table.row_count == 2000
        assert table.cursor_row == 1999
        await wait_for(pilot, lambda: '"template"' in screen.query_one("#request", TextArea).text, "the detail")
