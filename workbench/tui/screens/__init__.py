"""The app's screens, one module each, in the order of the tab row and of their F-keys.

Each screen is a Textual mode. A screen's module is imported the first time the user opens
it, so start-up pays only for the first screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class ScreenEntry:
    mode: str
    title: str
    key: str  # the binding that opens it
    module: str
    class_name: str

    @property
    def css_path(self) -> str:
        """The screen's own stylesheet, beside its module (relative to workbench/tui/)."""
        return f"screens/{self.module.rsplit('.', 1)[-1]}.tcss"

    def create(self) -> Screen[Any]:
        screen_class: type[Screen[Any]] = getattr(import_module(self.module), self.class_name)
        return screen_class()


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("chat", "Chat", "f1", "workbench.tui.screens.chat", "ChatScreen"),
    ScreenEntry("profiles", "Profiles", "f2", "workbench.tui.screens.profiles", "ProfilesScreen"),
    ScreenEntry("inspect", "Inspect", "f3", "workbench.tui.screens.inspect", "InspectScreen"),
    ScreenEntry("check", "Check", "f4", "workbench.tui.screens.check", "CheckScreen"),
    ScreenEntry("simulate", "Simulate", "f5", "workbench.tui.screens.simulate", "SimulateScreen"),
    ScreenEntry("export", "Export", "f6", "workbench.tui.screens.export", "ExportScreen"),
    ScreenEntry("bench", "Bench", "f7", "workbench.tui.screens.bench", "BenchScreen"),
    ScreenEntry("mock", "Mock", "f8", "workbench.tui.screens.mock", "MockScreen"),
    ScreenEntry("traffic", "Traffic", "f9", "workbench.tui.screens.traffic", "TrafficScreen"),
)

FIRST_SCREEN = "chat"

