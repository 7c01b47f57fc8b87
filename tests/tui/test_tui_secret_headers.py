"""Issue 13 row 5 in the TUI: a secret header typed into the profile form goes to the keyring, never the file."""

from __future__ import annotations

from _tui_pilot import make_app, press, started, wait_for
from textual.widgets import Input, TextArea

from workbench.secrets import SERVICE
from workbench.tui.screens.profiles import ProfilesScreen

VALUE = "hdr-7d1e4f0b9a3c5e2d9f3a"


async def test_a_secret_header_typed_in_the_form_is_saved_to_the_keyring(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        await started(pilot)
        screen = app.screen
        assert isinstance(screen, ProfilesScreen)
        await press(pilot, "ctrl+n")
        for field_id, value in {"name": "custom", "base_url": "http://127.0.0.1:9/v1", "model": "m"}.items():
            screen.query_one(f"#{field_id}", Input).value = value
        screen.query_one("#headers", TextArea).text = f'{{"X-Team": "voice", "X-Custom-Auth": "{VALUE}"}}'
        await pilot.pause(0.05)
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: "custom" in app.profiles, "the saved profile")
        await wait_for(pilot, lambda: (SERVICE, "custom/header/X-Custom-Auth") in memory_keyring.entries, "the keyring")
        text = (tmp_path / "profiles" / "custom.toml").read_text()
        assert VALUE not in text and 'secret = "keyring"' in text and "X-Team" in text
        assert memory_keyring.entries[(SERVICE, "custom/header/X-Custom-Auth")] == VALUE
