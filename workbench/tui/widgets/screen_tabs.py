"""The row of screen tabs under the header: click one (or press its F-key) to switch screens."""

from __future__ import annotations

from textual.widgets import Tab, Tabs

from workbench.tui.screens import SCREENS


class ScreenTabs(Tabs, can_focus=False):
    """One tab per screen; the current screen's tab is active. Not in the focus chain:
    the F-keys and the mouse switch screens, Tab moves between the screen's own fields."""

    DEFAULT_CSS = """
    ScreenTabs { height: 1; }
    ScreenTabs #tabs-list-bar { height: 1; }
    ScreenTabs .underline--bar { display: none; }
    """

    def __init__(self, current: str) -> None:
        tabs = [Tab(f"{entry.title} [dim]{entry.key.upper()}[/]", id=entry.mode) for entry in SCREENS]
        super().__init__(*tabs, active=current)
        self.current = current

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id and event.tab.id != self.current:
            # Put our own tab back: the screen we are on has not changed, the app's has.
            self.active = self.current
            self.app.switch_mode(event.tab.id)
