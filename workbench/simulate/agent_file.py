"""Agent files (TOML): a voice agent as a platform holds it, read and checked line by line.

An agent file says which platform calls the agent, its system prompt (inline, or from a file
beside it) and rules, its request parameters, the tools it offers beyond the platform's own,
and a scripted call: the caller's turns, each with optional expectations on the reply (words,
a pattern, a tool call and its arguments, first-token and first-sentence budgets), the tool
results the platform answers with, a barge-in after N words, and a repeat count for long calls.
`load_agent` reads one; every problem names the file, the line and the fix.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench import wire
from workbench.errors import UsageError
from workbench.safe_files import RefusedFile, read_regular_file
from workbench.target import Target
from workbench.toml_lines import PathItem, line_of

MAX_AGENT_FILE_BYTES = 4 << 20  # long system prompts and many turns; past this it is not an agent file
MAX_PLAYED_TURNS = 2000  # turns after `repeat`: a long call is dozens of turns, a soak test a few hundred
TOP_KEYS = ("name", "platform", "description", "system_prompt", "system_prompt_file", "rules", "parameters",
            "tools", "turns")
PARAMETER_KEYS = ("temperature", "top_p", "max_tokens", "stream", "extra")
TURN_KEYS = ("user", "contains", "matches", "first_token_ms", "first_sentence_ms", "expect_tool", "expect_arguments",
             "tool_results", "interrupt_after_words", "repeat")
TOOL_KEYS = ("name", "description", "parameters")
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what OpenAI accepts as a function name
# The platform's shape of a request before any endpoint is known: its tools and whether it streams
# do not depend on the endpoint (a profile's `stream` setting aside, which OpenAI-SDK platforms honour).
FILE_TARGET = Target(base_url="http://127.0.0.1/v1", model="agent-file")


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
    first_sentence_ms: float | None = None  # None: the platform's budget too (speech.py defines the sentence)
    tool: str | None = None  # a tool the endpoint must call in this turn
    arguments: dict[str, Any] = field(default_factory=dict)  # each key present in that call with this value


@dataclass(frozen=True)
class Turn:
    user: str
    expect: Expectations = field(default_factory=Expectations)
    # What the platform answers when the endpoint calls a tool: name -> the `tool` message's content.
    tool_results: dict[str, str] = field(default_factory=dict)
    interrupt_after_words: int | None = None  # the caller barges in after this many words of the reply
    repeat: int = 1  # which play of its [[turns]] entry this is (from 1)
    repeats: int = 1  # how often the entry is played (`repeat = N` in the file)


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
    tools: tuple[dict[str, Any], ...] = ()  # [[tools]]: OpenAI function tools beyond the platform's own
    system_prompt_file: str = ""  # where system_prompt was read from, as the file names it ("" when inline)

    @property
    def system_message(self) -> str:
        """The system prompt with the rules appended, as the platform composes them."""
        return compose_system_prompt(self.system_prompt, self.rules)

    def offered_tools(self, platform_tools: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The tools every request offers: the platform's own, then the file's; a file tool with a
        platform tool's name replaces it (the agent configured that tool its own way)."""
        mine = {tool_name(tool): tool for tool in self.tools}
        kept = [tool for tool in platform_tools if tool_name(tool) not in mine]
        return kept + list(self.tools)


