"""LiveForm: a scrolling form that validates as you type, once per refresh however many fields change.

The chat's parameters panel and the profile form are both one. A subclass says how it validates
(`validated`, which marks the bad fields and returns the message for its screen); filling many
fields at once (`filling()`, a profile loaded) validates once, after.
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

    def validated(self) -> Message:
        """Validate every field, show the problems, and return the message that tells the screen."""
        raise NotImplementedError

    @contextmanager
    def filling(self) -> Iterator[None]:
        """Set many fields at once without validating after each one."""
        self._loading = True
        try:
            yield
        finally:
            self._loading = False

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
