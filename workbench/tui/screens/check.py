"""Check: pick platforms, run `check` against the active profile, watch the checklist fill in live.

Each platform's check runs through the core's `iter_check` on the app's ClientLoop (not the
UI's loop, so the latencies it judges are the endpoint's); every probe line appears as it
starts and is marked as it finishes, with each finding and its fix. The
verdict is saved where `workbench export` reads it; `e` exports the report (Markdown and
JSON, private files in the data folder) and copies the Markdown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Label, SelectionList, Static
from textual.worker import Worker, WorkerState

from workbench.errors import WorkbenchError
from workbench.tui.messages import WorkFailed
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.switching import FirstTokenWait
from workbench.tui.volatile import steady
from workbench.tui.widgets.checklist import Checklist

if TYPE_CHECKING:
    from workbench.checks.findings import Report
    from workbench.checks.runner import CheckEvent
    from workbench.profiles import Profile
    from workbench.target import Target


class CheckScreen(WorkbenchScreen):
    MODE = "check"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run check"),
        Binding("escape", "stop", "Stop"),
        Binding("e", "export", "Export report"),
    ]

    running: reactive[bool] = reactive(False, bindings=True)

    class Event(Message):
        """One event of the check of `platform` (a probe started or finished, or the report)."""

        def __init__(self, platform: str, event: "CheckEvent", profile: str) -> None:
            super().__init__()
            self.platform = platform
            self.event = event
            self.profile = profile

    class Started(Message):
        def __init__(self, platform: str) -> None:
            super().__init__()
            self.platform = platform

    class Finished(Message):
        pass

    class Exported(Message):
        def __init__(self, paths: list[Path], markdown: str) -> None:
            super().__init__()
            self.paths = paths
            self.markdown = markdown

    def __init__(self) -> None:
        super().__init__()
        self.reports: dict[str, Report] = {}
        self._worker: Worker[None] | None = None

    def compose_body(self) -> ComposeResult:
        from workbench.platforms import PLATFORMS

        with Horizontal(id="check-body"):
            with Vertical(id="check-side"):
                yield Static("", id="check-target", markup=False)
                yield Label("Platforms to check")
                yield SelectionList[str](*((p.title, p.id) for p in PLATFORMS.values()), id="platforms")
                yield Button("Run check (ctrl+r)", id="run", variant="primary")
                yield Button("Export report (e)", id="export")
                yield Static("", id="summary", markup=False)
            yield Checklist(id="checklist")

    def on_mount(self) -> None:
        self.watch(self.app, "profile_name", self._profile_changed)

    def _profile_changed(self, _: str | None) -> None:
        profile = self.workbench.active_profile
        target = self.query_one("#check-target", Static)
        if profile is None:
            target.update("No active profile: add one on Profiles (F2).")
            return
        target.update(f"Checking {profile.name}\n{profile.base_url}\nmodel {profile.model}")
        platforms = self.query_one("#platforms", SelectionList)
        if not platforms.selected:
            platforms.select(profile.platform)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return True if self.running else None
        if action == "run":
            return None if self.running else True
        return True

    # ---- running -----------------------------------------------------------------------------

    def run_for(self, platform: str) -> None:
        """Check the active profile as `platform` only (from the command palette)."""
        platforms = self.query_one("#platforms", SelectionList)
        platforms.deselect_all()
        platforms.select(platform)
        self.action_run()

    def action_run(self) -> None:
        if self.running:
            return
        profile = self.workbench.active_profile
        if profile is None:
            self.workbench.report(WorkbenchError("No active profile to check.", "add one on the Profiles screen (F2)"),
                                  title="Check")
            return
        chosen = list(self.query_one("#platforms", SelectionList).selected)
        if not chosen:
            self.notify("Pick at least one platform to check.", severity="warning", timeout=4)
            return
        self.reports.clear()
        self.query_one(Checklist).reset()
        self.query_one("#summary", Static).update("")
        self.running = True
        self._worker = self._run(profile, chosen)

    @work(exclusive=True, group="check", exit_on_error=False)
    async def _run(self, profile: "Profile", platforms: list[str]) -> None:
        from workbench.profiles.resolve import target_for

        try:
            target = await target_for(profile)
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"checking {profile.name!r}", error))
            self.post_message(self.Finished())
            return
        # Cancelling this worker (Esc) cancels the check on the client loop too. Its probes time
        # first tokens throughout (switching.py).
        with FirstTokenWait():
            await self.workbench.client_loop.run(self._check(target, platforms, profile.name))
        self.post_message(self.Finished())

    async def _check(self, target: "Target", platforms: list[str], profile: str) -> None:
        """On the client loop: check each platform in turn, posting every event (post_message is thread-safe)."""
        from workbench.checks.runner import iter_check

        for platform in platforms:
            self.post_message(self.Started(platform))
            async for event in iter_check(target, platform):
                self.post_message(self.Event(platform, event, profile))

    def on_check_screen_started(self, message: Started) -> None:
        from workbench.platforms import get_platform

        self.query_one(Checklist).start_platform(message.platform, f"As {get_platform(message.platform).title}")

    def on_check_screen_event(self, message: Event) -> None:
        from workbench.checks.runner import CheckFinished, ProbeFinished, ProbeStarted

        checklist = self.query_one(Checklist)
        event = message.event
        steady_numbers = self.workbench.steady_numbers
        if isinstance(event, ProbeStarted):
            checklist.probe_started(message.platform, event.probe.id, event.probe.title)
        elif isinstance(event, ProbeFinished):
            detail = steady(event.result.detail, steady_numbers)
            checklist.probe_finished(message.platform, event.result, detail)
            if event.exchange is not None:
                self.workbench.record_exchange(event.exchange, profile=message.profile,
                                               findings=list(event.result.findings))
        elif isinstance(event, CheckFinished):
            from workbench.checks.render.common import metrics_line, verdict

            report = event.report
            self.reports[report.platform] = report
            checklist.verdict(report, verdict(report) + "\n" + steady(metrics_line(report), steady_numbers))
            self._save_verdict(report, message.profile)

    @work(group="check-verdict", thread=True, exit_on_error=False)
    def _save_verdict(self, report: "Report", profile: str) -> None:
        """Where `workbench export` (and the Export screen) read the latest verdict."""
        from workbench.checks.verdicts import save_latest

        try:
            save_latest(report, profile, self.workbench.artifact_dir("reports"))
        except OSError as error:
            self.post_message(WorkFailed("saving the check verdict", WorkbenchError(
                f"Could not save the verdict in {self.workbench.artifact_dir('reports')}: {error.strerror or error}.",
                "check that the data folder is writable")))

    def on_check_screen_finished(self, message: Finished) -> None:
        self.running = False
        if self.reports:
            ok = sum(1 for r in self.reports.values() if r.compatible)
            self.query_one("#summary", Static).update(
                f"{ok} of {len(self.reports)} platform(s) compatible.\nInspect (F3) has every request.")

    def action_stop(self) -> None:
        if self._worker is not None and self._worker.is_running:
            self._worker.cancel()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._worker and event.state == WorkerState.CANCELLED:
            self.running = False
            self.query_one(Checklist).stopped_lines()
            self.query_one(Checklist).failed("Stopped (Esc).")

    # ---- export ------------------------------------------------------------------------------

    def action_export(self) -> None:
        if not self.reports:
            self.notify("Run a check first (ctrl+r); then its report can be exported.", timeout=4)
            return
        profile = self.workbench.profile_name or "endpoint"
        self._export(dict(self.reports), profile)

    @work(exclusive=True, group="check-export", thread=True, exit_on_error=False)
    def _export(self, reports: dict[str, "Report"], profile: str) -> None:
        from workbench.checks.render import render
        from workbench.locations import save_artifact

        folder = self.workbench.artifact_dir("reports")
        paths: list[Path] = []
        markdown_parts: list[str] = []
        try:
            for platform, report in reports.items():
                markdown = render(report, "markdown")
                markdown_parts.append(markdown)
                for fmt, ext in (("markdown", "md"), ("json", "json"), ("junit", "xml")):
                    name, data = f"{profile}.{platform}.report.{ext}", render(report, fmt).encode("utf-8")
                    paths.append(save_artifact("reports", name, data, data_folder=self.workbench.data_dir))
        except OSError as error:
            self.post_message(WorkFailed("exporting the report", WorkbenchError(
                f"Could not write the report in {folder}: {error.strerror or error}.",
                "check that the data folder is writable and the disk is not full")))
            return
        self.post_message(self.Exported(paths, "\n".join(markdown_parts)))

    def on_check_screen_exported(self, message: Exported) -> None:
        self.app.copy_to_clipboard(message.markdown)
        folder = message.paths[0].parent if message.paths else self.workbench.artifact_dir("reports")
        self.notify(f"Saved {len(message.paths)} files (Markdown, JSON, JUnit) in {folder}; "
                    "the Markdown is on the clipboard.", timeout=6, markup=False)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions: dict[str, Any] = {"run": self.action_run, "export": self.action_export}
        action = actions.get(event.button.id or "")
        if action is not None:
            action()
