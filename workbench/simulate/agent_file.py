"""Agent files (TOML): a voice agent as a platform holds it, read and checked line by line.

An agent file says which platform calls the agent, its system prompt and rules, its request
parameters, and a scripted call (the caller's turns, each with optional expectations on the
reply). `load_agent` reads one; every problem names the file, the line and the fix.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import UsageError
from workbench.safe_files import RefusedFile, read_regular_file
from workbench.toml_lines import PathItem, line_of

MAX_AGENT_FILE_BYTES = 4 << 20  # long system prompts and many turns; past this it is not an agent file
TOP_KEYS = ("name", "platform", "description", "system_prompt", "rules", "parameters", "turns")
PARAMETER_KEYS = ("temperature", "top_p", "max_tokens", "stream", "extra")
TURN_KEYS = ("user", "contains", "matches", "first_token_ms")


class AgentFileError(UsageError):
    """An agent file is missing, not TOML, or says something that cannot be played."""

    kind = "agent-file"

    def __init__(self, message: str, hint: str = "", *, path: str = "", line: int | None = None) -> None:
        super().__init__(message, hint)
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Expectations:
    """What one turn's reply must satisfy. Empty means only "a reply came"."""

    contains: tuple[str, ...] = ()  # each must appear in the reply, ignoring case
    matches: str | None = None  # a regular expression searched for in the reply
    first_token_ms: float | None = None  # None: the platform's own first-token budget


@dataclass(frozen=True)
class Turn:
    user: str
    expect: Expectations = field(default_factory=Expectations)


