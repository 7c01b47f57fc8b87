"""Mock agent configs (TOML) and scripted calls played against an endpoint as a platform would.

An agent file describes a voice agent the way a platform holds it: which platform, its system
prompt and rules, its request parameters, and a scripted call (the caller's turns, each with
optional expectations on the reply). `AgentRun` plays that call turn by turn through the
platform's own request shaping, carries each assistant reply into the history the way the
platform does, and yields a `TurnResult` as each turn ends so a UI can show the call live.
"""

from __future__ import annotations

import difflib
import math
import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence

from workbench.errors import UsageError
from workbench.exchange import Exchange, Failure
from workbench.target import Target
from workbench.toml_lines import PathItem, line_of

TOP_KEYS = ("name", "platform", "description", "system_prompt", "rules", "parameters", "turns")
PARAMETER_KEYS = ("temperature", "top_p", "max_tokens", "stream", "extra")
TURN_KEYS = ("user", "contains", "matches", "first_token_ms")

# ---- the agent file -------------------------------------------------------------------


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
        text = file.read_bytes().decode("utf-8")
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
        temperature = self.number(table, where + ("temperature",), low=0.0, high=2.0)
        top_p = self.number(table, where + ("top_p",), low=0.0, high=1.0)
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

    def number(self, table: dict[str, Any], where: tuple[PathItem, ...], *, low: float, high: float) -> float | None:
        value = table.get(where[-1])
        if value is None:
            return None
        if not _is_number(value) or not low <= value <= high:
            message = f"`{_label(where)}` must be a number from {low:g} to {high:g}, got {_shown(value)}"
            raise self.fail(where, message, f"e.g. {where[-1]} = {high / 2:g}")
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


# ---- playing the call -----------------------------------------------------------------


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation on one turn: what was expected, whether it held, and a sentence saying so."""

    kind: str  # reply | contains | matches | first_token_ms
    expected: str
    passed: bool
    message: str  # a whole sentence naming the turn, what was expected and what came
    summary: str = ""  # a few words for a checklist line ("contains \"table\"")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "expected": self.expected,
            "passed": self.passed,
            "message": self.message,
            "summary": self.summary,
        }


@dataclass
class TurnResult:
    number: int  # 1-based
    user: str
    reply: str = ""
    first_token_ms: float | None = None
    total_ms: float | None = None
    status: int | None = None
    streamed: bool = False
    expectations: list[ExpectationResult] = field(default_factory=list)
    failure: Failure | None = None
    exchange: Exchange | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None and all(e.passed for e in self.expectations)

    @property
    def problems(self) -> list[str]:
        """Every sentence that says why this turn did not pass."""
        found = [f"turn {self.number}: {self.failure.message}"] if self.failure is not None else []
        return found + [e.message for e in self.expectations if not e.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "turn": self.number,
            "user": self.user,
            "reply": self.reply,
            "passed": self.passed,
            "status": self.status,
            "streamed": self.streamed,
            "ttft_ms": _rounded(self.first_token_ms),
            "total_ms": _rounded(self.total_ms),
            "expectations": [e.to_dict() for e in self.expectations],
            "failure": (
                {"kind": self.failure.kind, "message": self.failure.message, "hint": self.failure.hint}
                if self.failure
                else None
            ),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def judge_turn(
    number: int,
    turn: Turn,
    reply: str,
    first_token_ms: float | None,
    budget_ms: float,
) -> list[ExpectationResult]:
    """Pure: hold one turn's reply and timing against its expectations."""
    quoted_reply = _quote(reply)
    has_reply = bool(reply.strip())
    results = [
        ExpectationResult(
            "reply",
            "a non-empty reply",
            has_reply,
            f"turn {number}: expected a reply, "
            + (
                f"and {len(reply.split())} words came"
                if has_reply
                else "but it was empty (a voice agent would say nothing)"
            ),
            "a reply",
        )
    ]
    folded = reply.casefold()
    for text in turn.expect.contains:
        held = text.casefold() in folded
        results.append(
            ExpectationResult(
                "contains",
                text,
                held,
                f"turn {number}: expected the reply to contain {_quote(text)}, "
                + ("and it did" if held else f"but the reply was {quoted_reply}"),
                f"contains {_quote(text)}",
            )
        )
    if turn.expect.matches is not None:
        held = re.search(turn.expect.matches, reply) is not None
        results.append(
            ExpectationResult(
                "matches",
                turn.expect.matches,
                held,
                f"turn {number}: expected the reply to match /{turn.expect.matches}/, "
                + ("and it did" if held else f"but the reply was {quoted_reply}"),
                f"matches /{turn.expect.matches}/",
            )
        )
    if first_token_ms is None:
        results.append(
            ExpectationResult(
                "first_token_ms",
                f"{budget_ms:g}",
                False,
                f"turn {number}: expected the first token within {budget_ms:g} ms, but no token came",
                f"first token within {budget_ms:g} ms",
            )
        )
    else:
        held = first_token_ms <= budget_ms
        results.append(
            ExpectationResult(
                "first_token_ms",
                f"{budget_ms:g}",
                held,
                f"turn {number}: expected the first token within {budget_ms:g} ms, "
                + ("and" if held else "but") + f" it came after {first_token_ms:.0f} ms",
                f"first token within {budget_ms:g} ms ({first_token_ms:.0f} ms)",
            )
        )
    return results


