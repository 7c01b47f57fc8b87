"""Modal dialogs: a read-only text view with copy (request previews, curl), and a yes/no question."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea


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