@dataclass(frozen=True)
class AgentParameters:
    """Request parameters the agent is configured with; None leaves the platform's default."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stream: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def body_fields(self) -> dict[str, Any]:
        """The fields these parameters set in a request body (stream is the request's own)."""
        fields: dict[str, Any] = {
            key: value
            for key, value in (
                ("temperature", self.temperature),
                ("top_p", self.top_p),
                ("max_tokens", self.max_tokens),
            )
            if value is not None
        }
        fields.update(self.extra)
        return fields


@dataclass(frozen=True)
class AgentConfig:
    name: str
    platform: str
    turns: tuple[Turn, ...]
    system_prompt: str = ""
    rules: tuple[str, ...] = ()
    parameters: AgentParameters = field(default_factory=AgentParameters)
    description: str = ""
    path: str = ""

    @property
    def system_message(self) -> str:
        """The system prompt with the rules appended, as the platform composes them."""
        return compose_system_prompt(self.system_prompt, self.rules)


def compose_system_prompt(prompt: str, rules: Sequence[str]) -> str:
    """The prompt, then a "Rules:" list: how PolyAI-style global rules reach the model."""
    prompt = prompt.strip()
    if not rules:
        return prompt
    listed = "\n".join(f"- {rule.strip()}" for rule in rules)
    return f"{prompt}\n\nRules:\n{listed}" if prompt else f"Rules:\n{listed}"


def load_agent(path: str | Path) -> AgentConfig:
    """Read and validate an agent file; every problem names the file, the line and the fix."""
    file = Path(path)
    shown = str(path)
    if not file.exists():
        raise AgentFileError(
            f"agent file not found: {shown}",
            "check the path; example agents are in the repository's profiles/agents/ folder",
            path=shown,
        )
    if file.is_dir():
        raise AgentFileError(
            f"{shown} is a folder, not an agent file",
            "pass one .toml file, e.g. profiles/agents/polyai-booking.toml",
            path=shown,
        )
    try:
        text = read_regular_file(file, limit=MAX_AGENT_FILE_BYTES).decode("utf-8")
    except RefusedFile as error:
        raise AgentFileError(f"cannot read {shown}: {error.strerror}", error.hint, path=shown) from None
    except UnicodeDecodeError as error:
        raise AgentFileError(
            f"{shown}: not UTF-8 text (bad byte at offset {error.start})",
            "save the file as UTF-8",
            path=shown,
        ) from None
    except OSError as error:
        raise AgentFileError(
            f"cannot read {shown}: {error.strerror}", "check the file's permissions", path=shown
        ) from None
    return parse_agent(text, shown)


def parse_agent(text: str, path: str = "<agent>") -> AgentConfig:
    """Validate the text of an agent file (`path` is only used in messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(error, path) from None
    return _AgentReader(text, path).read(data)


_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _syntax_error(error: tomllib.TOMLDecodeError, path: str) -> AgentFileError:
    message = str(error)
    found = _AT_LINE.search(message)
    if found is None:
        return AgentFileError(f"{path}: not valid TOML: {message}", "fix the TOML syntax", path=path)
    line, column = int(found.group(1)), int(found.group(2))
    what = message[: found.start()]
    return AgentFileError(
        f"{path}:{line}: not valid TOML: {what} (column {column})",
        f"fix the syntax on line {line}; strings need quotes, tables look like [parameters], turns like [[turns]]",
        path=path,
        line=line,
    )


class _AgentReader:
    """Checks the parsed TOML against the agent schema, naming the line of every problem."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path

    def fail(self, where: Sequence[PathItem], message: str, hint: str) -> AgentFileError:
        line = line_of(self.text, where)
        prefix = f"{self.path}:{line}" if line is not None else self.path
        return AgentFileError(f"{prefix}: {message}", hint, path=self.path, line=line)

    def read(self, data: dict[str, Any]) -> AgentConfig:
        if "reply" in data and "turns" not in data:
            raise self.fail(
                ("reply",),
                "this is a mock reply file ([[reply]] rules), not an agent file",
                f"serve it with `workbench mock --reply {self.path}`, and simulate an agent file such as "
                "profiles/agents/polyai-booking.toml against that mock",
            )
        self.unknown_keys(data, (), TOP_KEYS)
        platform = self.platform(data)
        name = self.string(data, ("name",), default=Path(self.path).stem)
        parameters = self.parameters(data.get("parameters", {}), platform)
        return AgentConfig(
            name=name,
            platform=platform.id,
            turns=self.turns(data),
            system_prompt=self.string(data, ("system_prompt",), default=""),
            rules=self.rules(data),
            parameters=parameters,
            description=self.string(data, ("description",), default=""),
            path=self.path,
        )

    # ---- pieces -----------------------------------------------------------------------

    def unknown_keys(self, table: dict[str, Any], where: tuple[PathItem, ...], known: Sequence[str]) -> None:
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"the keys allowed here: {', '.join(known)}"
            if where == ("parameters",) and not close:
                hint = "put other request fields under [parameters.extra], e.g. frequency_penalty = 0.0"
            if len(where) == 2 and where[0] == "turns":
                label = f"`{key}` in turn {int(where[1]) + 1}"
            else:
                label = "`" + ".".join(str(p) for p in where + (key,)) + "`"
            raise self.fail(where + (key,), f"unknown key {label}", hint)

    def platform(self, data: dict[str, Any]) -> Any:
        from workbench.platforms import PLATFORMS, get_platform

        names = ", ".join(PLATFORMS)
        if "platform" not in data:
            raise self.fail(
                (), "no `platform`: which platform calls this agent?", f'add e.g. platform = "polyai" (one of {names})'
            )
        value = data["platform"]
        if not isinstance(value, str):
            raise self.fail(("platform",), f"`platform` must be a string, got {_shown(value)}", f"one of {names}")
        try:
            return get_platform(value.strip().lower())
        except UsageError:
            close = difflib.get_close_matches(value.lower(), list(PLATFORMS), n=1)
            hint = f'did you mean "{close[0]}"?' if close else f"use one of {names}"
            raise self.fail(("platform",), f"unknown platform {value!r}", hint) from None

    def string(self, table: dict[str, Any], where: tuple[PathItem, ...], *, default: str) -> str:
        key = where[-1]
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, str):
            message = f"`{_label(where)}` must be a string, got {_shown(value)}"
            raise self.fail(where, message, 'put the text in quotes: key = "text"')
        return value

    def rules(self, data: dict[str, Any]) -> tuple[str, ...]:
        value = data.get("rules", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(rule, str) for rule in value):
            message = f"`rules` must be a list of strings, got {_shown(value)}"
            raise self.fail(("rules",), message, 'write rules = ["Be brief.", "Confirm the date."]')
        return tuple(rule for rule in value if rule.strip())

    def parameters(self, table: Any, platform: Any) -> AgentParameters:
        where = ("parameters",)
        if not isinstance(table, dict):
            message = f"`parameters` must be a table, got {_shown(table)}"
            raise self.fail(where, message, "write it as a [parameters] section")
        self.unknown_keys(table, where, PARAMETER_KEYS)
        temperature = self.number(table, where, "temperature", low=0.0, high=2.0)
        top_p = self.number(table, where, "top_p", low=0.0, high=1.0)
        max_tokens = table.get("max_tokens")
        if max_tokens is not None and (not _is_int(max_tokens) or max_tokens < 1):
            message = f"`parameters.max_tokens` must be a whole number above 0, got {_shown(max_tokens)}"
            raise self.fail(where + ("max_tokens",), message, "e.g. max_tokens = 250")
        stream = table.get("stream")
        if stream is not None and not isinstance(stream, bool):
            message = f"`parameters.stream` must be true or false, got {_shown(stream)}"
            raise self.fail(where + ("stream",), message, "write stream = true (no quotes)")
        if stream is False and platform.stream_required:
            raise self.fail(
                where + ("stream",),
                f"{platform.title} always streams, but this agent sets stream = false",
                "remove `stream = false`: the simulation must call the endpoint the way the platform does",
            )
        extra = table.get("extra", {})
        if not isinstance(extra, dict):
            message = f"`parameters.extra` must be a table, got {_shown(extra)}"
            raise self.fail(where + ("extra",), message, "write it as a [parameters.extra] section")
        reserved = sorted({"model", "messages", "stream"} & set(extra))
        if reserved:
            raise self.fail(
                where + ("extra", reserved[0]),
                f"`parameters.extra.{reserved[0]}` is set by the simulation itself",
                f"remove `{reserved[0]}` from [parameters.extra]",
            )
        return AgentParameters(
            temperature=temperature, top_p=top_p, max_tokens=max_tokens, stream=stream, extra=dict(extra)
        )

    def number(
        self, table: dict[str, Any], where: tuple[PathItem, ...], key: str, *, low: float, high: float
    ) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if not _is_number(value) or not low <= value <= high:
            message = f"`{_label(where + (key,))}` must be a number from {low:g} to {high:g}, got {_shown(value)}"
            raise self.fail(where + (key,), message, f"e.g. {key} = {high / 2:g}")
        return float(value)

    def turns(self, data: dict[str, Any]) -> tuple[Turn, ...]:
        value = data.get("turns")
        example = '[[turns]]\nuser = "Hi, I\'d like to book a table."\ncontains = "table"'
        if value is None:
            raise self.fail((), "no `turns`: the scripted call is empty", f"add at least one caller turn:\n{example}")
        if not isinstance(value, list) or not value:
            message = f"`turns` must be a list of [[turns]] tables, got {_shown(value)}"
            raise self.fail(("turns",), message, f"write each caller turn as\n{example}")
        return tuple(self.turn(item, ("turns", index)) for index, item in enumerate(value))

    def turn(self, item: Any, where: tuple[PathItem, ...]) -> Turn:
        number = int(where[-1]) + 1
        if not isinstance(item, dict):
            message = f'turn {number} must be a table with `user = "…"`, got {_shown(item)}'
            raise self.fail(where, message, "write each turn as a [[turns]] section")
        self.unknown_keys(item, where, TURN_KEYS)
        user = item.get("user")
        if not isinstance(user, str) or not user.strip():
            raise self.fail(
                where + ("user",) if "user" in item else where,
                f"turn {number} needs `user`: what the caller says (a non-empty string)",
                'add user = "…" to this [[turns]] section',
            )
        contains = item.get("contains", [])
        if isinstance(contains, str):
            contains = [contains]
        if not isinstance(contains, list) or not all(isinstance(c, str) and c for c in contains):
            shown = _shown(item.get("contains"))
            message = f"turn {number}: `contains` must be a string or a list of non-empty strings, got {shown}"
            raise self.fail(where + ("contains",), message, 'e.g. contains = ["Friday", "four"]')
        matches = item.get("matches")
        if matches is not None:
            if not isinstance(matches, str):
                raise self.fail(
                    where + ("matches",),
                    f"turn {number}: `matches` must be a regular expression in a string, got {_shown(matches)}",
                    "e.g. matches = '(?i)friday|saturday' (single quotes keep backslashes as they are)",
                )
            try:
                re.compile(matches)
            except re.error as error:
                raise self.fail(
                    where + ("matches",),
                    f"turn {number}: `matches` is not a valid regular expression: {error}",
                    "fix the pattern; use single quotes so backslashes are not escapes",
                ) from None
        budget = item.get("first_token_ms")
        if budget is not None and (not _is_number(budget) or not math.isfinite(budget) or budget <= 0):
            message = f"turn {number}: `first_token_ms` must be a number of milliseconds above 0, got {_shown(budget)}"
            raise self.fail(where + ("first_token_ms",), message, "e.g. first_token_ms = 800")
        return Turn(
            user=user,
            expect=Expectations(
                contains=tuple(contains),
                matches=matches,
                first_token_ms=float(budget) if budget is not None else None,
            ),
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _label(where: Sequence[PathItem]) -> str:
    return ".".join(str(p) for p in where)


def _shown(value: Any) -> str:
    """A value as a person would recognise it from their file, kept short."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "…"
    kind = kinds.get(type(value), type(value).__name__)
    return f"{kind} ({text})"
