"""ProfileList: the sidebar of profiles; pick one to make it active. Shows where each key comes from."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

if TYPE_CHECKING:
    from workbench.profiles import Profile
    from workbench.profiles.view import KeyStatus
    from workbench.tui.app import WorkbenchApp

BROKEN_PREFIX = "broken:"


def key_source_label(status: "KeyStatus | None", auth: str) -> tuple[str, str]:
    """A short label for where the key comes from, and its style."""
    if auth == "none":
        return "no key needed", "dim"
    if status is None:
        return "key: …", "dim"
    if status.source == "keyring":
        return "key: OS keyring", "green"
    if status.source.startswith("env:"):
        return f"key: ${status.source[4:]}", "green"
    if status.source == "session":
        return "key: this session only", "yellow"
    if status.source == "unavailable":
        return "key: keyring unavailable", "red"
    return "key: missing", "yellow"


class ProfileList(OptionList):
    """One option per profile (name, URL, key source); broken files are listed, disabled, with ⚠."""

    DEFAULT_CSS = """
    ProfileList { width: 32; height: 1fr; border: round $primary 40%; }
    ProfileList:focus { border: round $primary; }
    """

    class Picked(Message):
        """The user chose a profile (Enter or click)."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Profiles"
        self._follow: str | None = None

    @property
    def workbench(self) -> "WorkbenchApp":
        return cast("WorkbenchApp", self.app)

    def on_mount(self) -> None:
        self.workbench.profiles_changed.subscribe(self, lambda _: self.refresh_profiles())
        self.watch(self.app, "profile_name", lambda _: self.refresh_profiles(), init=False)
        self.refresh_profiles()

    def _prompt(self, profile: "Profile") -> Text:
        app = self.workbench
        label, style = key_source_label(app.key_statuses.get(profile.name), profile.auth)
        active = profile.name == app.profile_name
        return Text.assemble(
            ("● " if active else "  ", "bold green"),
            (profile.name, "bold" if active else ""),
            "\n  ",
            (profile.base_url, "dim"),
            "\n  ",
            (label, style),
        )

    def refresh_profiles(self) -> None:
        app = self.workbench
        keep = self.highlighted_option.id if self.highlighted_option else None
        options = [Option(self._prompt(profile), id=name) for name, profile in app.profiles.items()]
        for problem in app.profile_problems:
            where = problem.path or "?"
            prompt = Text.assemble(("⚠ ", "bold red"), (where.rsplit("/", 1)[-1], "red"), "\n",
                                   ("  broken: see Profiles (F2)", "dim"))
            options.append(Option(prompt, id=f"{BROKEN_PREFIX}{where}", disabled=True))
        with self.prevent(OptionList.OptionHighlighted):
            self.set_options(options)
        for wanted in (self._follow, keep, app.profile_name):
            if self._highlight(wanted):
                break

    @property
    def follow(self) -> str | None:
        """The profile kept highlighted, now and across refreshes: the one in the form (None: a new one)."""
        return self._follow

    @follow.setter
    def follow(self, name: str | None) -> None:
        self._follow = name
        self._highlight(name)

    def _highlight(self, name: str | None) -> bool:
        """Move the highlight to `name`, if listed. The move is the program's, not the user's: no
        OptionHighlighted, or a screen would show another profile's form (a refresh's queued one
        was handled after the screen had shown the form it wanted)."""
        if name is None:
            return False
        try:
            index = self.get_option_index(name)
        except OptionDoesNotExist:
            return False
        with self.prevent(OptionList.OptionHighlighted):
            self.highlighted = index
        return True

    @property
    def highlighted_name(self) -> str | None:
        option = self.highlighted_option
        if option is None or option.id is None or option.id.startswith(BROKEN_PREFIX):
            return None
        return option.id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and not event.option.id.startswith(BROKEN_PREFIX):
            self.post_message(self.Picked(event.option.id))
