"""Profiles: one endpoint's settings in one TOML file, validated, saved atomically, no secrets.

A profile is `<folder>/<name>.toml`; the file name is the profile's name. `Profile` is the
validated content, `ProfileStore` the folder: it lists good profiles beside the problems of
broken ones (one bad file never hides the others), saves atomically, and moves or removes
a profile's keyring secret when the profile is renamed or removed. A profile never holds a
secret: the key lives in the OS keyring (`workbench.secrets`) or in an environment variable.
"""

from __future__ import annotations

import difflib
import errno
import json
import math
import os
import re
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple
from urllib.parse import urlsplit

import tomli_w

from workbench import platforms, redact, secrets, wire
from workbench.atomic import fsync_dir, write_atomic
from workbench.errors import ProfileError, SecretStoreError
from workbench.folder_lock import folder_lock
from workbench.locations import ensure_dir, profiles_dir
from workbench.target import AUTH_METHODS, Target, Timeouts

PLATFORMS = tuple(platforms.PLATFORMS)  # polyai, playai, polyant, vapi, elevenlabs, openai
DEFAULT_PLATFORM = "openai"
SUFFIX = ".toml"

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
# Names Windows will not create as files, whatever the extension (con.toml included).
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul", "clock$"] + [f"com{i}" for i in range(1, 10)] + [f"lpt{i}" for i in range(1, 10)]
)
ENV_VAR_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HEADER_NAME_PATTERN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Headers that carry a credential: their value would be a secret written into the file.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key"})
# Keys that look like a secret was pasted into the profile.
SECRET_KEYS = frozenset({"api_key", "apikey", "api-key", "key", "secret", "token", "password"})
# Request fields the profile sets elsewhere (or the workbench sets); `extra` must not fight them.
RESERVED_EXTRA = {
    "model": "model",
    "messages": "",
    "stream": "params.stream",
    "temperature": "params.temperature",
    "top_p": "params.top_p",
    "max_tokens": "params.max_tokens",
}

SET_KEY_HINT = "keys go in the OS keyring: run `workbench profiles set-key {name}` (hidden prompt) or set api_key_env"


# ---- the profile ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """Request parameters sent with every chat request (None: leave the field out)."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stream: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # more JSON fields, sent as they are

    def sampling(self) -> dict[str, Any]:
        """temperature, top_p and max_tokens, those that are set."""
        values = (("temperature", self.temperature), ("top_p", self.top_p), ("max_tokens", self.max_tokens))
        return {key: value for key, value in values if value is not None}


@dataclass(frozen=True)
class TLS:
    verify: bool = True
    ca_bundle: str | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    base_url: str
    model: str
    platform: str = DEFAULT_PLATFORM
    auth: str = "none"
    api_key_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: Params = field(default_factory=Params)
    timeouts: Timeouts = field(default_factory=Timeouts)
    tls: TLS = field(default_factory=TLS)
    notes: str = ""
    path: Path | None = field(default=None, compare=False)  # the file it was read from

    @property
    def needs_key(self) -> bool:
        return self.auth != "none"

    @property
    def relies_on_keyring(self) -> bool:
        """Whether the keyring is this profile's only source of its key."""
        return self.needs_key and not self.api_key_env

    def to_target(self, api_key: str | None) -> Target:
        """The Target the client calls, with the credential resolved by the caller."""
        params: dict[str, Any] = self.params.sampling()
        params.update(self.params.extra)
        return Target(
            base_url=self.base_url,
            model=self.model,
            auth=self.auth,
            api_key=api_key,
            headers=dict(self.headers),
            params=params,
            stream=self.params.stream,
            timeouts=self.timeouts,
            verify=self.tls.verify,
            ca_bundle=str(Path(self.tls.ca_bundle).expanduser()) if self.tls.ca_bundle else None,
            name=self.name,
        )

    def to_dict(self) -> dict[str, Any]:
        """The file's content: what differs from the defaults (plus the essentials), no name.

        The file name is the profile's name, so the name is not repeated inside. Leaving
        defaults out keeps files short and lets better defaults reach old profiles.
        """
        data: dict[str, Any] = {
            "base_url": self.base_url,
            "model": self.model,
            "platform": self.platform,
            "auth": self.auth,
        }
        if self.api_key_env:
            data["api_key_env"] = self.api_key_env
        if self.notes:
            data["notes"] = self.notes
        if self.headers:
            data["headers"] = dict(self.headers)
        params: dict[str, Any] = self.params.sampling()
        params["stream"] = self.params.stream
        if self.params.extra:
            params["extra"] = dict(self.params.extra)
        data["params"] = params
        defaults = Timeouts()
        timeouts = {
            key: getattr(self.timeouts, key)
            for key in TIMEOUT_KEYS
            if getattr(self.timeouts, key) != getattr(defaults, key)
        }
        if timeouts:
            data["timeouts"] = timeouts
        tls: dict[str, Any] = {}
        if not self.tls.verify:
            tls["verify"] = False
        if self.tls.ca_bundle:
            tls["ca_bundle"] = self.tls.ca_bundle
        if tls:
            data["tls"] = tls
        return data

    def to_json(self) -> dict[str, Any]:
        """Everything, defaults included, for `profiles show --format json` (never a secret)."""
        return {
            "name": self.name,
            "file": str(self.path) if self.path else None,
            "base_url": self.base_url,
            "model": self.model,
            "platform": self.platform,
            "auth": self.auth,
            "api_key_env": self.api_key_env,
            "headers": dict(self.headers),
            "params": {
                "temperature": self.params.temperature,
                "top_p": self.params.top_p,
                "max_tokens": self.params.max_tokens,
                "stream": self.params.stream,
                "extra": dict(self.params.extra),
            },
            "timeouts": {key: getattr(self.timeouts, key) for key in TIMEOUT_KEYS},
            "tls": {"verify": self.tls.verify, "ca_bundle": self.tls.ca_bundle},
            "notes": self.notes,
        }

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict(), multiline_strings=True)


