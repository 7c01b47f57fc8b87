"""Profiles: pick the active profile; add, edit, duplicate or delete one; store its key; test it.

The form validates as you type with the core's profile rules. Saving writes the file
atomically and puts a typed key in the OS keyring, both in a worker. Where no keyring works,
the typed key can be kept for this session only (in memory, never written; gone on exit),
offered next to the fixes. "Test connection" sends one short chat request with the key chat
would use (one source: tui/targets.py) and shows the raw error with its fix when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from workbench import secrets
from workbench.errors import SecretStoreError, WorkbenchError
from workbench.profiles.secret_fields import store_values
from workbench.tui.messages import WorkFailed
from workbench.tui.screens.base import WorkbenchScreen
from workbench.tui.widgets.dialogs import ConfirmDialog
from workbench.tui.widgets.profile_form import ProfileForm
from workbench.tui.widgets.profile_list import ProfileList, key_source_label

if TYPE_CHECKING:
    from workbench.exchange import Exchange
    from workbench.profiles import Profile

TEST_MESSAGE = "Reply with one short word: OK."


@dataclass(frozen=True)
class SaveOutcome:
    profile: "Profile"
    key_stored: bool
    key_error: WorkbenchError | None  # the file saved, the key did not


class ProfilesScreen(WorkbenchScreen):
    MODE = "profiles"

    # Priority for the keys that move the focus: a non-priority binding runs only after the key
    # has gone to the focused field and bubbled back up, and the keys typed meanwhile (a fast
    # typist's "name, Tab, URL") went to the field the focus was leaving, or nowhere.
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+n", "new_profile", "New", priority=True),
        Binding("ctrl+r", "duplicate", "Duplicate", priority=True),
        Binding("ctrl+t", "test_connection", "Test connection"),
        Binding("delete", "delete", "Delete", show=False),
        Binding("tab", "focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "focus_previous", "Previous field", show=False, priority=True),
    ]

    class Saved(Message):
        def __init__(self, outcome: SaveOutcome, old_name: str | None) -> None:
            super().__init__()
            self.outcome = outcome
            self.old_name = old_name

    class Removed(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    class Tested(Message):
        def __init__(self, name: str, exchange: "Exchange | None", error: WorkbenchError | None) -> None:
            super().__init__()
            self.name = name
            self.exchange = exchange
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.editing: str | None = None  # the saved profile the form shows; None: a new one
        self.copy_key_from: str | None = None  # duplicating: whose keyring key the copy gets

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="profiles-body"):
            with Vertical(id="left"):
                yield ProfileList(id="profile-list")
                yield Static("", id="broken", markup=False)
            with Vertical(id="right"):
                yield Static("", id="form-title", markup=False)
                yield ProfileForm(id="form")
                with Horizontal(id="buttons"):
                    yield Button("Save", id="save", variant="primary")
                    yield Button("Test connection", id="test")
                    yield Button("Use", id="use")
                    yield Button("New", id="new")
                    yield Button("Duplicate", id="duplicate")
                    yield Button("Forget key", id="forget")
                    yield Button("Delete…", id="delete", variant="error")
                yield Static("", id="test-result", markup=False)

    def on_mount(self) -> None:
        self.workbench.profiles_changed.subscribe(self, lambda _: self._refresh())
        self._refresh()
        self._show(self.workbench.profile_name)

    def _refresh(self) -> None:
        """Broken files and the key source of the profile in the form."""
        problems = self.workbench.profile_problems
        broken = self.query_one("#broken", Static)
        broken.display = bool(problems)
        broken.update("\n\n".join(f"⚠ {p.message}\n  Fix: {p.hint}" if p.hint else f"⚠ {p.message}"
                                  for p in problems))
        self._show_key_source()

    def _show(self, name: str | None) -> None:
        profile = self.workbench.profiles.get(name) if name else None
        self.editing = profile.name if profile else None
        self.query_one(ProfileList).follow = self.editing
        self.copy_key_from = None
        form = self.query_one(ProfileForm)
        form.load(profile)
        self._title()
        self._show_key_source()
        self.query_one("#test-result", Static).update("")

    def _title(self) -> None:
        if self.editing:
            profile = self.workbench.profiles[self.editing]
            active = " (active)" if self.editing == self.workbench.profile_name else ""
            text = f"Editing {self.editing}{active} · {profile.path}"
        else:
            text = f"New profile · saved in {self.workbench.store.folder}"
        self.query_one("#form-title", Static).update(text)

    def _show_key_source(self) -> None:
        form = self.query_one(ProfileForm)
        if not self.editing or self.editing not in self.workbench.profiles:
            form.show_key_source("Key: saved to the OS keyring when you save (service byom-workbench).", "")
            return
        profile = self.workbench.profiles[self.editing]
        status = self.workbench.key_statuses.get(self.editing)
        label, style = key_source_label(status, profile.auth)
        detail = ""
        error: WorkbenchError | None = status.error if status is not None else None
        if status is not None:
            detail = "  " + status.describe(profile.name)
        if error is None and status is not None and status.source == "unavailable":
            error = self.workbench.keyring_failure  # not asked again after it failed for another profile
        if error is not None:
            detail += f"\n{error.message}\nFix: {error.hint}; or keep the typed key for this session only (below)"
        offer = profile.auth != "none" and (error is not None or self.workbench.keyring_failure is not None)
        form.show_key_source(label + detail, {"green": "green", "yellow": "yellow", "red": "red"}.get(style, ""),
                             offer_session_key=offer)

    # ---- picking ------------------------------------------------------------------------------

    @on(ProfileList.OptionHighlighted, "#profile-list")
    def _highlighted(self, event: ProfileList.OptionHighlighted) -> None:
        if not event.option_list.has_focus:
            return  # a refresh moved the highlight, not the user: keep the form as it is
        name = event.option.id
        if name and name in self.workbench.profiles and name != self.editing:
            self._show(name)

    def on_profile_list_picked(self, message: ProfileList.Picked) -> None:
        self.workbench.use_profile(message.name)
        self._title()

    def action_use(self) -> None:
        if self.editing:
            self.workbench.use_profile(self.editing)
            self._title()

    # ---- new, duplicate, delete ---------------------------------------------------------------

    def action_focus_next(self) -> None:
        self.focus_next()

    def action_focus_previous(self) -> None:
        self.focus_previous()

    def action_new_profile(self) -> None:
        self.editing = None
        self.copy_key_from = None
        self.query_one(ProfileList).follow = None
        self.query_one(ProfileForm).load(None)
        self._title()
        self._show_key_source()
        self.set_focus(self.query_one("#name"))  # at once: keys typed right after ctrl+n land in Name

    def action_duplicate(self) -> None:
        if not self.editing:
            self.notify("Pick a saved profile to duplicate.", timeout=3)
            return
        source = self.workbench.profiles[self.editing]
        name = _free_name(f"{source.name}-copy", set(self.workbench.store.names()))
        self.editing = None
        self.query_one(ProfileList).follow = None
        self.copy_key_from = source.name if source.relies_on_keyring else None
        self.query_one(ProfileForm).load(source, name=name)
        self._title()
        self.query_one(ProfileForm).show_key_source(
            f"Key: copied from {source.name}'s keyring entry when you save." if self.copy_key_from
            else "Key: as the original (no keyring entry to copy).")
        self.set_focus(self.query_one("#name"))

    def action_delete(self) -> None:
        name = self.editing
        if not name:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(name)

        self.app.push_screen(
            ConfirmDialog(f"Delete profile {name!r}? Its file and its key in the OS keyring are removed.",
                          yes="Delete"), answered)

    @work(exclusive=True, group="profile-write", thread=True, exit_on_error=False)
    def _remove(self, name: str) -> None:
        try:
            self.workbench.store.remove(name)
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"deleting profile {name!r}", error))
            return
        self.post_message(self.Removed(name))

    def on_profiles_screen_removed(self, message: Removed) -> None:
        secrets.SESSION_KEYS.forget(message.name)
        self.workbench.reload_profiles()
        self.notify(f"Deleted profile {message.name!r} and its key.", timeout=4)
        self._show(self.workbench.profile_name)

    # ---- save --------------------------------------------------------------------------------

    def action_save(self) -> None:
        form = self.query_one(ProfileForm)
        form.reveal_problems()
        reading = form.validate_fields()
        if reading.profile is None:
            first = next(iter(reading.problems.values()), "a field is not valid")
            self.workbench.report(WorkbenchError(f"Not saved: {first}", "fix the fields marked in red"),
                                  title="Profile")
            return
        new_name = reading.profile.name
        if new_name != self.editing and new_name in self.workbench.store.names():
            self.workbench.report(WorkbenchError(f"Not saved: a profile named {new_name!r} exists already.",
                                                 "pick another name, or select that profile to edit it"),
                                  title="Profile")
            return
        self._save(reading.profile, reading.key, self.editing, self.copy_key_from, reading.secret_values)

    @work(exclusive=True, group="profile-write", thread=True, exit_on_error=False)
    def _save(self, profile: "Profile", key: str, old_name: str | None, copy_key_from: str | None,
              secret_values: dict[str, str] | None = None) -> None:
        """Write the file (renaming moves the key too), then the typed key and secret headers to the keyring."""
        store = self.workbench.store
        try:
            if old_name and old_name != profile.name:
                store.rename(old_name, profile.name)
                secrets.SESSION_KEYS.move(old_name, profile.name)
            saved = store.save(profile)
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"saving profile {profile.name!r}", error))
            return
        key_error: WorkbenchError | None = None
        stored = False
        try:
            store_values(saved.name, secret_values or {})
            if key:
                secrets.set_secret(saved.name, key)
                stored = True
            elif copy_key_from:
                copied = secrets.get_secret(copy_key_from)
                if copied:
                    secrets.set_secret(saved.name, copied)
                    stored = True
        except WorkbenchError as error:
            key_error = error
        self.post_message(self.Saved(SaveOutcome(saved, stored, key_error), old_name))

    def on_profiles_screen_saved(self, message: Saved) -> None:
        outcome = message.outcome
        name = outcome.profile.name
        form = self.query_one(ProfileForm)
        if outcome.key_error is None:
            form.clear_key()  # the key lives in the keyring now, not in the form
        was_active = message.old_name is not None and message.old_name == self.workbench.profile_name
        self.editing = name
        self.query_one(ProfileList).follow = name
        self.workbench.reload_profiles(select=name if was_active or not self.workbench.profile_name else None)
        self.copy_key_from = None
        self._title()
        self._show_key_source()
        if outcome.key_error is not None:
            hint = outcome.key_error.hint
            if isinstance(outcome.key_error, SecretStoreError):
                self.workbench.keyring_failure = outcome.key_error
                hint += "; or keep the typed key for this session only (the button under API key)"
                self._show_key_source()
            self.workbench.report(
                WorkbenchError(f"Saved profile {name!r}, but its key was not stored: {outcome.key_error.message}",
                               hint), title="Key not stored")
        else:
            stored = " and its key in the OS keyring" if outcome.key_stored else ""
            self.notify(f"Saved profile {name!r}{stored}.", timeout=4)

    # ---- a key for this session only -----------------------------------------------------------

    @on(Button.Pressed, "#session-key")
    def keep_key_for_session(self) -> None:
        """No keyring works: hold the typed key in memory for this session (never written)."""
        form = self.query_one(ProfileForm)
        key = form.query_one("#api_key").value  # type: ignore[attr-defined]
        if not self.editing:
            self.workbench.report(WorkbenchError("The profile is not saved yet, so the key has no profile to go with.",
                                                 "save it (ctrl+s), then keep the key for this session"),
                                  title="Session key")
            return
        try:
            secrets.SESSION_KEYS.set(self.editing, key)
        except WorkbenchError as error:
            self.workbench.report(error, title="Session key")
            return
        form.clear_key()
        self.notify(f"The key of {self.editing!r} is held for this session only: in memory, never written, "
                    "gone when the workbench exits.", timeout=6, markup=False)
        self.workbench.read_key_statuses()

    # ---- forget the key ----------------------------------------------------------------------

    @on(Button.Pressed, "#forget")
    def _forget_pressed(self) -> None:
        if self.editing:
            self._forget(self.editing)

    @work(exclusive=True, group="profile-write", thread=True, exit_on_error=False)
    def _forget(self, name: str) -> None:
        if secrets.SESSION_KEYS.forget(name):
            self.app.notify(f"Forgot the key held for {name!r} this session.", timeout=4)
            self.app.call_from_thread(self.workbench.read_key_statuses)
            return
        try:
            removed = secrets.delete_secret(name)
        except WorkbenchError as error:
            self.post_message(WorkFailed(f"forgetting the key of {name!r}", error))
            return
        self.app.notify(f"Removed the key of {name!r} from the OS keyring." if removed
                        else f"The OS keyring held no key for {name!r}.", timeout=4)
        self.app.call_from_thread(self.workbench.read_key_statuses)

    # ---- test connection ---------------------------------------------------------------------

    def action_test_connection(self) -> None:
        form = self.query_one(ProfileForm)
        form.reveal_problems()
        reading = form.validate_fields()
        if reading.profile is None:
            self.workbench.report(WorkbenchError("The form has problems, so there is nothing to test yet.",
                                                 "fix the fields marked in red"), title="Test connection")
            return
        result = self.query_one("#test-result", Static)
        if reading.key:
            # Chat would not use a key that only sits in the form: neither does the test.
            result.update("✗ The key typed in the form is not stored yet, so chat could not use it either.\n"
                          "  Fix: save (ctrl+s) to put it in the OS keyring, then test; where no keyring works, "
                          "keep it for this session only (the button under API key).")
            result.set_classes("failed")
            return
        result.update(f"Testing {reading.profile.base_url} …")
        self._test(reading.profile)

    @work(exclusive=True, group="profile-test", exit_on_error=False)
    async def _test(self, profile: "Profile") -> None:
        from workbench.chat import chat_once
        from workbench.profiles.resolve import target_for

        try:
            target = await target_for(profile)  # the key chat would use, from the same place
            exchange = await chat_once(target, TEST_MESSAGE, stream=False)
        except WorkbenchError as error:
            self.post_message(self.Tested(profile.name, None, error))
            return
        self.post_message(self.Tested(profile.name, exchange, None))

    def on_profiles_screen_tested(self, message: Tested) -> None:
        from workbench.chat_output import status_line
        from workbench.tui.verbatim import verbatim

        result = self.query_one("#test-result", Static)
        if message.error is not None:
            error = message.error
            result.update(f"✗ {error.message}\n  Fix: {error.hint}" if error.hint else f"✗ {error.message}")
            result.set_classes("failed")
            return
        exchange = message.exchange
        assert exchange is not None
        self.workbench.record_exchange(exchange, profile=message.name)
        line = status_line(exchange)
        problem = exchange.problem()
        if problem is not None:
            text = f"✗ {problem.kind}: {problem.message}"
            if problem.hint:
                text += f"\n  Fix: {problem.hint}"
            result.update(verbatim(f"{text}\n  {line} · the exchange is on Inspect (F3)"))  # the endpoint's words
            result.set_classes("failed")
        else:
            reply = exchange.reply_text.strip().replace("\n", " ")
            result.update(verbatim(f"✓ Connected: {line}\n  reply: {reply[:120]!r}"))
            result.set_classes("passed")

    # ---- buttons -----------------------------------------------------------------------------

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"save": self.action_save, "test": self.action_test_connection, "use": self.action_use,
                   "new": self.action_new_profile, "duplicate": self.action_duplicate, "delete": self.action_delete}
        action = actions.get(event.button.id or "")
        if action is not None:
            action()


def _free_name(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    number = 2
    while f"{wanted}-{number}" in taken:
        number += 1
    return f"{wanted}-{number}"
