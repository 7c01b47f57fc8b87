"""Checking a profile's content against its schema, and the sentences that say what is wrong.

`check_profile` lists every problem in a file's parsed content (one named check per part of the
file); `from_dict` turns good content into a Profile, and bad content into one ProfileError
whose lines name where each problem sits in the file. A file with thousands of problems (a
wrong file picked, say) lists the first ones and a count of the rest.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench import base_url, redact
from workbench.errors import ProfileError
from workbench.profiles.model import (
    DEFAULT_PLATFORM,
    NAME_PATTERN,
    NAME_RULE,
    PLATFORMS,
    RESERVED_NAMES,
    SUFFIX,
    TABLE_KEYS,
    TIMEOUT_KEYS,
    TLS,
    TOP_KEYS,
    Params,
    Profile,
    key_path,
)
from workbench.profiles.secret_fields import ENV_SOURCE, KEYRING_SOURCE, is_plain_secret, secret_source
from workbench.target import AUTH_METHODS, Timeouts
from workbench.toml_lines import KeyPositions, Position

ENV_VAR_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HEADER_NAME_PATTERN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# The headers the auth methods send the key in: a profile sets `auth` instead (redact owns the list).
CREDENTIAL_HEADERS = redact.AUTH_HEADERS
# Names that are the credential itself pasted into the profile: set-key is the way to store it.
CREDENTIAL_NAMES = frozenset({"api_key", "apikey", "api-key", "key", "secret", "token", "password"})
MOVE_HINT = ("keep it out of the file: `workbench profiles edit {name} --move-secrets` stores it in the OS keyring "
             "(or read it from the environment: --header-env NAME=VAR / --extra-env FIELD=VAR)")
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
# How many problems one error lists; a file full of unknown keys says the first ones and a count.
SHOWN_PROBLEMS = 20


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
    key_hint = SET_KEY_HINT.format(name=name)
    return [
        *_check_keys(data, key_hint),
        *_check_name(data, name),
        *_check_endpoint(data, key_hint),
        *_check_tables(data, key_hint),
        *_check_headers(data.get("headers"), name),
        *check_params(_table(data, "params"), name),
        *_check_timeouts(_table(data, "timeouts")),
        *_check_tls(_table(data, "tls")),
    ]


def is_secret_key(key: str) -> bool:
    """Whether a key's name says a secret was pasted under it (api_key, token, session_token, ...):
    redact's one rule for names that look secret."""
    return redact.is_secret_name(key)


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    """A table of the profile, or {} when it is missing or not a table (_check_tables says so)."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _check_keys(data: dict[str, Any], key_hint: str) -> list[Problem]:
    """Top-level keys: a pasted secret, or a key the schema does not know."""
    problems = []
    for key in data:
        if key in TOP_KEYS:
            continue
        if is_secret_key(key):
            problems.append(Problem(key, f"{key}: a profile never holds a secret, and this file has a {key!r} key.",
                                    key_hint))
        else:
            problems.append(Problem(key, f"unknown key {key!r}; {suggest_or_list(key, TOP_KEYS)}"))
    return problems


def _check_name(data: dict[str, Any], name: str) -> list[Problem]:
    if "name" in data and data["name"] != name:
        return [Problem("name", f"name: the file says {shown(data['name'])} but the file name makes it {name!r}.",
                        "the file name decides the profile's name: remove the name key or rename the file")]
    return []


def _check_endpoint(data: dict[str, Any], key_hint: str) -> list[Problem]:
    """The top-level values: where to call, which model, as which platform, with which auth."""
    problems = [Problem(required, f"{required}: required, and missing.")
                for required in ("base_url", "model") if required not in data]
    if "base_url" in data:
        problems.extend(_check_url(data["base_url"], key_hint))
    if "model" in data and (not isinstance(data["model"], str) or not data["model"].strip()):
        problems.append(Problem("model",
                                f"model: expected the model id as non-empty text, got {shown(data['model'])}."))
    _check_choice(problems, data, "platform", PLATFORMS)
    _check_choice(problems, data, "auth", AUTH_METHODS)
    if "api_key_env" in data:
        problems.extend(_check_env_var(data["api_key_env"]))
    if "notes" in data and not isinstance(data["notes"], str):
        problems.append(Problem("notes", f"notes: expected text, got {type_name(data['notes'])}."))
    return problems


def _check_env_var(env: Any) -> list[Problem]:
    if isinstance(env, str) and ENV_VAR_PATTERN.match(env):
        return []
    # Never echo it: people paste the key itself here.
    got = redact.mask(env) if isinstance(env, str) else type_name(env)
    return [Problem("api_key_env", "api_key_env: expected the name of an environment variable "
                    f"(letters, digits and _, like POLYAI_API_KEY), got {got or 'empty text'}.",
                    "put the variable's name here, not the key itself")]


def _check_tables(data: dict[str, Any], key_hint: str) -> list[Problem]:
    """[params], [timeouts] and [tls]: each a table, holding only the keys it knows."""
    problems = []
    for table, keys in TABLE_KEYS.items():
        value = data.get(table)
        if value is None:
            continue
        if not isinstance(value, dict):
            problems.append(Problem(table, f"{table}: expected a table ([{table}]), got {shown(value)}."))
            continue
        for key in value:
            if key in keys:
                continue
            if is_secret_key(key):
                problems.append(Problem(f"{table}.{key}", f"{table}.{key}: a profile never holds a secret.", key_hint))
            else:
                problems.append(Problem(f"{table}.{key}",
                                        f"{table}: unknown key {key!r}; {suggest_or_list(key, keys)}"))
    return problems


def _check_timeouts(timeouts: dict[str, Any]) -> list[Problem]:
    return [Problem(f"timeouts.{key}",
                    f"timeouts.{key}: expected a number of seconds above 0, got {shown(timeouts[key])}.")
            for key in TIMEOUT_KEYS
            if key in timeouts and (not _is_number(timeouts[key]) or timeouts[key] <= 0)]


def _check_tls(tls: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    _check_bool(problems, tls, "tls.verify")
    if "ca_bundle" in tls and (not isinstance(tls["ca_bundle"], str) or not tls["ca_bundle"].strip()):
        problems.append(Problem("tls.ca_bundle",
                                f"tls.ca_bundle: expected the path of a PEM file, got {shown(tls['ca_bundle'])}."))
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
        problems.extend(_check_extra(params["extra"], name))
    return problems


def _check_url(url: Any, key_hint: str) -> list[Problem]:
    """The base URL rule (workbench.base_url), said of base_url."""
    if not isinstance(url, str):
        return [Problem("base_url", f"base_url: expected an http:// or https:// URL with a host, like "
                        f"{base_url.EXAMPLE}, got {shown(url)}.")]
    found = base_url.problem(url.strip())
    if found is None:
        return []
    if found.credential:
        return [Problem("base_url", f"base_url: {found.message} A profile never holds a secret.", key_hint)]
    return [Problem("base_url", f"base_url: {found.message}")]


def _check_choice(problems: list[Problem], data: dict[str, Any], key: str, choices: tuple[str, ...]) -> None:
    if key in data and data[key] not in choices:
        value = data[key]
        hint = suggest(value, choices).replace("? ", "?") if isinstance(value, str) else ""
        problems.append(Problem(key, f"{key}: expected one of {', '.join(choices)}, got {shown(value)}.", hint))


def _check_range(
    problems: list[Problem], table: dict[str, Any], dotted: str, low: float, high: float, expected: str
) -> None:
    key = dotted.split(".")[-1]
    if key in table:
        value = table[key]
        if not _is_number(value) or not low <= value <= high:
            problems.append(Problem(dotted, f"{dotted}: expected {expected}, got {shown(value)}."))


def _check_bool(problems: list[Problem], table: dict[str, Any], dotted: str) -> None:
    key = dotted.split(".")[-1]
    if key in table and not isinstance(table[key], bool):
        problems.append(Problem(dotted, f"{dotted}: expected true or false, got {shown(table[key])}."))


def _check_headers(headers: Any, name: str) -> list[Problem]:
    key_hint = SET_KEY_HINT.format(name=name)
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
            problems.append(Problem(dotted,
                                    f"headers: expected a header name (letters, digits and -), got {shown(header)}."))
        elif isinstance(value, dict):
            problems.extend(_check_reference(dotted, value))
        elif is_plain_secret("headers", header, value):
            problems.append(Problem(dotted, f"{dotted}: the header's name says it carries a secret, which a profile "
                                    "never holds in its file.", MOVE_HINT.format(name=name)))
        elif not isinstance(value, str) or "\n" in value or "\r" in value:
            problems.append(Problem(dotted,
                                    f"{dotted}: expected the header's value as one line of text, got {shown(value)}."))
    return problems


def _check_extra(extra: Any, name: str) -> list[Problem]:
    key_hint = SET_KEY_HINT.format(name=name)
    if not isinstance(extra, dict):
        return [Problem("params.extra", f"params.extra: expected a table of extra JSON fields, got {shown(extra)}.")]
    problems = []
    for key, value in extra.items():
        dotted = f"params.extra.{key}"
        if secret_source(value) is not None:
            problems.extend(_check_reference(dotted, value))
        elif key.lower().replace("-", "_") in CREDENTIAL_NAMES:
            problems.append(Problem(dotted, f"{dotted}: a profile never holds a secret.", key_hint))
        elif is_plain_secret("params.extra", key, value):
            problems.append(Problem(dotted, f"{dotted}: a profile never holds a secret.",
                                    MOVE_HINT.format(name=name)))
        elif key in RESERVED_EXTRA:
            instead = RESERVED_EXTRA[key]
            where = f"set {instead} instead" if instead else "the workbench sends it itself"
            problems.append(Problem(f"params.extra.{key}",
                                    f"params.extra.{key}: {key!r} is not an extra field; {where}."))
    return problems


def _check_reference(dotted: str, value: Any) -> list[Problem]:
    """A secret kept outside the file: `{ secret = "keyring" }` or `{ secret = "env:VAR" }`."""
    source = secret_source(value)
    variable = source[len(ENV_SOURCE):] if source and source.startswith(ENV_SOURCE) else None
    if source == KEYRING_SOURCE or (variable is not None and ENV_VAR_PATTERN.match(variable)):
        return []
    return [Problem(dotted, f'{dotted}: expected text, or where a secret lives ({{ secret = "keyring" }} or '
                    f'{{ secret = "env:VAR" }}), got {shown(value) if source is None else shown(source)}.')]


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


def problems_error(
    problems: list[Problem], name: str, *, path: Path | None = None, text: str | None = None
) -> ProfileError:
    """One ProfileError for all of a profile's problems, each with its line when known (the first
    SHOWN_PROBLEMS of them, in file order, then how many more)."""
    positions = KeyPositions(text) if text else None
    located = [(problem, positions.find(key_path(problem.field)) if positions else None) for problem in problems]
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
    lines.extend(_problem_line(problem, position) for problem, position in located[:SHOWN_PROBLEMS])
    if len(located) > SHOWN_PROBLEMS:
        lines.append(f"  ... and {len(located) - SHOWN_PROBLEMS} more problems.")
    return ProfileError("\n".join(lines), hint, path=str(path) if path else None,
                        line=first[0] if first else None, column=first[1] if first else None)


def _problem_line(problem: Problem, position: Position | None) -> str:
    return f"  {'line ' + str(position[0]) + ': ' if position else ''}{problem.message}"