# ---- the schema, and checking a profile's content against it ----------------------------------

TOP_KEYS = ("name", "base_url", "model", "platform", "auth", "api_key_env", "headers", "params", "timeouts", "tls", "notes")
PARAM_KEYS = ("temperature", "top_p", "max_tokens", "stream", "extra")
TIMEOUT_KEYS = ("connect", "read", "first_token")
TLS_KEYS = ("verify", "ca_bundle")
TABLE_KEYS = {"params": PARAM_KEYS, "timeouts": TIMEOUT_KEYS, "tls": TLS_KEYS}

# The type of every settable dotted key, for `profiles edit --set key=value`.
FIELD_TYPES: dict[str, str] = {
    "base_url": "str", "model": "str", "platform": "str", "auth": "str", "api_key_env": "str", "notes": "str",
    "params.temperature": "float", "params.top_p": "float", "params.max_tokens": "int", "params.stream": "bool",
    "timeouts.connect": "float", "timeouts.read": "float", "timeouts.first_token": "float",
    "tls.verify": "bool", "tls.ca_bundle": "str",
}  # fmt: skip
# And the open tables, whose sub-keys are free: headers.NAME (text), params.extra.NAME (JSON).
OPEN_TABLES = {"headers": "str", "params.extra": "json"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a profile: which field, and a sentence with expected and got."""

    field: str
    message: str
    hint: str = ""


def shown(value: Any) -> str:
    """A value as TOML would write it, short enough for an error sentence."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, list):
        return "a list"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def type_name(value: Any) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text", dict: "a table",
            list: "a list"}.get(type(value), type(value).__name__)  # fmt: skip


