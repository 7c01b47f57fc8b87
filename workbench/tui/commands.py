"""The command palette (ctrl+p): switch profile, pick a platform, open a screen, run an action."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, NamedTuple, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from workbench.tui.screens import SCREENS

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp


class Command(NamedTuple):
    name: str
    run: Callable[[], object]
    help: str
    discover: bool = True


class WorkbenchCommands(Provider):
    """Profiles, platforms and actions, each a line of the palette."""

    @property
    def workbench(self) -> "WorkbenchApp":
        return cast("WorkbenchApp", self.app)

    def commands(self) -> list[Command]:
        from workbench.platforms import PLATFORMS

        app = self.workbench
        found: list[Command] = []
        for name, profile in app.profiles.items():
            current = " (active)" if name == app.profile_name else ""
            found.append(Command(f"profile: use {name}{current}", partial(app.use_profile, name),
                                 f"{profile.base_url} · {profile.model}"))
        for entry in SCREENS:
            found.append(Command(f"screen: {entry.title}", partial(app.switch_mode, entry.mode),
                                 f"Open the {entry.title} screen ({entry.key.upper()})"))
        for platform in PLATFORMS.values():
            found.append(Command(f"chat: send as {platform.title}", partial(self._chat_as, platform.id),
                                 f"Shape chat requests the way {platform.title} does", discover=False))
            found.append(Command(f"check: run as {platform.title}", partial(self._check_as, platform.id),
                                 f"Check the active profile the way {platform.title} calls it", discover=False))
            found.append(Command(f"export: setup sheet for {platform.title}", partial(self._export_for, platform.id),
                                 f"What to send {platform.title}", discover=False))
        found += [
            Command("profile: add a new profile", self._new_profile, "Open the profile form"),
            Command("mock: start or stop the embedded mock", self._toggle_mock, "The fake LLM on loopback"),
            Command("inspect: the latest exchange", partial(app.switch_mode, "inspect"), "Request, reply, findings"),
            Command("inspect: open a saved exchange or proxy log", self._open_in_inspect,
                    "A file saved with s, or `workbench proxy --log FILE`"),
            Command("proxy: start or stop the recording proxy", self._toggle_proxy,
                    "The Traffic screen: what a real platform sends your endpoint"),
        ]
        return found

    def _chat_as(self, platform: str) -> None:
        self.workbench.switch_mode("chat")
        self.workbench.call_after_refresh(self._on_screen, "set_platform", platform)

    def _check_as(self, platform: str) -> None:
        self.workbench.switch_mode("check")
        self.workbench.call_after_refresh(self._on_screen, "run_for", platform)

    def _export_for(self, platform: str) -> None:
        self.workbench.switch_mode("export")
        self.workbench.call_after_refresh(self._on_screen, "set_platform", platform)

    def _new_profile(self) -> None:
        self.workbench.switch_mode("profiles")
        self.workbench.call_after_refresh(self._on_screen, "action_new_profile")

    def _on_screen(self, method: str, *args: object) -> None:
        handler = getattr(self.workbench.screen, method, None)
        if handler is not None:
            handler(*args)

    def _open_in_inspect(self) -> None:
        self.workbench.switch_mode("inspect")
        self.workbench.call_after_refresh(self._on_screen, "action_open_file")

    def _toggle_proxy(self) -> None:
        self.workbench.switch_mode("traffic")
        self.workbench.call_after_refresh(self._on_screen, "action_start_stop")

    def _toggle_mock(self) -> None:
        app = self.workbench
        if app.mock is not None and app.mock.running:
            app.stop_mock()
        else:
            app.start_embedded_mock()

    async def discover(self) -> Hits:
        for command in self.commands():
            if command.discover:
                yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, help=command.help)
