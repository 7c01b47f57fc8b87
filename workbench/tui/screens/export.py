"""Export: the setup sheet the chosen platform asks for, with the latest check verdict.

The key is masked unless the user ticks "reveal" (and confirms). `c` copies the sheet, `s`
saves it to a private file in the data folder. The sheet itself comes from the core's
`workbench.export`; the key is read from the keyring in a worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Label, Select, Static, TextArea

from workbench.errors import WorkbenchError
from workbench.tui.messages import WorkFailed
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.widgets.dialogs import ConfirmDialog

if TYPE_CHECKING:
    from workbench.profiles import Profile

EXTENSIONS = {"markdown": "md", "json": "json", "text": "txt"}


class ExportScreen(WorkbenchScreen):
    MODE = "export"
    BINDINGS = [
        Binding("ctrl+y", "copy", "Copy"),
        Binding("ctrl+s", "save", "Save to file"),
    ]

    class Rendered(Message):
        def __init__(self, text: str, note: str) -> None:
            super().__init__()
            self.text = text
            self.note = note

    class Saved(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self) -> None:
        super().__init__()
        self.sheet = ""
        self._confirmed_reveal = False

    def compose_body(self) -> ComposeResult:
        from workbench.export import FORMATS
        from workbench.platforms import PLATFORMS

        with Horizontal(id="export-body"):
            with Vertical(id="export-side"):
                yield Static("", id="export-profile", markup=False)
                yield Label("Platform")
                yield Select([(p.title, p.id) for p in PLATFORMS.values()], allow_blank=False, id="platform",
                             value="openai")
                yield Label("Format")
                yield Select([(f, f) for f in FORMATS], value="markdown", allow_blank=False, id="format")
                yield Checkbox("Reveal the key", False, id="reveal")
                yield Button("Copy (ctrl+y)", id="copy", variant="primary")
                yield Button("Save to file (ctrl+s)", id="save")
                yield Static("", id="export-note", markup=False)
            yield TextArea("", id="sheet", read_only=True, show_line_numbers=False, soft_wrap=True)

    def on_mount(self) -> None:
        self.watch(self.app, "profile_name", self._profile_changed)

    def on_screen_resume(self) -> None:
        """Back on this screen: a check run meanwhile has a new verdict (and ticks) to show."""
        if self.sheet:
            self.refresh_sheet()

    def _profile_changed(self, _: str | None) -> None:
        profile = self.workbench.active_profile
        self._confirmed_reveal = False
        self.query_one("#reveal", Checkbox).value = False
        if profile is None:
            self.query_one("#export-profile", Static).update("No active profile: add one on Profiles (F2).")
            self.query_one("#sheet", TextArea).text = ""
            return
        self.query_one("#export-profile", Static).update(f"Setup sheet for {profile.name}\n{profile.base_url}")
        platform = self.query_one("#platform", Select)
        if platform.value != profile.platform:
            platform.value = profile.platform  # its Changed event re-renders
        else:
            self.refresh_sheet()

    def set_platform(self, platform: str) -> None:
        """Show the sheet for `platform` (from the command palette)."""
        self.query_one("#platform", Select).value = platform

    @on(Select.Changed)
    def _select_changed(self) -> None:
        self.refresh_sheet()

    @on(Checkbox.Changed, "#reveal")
    def _reveal_changed(self, event: Checkbox.Changed) -> None:
        if not event.value:
            self.refresh_sheet()
            return
        if self._confirmed_reveal:
            self.refresh_sheet()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._confirmed_reveal = True
            else:
                self.query_one("#reveal", Checkbox).value = False
            self.refresh_sheet()

        self.app.push_screen(ConfirmDialog("Show the key itself in the sheet? Anyone who sees your screen (or the "
                                           "copy, or the file) can use it.", yes="Reveal"), answered)

    @property
    def revealed(self) -> bool:
        return self._confirmed_reveal and self.query_one("#reveal", Checkbox).value

    def refresh_sheet(self) -> None:
        profile = self.workbench.active_profile
        if profile is None:
            return
        platform = str(self.query_one("#platform", Select).value)
        fmt = str(self.query_one("#format", Select).value)
        self._build_sheet(profile, platform, fmt, self.revealed)

    @work(exclusive=True, group="export", thread=True, exit_on_error=False)
    def _build_sheet(self, profile: "Profile", platform: str, fmt: str, reveal: bool) -> None:
        from workbench import secrets
        from workbench.export import export_sheet

        note = ""
        try:
            credential = secrets.resolve_credential(profile)
        except WorkbenchError as error:
            credential = None
            note = f"The key could not be read, so the sheet shows none: {error.message}\nFix: {error.hint}"
        try:
            text = export_sheet(profile, platform, credential, fmt=fmt, reveal=reveal,
                                reports_dir=self.workbench.artifact_dir("reports"))
        except WorkbenchError as error:
            self.post_message(WorkFailed("building the setup sheet", error))
            return
        self.post_message(self.Rendered(text, note))

    def on_export_screen_rendered(self, message: Rendered) -> None:
        self.sheet = message.text
        self.query_one("#sheet", TextArea).text = message.text
        note = message.note or ("The key is shown: careful where you paste this." if self.revealed
                                else "The key is masked. Tick \"Reveal the key\" to include it.")
        self.query_one("#export-note", Static).update(note)

    # ---- copy and save ----------------------------------------------------------------------

    def action_copy(self) -> None:
        if not self.sheet:
            return
        self.app.copy_to_clipboard(self.sheet)
        self.notify("Setup sheet copied" + (" (with the key)." if self.revealed else " (key masked)."), timeout=4)

    def action_save(self) -> None:
        profile = self.workbench.profile_name
        if not self.sheet or profile is None:
            return
        platform = str(self.query_one("#platform", Select).value)
        fmt = str(self.query_one("#format", Select).value)
        self._save(self.sheet, f"{profile}.{platform}.setup.{EXTENSIONS.get(fmt, 'txt')}")

    @work(exclusive=True, group="export-save", thread=True, exit_on_error=False)
    def _save(self, text: str, name: str) -> None:
        from workbench.locations import save_artifact

        try:
            path = save_artifact("exports", name, text.encode("utf-8"), data_folder=self.workbench.data_dir)
        except OSError as error:
            self.post_message(WorkFailed("saving the setup sheet", WorkbenchError(
                f"Could not save the sheet in {self.workbench.artifact_dir('exports')}: {error.strerror or error}.",
                "check that the data folder is writable and the disk is not full")))
            return
        self.post_message(self.Saved(path))

    def on_export_screen_saved(self, message: Saved) -> None:
        self.notify(f"Saved to {message.path} (readable by you only).", timeout=6, markup=False)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        elif event.button.id == "save":
            self.action_save()
