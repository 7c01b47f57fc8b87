"""Modal dialogs: a read-only text view with copy (request previews, curl), a yes/no question, a line asked for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea


class TextDialog(ModalScreen[None]):
    """Shows text the user may select or copy whole (`c`); Esc closes."""

    DEFAULT_CSS = """
    TextDialog { align: center middle; }
    TextDialog > Vertical { width: 90%; height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    TextDialog .title { text-style: bold; margin-bottom: 1; }
    TextDialog TextArea { height: 1fr; }
    TextDialog .keys { color: $text-muted; }
    """

    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("c", "copy", "Copy all")]

    def __init__(self, title: str, text: str, *, language: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.language = language

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="title", markup=False)
            yield TextArea(self.text, read_only=True, language=self.language, soft_wrap=True, show_line_numbers=False)
            yield Static("c copy all · select with the mouse, ctrl+c copies the selection · Esc close", classes="keys")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.app.notify("Copied to the clipboard.", timeout=2)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; Enter on the focused button, y or n, Esc is no."""

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 64; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    ConfirmDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 2; }
    """

    BINDINGS = [Binding("escape,n", "answer(False)", "No"), Binding("y", "answer(True)", "Yes")]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, markup=False)
            with Horizontal():
                yield Button("Cancel", id="no")
                yield Button(self.yes, id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class InputDialog(ModalScreen["str | None"]):
    """One line of text asked for (a file's path, say); Enter answers, Esc cancels."""

    DEFAULT_CSS = """
    InputDialog { align: center middle; }
    InputDialog > Vertical { width: 72; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    InputDialog Input { margin-top: 1; }
    InputDialog .keys { color: $text-muted; margin-top: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", *, placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="answer")
            yield Static("Enter to go on · Esc to cancel", classes="keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
