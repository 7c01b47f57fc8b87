"""The row of screen names under the header: click one (or press its F-key) to switch screens.

One Static with clickable links rather than a Tabs widget: Tabs activates a tab of its own when
it mounts, and a screen-switching handler would then fight it. Not in the focus chain.
"""

from __future__ import annotations

from textual.widgets import Static

from workbench.tui.screens import SCREENS


def tabs_markup(current: str) -> str:
    parts = []
    for entry in SCREENS:
        label = f" {entry.title} [dim]{entry.key.upper()}[/dim] "
        if entry.mode == current:
            parts.append(f"[reverse b]{label}[/]")
        else:
            parts.append(f"[@click=app.open_screen('{entry.mode}')]{label}[/]")
    return " ".join(parts)


class ScreenTabs(Static):
    DEFAULT_CSS = """
    ScreenTabs { height: 1; width: 100%; background: $panel; color: $text-muted; }
    """

    def __init__(self, current: str) -> None:
        super().__init__(tabs_markup(current))
        self.current = current
