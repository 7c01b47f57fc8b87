"""The chat's parameters panel: system prompt, model, temperature, top_p, max_tokens, stream, extra
JSON fields, and "send as" a platform. Validated as you type by the core's rules (workbench.profiles.fields)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from workbench.profiles import Profile
from workbench.profiles.fields import NUMBER_FIELDS, read_params
from workbench.target import Target
from workbench.tui.widgets.live_form import LiveForm
from workbench.tui.widgets.request_fields import fill_request_fields, typed_request_fields

PLAIN = "profile"  # "send as" the profile itself: a plain OpenAI chat/completions body


@dataclass(frozen=True)
class ChatSettings:
    """What the panel says to send, already validated."""

    system: str = ""
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # temperature, top_p, max_tokens, extra fields
    stream: bool = True
    platform: str | None = None  # None: as the profile (plain OpenAI body)

    def target(self, base: Target) -> Target:
        return base.with_(model=self.model or base.model, params=dict(self.params), stream=self.stream)


class ParamsPanel(LiveForm):
    """Edits ChatSettings; `settings()` returns them or the problems, each a sentence."""

    DEFAULT_CSS = """
    ParamsPanel { width: 42; border: round $primary 40%; padding: 0 1; }
    ParamsPanel .heading { color: $text-muted; margin-top: 1; }
    ParamsPanel .row { height: auto; margin-top: 1; }
    ParamsPanel .row Label { width: 13; color: $text-muted; }
    ParamsPanel .row Input, ParamsPanel .row Select { width: 1fr; }
    ParamsPanel TextArea { height: 4; border: none; padding: 0; background: $boost; }
    ParamsPanel TextArea:focus { border: none; background: $boost 150%; }
    ParamsPanel .-invalid { background: $error 30%; }
    ParamsPanel #problems { color: $error; margin-top: 1; height: auto; }
    """

    class Changed(Message):
        """The settings changed (valid or not)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Parameters (ctrl+o hides)"

    def compose(self) -> ComposeResult:
        from workbench.platforms import PLATFORMS

        yield Label("System prompt", classes="heading")
        yield TextArea("", id="system", soft_wrap=True, show_line_numbers=False)
        for field_id, label, placeholder in (
            ("model", "Model", "the profile's model"),
            ("temperature", "Temperature", "0–2, default: none"),
            ("top_p", "top_p", "0–1, default: none"),
            ("max_tokens", "max_tokens", "default: none"),
        ):
            with Horizontal(classes="row"):
                yield Label(label)
                yield Input(id=field_id, placeholder=placeholder, compact=True)
        yield Checkbox("Stream the reply (SSE)", True, id="stream", compact=True, classes="row")
        yield Label("Extra JSON fields", classes="heading")
        yield TextArea("{}", id="extra", show_line_numbers=False)
        with Horizontal(classes="row"):
            yield Label("Send as")
            options = [("the profile", PLAIN)] + [(p.title, p.id) for p in PLATFORMS.values()]
            yield Select(options, value=PLAIN, allow_blank=False, id="send-as", compact=True)
        yield Static("", id="problems", markup=False)

    # ---- loading a profile's defaults ---------------------------------------------------

    def load(self, profile: Profile | None) -> None:
        """Fill the fields from the profile (its model and request parameters)."""
        with self.filling(reveal=profile is not None):
            self.query_one("#model", Input).value = profile.model if profile else ""
            fill_request_fields(self, profile.params if profile else None)
        self.validate_fields()

    def set_platform(self, platform: str | None) -> None:
        self.query_one("#send-as", Select).value = platform or PLAIN

    # ---- reading and validating -----------------------------------------------------------

    def _read(self) -> tuple[ChatSettings, dict[str, str]]:
        """The settings as typed, and the problems by field id."""
        reading = read_params(typed_request_fields(self), "chat")
        problems = dict(reading.problems)
        model = self.query_one("#model", Input).value.strip()
        if not model:
            problems["model"] = "model: required; give the model id the endpoint expects."
        send_as = self.query_one("#send-as", Select).value
        settings = ChatSettings(
            system=self.query_one("#system", TextArea).text.strip(),
            model=model,
            params=reading.sent(),
            stream=reading.params["stream"],
            platform=None if send_as in (PLAIN, Select.BLANK) else str(send_as),
        )
        return settings, problems

    def validate_fields(self) -> dict[str, str]:
        _, problems = self._read()
        shown = self.shown(problems)
        for field_id in ("model", *NUMBER_FIELDS, "extra"):
            self.query_one(f"#{field_id}").set_class(field_id in shown, "-invalid")
        self.query_one("#problems", Static).update("\n".join(shown.values()))
        return problems

    def settings(self) -> tuple[ChatSettings | None, list[str]]:
        settings, problems = self._read()
        return (None if problems else settings), list(problems.values())

    def validated(self) -> Message:
        self.validate_fields()
        return self.Changed()
