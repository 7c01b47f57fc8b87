"""The TUI's shell: first run, the embedded mock, broken profile files, screens, the palette."""

from __future__ import annotations

import socket
import tomllib

from _tui_pilot import make_app, notices, press, save_profile, started, wait_for

from workbench.tui.screens.chat import ChatScreen
from workbench.tui.screens.profiles import ProfilesScreen
from workbench.tui.widgets.chat_message import ChatMessage


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_first_run_makes_local_mock_and_a_streamed_chat_works_offline(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.profile_name == "local-mock", "the local-mock profile")
        saved = tomllib.loads((tmp_path / "profiles" / "local-mock.toml").read_text())
        assert saved["base_url"] == app.mock.base_url
        assert saved["model"] == "mock-model"
        # The welcome is where the conversation will be, not a notice over the message box.
        welcome = str(app.screen.query_one("#empty").render())
        assert "Welcome" in welcome and app.mock.base_url in welcome and "local-mock" in welcome, welcome
        assert not any("Welcome" in n for n in notices(app))

        await press(pilot, *"hello there", "enter")
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await wait_for(pilot, lambda: screen.history and screen.history[-1]["role"] == "assistant", "the reply")
        reply = screen.query(ChatMessage).last()
        assert reply.text == "You said: hello there"
        status = str(reply.query_one(".status").render())
        assert "200 OK" in status and "ttft" in status
        await wait_for(pilot, lambda: app.mock.requests, "the mock's record")  # logged as its reply ends
        assert app.mock.requests[-1].stream is True  # it streamed
        assert len(app.exchanges) == 1 and app.exchanges[0].is_sse


async def test_existing_profiles_are_left_alone_and_the_mock_still_starts(tmp_path, memory_keyring):
    save_profile(tmp_path, "staging", "http://127.0.0.1:9/v1")
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await started(pilot)
        assert app.profile_name == "staging"
        assert sorted(p.name for p in (tmp_path / "profiles").iterdir()) == ["staging.toml"]
        assert not any("Welcome" in n for n in notices(app))


async def test_the_mock_comes_back_on_the_port_local_mock_names(tmp_path, memory_keyring):
    port = _free_port()
    save_profile(tmp_path, "local-mock", f"http://127.0.0.1:{port}/v1")
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await started(pilot)
        assert app.mock.port == port


async def test_a_busy_local_mock_port_moves_the_mock_and_says_so(tmp_path, memory_keyring):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        save_profile(tmp_path, "local-mock", f"http://127.0.0.1:{port}/v1")
        app = make_app(tmp_path)
        async with app.run_test() as pilot:
            await started(pilot)
            assert app.mock.port != port
            warnings = notices(app, "warning")
            assert any(str(port) in n and "in use" in n and app.mock.base_url in n for n in warnings), warnings


async def test_a_broken_profile_file_is_reported_with_its_line_and_the_others_load(tmp_path, memory_keyring):
    save_profile(tmp_path, "good", "http://127.0.0.1:9/v1")
    (tmp_path / "profiles" / "bad.toml").write_text('base_url = "http://x/v1"\nmodel = "m"\nauth = "basic"\n')
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        errors = notices(app, "error")
        assert any("bad.toml:3" in n and "auth" in n and "Fix:" in n for n in errors), errors
        assert list(app.profiles) == ["good"]
        await press(pilot, "f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ProfilesScreen), "the Profiles screen")
        panel = str(app.screen.query_one("#broken").render())
        assert "bad.toml:3" in panel and "expected one of none, x-api-key, bearer" in panel


async def test_f_keys_and_the_palette_switch_screens_and_profiles(tmp_path, memory_keyring):
    save_profile(tmp_path, "alpha", "http://127.0.0.1:9/v1")
    save_profile(tmp_path, "beta", "http://127.0.0.1:9/v1")
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        assert app.profile_name == "alpha"
        await press(pilot, "f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ProfilesScreen), "the Profiles screen")
        await press(pilot, "f1")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen), "the Chat screen")

        await press(pilot, "ctrl+p")
        await press(pilot, *"beta")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        await wait_for(pilot, lambda: app.profile_name == "beta", "the palette to switch profile")
        assert "beta" in app.sub_title


async def test_the_screen_names_under_the_header_are_clickable(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(pilot)
        from workbench.tui.widgets.screen_tabs import ScreenTabs

        row = str(app.screen.query_one(ScreenTabs).render())
        await pilot.click(ScreenTabs, offset=(row.index("Inspect") + 1, 0))
        await wait_for(pilot, lambda: type(app.screen).__name__ == "InspectScreen", "the Inspect screen")


async def test_the_mock_is_stopped_when_the_app_quits(tmp_path, memory_keyring):
    app = make_app(tmp_path)
    async with app.run_test() as pilot:
        await started(pilot)
        server = app.mock
    assert not server.running
