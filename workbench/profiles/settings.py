"""Settings typed on a command line: `profiles edit --set params.temperature=0.5`, `--unset`, `--extra`.

A dotted key names a field of the profile file (`workbench.profiles.model` has the layout);
its text becomes a value of the field's type, with a sentence when it cannot.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from workbench import redact, wire
from workbench.errors import ProfileError
from workbench.profiles.model import OPEN_TABLES, key_path
from workbench.profiles.schema import SET_KEY_HINT, is_secret_key, suggest

# The type of every settable dotted key, for `profiles edit --set key=value`.
FIELD_TYPES: dict[str, str] = {
    "base_url": "str", "model": "str", "platform": "str", "auth": "str", "api_key_env": "str", "notes": "str",
    "params.temperature": "float", "params.top_p": "float", "params.max_tokens": "int", "params.stream": "bool",
    "timeouts.connect": "float", "timeouts.read": "float", "timeouts.first_token": "float",
    "tls.verify": "bool", "tls.ca_bundle": "str",
}  # fmt: skip
# The open tables' sub-keys are free: headers.NAME is text, params.extra.NAME JSON (model.OPEN_TABLES).

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_setting(setting: str, option: str = "--set") -> tuple[str, str]:
    """`key=value` -> (key, value), for `--set` and `--extra`."""
    key, sep, value = setting.partition("=")
    if not sep or not key.strip():
        # Not echoed whole: a key pasted by mistake would land in the terminal's scrollback.
        example = "params.temperature=0.5" if option == "--set" else "seed=7"
        raise ProfileError(f"{option} expects KEY=VALUE, got {redact.mask(setting) or 'nothing'}.",
                           f"for example {option} {example}")
    return key.strip(), value


def coerce_setting(dotted: str, raw: str, name: str = "NAME") -> Any:
    """The typed value for a dotted key from its command-line text, by the schema's type."""
    kind = FIELD_TYPES.get(dotted)
    for table, table_kind in OPEN_TABLES.items():
        if kind is None and dotted.startswith(table + ".") and len(dotted) > len(table) + 1:
            kind = table_kind
    # A secret-looking header or extra field is taken here and moved to the keyring when the profile is
    # saved (profiles.secret_fields); any other key whose name looks secret is a pasted credential.
    if kind is None and is_secret_key(dotted.split(".")[-1]):
        raise ProfileError(f"{dotted}: a profile never holds a secret.", SET_KEY_HINT.format(name=name))
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


def apply_settings(
    data: dict[str, Any], changes: list[tuple[str, Any]], unset: Sequence[str] = ()
) -> dict[str, Any]:
    """A copy of a profile's content with dotted keys set (already typed) and others removed."""
    result: dict[str, Any] = json.loads(json.dumps(data))  # a deep copy of plain TOML data
    for dotted, value in changes:
        *tables, key = key_path(dotted)
        node = result
        for table in tables:
            node = node.setdefault(table, {})
        node[key] = value
    for dotted in unset:
        *tables, key = key_path(dotted)
        node = result
        for table in tables:
            node = node.get(table, {})
        if key not in node:
            raise ProfileError(f"--unset {dotted}: the profile does not set it.")
        del node[key]
    return result