def suggest(key: str, known: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def suggest_or_list(key: str, known: tuple[str, ...]) -> str:
    """"did you mean 'model'?" for a typo, else the whole list of known keys."""
    return suggest(key, known).strip() or f"expected one of {', '.join(known)}."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_profile(data: dict[str, Any], name: str) -> list[Problem]:
    """Every problem in a profile's content (the parsed TOML), in file order where it matters."""
    problems: list[Problem] = []
    add = problems.append
    key_hint = SET_KEY_HINT.format(name=name)

    for key in data:
        if key.lower().replace("-", "_") in SECRET_KEYS:
            add(Problem(key, f"{key}: a profile never holds a secret, and this file has a {key!r} key.", key_hint))
        elif key not in TOP_KEYS:
            add(Problem(key, f"unknown key {key!r}; {suggest_or_list(key, TOP_KEYS)}"))

    if "name" in data and data["name"] != name:
        add(Problem("name", f"name: the file says {shown(data['name'])} but the file name makes it {name!r}.",
                    "the file name decides the profile's name: remove the name key or rename the file"))

    for required in ("base_url", "model"):
        if required not in data:
            add(Problem(required, f"{required}: required, and missing."))

    if "base_url" in data:
        problems.extend(_check_url(data["base_url"], key_hint))
    if "model" in data and (not isinstance(data["model"], str) or not data["model"].strip()):
        add(Problem("model", f"model: expected the model id as non-empty text, got {shown(data['model'])}."))
    _check_choice(problems, data, "platform", PLATFORMS)
    _check_choice(problems, data, "auth", AUTH_METHODS)
    if "api_key_env" in data:
        env = data["api_key_env"]
        if not isinstance(env, str) or not ENV_VAR_PATTERN.match(env):
            # Never echo it: people paste the key itself here.
            got = redact.mask(env) if isinstance(env, str) else type_name(env)
            add(Problem("api_key_env", "api_key_env: expected the name of an environment variable "
                        f"(letters, digits and _, like POLYAI_API_KEY), got {got or 'empty text'}.",
                        "put the variable's name here, not the key itself"))
    if "notes" in data and not isinstance(data["notes"], str):
        add(Problem("notes", f"notes: expected text, got {type_name(data['notes'])}."))

    for table, keys in TABLE_KEYS.items():
        value = data.get(table)
        if value is None:
            continue
        if not isinstance(value, dict):
            add(Problem(table, f"{table}: expected a table ([{table}]), got {shown(value)}."))
            continue
        for key in value:
            if key.lower().replace("-", "_") in SECRET_KEYS:
                add(Problem(f"{table}.{key}", f"{table}.{key}: a profile never holds a secret.", key_hint))
            elif key not in keys:
                add(Problem(f"{table}.{key}", f"{table}: unknown key {key!r}; {suggest_or_list(key, keys)}"))

    problems.extend(_check_headers(data.get("headers"), key_hint))
    problems.extend(check_params(data.get("params") if isinstance(data.get("params"), dict) else {}, name))
    timeouts = data.get("timeouts") if isinstance(data.get("timeouts"), dict) else {}
    for key in TIMEOUT_KEYS:
        if key in timeouts:
            value = timeouts[key]
            if not _is_number(value) or value <= 0:
                add(Problem(f"timeouts.{key}", f"timeouts.{key}: expected a number of seconds above 0, got {shown(value)}."))
    tls = data.get("tls") if isinstance(data.get("tls"), dict) else {}
    _check_bool(problems, tls, "tls.verify")
    if "ca_bundle" in tls and (not isinstance(tls["ca_bundle"], str) or not tls["ca_bundle"].strip()):
        add(Problem("tls.ca_bundle", f"tls.ca_bundle: expected the path of a PEM file, got {shown(tls['ca_bundle'])}."))
    return problems


def check_params(params: dict[str, Any], name: str) -> list[Problem]:
    """The problems in a profile's [params] values: ranges, types, and extra fields that must not be there."""
    problems: list[Problem] = []
    _check_range(problems, params, "params.temperature", 0, 2, "a number from 0 to 2")
    _check_range(problems, params, "params.top_p", 0, 1, "a number from 0 to 1")
    if "max_tokens" in params:
        value = params["max_tokens"]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(Problem("params.max_tokens",
                                    f"params.max_tokens: expected a whole number above 0, got {shown(value)}."))
    _check_bool(problems, params, "params.stream")
    if "extra" in params:
        problems.extend(_check_extra(params["extra"], SET_KEY_HINT.format(name=name)))
    return problems


def _check_url(url: Any, key_hint: str) -> list[Problem]:
    expected = "an http:// or https:// URL with a host, like https://llm.example.com/v1"
    if not isinstance(url, str):
        return [Problem("base_url", f"base_url: expected {expected}, got {shown(url)}.")]
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as error:
        return [Problem("base_url", f"base_url: expected {expected}, got {shown(url)} ({error}).")]
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url.strip()):
        return [Problem("base_url", f"base_url: expected {expected}, got {shown(url)}.")]
    if parts.username or parts.password:
        return [Problem("base_url", "base_url: a user or password in the URL would put a secret in the file.", key_hint)]
    if parts.query or parts.fragment:
        return [Problem("base_url", f"base_url: expected a base URL without ?query or #fragment "
                        f"(the workbench appends /chat/completions), got {shown(url)}.")]
    return []


