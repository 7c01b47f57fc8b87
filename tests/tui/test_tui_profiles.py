"""The Profiles screen: add, edit, rename, duplicate, delete; keys to the keyring; test connection."""

from __future__ import annotations

import socket

from textual.widgets import Input, Select
from _tui_pilot import make_app, notices, press, save_profile, started, type_fast, wait_for

from workbench.secrets import SERVICE
from workbench.tui.screens.profiles import ProfilesScreen
from workbench.tui.widgets.dialogs import ConfirmDialog
from workbench.tui.widgets.profile_form import ProfileForm
from workbench.tui.widgets.profile_list import ProfileList

CANARY = "sk-canary-0123456789abcdef"


async def open_profiles(pilot) -> ProfilesScreen:
    app = await started(pilot)
    assert isinstance(app.screen, ProfilesScreen)
    return app.screen


def fill(screen: ProfilesScreen, **values: str) -> None:
    for field_id, value in values.items():
        widget = screen.query_one(f"#{field_id}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value


def problems(screen: ProfilesScreen) -> str:
    return str(screen.query_one("#problems").render())


async def test_a_new_profile_goes_to_a_file_and_its_key_to_the_keyring(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        await press(pilot, "ctrl+n")
        fill(screen, name="staging", base_url="https://llm.example.com/v1", model="gpt-x", auth="bearer",
             api_key=CANARY, temperature="0.4")
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: "staging" in app.profiles, "the saved profile")
        text = (tmp_path / "profiles" / "staging.toml").read_text()
        assert "https://llm.example.com/v1" in text and "temperature = 0.4" in text
        assert CANARY not in text
        assert memory_keyring.entries[(SERVICE, "staging")] == CANARY
        assert screen.query_one("#api_key", Input).value == ""  # the key left the form
        await wait_for(pilot, lambda: "keyring" in str(screen.query_one("#key-source").render()), "the key source")
        assert CANARY not in str(screen.query_one("#key-source").render())
        assert "sk-…cdef" in str(screen.query_one("#key-source").render())


async def test_the_form_validates_as_you_type_and_refuses_to_save_a_bad_profile(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        await press(pilot, "ctrl+n")
        fill(screen, name="../evil", base_url="ftp://x", model="m", temperature="7")
        await pilot.pause(0.05)
        shown = problems(screen)
        assert "never a path" in shown
        assert "base_url: expected an http:// or https:// URL" in shown
        assert "params.temperature: expected a number from 0 to 2, got 7" in shown
        assert screen.query_one("#temperature").has_class("-invalid")
        await press(pilot, "ctrl+s")
        await pilot.pause(0.2)
        assert not (tmp_path / "profiles" / "evil.toml").exists()
        assert any("Not saved" in n for n in notices(app, "error"))
        fill(screen, name="fine", base_url="http://127.0.0.1:9/v1", temperature="0.7")
        await pilot.pause(0.05)
        assert problems(screen) == ""
        assert not screen.query_one("#temperature").has_class("-invalid")


async def test_a_secret_pasted_into_a_header_is_refused(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        await press(pilot, "ctrl+n")
        fill(screen, name="p", base_url="http://127.0.0.1:9/v1", model="m")
        screen.query_one("#headers").text = '{"Authorization": "Bearer ' + CANARY + '"}'
        await pilot.pause(0.05)
        assert "carries a credential" in problems(screen)
        assert CANARY not in problems(screen)


async def test_editing_and_renaming_moves_the_file_and_the_key(tmp_path, memory_keyring):
    save_profile(tmp_path, "old", "http://127.0.0.1:9/v1", auth="bearer")
    memory_keyring.entries[(SERVICE, "old")] = CANARY
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        assert screen.editing == "old"
        fill(screen, name="new", model="other-model")
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: "new" in app.profiles, "the renamed profile")
        assert not (tmp_path / "profiles" / "old.toml").exists()
        assert app.profiles["new"].model == "other-model"
        assert memory_keyring.entries == {(SERVICE, "new"): CANARY}
        assert app.profile_name == "new"  # it was the active one, and still is


async def test_duplicate_copies_the_settings_and_the_key(tmp_path, memory_keyring):
    save_profile(tmp_path, "prod", "http://127.0.0.1:9/v1", auth="x-api-key")
    memory_keyring.entries[(SERVICE, "prod")] = CANARY
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        await press(pilot, "ctrl+r")
        assert screen.query_one("#name", Input).value == "prod-copy"
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: "prod-copy" in app.profiles, "the copy")
        assert app.profiles["prod-copy"].auth == "x-api-key"
        assert memory_keyring.entries[(SERVICE, "prod-copy")] == CANARY
        assert memory_keyring.entries[(SERVICE, "prod")] == CANARY


async def test_delete_asks_then_removes_the_file_and_the_key(tmp_path, memory_keyring):
    save_profile(tmp_path, "gone", "http://127.0.0.1:9/v1", auth="bearer")
    save_profile(tmp_path, "kept", "http://127.0.0.1:9/v1")
    memory_keyring.entries[(SERVICE, "gone")] = CANARY
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        assert screen.editing == "gone"
        await pilot.click("#delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await press(pilot, "y")
        await wait_for(pilot, lambda: "gone" not in app.profiles, "the deletion")
        assert not (tmp_path / "profiles" / "gone.toml").exists()
        assert (SERVICE, "gone") not in memory_keyring.entries
        assert app.profile_name == "kept"


async def test_without_a_keyring_the_profile_saves_and_the_error_says_how_to_fix_it(tmp_path, no_keyring):
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        await press(pilot, "ctrl+n")
        fill(screen, name="cloud", base_url="https://llm.example.com/v1", model="m", auth="bearer", api_key=CANARY)
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: any("not stored" in n for n in notices(app, "error")), "the keyring error")
        error = next(n for n in notices(app, "error") if "not stored" in n)
        assert "No OS keyring is available" in error and "gnome-keyring" in error and "api_key_env" in error
        assert CANARY not in error
        assert (tmp_path / "profiles" / "cloud.toml").exists()
        assert screen.query_one("#api_key", Input).value == CANARY  # still there to save once fixed
        await wait_for(pilot, lambda: "keyring unavailable" in str(screen.query_one("#key-source").render()),
                       "the key source")


async def test_test_connection_shows_the_raw_error_and_a_fix_when_the_endpoint_is_down(tmp_path, memory_keyring):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    save_profile(tmp_path, "down", f"http://127.0.0.1:{closed_port}/v1")
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        await press(pilot, "ctrl+t")
        result = screen.query_one("#test-result")
        await wait_for(pilot, lambda: "✗" in str(result.render()), "the test result")
        shown = str(result.render())
        assert "connection-refused" in shown and f"127.0.0.1:{closed_port}" in shown and "Fix:" in shown
        assert len(app.exchanges) == 1  # and it is on Inspect


async def test_test_connection_against_the_embedded_mock_passes(tmp_path, memory_keyring):
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        await wait_for(pilot, lambda: screen.editing == "local-mock" or app.profile_name == "local-mock", "local-mock")
        screen._show("local-mock")
        await press(pilot, "ctrl+t")
        result = screen.query_one("#test-result")
        await wait_for(pilot, lambda: "✓" in str(result.render()), "the test result")
        assert "200 OK" in str(result.render())
        assert isinstance(screen.query_one(ProfileForm), ProfileForm)


async def test_the_request_fields_show_a_profile_exactly_and_bad_json_is_named(tmp_path, memory_keyring):
    from textual.widgets import TextArea

    from workbench.profiles import Params

    save_profile(tmp_path, "tuned", "http://127.0.0.1:9/v1",
                 params=Params(temperature=0.123456789, max_tokens=300, stream=False, extra={"seed": 7}))
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        assert screen.editing == "tuned"
        assert screen.query_one("#temperature", Input).value == "0.123456789"  # not rounded to 0.123457
        assert screen.query_one("#max_tokens", Input).value == "300"
        assert '"seed": 7' in screen.query_one("#extra", TextArea).text
        screen.query_one("#extra", TextArea).text = "[7]"
        screen.query_one("#headers", TextArea).text = '{"X-Team": '
        await pilot.pause(0.05)
        shown = problems(screen)
        assert 'params.extra: expected a JSON object like {"seed": 7}, got [7].' in shown
        assert 'headers: expected a JSON object like {"X-Team": "voice"}, got text that is not JSON' in shown
        assert screen.query_one("#extra").has_class("-invalid") and screen.query_one("#headers").has_class("-invalid")
        screen.query_one("#extra", TextArea).text = '{"seed": 8}'
        screen.query_one("#headers", TextArea).text = "{}"
        await pilot.pause(0.05)
        assert problems(screen) == ""
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: app.profiles["tuned"].params.extra == {"seed": 8}, "the saved profile")
        assert app.profiles["tuned"].params.temperature == 0.123456789


