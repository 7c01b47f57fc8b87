"""The chat's parameters panel: system prompt, model, temperature, top_p, max_tokens, stream, extra
JSON fields, and "send as" a platform. Validated as you type by the core's profile rules."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, Checkbox, TextArea

from workbench.errors import ProfileError
from workbench.profiles import Profile, check_profile, coerce_setting
from workbench.target import Target

PLAIN = "profile"  # "send as" the profile itself: a plain OpenAI chat/completions body
NUMBER_FIELDS = {"temperature": "params.temperature", "top_p": "params.top_p", "max_tokens": "params.max_tokens"}


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


class ParamsPanel(VerticalScroll):
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
        self._loading = False
        self._validation_due = False

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
        self._loading = True
        try:
            params = profile.params if profile else None
            self.query_one("#model", Input).value = profile.model if profile else ""
            for name in NUMBER_FIELDS:
                value = getattr(params, name) if params else None
                self.query_one(f"#{name}", Input).value = "" if value is None else str(value)
            self.query_one("#stream", Checkbox).value = params.stream if params else True
            extra = params.extra if params else {}
            self.query_one("#extra", TextArea).text = json.dumps(extra, indent=1) if extra else "{}"
        finally:
            self._loading = False
        self.validate_fields()

    def set_platform(self, platform: str | None) -> None:
        self.query_one("#send-as", Select).value = platform or PLAIN

    # ---- reading and validating -----------------------------------------------------------

    def _read(self) -> tuple[ChatSettings, dict[str, str]]:
        """The settings as typed, and the problems by field id."""
        problems: dict[str, str] = {}
        params: dict[str, Any] = {}
        for name, dotted in NUMBER_FIELDS.items():
            raw = self.query_one(f"#{name}", Input).value.strip()
            if not raw:
                continue
            try:
                params[name] = coerce_setting(dotted, raw)
            except ProfileError as error:
                problems[name] = error.message
        extra_text = self.query_one("#extra", TextArea).text.strip() or "{}"
        extra: Any = {}
        try:
            extra = json.loads(extra_text)
        except json.JSONDecodeError as error:
            problems["extra"] = f"extra JSON fields: not JSON ({error.msg} at line {error.lineno}, column {error.colno})."
        if "extra" not in problems and not isinstance(extra, dict):
            problems["extra"] = 'extra JSON fields: expected a JSON object like {"seed": 7}.'
            extra = {}
        model = self.query_one("#model", Input).value.strip()
        stream = self.query_one("#stream", Checkbox).value
        # The core's profile rules judge the values (ranges, reserved and secret-looking keys).
        content = {"base_url": "http://localhost/v1", "model": model or "-",
                   "params": {**{k: v for k, v in params.items()}, "stream": stream, "extra": extra}}
        if not model:
            problems["model"] = "model: required; give the model id the endpoint expects."
        for problem in check_profile(content, "chat"):
            key = problem.field.split(".")[1] if problem.field.startswith("params.") else problem.field
            key = "extra" if problem.field.startswith("params.extra") else key
            problems.setdefault(key, problem.message + (f" ({problem.hint})" if problem.hint else ""))
        send_as = self.query_one("#send-as", Select).value
        settings = ChatSettings(
            system=self.query_one("#system", TextArea).text.strip(),
            model=model,
            params={**params, **(extra if isinstance(extra, dict) else {})},
            stream=stream,
            platform=None if send_as in (PLAIN, Select.BLANK) else str(send_as),
        )
        return settings, problems

    def validate_fields(self) -> dict[str, str]:
        _, problems = self._read()
        for field_id in ("model", *NUMBER_FIELDS, "extra"):
            self.query_one(f"#{field_id}").set_class(field_id in problems, "-invalid")
        self.query_one("#problems", Static).update("\n".join(problems.values()))
        return problems

    def settings(self) -> tuple[ChatSettings | None, list[str]]:
        settings, problems = self._read()
        return (None if problems else settings), list(problems.values())

    # ---- validate as you type -------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._changed()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed()

    def _changed(self) -> None:
        # Many fields change at once when a profile is loaded: validate once for all of them.
        if self._loading or self._validation_due:
            return
        self._validation_due = True
        self.call_after_refresh(self._validate_now)

    def _validate_now(self) -> None:
        self._validation_due = False
        self.validate_fields()
        self.post_message(self.Changed())