def _quote(text: str, limit: int = 160) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return '"' + shown.replace("\n", " ") + '"'


@dataclass
class SimulationReport:
    """The whole call: every played turn and whether every expectation held."""

    agent: AgentConfig
    target: Target
    turns: list[TurnResult] = field(default_factory=list)
    stopped: str | None = None  # why the call ended before its last turn

    @property
    def passed(self) -> bool:
        return self.stopped is None and len(self.turns) == len(self.agent.turns) and all(t.passed for t in self.turns)

    @property
    def problems(self) -> list[str]:
        found = [p for turn in self.turns for p in turn.problems]
        if self.stopped:
            found.append(self.stopped)
        return found

    def to_dict(self) -> dict[str, Any]:
        expectations = [e for t in self.turns for e in t.expectations]
        return {
            "passed": self.passed,
            "agent": self.agent.name,
            "file": self.agent.path,
            "platform": self.agent.platform,
            "target": self.target.base_url,
            "model": self.target.model,
            "turns_planned": len(self.agent.turns),
            "turns_played": len(self.turns),
            "expectations": {"total": len(expectations), "failed": sum(not e.passed for e in expectations)},
            "stopped": self.stopped,
            "turns": [t.to_dict() for t in self.turns],
        }


class AgentRun:
    """Plays an agent's scripted call against a target, one turn at a time.

    `async for result in AgentRun(agent, target): …` yields each TurnResult as its turn
    ends; `on_text(turn_number, text)` is called with each piece of a reply as it arrives.
    The call stops at the first turn whose request fails outright (no reply to carry into
    the history); expectations that fail do not stop it. `cancel()` stops it mid-turn (from
    the loop's thread), keeping what arrived. `report` holds everything so far.
    """

    def __init__(
        self,
        agent: AgentConfig,
        target: Target,
        *,
        on_text: Callable[[int, str], None] | None = None,
    ) -> None:
        from workbench.platforms import get_platform

        self.agent = agent
        self.target = target
        self.platform = get_platform(agent.platform)
        self.on_text = on_text
        self.messages: list[dict[str, Any]] = []
        if agent.system_message:
            self.messages.append({"role": "system", "content": agent.system_message})
        self.report = SimulationReport(agent=agent, target=target)
        # The agent's own parameters go where the platform puts a profile's: over its defaults.
        self.request_target = target.with_(params={**target.params, **agent.parameters.body_fields()})
        self._call: Any = None
        self._cancelled = False

    def __aiter__(self) -> AsyncIterator[TurnResult]:
        return self._play()

    def cancel(self) -> None:
        """Stop the call: the turn in flight ends with what arrived, no further turn is sent."""
        self._cancelled = True
        if self._call is not None:
            self._call.cancel()

    async def run(self) -> SimulationReport:
        """Play the whole call and return the report."""
        async for _ in self:
            pass
        return self.report

    async def _play(self) -> AsyncIterator[TurnResult]:
        from workbench.client import Client

        async with Client(self.target) as client:
            for index, turn in enumerate(self.agent.turns):
                if self._cancelled:
                    self.report.stopped = f"the call was cancelled before turn {index + 1}"
                    return
                result = await self._play_turn(client, index, turn)
                self.report.turns.append(result)
                yield result
                if self._cancelled and result.number < len(self.agent.turns):
                    self.report.stopped = f"the call was cancelled during turn {result.number}"
                    return
                if result.failure is not None:
                    remaining = len(self.agent.turns) - result.number
                    if remaining:
                        self.report.stopped = (
                            f"the call stopped after turn {result.number}: its request failed, "
                            f"so {remaining} more turn{'s' if remaining > 1 else ''} could not be played"
                        )
                    return

    async def _play_turn(self, client: Any, index: int, turn: Turn) -> TurnResult:
        number = index + 1
        self.messages.append({"role": "user", "content": turn.user})
        request = self.platform.build_request(
            self.request_target, list(self.messages), stream=self.agent.parameters.stream, turn=index
        )
        body = request.body
        streamed = request.stream
        result = TurnResult(number=number, user=turn.user, streamed=streamed)
        started = time.perf_counter()
        call = client.request(
            request.method,
            request.url,
            json=body,
            headers=request.headers,
            auth=request.auth,  # the header style the platform sends, not the profile's if they differ
            stream=streamed,
            label=f"simulate: {self.agent.name}: turn {number}",
            raise_on_failure=False,
        )
        self._call = call
        try:
            async for text in call:
                if self.on_text is not None and text:
                    self.on_text(number, text)
            exchange = await call.run()
        finally:
            self._call = None
        result.exchange = exchange
        result.status = exchange.status
        result.reply = exchange.reply_text
        result.total_ms = exchange.timings.total_ms
        if result.total_ms is None:
            result.total_ms = (time.perf_counter() - started) * 1000
        # A reply that is not streamed arrives whole: its first token is the whole reply.
        result.first_token_ms = exchange.timings.first_token_ms
        if result.first_token_ms is None and not streamed and exchange.ok and result.reply:
            result.first_token_ms = result.total_ms
        result.failure = _turn_failure(exchange)
        if result.failure is None:
            budget = turn.expect.first_token_ms or float(self.platform.first_token_budget_ms)
            result.expectations = judge_turn(number, turn, result.reply, result.first_token_ms, budget)
        # The platform carries what the agent said into the next turn's history.
        self.messages.append({"role": "assistant", "content": result.reply})
        return result


