"""LiveForm: a scrolling form that validates as you type, once per refresh however many fields change.

The chat's parameters panel and the profile form are both one. A subclass says how it validates
(`validated`, which marks the bad fields and returns the message for its screen); filling many
fields at once (`filling()`, a profile loaded) validates once, after.

A blank form (a new profile, the chat before its profile is there) shows no problem for a field
until that field is edited or the user asks to save (`reveal_problems()`): three ✗ before a key
is typed tell the user nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual import on
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input, Select, TextArea


class LiveForm(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._loading = False
        self._validation_due = False
        self._filled: dict[str, object] = {}  # each field's value as last filled in
        self._reveal_all = True

    def validated(self) -> Message:
        """Validate every field, show the problems, and return the message that tells the screen."""
        raise NotImplementedError

    @contextmanager
    def filling(self, *, reveal: bool = True) -> Iterator[None]:
        """Set many fields at once without validating after each one; unless `reveal`, the
        problems of what was filled in stay hidden until a field is edited (a blank form)."""
        self._loading = True
        try:
            yield
        finally:
            self._loading = False
            self._filled = self._values()
            self._reveal_all = reveal

    def reveal_problems(self) -> None:
        """Show every problem from now on (the user asked to save or test)."""
        self._reveal_all = True

    def shown(self, problems: dict[str, str]) -> dict[str, str]:
        """The problems to show: all of them, or on a blank form those of the fields edited since."""
        if self._reveal_all:
            return problems
        now = self._values()
        return {field_id: problem for field_id, problem in problems.items()
                if now.get(field_id) != self._filled.get(field_id)}

    def _values(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for widget in self.query("Input, TextArea, Checkbox, Select"):
            if widget.id:
                values[widget.id] = widget.text if isinstance(widget, TextArea) else getattr(widget, "value", None)
        return values

    # ---- as you type -------------------------------------------------------------------------

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _field_changed(self, event: Message) -> None:
        event.stop()  # the form says what changed, in its own message
        self._changed()

    def _changed(self) -> None:
        # Many fields change at once when a profile is loaded: validate once for all of them.
        if self._loading or self._validation_due:
            return
        self._validation_due = True
        self.call_after_refresh(self._validate_now)

    def _validate_now(self) -> None:
        self._validation_due = False
        self.post_message(self.validated())
