"""What an endpoint sends is shown as it came, on every screen: never read as markup (issue 17, item 3).

The embedded mock answers every message with text that Textual's markup would eat or act on
(`[b]x[/b]` bold, `[link](…)` losing its `[link]`, a stray `[/]` raising, `[@click=…]` an action
link); each view that shows it must show those characters.
"""

from __future__ import annotations

import httpx
from rich.text import Text
from textual.widgets import DataTable
from _tui_pilot import make_app, press, started, wait_for

from workbench.mock import MockConfig
from workbench.tui.screens.check import CheckScreen
from workbench.tui.screens.inspect import InspectScreen
from workbench.tui.screens.mock import MockScreen
from workbench.tui.screens.profiles import ProfilesScreen
from workbench.tui.screens.simulate import SimulateScreen
from workbench.tui.widgets.chat_message import ChatMessage
from workbench.tui.widgets.message_box import MessageBox

PIECES = ("[b]x[/b]", "[link](https://example.com).", "[/]", "[@click=app.bell]ring[/]")
REPLY = " ".join(PIECES)


def reply_file(tmp_path):
    path = tmp_path / "replies.toml"
    path.write_text(f"[[reply]]\nregex = '.'\nreply = '''{REPLY}'''\n")
    return path


async def painted(pilot) -> str:
    """Every character of the screen as it goes to the terminal, once laid out."""
    await pilot.pause(0.1)
    update = pilot.app.screen._compositor.render_update(full=True)
    return "".join(segment.text for strip in update.strips for segment in strip)


def all_shown(text: str, pieces=PIECES) -> list[str]:
    return [piece for piece in pieces if piece not in text]


async def open_screen(pilot, key: str, screen_type):
    await press(pilot, key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, screen_type), screen_type.__name__)
    await pilot.pause(0.1)
    return pilot.app.screen


async def test_markup_from_an_endpoint_is_shown_verbatim_on_every_screen(tmp_path, memory_keyring):
    app = make_app(tmp_path, mock_config=MockConfig(reply_file=str(reply_file(tmp_path))))
    async with app.run_test(size=(200, 50)) as pilot:
        await started(pilot)
        await wait_for(pilot, lambda: app.active_profile is not None, "a profile")

        # Chat: what the user typed and the reply (Markdown: its link reads as its text; the markup stays).
        chat = app.screen
        chat.query_one("#prompt", MessageBox).value = REPLY
        await press(pilot, "enter")
        await wait_for(pilot, lambda: app.exchanges and not chat.streaming, "the reply")
        mine, reply = list(chat.query(ChatMessage))
        assert reply.text == REPLY and mine.text == REPLY
        screen_text = await painted(pilot)
        assert all_shown(screen_text) == []  # the user's message, verbatim
        assert screen_text.count("[b]x[/b]") == 2 and screen_text.count("[@click=app.bell]ring[/]") == 2

        # Inspect: the SSE timeline (delta and raw line), the body and the request.
        inspect = await open_screen(pilot, "f3", InspectScreen)
        inspect.query_one("#tabs").active = "tab-timeline"
        await pilot.pause(0.2)
        timeline = inspect.query_one("#timeline", DataTable)
        await wait_for(pilot, lambda: timeline.row_count > 4, "the timeline")
        cells = [timeline.get_row_at(i) for i in range(timeline.row_count)]
        assert all(isinstance(cell, Text) for row in cells for cell in row[1:])
        plain = "\n".join(str(cell) for row in cells for cell in row)
        assert all_shown(plain) == []
        assert all_shown(await painted(pilot)) == []  # drawn as they came, not as markup
        for tab in ("tab-body", "tab-request"):
            inspect.query_one("#tabs").active = tab
            await pilot.pause(0.2)
        assert all_shown(inspect.query_one("#body").text) == [] and "[b]x[/b]" in inspect.query_one("#request").text

        # Profiles: Test connection quotes the reply.
        profiles = await open_screen(pilot, "f2", ProfilesScreen)
        await press(pilot, "ctrl+t")
        result = profiles.query_one("#test-result")
        await wait_for(pilot, lambda: "✓" in str(result.render()), "the test")
        assert all_shown(str(result.render())) == [] and all_shown(await painted(pilot)) == []

        # Simulate: the turn shows the reply.
        (tmp_path / "agent.toml").write_text('platform = "openai"\n[[turns]]\nuser = "[b]hi[/b]"\n')
        simulate = await open_screen(pilot, "f5", SimulateScreen)
        simulate.load_agent(str(tmp_path / "agent.toml"))
        await wait_for(pilot, lambda: simulate.agent is not None, "the agent")
        await press(pilot, "ctrl+r")
        await wait_for(pilot, lambda: simulate.report is not None and not simulate.playing, "the call")
        shown = await painted(pilot)
        assert all_shown(shown, PIECES + ("[b]hi[/b]",)) == []

        # Mock: the request log shows the path a caller sent.
        async with httpx.AsyncClient() as client:
            await client.get(f"{app.mock.root_url}/v1/[b]x[/b]/[@click=app.quit]")
        mock = await open_screen(pilot, "f8", MockScreen)
        log = mock.query_one("#log", DataTable)
        await wait_for(pilot, lambda: any("[@click=app.quit]" in str(log.get_row_at(i)[1])
                                          for i in range(log.row_count)), "the logged path")
        assert "/v1/[b]x[/b]/[@click=app.quit]" in await painted(pilot)

        # Check: findings that quote the reply.
        check = await open_screen(pilot, "f4", CheckScreen)
        check.run_for("playai")
        await wait_for(pilot, lambda: check.reports and not check.running, "the check")
        lines = "\n".join(str(line.render()) for line in check.query("ChecklistLine"))
        assert "[b]x[/b]" in lines, lines
        assert app.is_running  # no `[@click=…]` ran and no `[/]` raised