def _check_choice(problems: list[Problem], data: dict[str, Any], key: str, choices: tuple[str, ...]) -> None:
    if key in data and data[key] not in choices:
        value = data[key]
        hint = suggest(value, choices).replace("? ", "?") if isinstance(value, str) else ""
        problems.append(Problem(key, f"{key}: expected one of {', '.join(choices)}, got {shown(value)}.", hint))


def _check_range(problems: list[Problem], table: dict[str, Any], dotted: str, low: float, high: float, expected: str) -> None:
    key = dotted.split(".")[-1]
    if key in table:
        value = table[key]
        if not _is_number(value) or not low <= value <= high:
            problems.append(Problem(dotted, f"{dotted}: expected {expected}, got {shown(value)}."))


def _check_bool(problems: list[Problem], table: dict[str, Any], dotted: str) -> None:
    key = dotted.split(".")[-1]
    if key in table and not isinstance(table[key], bool):
        problems.append(Problem(dotted, f"{dotted}: expected true or false, got {shown(table[key])}."))


def _check_headers(headers: Any, key_hint: str) -> list[Problem]:
    if headers is None:
        return []
    if not isinstance(headers, dict):
        return [Problem("headers", f"headers: expected a table of header names and values, got {shown(headers)}.")]
    problems = []
    for header, value in headers.items():
        dotted = f"headers.{header}"
        if header.lower().replace("_", "-") in CREDENTIAL_HEADERS:
            # The value is not shown: it is a credential.
            problems.append(Problem(dotted, f"{dotted}: this header carries a credential, which a profile never holds.",
                                    f"set auth (x-api-key or bearer) instead; {key_hint}"))
        elif not HEADER_NAME_PATTERN.match(header):
            problems.append(Problem(dotted, f"headers: expected a header name (letters, digits and -), got {shown(header)}."))
        elif not isinstance(value, str) or "\n" in value or "\r" in value:
            problems.append(Problem(dotted, f"{dotted}: expected the header's value as one line of text, got {shown(value)}."))
    return problems


def _check_extra(extra: Any, key_hint: str) -> list[Problem]:
    if not isinstance(extra, dict):
        return [Problem("params.extra", f"params.extra: expected a table of extra JSON fields, got {shown(extra)}.")]
    problems = []
    for key in extra:
        if key.lower().replace("-", "_") in SECRET_KEYS:
            problems.append(Problem(f"params.extra.{key}", f"params.extra.{key}: a profile never holds a secret.", key_hint))
        elif key in RESERVED_EXTRA:
            instead = RESERVED_EXTRA[key]
            where = f"set {instead} instead" if instead else "the workbench sends it itself"
            problems.append(Problem(f"params.extra.{key}", f"params.extra.{key}: {key!r} is not an extra field; {where}."))
    return problems


# ---- building a Profile from a file's content --------------------------------------------------


def validate_name(name: str) -> str:
    """`name` if it is a safe profile name (a file name, nothing more); ProfileError otherwise."""
    if not isinstance(name, str) or not name:
        raise ProfileError("A profile needs a name; got an empty one.", f"use {NAME_RULE}")
    if name.lower().endswith(SUFFIX) and NAME_PATTERN.match(name[: -len(SUFFIX)] or "-"):
        raise ProfileError(f"Profile name {name!r} ends with {SUFFIX}; the name is the part before it.",
                           f"use {name[: -len(SUFFIX)]!r}")
    if "/" in name or "\\" in name or ".." in name or name.startswith(".") or "\x00" in name:
        raise ProfileError(f"Profile name {name!r} is not allowed: a name is a file name, never a path "
                           "(no '/', '\\', '..' or leading dot).", f"use {NAME_RULE}")
    if not NAME_PATTERN.match(name) or name.endswith("."):
        raise ProfileError(f"Profile name {name!r} is not allowed.", f"use {NAME_RULE} (not ending with '.')")
    if name.split(".")[0].lower() in RESERVED_NAMES:
        raise ProfileError(f"Profile name {name!r} is reserved on Windows and cannot be a file name there.",
                           "pick another name")
    return name