async def test_profiles_changed_by_another_process_appear_without_a_restart(tmp_path, memory_keyring, monkeypatch):
    import os
    import subprocess
    import sys

    from workbench.tui import app as app_module

    monkeypatch.setattr(app_module, "PROFILES_POLL_S", 0.1)
    save_profile(tmp_path, "staging", "http://127.0.0.1:9/v1")
    # No embedded mock: this test never calls one, and waiting for it to start (10 s and more on a
    # loaded machine: aiohttp's import races the warm-up imports for the interpreter) was what
    # ran out of patience under load.
    app = make_app(tmp_path, start_mock=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.startup_ms is not None, "the first paint")
        assert list(app.profiles) == ["staging"] and app.profile_name == "staging"
        folder = str(tmp_path / "profiles")
        added = subprocess.run(  # the CLI, in another process, as a user would in another terminal
            [sys.executable, "-m", "workbench", "--profiles", folder, "profiles", "add", "prod",
             "--url", "https://llm.example.com/v1", "--model", "big-model"],
            capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stderr
        await wait_for(pilot, lambda: "prod" in app.profiles, "the new profile")
        sidebar = app.screen.query_one(ProfileList)
        listed = lambda: [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]  # noqa: E731
        await wait_for(pilot, lambda: listed() == ["prod", "staging"], "the sidebar to list it")
        assert app.profile_name == "staging" and not notices(app, "warning")  # nothing else moved

        os.remove(tmp_path / "profiles" / "staging.toml")  # rm, or a git checkout, in another terminal
        await wait_for(pilot, lambda: app.profile_name == "prod", "the active profile to move")
        assert any("'staging' is no longer in" in n and "now using 'prod'" in n for n in notices(app, "warning"))

        (tmp_path / "profiles" / "broken.toml").write_text("base_url = [unclosed\n", encoding="utf-8")
        await wait_for(pilot, lambda: any("broken.toml" in n for n in notices(app, "error")), "the broken file")
        assert list(app.profiles) == ["prod"]
        # The sidebar hears of it through a signal it handles in its own turn (Signal.subscribe
        # without immediate=True posts the call): the notice is there first, so wait for the list.
        broken = f"broken:{tmp_path / 'profiles' / 'broken.toml'}"
        await wait_for(pilot, lambda: listed() == ["prod", broken], "the sidebar to list the broken file")


async def test_fast_typing_in_a_new_profile_lands_in_each_field_and_a_blank_form_shows_no_error(
        tmp_path, memory_keyring):
    save_profile(tmp_path, "existing", "http://127.0.0.1:9/v1")
    app = make_app(tmp_path, first_screen="profiles")
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await open_profiles(pilot)
        screen.query_one("#profile-list").focus()
        await pilot.pause(0.05)
        # ctrl+n and everything after it reach the app in one burst, before ctrl+n is handled.
        await type_fast(pilot, "ctrl+n", *"stage", "tab", *"http://h/v1", "tab", *"m1", "shift+tab", *"h2")
        await wait_for(pilot, lambda: screen.query_one("#model", Input).value == "m1", "the model typed")
        assert screen.query_one("#name", Input).value == "stage"
        # shift+tab went back to Base URL, which selects its text on focus: the keys after it replaced it.
        assert screen.query_one("#base_url", Input).value == "h2"
        assert screen.editing is None

        await press(pilot, "ctrl+n")
        await pilot.pause(0.1)
        assert problems(screen) == ""  # a blank form: nothing typed, nothing wrong yet
        assert not screen.query(".-invalid")
        await press(pilot, *"bad name!")
        await wait_for(pilot, lambda: "name" in problems(screen).lower(), "the name's problem")
        assert "base_url" not in problems(screen)  # untouched fields stay quiet until a save
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: "base_url" in problems(screen) and "model" in problems(screen), "every problem")