def _turn_failure(exchange: Exchange) -> Failure | None:
    """Why a turn got no usable reply at all, as a sentence, or None."""
    if exchange.failure is not None:
        return exchange.failure
    if exchange.status is None or not 200 <= exchange.status < 300:
        detail = _error_detail(exchange)
        return Failure(
            kind="http-status",
            message=f"expected HTTP 200, but the endpoint answered {exchange.status} {exchange.reason}".rstrip()
            + (f": {detail}" if detail else ""),
            hint="run `workbench check` with the same profile to see why the endpoint refuses this request",
        )
    return None


def _error_detail(exchange: Exchange) -> str:
    body = exchange.json()
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(body.get("message"), str):
            return body["message"]
    text = exchange.text.strip()
    return text[:200]


# ---- reading a run as text ------------------------------------------------------------

PASS_MARK = "✓"
FAIL_MARK = "✗"


def header_lines(agent: AgentConfig, target: Target) -> list[str]:
    """What is about to be played, against what."""
    from workbench.platforms import get_platform

    platform = get_platform(agent.platform)
    streaming = agent.parameters.stream if agent.parameters.stream is not None else platform.stream_for(target, None)
    return [
        f'Simulating "{agent.name}" as {platform.title}: {len(agent.turns)} turn{"s" * (len(agent.turns) != 1)}, '
        + ("streamed" if streaming else "not streamed"),
        f"  file:   {agent.path}",
        f"  target: {target.base_url} (model {target.model})",
    ]


def turn_lines(result: TurnResult, total: int) -> list[str]:
    """One turn as a person reads it: verdict and timings, what was said, each expectation."""
    timing = []
    if not result.streamed and result.total_ms is not None:
        timing.append(f"whole reply in {result.total_ms:.0f} ms, not streamed")
    else:
        if result.first_token_ms is not None:
            timing.append(f"first token {result.first_token_ms:.0f} ms")
        if result.total_ms is not None:
            timing.append(f"total {result.total_ms:.0f} ms")
    verdict = "PASS" if result.passed else "FAIL"
    lines = [f"Turn {result.number} of {total}  {verdict}" + (f"  ({', '.join(timing)})" if timing else "")]
    lines.append(f"  caller: {result.user}")
    if result.failure is None or result.reply:
        lines.append(f"  agent:  {result.reply if result.reply else '(nothing)'}")
    if result.failure is not None:
        lines.append(f"  {FAIL_MARK} turn {result.number}: {result.failure.message}")
        if result.failure.hint:
            lines.append(f"    hint: {result.failure.hint}")
    for expectation in result.expectations:
        if expectation.passed:
            lines.append(f"  {PASS_MARK} {expectation.summary or expectation.message}")
        else:
            lines.append(f"  {FAIL_MARK} {expectation.message}")
    return lines


def summary_lines(report: SimulationReport) -> list[str]:
    expectations = [e for t in report.turns for e in t.expectations]
    held = sum(e.passed for e in expectations)
    turns_passed = sum(t.passed for t in report.turns)
    planned = len(report.agent.turns)
    verdict = "PASS" if report.passed else "FAIL"
    lines = [
        f"{verdict}: {turns_passed} of {planned} turn{'s' * (planned != 1)} passed, "
        f"{held} of {len(expectations)} expectation{'s' * (len(expectations) != 1)} held."
    ]
    if report.stopped:
        lines.append(f"  {report.stopped}")
    return lines
