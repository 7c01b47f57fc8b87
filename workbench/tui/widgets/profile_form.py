"""ProfileForm: every setting of one profile, validated as you type by the core's profile rules.

The key is typed into a password field and never stays in the form's data: the screen hands
it to the keyring in a worker. `read()` returns the Profile the fields describe, or the
problems, each a sentence from `workbench.profiles`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from workbench.errors import ProfileError
from workbench.profiles import (
    PLATFORMS,
    Profile,
    check_profile,
    coerce_setting,
    from_dict,
    validate_name,
)
from workbench.profiles.secret_fields import take_plain_secrets
from workbench.profiles.fields import NUMBER_FIELDS, json_object, number_text, read_params, with_hint
from workbench.target import AUTH_METHODS
from workbench.tui.widgets.live_form import LiveForm
from workbench.tui.widgets.request_fields import fill_request_fields, typed_request_fields

# Field id -> the dotted key of the profile schema it edits (the request parameters: NUMBER_FIELDS).
TEXT_FIELDS = {
    "name": "name",
    "base_url": "base_url",
    "model": "model",
    "api_key_env": "api_key_env",
    "connect": "timeouts.connect",
    "read": "timeouts.read",
    "first_token": "timeouts.first_token",
    "ca_bundle": "tls.ca_bundle",
}
TYPED = {"timeouts.connect", "timeouts.read", "timeouts.first_token"}


@dataclass
class FormReading:
    profile: Profile | None
    problems: dict[str, str]  # field id -> sentence
    key: str  # what was typed in the password field ("" for none)
    # Secret headers and extra fields typed as plain values (dotted name -> value): the profile holds
    # keyring references to them, and the screen stores the values on save, as it does the key.
    secret_values: dict[str, str] = field(default_factory=dict)


def _field_for(dotted: str) -> str:
    """The form field that shows a problem with `dotted`."""
    for field_id, key in (*TEXT_FIELDS.items(), *NUMBER_FIELDS.items()):
        if dotted == key:
            return field_id
    for prefix, field_id in (("headers", "headers"), ("params.extra", "extra"), ("params.stream", "stream"),
                             ("tls.verify", "verify"), ("platform", "platform"), ("auth", "auth"), ("notes", "notes")):
        if dotted == prefix or dotted.startswith(prefix + "."):
            return field_id
    return "name"


class ProfileForm(LiveForm):
    DEFAULT_CSS = """
    ProfileForm { padding: 0 1; }
    ProfileForm .row { height: auto; margin-bottom: 1; }
    ProfileForm .row > Label { width: 16; color: $text-muted; }
    ProfileForm .row Input, ProfileForm .row Select { width: 1fr; }
    ProfileForm .heading { text-style: bold; color: $accent; margin: 1 0 0 0; }
    ProfileForm TextArea { height: 4; width: 1fr; border: none; padding: 0; background: $boost; }
    ProfileForm .note { color: $text-muted; }
    ProfileForm #key-source { margin: 0 0 1 16; }
    ProfileForm #session-key { margin: 0 0 1 16; display: none; }
    ProfileForm .-invalid { background: $error 30%; }
    ProfileForm #problems { color: $error; height: auto; margin: 0 0 1 0; }
    """

    class Changed(Message):
        """A field changed; `valid` says whether the form would save."""

        def __init__(self, valid: bool) -> None:
            super().__init__()
            self.valid = valid

    def compose(self) -> ComposeResult:
        yield Static("", id="problems", markup=False)

        def row(label: str, field_id: str, placeholder: str = "", *, password: bool = False) -> ComposeResult:
            with Horizontal(classes="row"):
                yield Label(label)
                yield Input(id=field_id, placeholder=placeholder, password=password, compact=True)

        yield Static("Endpoint", classes="heading")
        yield from row("Name", "name", "my-endpoint (the file name)")
        yield from row("Base URL", "base_url", "https://llm.example.com/v1")
        yield from row("Model", "model", "the model id the endpoint expects")
        with Horizontal(classes="row"):
            yield Label("Platform")
            yield Select([(p, p) for p in PLATFORMS], value="openai", allow_blank=False, id="platform", compact=True)
        yield Static("Credential", classes="heading")
        with Horizontal(classes="row"):
            yield Label("Auth")
            yield Select([(a, a) for a in AUTH_METHODS], value="none", allow_blank=False, id="auth", compact=True)
        yield from row("API key", "api_key", "type or paste; saved to the OS keyring, never to the file",
                       password=True)
        yield Static("", id="key-source", markup=False)
        yield Button("Keep the typed key for this session only (in memory, never written)", id="session-key",
                     compact=True)
        yield from row("Key env var", "api_key_env", "or: read the key from this variable, e.g. POLYAI_API_KEY")
        yield Static("Request", classes="heading")
        yield from row("Temperature", "temperature", "0–2 (blank: not sent)")
        yield from row("top_p", "top_p", "0–1 (blank: not sent)")
        yield from row("max_tokens", "max_tokens", "blank: not sent")
        yield Checkbox("Stream replies (stream: true)", True, id="stream", compact=True, classes="row")
        yield Label("Extra JSON fields (an object)", classes="note")
        yield TextArea("{}", id="extra", show_line_numbers=False)
        yield Label("Headers (an object of name: value; never a credential)", classes="note")
        yield TextArea("{}", id="headers", show_line_numbers=False)
        yield Static("Timeouts (seconds) and TLS", classes="heading")
        yield from row("Connect", "connect", "5")
        yield from row("Read", "read", "30")
        yield from row("First token", "first_token", "20")
        yield Checkbox("Verify TLS certificates", True, id="verify", compact=True, classes="row")
        yield from row("CA bundle", "ca_bundle", "path of a PEM file (blank: the system's)")
        yield Label("Notes", classes="note")
        yield TextArea("", id="notes", show_line_numbers=False)

    # ---- loading -----------------------------------------------------------------------------

    def load(self, profile: Profile | None, *, name: str | None = None) -> None:
        """Show `profile` (None: an empty form for a new profile, named `name`)."""
        with self.filling(reveal=profile is not None):
            p = profile
            values = {
                "name": name if name is not None else (p.name if p else ""),
                "base_url": p.base_url if p else "",
                "model": p.model if p else "",
                "api_key_env": (p.api_key_env or "") if p else "",
                "connect": number_text(p.timeouts.connect) if p else "",
                "read": number_text(p.timeouts.read) if p else "",
                "first_token": number_text(p.timeouts.first_token) if p else "",
                "ca_bundle": (p.tls.ca_bundle or "") if p else "",
                "api_key": "",
            }
            for field_id, value in values.items():
                self.query_one(f"#{field_id}", Input).value = value
            self.query_one("#platform", Select).value = p.platform if p else "openai"
            self.query_one("#auth", Select).value = p.auth if p else "none"
            fill_request_fields(self, p.params if p else None)
            self.query_one("#verify", Checkbox).value = p.tls.verify if p else True
            self.query_one("#headers", TextArea).text = json.dumps(p.headers, indent=1) if p and p.headers else "{}"
            self.query_one("#notes", TextArea).text = p.notes if p else ""
        self.validate_fields()

    def show_key_source(self, text: str, style: str = "", *, offer_session_key: bool = False) -> None:
        """Where the key comes from; `offer_session_key` (no keyring works) shows the session-key
        button next to the fixes."""
        widget = self.query_one("#key-source", Static)
        widget.update(text)
        widget.styles.color = style or None
        self.query_one("#session-key", Button).display = offer_session_key

    # ---- reading and validating -------------------------------------------------------------

    def read(self) -> FormReading:
        name = self.query_one("#name", Input).value.strip()
        problems: dict[str, str] = {}  # in the order the form lists them
        try:
            validate_name(name)
        except ProfileError as error:
            problems["name"] = with_hint(error.message, error.hint)
        data, secret_values = take_plain_secrets(self._typed_data(name, problems))
        for problem in check_profile(data, name or "profile"):
            problems.setdefault(_field_for(problem.field), with_hint(problem.message, problem.hint))
        key = self.query_one("#api_key", Input).value
        if key and data.get("auth", "none") == "none":
            problems.setdefault("api_key",
                                "API key: auth is none, so a key would never be sent; pick x-api-key or bearer.")
        profile = None
        if not problems:
            try:
                profile = from_dict(data, name)
            except ProfileError as error:
                problems["name"] = error.message
        return FormReading(profile, problems, key, secret_values)

    def _typed_data(self, name: str, problems: dict[str, str]) -> dict[str, Any]:
        """The profile's content as the fields give it; a field that cannot be read adds its problem."""
        request = read_params(typed_request_fields(self), name or "profile")
        problems.update(request.problems)
        data: dict[str, Any] = {"params": request.params}
        self._read_text_fields(data, problems, name)
        if not self.query_one("#base_url", Input).value.strip():
            problems["base_url"] = "base_url: required, like https://llm.example.com/v1."
        if not self.query_one("#model", Input).value.strip():
            problems["model"] = "model: required; the model id the endpoint expects."
        data["platform"] = self.query_one("#platform", Select).value
        data["auth"] = self.query_one("#auth", Select).value
        if not self.query_one("#verify", Checkbox).value:
            _put(data, "tls.verify", False)
        try:
            headers = json_object("headers", self.query_one("#headers", TextArea).text)
        except ProfileError as error:
            problems["headers"] = error.message
        else:
            if headers:
                data["headers"] = headers
        notes = self.query_one("#notes", TextArea).text.strip()
        if notes:
            data["notes"] = notes
        return data

    def _read_text_fields(self, data: dict[str, Any], problems: dict[str, str], name: str) -> None:
        """The one-line fields besides the name: text as typed, timeouts as numbers."""
        for field_id, dotted in TEXT_FIELDS.items():
            if field_id == "name":
                continue
            raw = self.query_one(f"#{field_id}", Input).value.strip()
            if not raw:
                continue
            try:
                value = coerce_setting(dotted, raw, name or "NAME") if dotted in TYPED else raw
            except ProfileError as error:
                problems[field_id] = error.message
                continue
            _put(data, dotted, value)

    def validate_fields(self) -> FormReading:
        reading = self.read()
        shown = self.shown(reading.problems)
        for field_id in (*TEXT_FIELDS, *NUMBER_FIELDS, "api_key", "extra", "headers", "notes", "platform", "auth"):
            self.query_one(f"#{field_id}").set_class(field_id in shown, "-invalid")
        self.query_one("#problems", Static).update("\n".join(f"✗ {p}" for p in shown.values()))
        return reading

    def clear_key(self) -> None:
        self.query_one("#api_key", Input).value = ""

    def validated(self) -> Message:
        reading = self.validate_fields()
        return self.Changed(not reading.problems)


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *tables, key = dotted.split(".")
    node = data
    for table in tables:
        node = node.setdefault(table, {})
    node[key] = value
