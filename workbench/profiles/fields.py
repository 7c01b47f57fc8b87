"""Request parameters as a person types them (temperature, top_p, max_tokens, stream, extra JSON) and back.

The chat's parameters panel and the profile form show the same fields; both read them here,
so one set of rules and one set of sentences judge them: text becomes the profile's [params]
table, and every bad field gets a sentence naming the field, what came and what was expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from workbench import wire
from workbench.checks.evidence import excerpt
from workbench.errors import ProfileError
from workbench.profiles.model import Params
from workbench.profiles.schema import check_params
from workbench.profiles.settings import coerce_setting

# Field -> the dotted profile key it edits. Problems are keyed by field, in this order.
NUMBER_FIELDS = {"temperature": "params.temperature", "top_p": "params.top_p", "max_tokens": "params.max_tokens"}
FIELDS = (*NUMBER_FIELDS, "stream", "extra")
# What a JSON-object box expects, shown in the sentence when something else came.
EXAMPLES = {"params.extra": '{"seed": 7}', "headers": '{"X-Team": "voice"}'}


@dataclass(frozen=True)
class ParamsText:
    """The fields as typed: numbers as text ("" is not sent), the extra fields as JSON text."""

    temperature: str = ""
    top_p: str = ""
    max_tokens: str = ""
    stream: bool = True
    extra: str = "{}"

    @classmethod
    def of(cls, params: Params | None) -> "ParamsText":
        """The text that shows `params` (None: the empty fields of a new profile)."""
        if params is None:
            return cls()
        return cls(number_text(params.temperature), number_text(params.top_p), number_text(params.max_tokens),
                   params.stream, json.dumps(params.extra, indent=1) if params.extra else "{}")


@dataclass(frozen=True)
class ParamsReading:
    params: dict[str, Any]  # the [params] table as a profile holds it: the numbers given, stream, extra if any
    problems: dict[str, str] = field(default_factory=dict)  # field -> sentence, in FIELDS order

    def sent(self) -> dict[str, Any]:
        """The fields a request carries besides model, messages and stream: the numbers, then the extras."""
        numbers = {key: value for key, value in self.params.items() if key in NUMBER_FIELDS}
        return {**numbers, **self.params.get("extra", {})}


def read_params(typed: ParamsText, name: str = "profile") -> ParamsReading:
    """Judge the typed fields; `name` is the profile a key hint names (a secret pasted into extra)."""
    problems: dict[str, str] = {}
    params: dict[str, Any] = {}
    for key, dotted in NUMBER_FIELDS.items():
        raw = getattr(typed, key).strip()
        if not raw:
            continue
        try:
            params[key] = coerce_setting(dotted, raw, name)
        except ProfileError as error:
            problems[key] = with_hint(error.message, error.hint)
    params["stream"] = typed.stream
    try:
        extra = json_object("params.extra", typed.extra)
    except ProfileError as error:
        problems["extra"] = error.message
    else:
        if extra:
            params["extra"] = extra
    for problem in check_params(params, name):
        key = "extra" if problem.field.startswith("params.extra") else problem.field.removeprefix("params.")
        problems.setdefault(key, with_hint(problem.message, problem.hint))
    ordered = {key: problems[key] for key in FIELDS if key in problems}
    return ParamsReading(params, ordered)


def json_object(dotted: str, text: str) -> dict[str, Any]:
    """A JSON object typed into a box (blank is {}); a ProfileError naming the field, what came and what to type."""
    example = EXAMPLES.get(dotted, '{"name": "value"}')
    stripped = text.strip() or "{}"
    try:
        value = wire.loads(stripped)
    except json.JSONDecodeError as error:
        raise ProfileError(f"{dotted}: expected a JSON object like {example}, got text that is not JSON "
                           f"({error.msg} at line {error.lineno}, column {error.colno}).") from None
    except ValueError as error:  # valid JSON, nested deeper than any request field needs
        raise ProfileError(
            f"{dotted}: expected a JSON object like {example}, got JSON too deep to use ({error}).") from None
    if not isinstance(value, dict):
        raise ProfileError(f"{dotted}: expected a JSON object like {example}, got {excerpt(stripped, 40)}.")
    return value


def number_text(value: float | int | None) -> str:
    """A number as a field shows it: exact (0.123456789 stays so), without a trailing .0; None is blank."""
    if value is None:
        return ""
    text = repr(value)
    return text[:-2] if isinstance(value, float) and text.endswith(".0") else text


def with_hint(message: str, hint: str) -> str:
    """A problem's sentence with its fix in brackets, as the forms show it."""
    return message + (f" ({hint})" if hint else "")
