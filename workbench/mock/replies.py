"""What the mock says: scripted replies from a TOML file, the Play.ai smoke test, else an echo.

Reply file format (first matching rule wins, the echo answers when none matches):

    [[reply]]
    match = "opening hours"        # substring of the last user message, case-insensitive
    reply = "We open at nine."

    [[reply]]
    regex = "^book (a|the) table"  # Python regular expression (re.search), case-insensitive
    reply = "For how many people?"

Each rule has exactly one of `match` or `regex`, and a `reply` string.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench import wire
from workbench.errors import UsageError
from workbench.safe_files import RefusedFile, read_regular_file

MAX_REPLY_FILE_BYTES = 16 << 20  # scripted replies, long ones included; past this it is not a reply file
# Play.ai's compatibility check sends this message and expects the sentence back.
SMOKE_TEST_PROMPT = "repeat with me: the smoke test has passed."
SMOKE_TEST_REPLY = "The smoke test has passed."


def echo(user_text: str) -> str:
    """The Flask sample's reply, which PolyAI's docs use as the reference implementation."""
    return f"You said: {user_text}"


@dataclass(frozen=True)
class ReplyRule:
    pattern: re.Pattern[str]
    reply: str
    line: int


class ReplyScript:
    """The ordered rules of one reply file; `reply_for` falls back to the smoke test and the echo."""

    def __init__(self, rules: list[ReplyRule] | None = None, path: str | None = None) -> None:
        self.rules = rules or []
        self.path = path

    @classmethod
    def load(cls, path: str | Path) -> ReplyScript:
        """Read and check a reply file; every mistake names the file and the line."""
        path = Path(path)
        try:
            text = read_regular_file(path, limit=MAX_REPLY_FILE_BYTES).decode("utf-8")
        except FileNotFoundError:
            raise UsageError(f"reply file {path} does not exist.",
                             "give the path of a TOML file of [[reply]] rules.") from None
        except RefusedFile as error:
            raise UsageError(f"cannot read reply file {path}: {error.strerror}.", error.hint) from None
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read reply file {path}: {error}.",
                             "it must be a readable UTF-8 TOML file.") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise UsageError(f"{path}: not valid TOML: {error}.",
                             "fix the line named above; see README 'workbench mock'.") from None
        rules_data = data.get("reply")
        unknown = sorted(set(data) - {"reply"})
        if unknown:
            raise UsageError(
                f"{path}: unknown top-level key {unknown[0]!r}.",
                "a reply file holds only [[reply]] tables, each with match or regex, and reply.",
            )
        if rules_data is None:
            raise UsageError(f"{path}: no [[reply]] rules found.",
                             'add for example:\n[[reply]]\nmatch = "hello"\nreply = "Hi!"')
        if not isinstance(rules_data, list):
            raise UsageError(f"{path}: 'reply' must be an array of tables ([[reply]]), not a single value.")
        lines = _table_lines(text, "reply")
        rules = [_rule(path, i, item, lines[i] if i < len(lines) else 0) for i, item in enumerate(rules_data)]
        return cls(rules, str(path))

    def scripted(self, user_text: str) -> str | None:
        for rule in self.rules:
            if rule.pattern.search(user_text):
                return rule.reply
        return None

    def reply_for(self, messages: list[dict[str, Any]]) -> str:
        user_text = wire.last_user_text(messages)
        scripted = self.scripted(user_text) if self.rules else None
        if scripted is not None:
            return scripted
        if user_text.strip().lower() == SMOKE_TEST_PROMPT:
            return SMOKE_TEST_REPLY
        return echo(user_text)


def _rule(path: Path, index: int, item: Any, line: int) -> ReplyRule:
    where = f"{path}: line {line}" if line else f"{path}: rule {index + 1}"
    if not isinstance(item, dict):
        raise UsageError(f"{where}: a rule must be a [[reply]] table.")
    unknown = sorted(set(item) - {"match", "regex", "reply"})
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} in [[reply]].", "a rule has match or regex, and reply.")
    reply = item.get("reply")
    if not isinstance(reply, str):
        raise UsageError(f"{where}: the rule needs reply = \"...\" (a string).")
    has_match, has_regex = "match" in item, "regex" in item
    if has_match == has_regex:
        raise UsageError(
            f"{where}: give exactly one of match (a substring) or regex (a regular expression).",
        )
    source = item["match"] if has_match else item["regex"]
    if not isinstance(source, str) or not source:
        raise UsageError(f"{where}: {'match' if has_match else 'regex'} must be a non-empty string.")
    try:
        pattern = re.compile(re.escape(source) if has_match else source, re.IGNORECASE)
    except re.error as error:
        raise UsageError(f"{where}: regex {source!r} does not compile: {error}.") from None
    return ReplyRule(pattern, reply, line)


def _table_lines(text: str, name: str) -> list[int]:
    """Line numbers (1-based) of each `[[name]]` header, so errors can point at the rule."""
    header = re.compile(r"^\s*\[\[\s*" + re.escape(name) + r"\s*\]\]")
    return [number for number, line in enumerate(text.splitlines(), start=1) if header.match(line)]