def tool_name(tool: dict[str, Any]) -> str:
    """The function name of an OpenAI tools-list entry ("" when it has none)."""
    function = tool.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    return name if isinstance(name, str) else ""


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
    """Validate the text of an agent file (`path` names it in messages, and its folder is where
    `system_prompt_file` is looked for)."""
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
        tools = self.tools(data)
        offered = AgentConfig(name, platform.id, (), tools=tools).offered_tools(platform.offered_tools(FILE_TARGET))
        turns = _TurnReader(self, platform, parameters, [tool_name(t) for t in offered]).turns(data)
        prompt, prompt_file = self.system_prompt(data)
        return AgentConfig(
            name=name,
            platform=platform.id,
            turns=turns,
            system_prompt=prompt,
            rules=self.rules(data),
            parameters=parameters,
            description=self.string(data, ("description",), default=""),
            path=self.path,
            tools=tools,
            system_prompt_file=prompt_file,
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
            if len(where) == 2 and where[0] in ("turns", "tools"):
                label = f"`{key}` in {str(where[0])[:-1]} {int(where[1]) + 1}"
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

    def system_prompt(self, data: dict[str, Any]) -> tuple[str, str]:
        """The system prompt, inline or read from `system_prompt_file` (relative to the agent file's
        folder), and the file as named ("" when inline)."""
        inline = self.string(data, ("system_prompt",), default="")
        named = self.string(data, ("system_prompt_file",), default="")
        if "system_prompt_file" not in data:
            return inline, ""
        where = ("system_prompt_file",)
        if not named.strip():
            raise self.fail(where, "`system_prompt_file` is empty", 'name a text file, e.g. system_prompt_file = '
                            '"prompts/receptionist.txt" (relative to this agent file)')
        if "system_prompt" in data:
            raise self.fail(where, "both `system_prompt` and `system_prompt_file` are set: which one is the prompt?",
                            "keep one of them (put the whole prompt in the file)")
        folder = Path(self.path).parent
        file = folder / Path(named).expanduser()
        said = f"`system_prompt_file` names {file}"
        try:
            text = read_regular_file(file, limit=MAX_AGENT_FILE_BYTES).decode("utf-8")
        except FileNotFoundError:
            raise self.fail(where, f"{said}, which does not exist",
                            f"the path is relative to the agent file's folder ({folder}); fix it or create the file"
                            ) from None
        except RefusedFile as error:
            raise self.fail(where, f"{said}, which cannot be read: {error.strerror}", error.hint) from None
        except UnicodeDecodeError as error:
            raise self.fail(where, f"{said}, which is not UTF-8 text (bad byte at offset {error.start})",
                            "save the prompt file as UTF-8") from None
        except OSError as error:
            raise self.fail(where, f"{said}, which cannot be read: {error.strerror}",
                            "check the file's permissions") from None
        if not text.strip():
            raise self.fail(where, f"{said}, which is empty", "write the agent's instructions into it")
        return text, named

    def tools(self, data: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        """[[tools]]: function tools the agent offers beyond the platform's own, in OpenAI form."""
        value = data.get("tools", [])
        example = ('[[tools]]\nname = "book_table"\ndescription = "Book a table."\n'
                   '[tools.parameters]\ntype = "object"\nproperties = { day = { type = "string" } }')
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(("tools",), f"`tools` must be a list of [[tools]] tables, got {_shown(value)}",
                            f"write each tool as\n{example}")
        tools: list[dict[str, Any]] = []
        for index, item in enumerate(value):
            tool = self.tool(item, ("tools", index), example)
            if tool_name(tool) in {tool_name(t) for t in tools}:
                raise self.fail(("tools", index, "name"), f"tool {tool_name(tool)!r} is defined twice",
                                "keep one [[tools]] table per name")
            tools.append(tool)
        return tuple(tools)

    def tool(self, item: dict[str, Any], where: tuple[PathItem, ...], example: str) -> dict[str, Any]:
        number = int(where[-1]) + 1
        self.unknown_keys(item, where, TOOL_KEYS)
        name = item.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise self.fail(where + ("name",) if "name" in item else where,
                            f"tool {number} needs a `name` of 1 to 64 letters, digits, _ or -, got {_shown(name)}",
                            f"e.g.\n{example}")
        description = self.string(item, where + ("description",), default="")
        parameters = item.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
            raise self.fail(where + ("parameters",),
                            f"tool {name!r}: `parameters` must be a JSON schema of type object, "
                            f"got {_shown(parameters)}",
                            'write it as a [tools.parameters] table with type = "object" and its properties')
        function: dict[str, Any] = {"name": name}
        if description:
            function["description"] = description
        function["parameters"] = {"type": "object", **parameters}
        return {"type": "function", "function": function}

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



class _TurnReader:
    """Checks the [[turns]] of an agent file: what the caller says, and every expectation and script."""

    def __init__(self, reader: _AgentReader, platform: Any, parameters: AgentParameters, offered: list[str]) -> None:
        self.reader = reader
        self.fail = reader.fail
        self.platform = platform
        self.parameters = parameters
        self.offered = offered  # the names of the tools every request offers

    def turns(self, data: dict[str, Any]) -> tuple[Turn, ...]:
        value = data.get("turns")
        example = '[[turns]]\nuser = "Hi, I\'d like to book a table."\ncontains = "table"'
        if value is None:
            raise self.fail((), "no `turns`: the scripted call is empty", f"add at least one caller turn:\n{example}")
        if not isinstance(value, list) or not value:
            message = f"`turns` must be a list of [[turns]] tables, got {_shown(value)}"
            raise self.fail(("turns",), message, f"write each caller turn as\n{example}")
        played: list[Turn] = []
        for index, item in enumerate(value):
            turn = self.turn(item, ("turns", index))
            played += [replace(turn, repeat=n) for n in range(1, turn.repeats + 1)]
            if len(played) > MAX_PLAYED_TURNS:
                raise self.fail(("turns", index, "repeat") if "repeat" in item else ("turns", index),
                                f"the call would play more than {MAX_PLAYED_TURNS} turns",
                                "lower the `repeat` counts: a long call of 40 to a few hundred turns is plenty")
        return tuple(played)

    def turn(self, item: Any, where: tuple[PathItem, ...]) -> Turn:
        number = int(where[-1]) + 1
        if not isinstance(item, dict):
            message = f'turn {number} must be a table with `user = "…"`, got {_shown(item)}'
            raise self.fail(where, message, "write each turn as a [[turns]] section")
        self.reader.unknown_keys(item, where, TURN_KEYS)
        user = item.get("user")
        if not isinstance(user, str) or not user.strip():
            raise self.fail(
                where + ("user",) if "user" in item else where,
                f"turn {number} needs `user`: what the caller says (a non-empty string)",
                'add user = "…" to this [[turns]] section',
            )
        tool, arguments = self.expected_tool(item, where, number)
        return Turn(
            user=user,
            expect=Expectations(
                contains=self.contains(item, where, number),
                matches=self.matches(item, where, number),
                first_token_ms=self.budget(item, where, number, "first_token_ms"),
                first_sentence_ms=self.budget(item, where, number, "first_sentence_ms"),
                tool=tool,
                arguments=arguments,
            ),
            tool_results=self.tool_results(item, where, number),
            interrupt_after_words=self.interrupt(item, where, number),
            repeats=self.whole(item, where, number, "repeat", high=MAX_PLAYED_TURNS, example="repeat = 20") or 1,
        )

    def contains(self, item: dict[str, Any], where: tuple[PathItem, ...], number: int) -> tuple[str, ...]:
        contains = item.get("contains", [])
        if isinstance(contains, str):
            contains = [contains]
        if not isinstance(contains, list) or not all(isinstance(c, str) and c for c in contains):
            shown = _shown(item.get("contains"))
            message = f"turn {number}: `contains` must be a string or a list of non-empty strings, got {shown}"
            raise self.fail(where + ("contains",), message, 'e.g. contains = ["Friday", "four"]')
        return tuple(contains)

    def matches(self, item: dict[str, Any], where: tuple[PathItem, ...], number: int) -> str | None:
        matches = item.get("matches")
        if matches is None:
            return None
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
        return matches

    def budget(self, item: dict[str, Any], where: tuple[PathItem, ...], number: int, key: str) -> float | None:
        budget = item.get(key)
        if budget is not None and (not _is_number(budget) or not math.isfinite(budget) or budget <= 0):
            message = f"turn {number}: `{key}` must be a number of milliseconds above 0, got {_shown(budget)}"
            raise self.fail(where + (key,), message, f"e.g. {key} = 800")
        return float(budget) if budget is not None else None

    def whole(self, item: dict[str, Any], where: tuple[PathItem, ...], number: int, key: str, *, high: int,
              example: str) -> int | None:
        value = item.get(key)
        if value is not None and (not _is_int(value) or not 1 <= value <= high):
            message = f"turn {number}: `{key}` must be a whole number from 1 to {high}, got {_shown(value)}"
            raise self.fail(where + (key,), message, f"e.g. {example}")
        return value

    def known_tool(self, name: Any, where: tuple[PathItem, ...], number: int, what: str) -> str:
        """`name` must be a tool the requests offer: the platform's own or a [[tools]] table's."""
        offered = ", ".join(self.offered) or "none"
        if not isinstance(name, str) or not name:
            raise self.fail(where, f"turn {number}: {what} must name a tool, got {_shown(name)}",
                            f"the tools offered: {offered}")
        if name not in self.offered:
            close = difflib.get_close_matches(name, self.offered, n=1)
            hint = f'did you mean "{close[0]}"?' if close else \
                f"the tools offered: {offered}; add a [[tools]] table to offer another"
            raise self.fail(where, f"turn {number}: {what} names {name!r}, which {self.platform.title} requests do "
                            "not offer", hint)
        return name

    def expected_tool(self, item: dict[str, Any], where: tuple[PathItem, ...],
                      number: int) -> tuple[str | None, dict[str, Any]]:
        tool = item.get("expect_tool")
        if tool is not None:
            tool = self.known_tool(tool, where + ("expect_tool",), number, "`expect_tool`")
        arguments = item.get("expect_arguments", {})
        if not isinstance(arguments, dict):
            raise self.fail(where + ("expect_arguments",),
                            f"turn {number}: `expect_arguments` must be a table, got {_shown(arguments)}",
                            'e.g. expect_arguments = { destination = "+15555550123" }')
        if arguments and tool is None:
            raise self.fail(where + ("expect_arguments",),
                            f"turn {number}: `expect_arguments` says what a tool call must carry, but no `expect_tool` "
                            "names the tool", 'add expect_tool = "…" to this turn')
        return tool, dict(arguments)

    def tool_results(self, item: dict[str, Any], where: tuple[PathItem, ...], number: int) -> dict[str, str]:
        table = item.get("tool_results", {})
        if not isinstance(table, dict):
            raise self.fail(where + ("tool_results",),
                            f"turn {number}: `tool_results` must be a table of tool name = result, got {_shown(table)}",
                            'write it as [turns.tool_results] with lines like end_call = "ok"')
        results: dict[str, str] = {}
        for name, value in table.items():
            self.known_tool(name, where + ("tool_results", name), number, "`tool_results`")
            # A string is the `tool` message's content as it is; anything else goes as its JSON.
            results[name] = value if isinstance(value, str) else wire.dumps(value)
        return results

    def interrupt(self, item: dict[str, Any], where: tuple[PathItem, ...], number: int) -> int | None:
        words = self.whole(item, where, number, "interrupt_after_words", high=10_000,
                           example="interrupt_after_words = 3")
        if words is not None and not self.platform.streams(FILE_TARGET, self.parameters.stream):
            fix = "remove `stream = false` from [parameters]" if self.parameters.stream is False else \
                "add stream = true under [parameters]"
            raise self.fail(where + ("interrupt_after_words",),
                            f"turn {number}: a caller can only barge in on a streamed reply, and {self.platform.title} "
                            "is not streaming here", fix)
        return words


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
