"""WorkbenchScreen: what every screen has (header, screen tabs, footer) around its own body."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header
from textual.worker import Worker, WorkerState

from workbench.tui.widgets.screen_tabs import ScreenTabs

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp


class WorkbenchScreen(Screen[None]):
    MODE: ClassVar[str] = ""

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield ScreenTabs(self.MODE)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    @property
    def workbench(self) -> "WorkbenchApp":
        return cast("WorkbenchApp", self.app)

    @on(Worker.StateChanged)
    def _report_worker_error(self, event: Worker.StateChanged) -> None:
        """The safety net: a worker that raised is reported as a sentence, and the app keeps running."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.workbench.report(event.worker.error, title=f"Error in {event.worker.name or 'a background task'}")