def from_dict(data: dict[str, Any], name: str, *, path: Path | None = None, text: str | None = None) -> Profile:
    """A validated Profile from a file's parsed content; ProfileError lists every problem.

    With `text` (the file's source), each problem carries the line it is on.
    """
    validate_name(name)
    problems = check_profile(data, name)
    if problems:
        raise problems_error(problems, name, path=path, text=text)
    params = data.get("params", {})
    timeouts = data.get("timeouts", {})
    tls = data.get("tls", {})
    defaults = Timeouts()
    return Profile(
        name=name,
        base_url=data["base_url"].strip(),
        model=data["model"].strip(),
        platform=data.get("platform", DEFAULT_PLATFORM),
        auth=data.get("auth", "none"),
        api_key_env=data.get("api_key_env") or None,
        headers=dict(data.get("headers", {})),
        params=Params(
            temperature=params.get("temperature"),
            top_p=params.get("top_p"),
            max_tokens=params.get("max_tokens"),
            stream=params.get("stream", True),
            extra=dict(params.get("extra", {})),
        ),
        timeouts=Timeouts(**{key: float(timeouts.get(key, getattr(defaults, key))) for key in TIMEOUT_KEYS}),
        tls=TLS(verify=tls.get("verify", True), ca_bundle=tls.get("ca_bundle")),
        notes=data.get("notes", ""),
        path=path,
    )


def problems_error(problems: list[Problem], name: str, *, path: Path | None = None, text: str | None = None) -> ProfileError:
    """One ProfileError for all of a profile's problems, each with its line when known."""
    located = [(problem, key_position(text, problem.field) if text else None) for problem in problems]
    located.sort(key=lambda item: item[1] or (10**9, 0))
    first = located[0][1]
    where = str(path) if path else f"profile {name!r}"
    hints = list(dict.fromkeys(p.hint for p in problems if p.hint))
    if not hints and path is not None:
        hints = [f"fix the file (it is plain TOML), or change it with `workbench profiles edit {name} --set KEY=VALUE`"]
    hint = "; ".join(hints)
    if len(located) == 1:
        problem, position = located[0]
        prefix = f"{where}:{position[0]}:{position[1]}" if position else where
        return ProfileError(f"{prefix}: {problem.message}", hint, path=str(path) if path else None,
                            line=position[0] if position else None, column=position[1] if position else None)
    lines = [f"{where}: {len(located)} problems:"]
    for problem, position in located:
        lines.append(f"  {'line ' + str(position[0]) + ': ' if position else ''}{problem.message}")
    return ProfileError("\n".join(lines), hint, path=str(path) if path else None,
                        line=first[0] if first else None, column=first[1] if first else None)


