"""Secret headers and extra fields: in the profile file only where their values live, the values elsewhere.

A header or extra request field whose name looks secret (`redact.is_secret_name`: X-Custom-Auth,
X-Session-Token, session_token, …) never holds its value in the file. The file says where it
lives, as an inline table:

    [headers]
    X-Team = "voice"
    X-Custom-Auth = { secret = "keyring" }        # the OS keyring, user "PROFILE/header/X-Custom-Auth"
    [params.extra]
    session_token = { secret = "env:SESSION_TOKEN" }   # read from this environment variable

Any header or field may be kept so; one whose name looks secret must be. `move_plain_secrets`
stores plain values in the keyring and writes references instead: `profiles add/edit` do it
for `--header X-Custom-Auth=…`, and `profiles edit NAME --move-secrets` does it for a profile
written before this rule (which loads as a problem naming that command, never silently). The
values are read when the profile becomes a Target (`secret_values`), and are secrets of the
Target: masked wherever they turn up.
"""

from __future__ import annotations

import json
import os
from typing import Any

from workbench import redact, secrets
from workbench.errors import ProfileError

SECRET_REF = "secret"
KEYRING_SOURCE = "keyring"
ENV_SOURCE = "env:"
SECRET_TABLES = {"headers": "header", "params.extra": "extra"}  # dotted table -> its word in a keyring user


def secret_source(value: Any) -> str | None:
    """"keyring" or "env:VAR" when `value` is a reference to a secret kept outside the file, else None."""
    if isinstance(value, dict) and set(value) == {SECRET_REF}:
        source = value[SECRET_REF]
        return source if isinstance(source, str) else None
    return None


def reference(source: str) -> dict[str, str]:
    return {SECRET_REF: source}


def is_plain_secret(table: str, name: str, value: Any) -> bool:
    """A header or extra field whose name looks secret and whose value (text) is written in the file."""
    looks_secret = redact.is_secret_header(name) if table == "headers" else redact.is_secret_name(name)
    return looks_secret and isinstance(value, str)


def keyring_field(dotted: str) -> str:
    """The part of the keyring user after the profile name: "headers.X-Auth" -> "header/X-Auth"."""
    for table, word in SECRET_TABLES.items():
        if dotted.startswith(table + "."):
            return f"{word}/{dotted[len(table) + 1 :]}"
    raise ValueError(f"{dotted} is not a header or an extra field")


def describe(dotted: str) -> str:
    """"header X-Custom-Auth" or "extra field session_token"."""
    if dotted.startswith("params.extra."):
        return f"extra field {dotted[len('params.extra.'):]}"
    return f"header {dotted.removeprefix('headers.')}"


def _tables(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    params = data.get("params")
    extra = params.get("extra") if isinstance(params, dict) else None
    found = [("headers", data.get("headers")), ("params.extra", extra)]
    return [(name, table) for name, table in found if isinstance(table, dict)]


def plain_secrets(data: dict[str, Any]) -> list[str]:
    """The dotted names of every plain secret in a profile's content."""
    return [f"{table}.{name}" for table, node in _tables(data) for name, value in node.items()
            if is_plain_secret(table, name, value)]


def take_plain_secrets(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of a profile's content with every plain secret replaced by a keyring reference, and the
    values taken out (dotted name -> value), for the caller to store (the TUI's form does, on save)."""
    copied = json.loads(json.dumps(data))
    taken = {}
    for table, node in _tables(copied):
        for name, value in list(node.items()):
            if is_plain_secret(table, name, value):
                taken[f"{table}.{name}"] = value
                node[name] = reference(KEYRING_SOURCE)
    return copied, taken


def store_values(profile_name: str, values: dict[str, str]) -> None:
    """Each value (dotted name -> value) into the OS keyring under the profile's name."""
    for dotted, value in values.items():
        secrets.set_secret(profile_name, value, field=keyring_field(dotted))


def move_plain_secrets(data: dict[str, Any], profile_name: str) -> tuple[dict[str, Any], list[str]]:
    """A copy of a profile's content with every plain secret stored in the OS keyring and replaced by a
    reference, and the dotted names moved. ProfileError (nothing stored for that one) for a value
    that could not be sent (secrets.key_problem); SecretStoreError when the keyring cannot be used."""
    copied, taken = take_plain_secrets(data)
    store_values(profile_name, taken)
    return copied, list(taken)


def secret_values(profile_name: str, references: dict[str, str]) -> dict[str, str]:
    """The value of each secret reference (dotted name -> source), read from the keyring or the environment.

    ProfileError naming the profile, the field and the fix when one is missing or could not be sent.
    """
    values = {}
    for dotted, source in references.items():
        what = describe(dotted)
        if source.startswith(ENV_SOURCE):
            variable = source[len(ENV_SOURCE):]
            value = os.environ.get(variable)
            where = f"environment variable {variable}"
            fix = f"export {variable}=… before running the workbench"
        else:
            field = keyring_field(dotted)
            value = secrets.get_secret(profile_name, field=field)
            where = f"the OS keyring (user {profile_name}/{field})"
            flag = "--header" if dotted.startswith("headers.") else "--extra"
            fix = f"store it with `workbench profiles set-key {profile_name} {flag} {dotted.split('.')[-1]}`"
        if not value:
            raise ProfileError(f"Profile {profile_name!r} keeps its {what} in {where}, which holds no value.", fix)
        redact.remember(value)
        values[dotted] = secrets.require_sendable(value, f"The {what} of profile {profile_name!r} (from {where})")
    return values


def keyring_fields(references: dict[str, str]) -> list[str]:
    """The keyring fields (header/NAME, extra/NAME) of the references kept in the keyring."""
    return [keyring_field(dotted) for dotted, source in references.items() if source == KEYRING_SOURCE]