def _alpha_and_beta(tmp_path):
    """The app on the Profiles screen, with two profiles saved (alpha's form shown first)."""
    save_profile(tmp_path, "alpha", "http://127.0.0.1:9/v1")
    save_profile(tmp_path, "beta", "http://127.0.0.1:9/v1")
    return make_app(tmp_path, first_screen="profiles", start_mock=False)


async def test_a_refresh_never_swaps_the_form_for_another_profile(tmp_path, memory_keyring):
    """A refresh of the list (a profile made active, the folder changing on disk, key statuses
    arriving) moves its highlight itself; that move is not the user's, so it never shows another
    profile's form. It did: the highlight a refresh queued was handled after the screen had shown
    the form it wanted, and swapped it back, typing and all (a flaky failure in CI)."""
    app = _alpha_and_beta(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.startup_ms is not None, "the first paint")
        screen = app.screen
        assert isinstance(screen, ProfilesScreen) and screen.editing == "alpha"
        sidebar = screen.query_one(ProfileList)
        sidebar.focus()
        await pilot.pause()
        app.reload_profiles(select="beta")  # the list follows at once, its highlight still on alpha's form
        screen._show("beta")  # as the screen does after a save or a rename
        fill(screen, model="typed-but-not-saved")
        await pilot.pause(0.2)
        assert screen.editing == "beta" and sidebar.highlighted_name == "beta"  # the list shows whose form it is
        assert screen.query_one("#model", Input).value == "typed-but-not-saved"
        for round_ in range(2):  # and the folder changing on disk meanwhile changes nothing either
            added = f"added-{round_}"
            save_profile(tmp_path, added, "http://127.0.0.1:9/v1")
            app.reload_profiles()
            await wait_for(pilot, lambda name=added: name in app.profiles, "the reload")
            await pilot.pause(0.1)
            assert screen.editing == "beta" and sidebar.highlighted_name == "beta"
            assert screen.query_one("#model", Input).value == "typed-but-not-saved"


async def test_the_list_highlights_the_profile_whose_form_is_shown(tmp_path, memory_keyring):
    """The form and the list agree on which profile is being edited, with no refresh in between."""
    app = _alpha_and_beta(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.startup_ms is not None, "the first paint")
        screen = app.screen
        assert isinstance(screen, ProfilesScreen)
        sidebar = screen.query_one(ProfileList)
        assert sidebar.highlighted_name == screen.editing == "alpha"
        screen._show("beta")  # as after a save, a rename, or a screen asked for a profile
        await pilot.pause()
        assert sidebar.highlighted_name == screen.editing == "beta"