_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def key_position(text: str, dotted: str) -> tuple[int, int] | None:
    """Where `dotted` (like "params.temperature") is set in TOML `text`, as (line, column).

    tomllib reports positions only for syntax errors; for a bad value we find the key
    ourselves, in the common layouts (a [table] header then `key = …`, or a dotted key).
    Falls back to the enclosing table's line, or None.
    """
    parts = dotted.split(".")
    best: tuple[int, int] | None = None
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_HEADER.match(line)
        if header:
            table = [_unquote(p) for p in header.group(1).split(".")]
            if table == parts and best is None:
                best = (number, line.index("[") + 1)
            continue
        key_match = re.match(r"^(\s*)([^=#]+?)\s*=", line)
        if not key_match:
            continue
        key = table + [_unquote(p) for p in key_match.group(2).split(".")]
        column = len(key_match.group(1)) + 1
        if key == parts:
            return (number, column)
        if best is None and key == parts[: len(key)]:
            best = (number, column)  # an inline table that holds the key
    return best


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """A TOML file's content and source text; ProfileError with path, line and column if broken."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such file.", "check the path, or `workbench profiles list`", path=str(path)) from None
    except OSError as error:
        raise ProfileError(f"{path}: cannot be read ({error.strerror or error}).",
                           "check the file's permissions", path=str(path)) from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # the byte order mark some Windows editors write
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ProfileError(f"{path}:{line}: is not UTF-8 text (byte {error.start}).",
                           "save the file as UTF-8", path=str(path), line=line) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        line = int(position.group(1)) if position else None
        column = int(position.group(2)) if position else None
        what = _TOML_POSITION.sub("", message).replace("(at end of document)", "at the end of the file").strip()
        prefix = f"{path}:{line}:{column}" if position else str(path)
        raise ProfileError(
            f"{prefix}: not valid TOML: {what}.",
            "TOML wants `key = value` lines, text in double quotes, and tables as [name]",
            path=str(path), line=line, column=column,
        ) from None


def parse_file(path: Path, name: str | None = None) -> Profile:
    """Read and validate one profile file; ProfileError with path, line and column if broken."""
    data, text = read_toml(path)
    return from_dict(data, name if name is not None else path.name[: -len(SUFFIX)], path=path, text=text)


# ---- settings from the command line (`profiles add` flags, `profiles edit --set key=value`) ----------

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_setting(setting: str, option: str = "--set") -> tuple[str, str]:
    """`key=value` -> (key, value), for `--set` and `--extra`."""
    key, sep, value = setting.partition("=")
    if not sep or not key.strip():
        # Not echoed whole: a key pasted by mistake would land in the terminal's scrollback.
        raise ProfileError(f"{option} expects KEY=VALUE, got {redact.mask(setting) or 'nothing'}.",
                           f"for example {option} params.temperature=0.5" if option == "--set" else f"for example {option} seed=7")
    return key.strip(), value


def coerce_setting(dotted: str, raw: str, name: str = "NAME") -> Any:
    """The typed value for a dotted key from its command-line text, by the schema's type."""
    if dotted.split(".")[-1].lower().replace("-", "_") in SECRET_KEYS:
        raise ProfileError(f"{dotted}: a profile never holds a secret.", SET_KEY_HINT.format(name=name))
    kind = FIELD_TYPES.get(dotted)
    for table, table_kind in OPEN_TABLES.items():
        if kind is None and dotted.startswith(table + ".") and len(dotted) > len(table) + 1:
            kind = table_kind
    if kind is None:
        known = list(FIELD_TYPES) + [f"{t}.NAME" for t in OPEN_TABLES]
        guess = suggest(dotted, list(FIELD_TYPES)).strip()
        raise ProfileError(f"unknown setting {dotted!r}; {guess or 'expected one of ' + ', '.join(known) + '.'}")
    if kind == "str":
        return raw
    if kind == "json":
        try:
            return wire.loads(raw)
        except json.JSONDecodeError:
            return raw  # plain text is a JSON string the user did not bother to quote
        except ValueError as error:  # valid JSON, but nested deeper than any request field needs
            raise ProfileError(f"{dotted}: {error}.", "give a flatter JSON value") from None
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ProfileError(f"{dotted}: expected true or false, got {raw!r}.")
    try:
        number = float(raw) if kind == "float" else int(raw)
    except ValueError:
        expected = "a number" if kind == "float" else "a whole number"
        raise ProfileError(f"{dotted}: expected {expected}, got {raw!r}.") from None
    return number


def apply_settings(data: dict[str, Any], changes: list[tuple[str, Any]], unset: list[str] = ()) -> dict[str, Any]:
    """A copy of a profile's content with dotted keys set (already typed) and others removed."""
    result = json.loads(json.dumps(data))  # a deep copy of plain TOML data
    for dotted, value in changes:
        *tables, key = setting_path(dotted)
        node = result
        for table in tables:
            node = node.setdefault(table, {})
        node[key] = value
    for dotted in unset:
        *tables, key = setting_path(dotted)
        node = result
        for table in tables:
            node = node.get(table, {})
        if key not in node:
            raise ProfileError(f"--unset {dotted}: the profile does not set it.")
        del node[key]
    return result


def setting_path(dotted: str) -> list[str]:
    """The table path of a dotted key. Header and extra names may contain dots themselves."""
    for table in OPEN_TABLES:
        if dotted.startswith(table + "."):
            return table.split(".") + [dotted[len(table) + 1 :]]
    return dotted.split(".")


# ---- the folder of profiles ---------------------------------------------------------------------


class ProfileListing(NamedTuple):
    """The good profiles, and a ProfileError for each file that could not be read."""

    profiles: list[Profile]
    problems: list[ProfileError]


