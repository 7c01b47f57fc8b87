"""The TUI's main flows with a canary key in the keyring: it must appear in no file and no output.

The TUI counterpart of test_leak_session.py. The embedded mock requires the canary and logs
its requests to a file; a bearer profile holds the canary in the (memory) keyring. In the app:
chat a streamed message and preview the request, open Inspect and save the exchange as JSON and
copy it as curl and as JSON, run Check for the profile's platform and export the report, save
the Export sheet without reveal, and look at the Mock and Profiles screens. Every screen visited
is screenshotted. Afterwards the canary is searched for, byte for byte, in every file under the
temporary home (profiles, config, data, cache, state, logs), in every screenshot, clipboard,
notice and text shown. Only "curl with key", asked for at the very end, may carry it.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import TextArea
from _tui_pilot import make_app, notices, press, save_profile, started, wait_for

from workbench.mock import MockConfig
from workbench.redact import mask
from workbench.secrets import get_secret, set_secret
from workbench.tui.screens.chat import ChatScreen
from workbench.tui.screens.check import CheckScreen
from workbench.tui.screens.export import ExportScreen
from workbench.tui.screens.inspect import InspectScreen
from workbench.tui.screens.mock import MockScreen
from workbench.tui.screens.profiles import ProfilesScreen
from workbench.tui.widgets.dialogs import ConfirmDialog, TextDialog
from workbench.tui.widgets.message_box import MessageBox

CANARY = "sk-canary-tui-7c2e9a41b05d3f68e1"
PROFILE = "secure"


def _files_under(root: Path) -> list[Path]:
    return [Path(d) / f for d, _, files in os.walk(root) for f in files]


async def _open(pilot, key: str, screen_type: type) -> object:
    await press(pilot, key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, screen_type), screen_type.__name__)
    await pilot.pause(0.1)
    return pilot.app.screen


async def test_the_tuis_main_flows_leak_the_canary_nowhere(private_home, memory_keyring):
    mock_log = private_home / "logs" / "mock.jsonl"
    mock_log.parent.mkdir()
    config = MockConfig(api_key=CANARY, log_path=str(mock_log), models=("mock-model",))
    app = make_app(private_home, mock_config=config)
    shown: dict[str, str] = {}  # what was output, by where: screenshots, clipboards, texts

    def snap(name: str) -> None:
        shown[f"screenshot {name}"] = app.export_screenshot()

    async with app.run_test(size=(140, 45)) as pilot:
        await started(pilot)
        save_profile(private_home, PROFILE, app.mock.base_url, auth="bearer", platform="polyai")
        set_secret(PROFILE, CANARY)
        assert get_secret(PROFILE) == CANARY
        app.reload_profiles(select=PROFILE)
        await wait_for(pilot, lambda: app.active_profile is not None and app.active_profile.name == PROFILE,
                       "the keyed profile")

        # Chat: preview the exact request, then a streamed reply (the mock accepts only the canary).
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        chat.query_one("#prompt", MessageBox).value = "hello canary"
        await press(pilot, "ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the preview")
        shown["preview"] = app.screen.text
        assert f"Bearer {mask(CANARY)}" in shown["preview"]
        snap("preview")
        await press(pilot, "escape")
        await wait_for(pilot, lambda: app.screen is chat, "the chat again")
        await press(pilot, "enter")
        await wait_for(pilot, lambda: len(app.exchanges) == 1 and not chat.streaming, "the reply")
        exchange = app.exchanges[0]
        assert exchange.status == 200 and exchange.stream_requested
        snap("chat")

        # Inspect: the exchange's detail, curl without the key, JSON copied and saved.
        inspect = await _open(pilot, "f3", InspectScreen)
        await wait_for(pilot, lambda: "Bearer" in inspect.query_one("#request", TextArea).text, "the detail")
        shown["inspect request"] = inspect.query_one("#request", TextArea).text
        await press(pilot, "c")
        shown["curl clipboard"] = app.clipboard
        assert "${API_KEY}" in app.clipboard
        await press(pilot, "j")
        shown["json clipboard"] = app.clipboard
        await press(pilot, "s")
        saved_exchanges = private_home / "data" / "exchanges"
        await wait_for(pilot, lambda: saved_exchanges.is_dir() and any(saved_exchanges.iterdir()), "the saved exchange")
        snap("inspect")

        # Check as the profile's platform, then export the report.
        check = await _open(pilot, "f4", CheckScreen)
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: not check.running and "polyai" in check.reports, "the check")
        await press(pilot, "e")
        await wait_for(pilot, lambda: any("Saved 3 files" in n for n in notices(app)), "the exported report")
        shown["report clipboard"] = app.clipboard
        snap("check")

        # Export: the sheet, masked, copied and saved.
        export = await _open(pilot, "f6", ExportScreen)
        sheet = export.query_one("#sheet", TextArea)
        await wait_for(pilot, lambda: "PolyAI" in sheet.text and mask(CANARY) in sheet.text, "the masked sheet")
        shown["sheet"] = sheet.text
        await press(pilot, "ctrl+y")
        shown["sheet clipboard"] = app.clipboard
        await press(pilot, "ctrl+s")
        sheet_file = private_home / "data" / "exports" / f"{PROFILE}.polyai.setup.md"
        await wait_for(pilot, sheet_file.exists, "the saved sheet")
        snap("export")

        # The Mock screen shows the request log; Profiles shows the key's source.
        await _open(pilot, "f8", MockScreen)
        await pilot.pause(0.2)  # the mock's log is relayed at most every 50 ms
        snap("mock")
        await _open(pilot, "f2", ProfilesScreen)
        snap("profiles")

        # Asked for, the key does come out: proof that the canary was really in play.
        await _open(pilot, "f3", InspectScreen)
        await press(pilot, "k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await press(pilot, "y")
        await wait_for(pilot, lambda: CANARY in app.clipboard, "the curl command with the key")
        all_notices = notices(app)

    # Every request the mock took carried the key (it required it), and its log holds it masked.
    assert len(app.mock.requests) >= 2
    log_text = mock_log.read_text()
    assert f"Bearer {mask(CANARY)}" in log_text

    for where, text in shown.items():
        assert CANARY not in text, f"{where} shows the key"
        assert CANARY[-12:] not in text, f"{where} shows most of the key"
    assert any("Saved to" in n for n in all_notices)
    for notice in all_notices:
        assert CANARY not in notice and CANARY[-12:] not in notice, f"a notice shows the key: {notice}"

    written = _files_under(private_home)
    assert any(p.parent == saved_exchanges for p in written), "no exchange was saved"
    assert sheet_file in written
    assert any(p.name.endswith(".report.json") for p in written), "no report was exported"
    assert mock_log in written
    for path in written:
        data = path.read_bytes()
        assert CANARY.encode() not in data, f"{path} holds the key"
        assert CANARY[-12:].encode() not in data, f"{path} holds most of the key"