class ProfileStore:
    """The profiles folder: `<name>.toml` files. Created (0o700) on the first save."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()

    @classmethod
    def default(cls, override: str | os.PathLike[str] | None = None) -> "ProfileStore":
        """The store at `--profiles DIR`, else $WORKBENCH_PROFILES, else the user config folder."""
        return cls(profiles_dir(override))

    def path_for(self, name: str) -> Path:
        return self.folder / f"{validate_name(name)}{SUFFIX}"

    def exists(self, name: str) -> bool:
        return self.path_for(name).is_file()

    def names(self) -> list[str]:
        """Names of the profile files, valid or not (hidden and temporary files are skipped)."""
        if not self.folder.is_dir():
            return []
        try:
            return sorted(
                entry.name[: -len(SUFFIX)]
                for entry in self.folder.iterdir()
                if entry.name.endswith(SUFFIX) and not entry.name.startswith(".") and entry.is_file()
            )
        except OSError as error:
            raise ProfileError(f"{self.folder}: the profiles folder cannot be read ({error.strerror or error}).",
                               "check the folder's permissions (it should be yours, mode 0700)",
                               path=str(self.folder)) from None

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """What changes when a profile file is added, removed or rewritten (by this process or
        another: `workbench profiles add` while the terminal UI is open): each file's name, size
        and modification time. Empty when the folder is missing or cannot be read."""
        try:
            entries = [entry for entry in os.scandir(self.folder)
                       if entry.name.endswith(SUFFIX) and not entry.name.startswith(".")]
            return tuple(sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns) for entry in entries))
        except OSError:
            return ()

    def list(self) -> ProfileListing:
        """Every profile that loads, and the problems of every file that does not."""
        if self.folder.exists() and not self.folder.is_dir():
            raise ProfileError(f"{self.folder} is a file, but the profiles folder must be a folder.",
                               "point --profiles (or WORKBENCH_PROFILES) at a folder")
        profiles: list[Profile] = []
        problems: list[ProfileError] = []
        for name in self.names():
            path = self.folder / f"{name}{SUFFIX}"
            try:
                validate_name(name)
                profiles.append(parse_file(path, name))
            except ProfileError as error:
                if error.path is None:  # a name problem: say which file
                    error = ProfileError(f"{path}: {error.message}", error.hint, path=str(path))
                problems.append(error)
        return ProfileListing(profiles, problems)

    def get(self, name: str) -> Profile:
        path = self.path_for(name)
        if not path.is_file():
            raise self._not_found(name)
        return parse_file(path, name)

    def read_data(self, name: str) -> dict[str, Any]:
        """A profile file's raw content, not validated, so an edit can repair a bad value."""
        path = self.path_for(name)
        if not path.is_file():
            raise self._not_found(name)
        return read_toml(path)[0]

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock: a read-modify-write inside it is not interleaved with another
        workbench's (see workbench.folder_lock). Creates the folder (0700) if needed."""
        try:
            ensure_dir(self.folder)
        except OSError as error:
            raise ProfileError(f"Could not create the profiles folder {self.folder}: {error.strerror or error}.",
                               "check that its parent folder is writable", path=str(self.folder)) from None
        with folder_lock(self.folder):
            yield

    def edit(self, name: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Profile:
        """Read a profile's file, `change` its data, validate and save it, all under the folder's lock,
        so an edit or a rename by another workbench in between is never overwritten or undone."""
        with self.locked():
            data = change(self.read_data(name))
            return self.save(from_dict(data, name, path=self.path_for(name)))

    def _not_found(self, name: str) -> ProfileError:
        others = self.names()
        close = difflib.get_close_matches(name, others, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        hint += "`workbench profiles list` shows the profiles there" if others else (
            "there are no profiles yet: add one with `workbench profiles add NAME --url URL --model MODEL`")
        return ProfileError(f"No profile named {name!r} in {self.folder}.", hint)

    def save(self, profile: Profile, *, overwrite: bool = True) -> Profile:
        """Write the profile atomically (0o600); returns it with its path. Validates first."""
        path = self.path_for(profile.name)
        content = profile.to_dict()
        problems = check_profile(content, profile.name)
        if problems:
            raise problems_error(problems, profile.name)
        data = profile.to_toml().encode("utf-8")
        try:
            with self.locked():
                write_atomic(path, data, replace=overwrite)
        except FileExistsError:
            raise ProfileError(f"A profile named {profile.name!r} exists already ({path}).",
                               f"change it with `workbench profiles edit {profile.name}`, or pick another name") from None
        except OSError as error:
            raise ProfileError(f"Could not save profile {profile.name!r} to {path}: {error.strerror or error}.",
                               "check that the folder is writable and the disk is not full; "
                               "the previous version of the file, if any, is unchanged", path=str(path)) from None
        return replace(profile, path=path)

    def create(self, profile: Profile) -> Profile:
        """Save a new profile; ProfileError if one of that name exists (never overwrites)."""
        return self.save(profile, overwrite=False)

    def rename(self, old: str, new: str) -> bool | None:
        """Rename a profile and move its keyring secret with it.

        Returns whether a secret moved, or None when the keyring could not be reached and the
        profile does not depend on it (it uses api_key_env or no auth): the file is renamed
        anyway. A profile that keeps its key in the keyring is not renamed without it.
        """
        self.get(old)  # a missing profile is reported as such, before any folder is made or locked
        with self.locked():
            return self._rename(old, new)

    def _rename(self, old: str, new: str) -> bool | None:
        profile = self.get(old)
        old_path = self.path_for(old)
        new_path = self.path_for(new)
        if old == new:
            return False
        if new_path.exists() and not _same_file(old_path, new_path):
            raise ProfileError(f"A profile named {new!r} exists already ({new_path}).",
                               f"remove it first (`workbench profiles remove {new}`) or pick another name")
        try:
            secret = secrets.get_secret(old)
        except SecretStoreError:
            if profile.relies_on_keyring:
                raise
            self._move_file(old_path, new_path)
            return None
        # Copy the secret first: a failure between the two steps leaves two copies, never none.
        if secret is not None:
            secrets.set_secret(new, secret)
        else:
            secrets.delete_secret(new)  # a stale key under the new name must not be inherited
        try:
            self._move_file(old_path, new_path)
        except BaseException:
            if secret is not None:
                secrets.delete_secret(new)
            raise
        if secret is not None:
            secrets.delete_secret(old)
        return secret is not None

    def _move_file(self, old_path: Path, new_path: Path) -> None:
        try:
            if _same_file(old_path, new_path):  # only the case changed, on a case-insensitive disk
                os.rename(old_path, new_path)
            else:
                # link + unlink never replaces a file that appeared meanwhile; rename would.
                try:
                    os.link(old_path, new_path)
                except OSError as error:
                    if error.errno == errno.EEXIST:
                        raise
                    os.rename(old_path, new_path)  # a filesystem without hard links
                else:
                    os.unlink(old_path)
            fsync_dir(self.folder)
        except FileExistsError:
            raise ProfileError(f"A profile named {new_path.stem!r} exists already ({new_path}).") from None
        except OSError as error:
            raise ProfileError(f"Could not rename {old_path} to {new_path}: {error.strerror or error}.",
                               "check that the folder is writable") from None

    def remove(self, name: str) -> bool | None:
        """Delete a profile and its keyring secret.

        Returns whether a secret was removed, or None when the keyring could not be reached
        and the profile does not depend on it (the file is removed anyway).
        """
        if not self.path_for(name).is_file():
            raise self._not_found(name)
        with self.locked():
            return self._remove(name)

    def _remove(self, name: str) -> bool | None:
        path = self.path_for(name)
        if not path.is_file():
            raise self._not_found(name)
        try:
            relies = self.get(name).relies_on_keyring
        except ProfileError:
            relies = False  # a broken file can still be removed; its secret too if reachable
        try:
            had_secret = secrets.get_secret(name) is not None
        except SecretStoreError:
            if relies:
                raise
            had_secret = None
        try:
            path.unlink()
            fsync_dir(self.folder)
        except OSError as error:
            raise ProfileError(f"Could not remove {path}: {error.strerror or error}.",
                               "check that the folder is writable") from None
        if had_secret:
            secrets.delete_secret(name)
        return had_secret


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def load(reference: str, folder: str | os.PathLike[str] | None = None) -> Profile:
    """A profile by name (from the profiles folder) or by the path of a .toml file."""
    if reference.endswith(SUFFIX):  # never a name: validate_name refuses a .toml ending
        path = Path(reference).expanduser()
        return parse_file(path, path.name[: -len(SUFFIX)])
    return ProfileStore.default(folder).get(reference)
