"""The flags `profiles add` and `profiles edit` share, one per profile setting, and the changes they ask for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from workbench.cli.options import number_range
from workbench.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])

# Flag name -> the dotted profile key it sets (see workbench.profiles.settings.FIELD_TYPES).
_PROFILE_FLAGS = {
    "base_url": "base_url", "model": "model", "platform": "platform", "auth": "auth",
    "api_key_env": "api_key_env", "notes": "notes",
    "temperature": "params.temperature", "top_p": "params.top_p", "max_tokens": "params.max_tokens",
    "stream": "params.stream", "connect_timeout": "timeouts.connect", "read_timeout": "timeouts.read",
    "first_token_timeout": "timeouts.first_token", "verify": "tls.verify", "ca_bundle": "tls.ca_bundle",
}  # fmt: skip


def setting_options(command: F) -> F:
    """The options `profiles add` and `profiles edit` share: one per profile setting."""
    options = [
        click.option("--url", "base_url", metavar="URL", help="Base URL; requests go to URL/chat/completions."),
        click.option("--model", metavar="MODEL", help="Model id sent in every request."),
        click.option("--platform", metavar="PLATFORM",
                     help="Default platform: polyai, playai, polyant, vapi, elevenlabs, openai, pipecat or livekit."),
        click.option("--auth", metavar="METHOD", help="How the key is sent: none, x-api-key or bearer."),
        click.option("--api-key-env", metavar="VAR",
                     help="Take the key from this environment variable (it wins over the keyring)."),
        click.option("--header", "headers", multiple=True, metavar="NAME=VALUE",
                     help="Extra header (repeatable); one whose name looks secret (X-Custom-Auth) goes to the "
                          "OS keyring."),
        click.option("--header-env", "header_envs", multiple=True, metavar="NAME=VAR",
                     help="A header whose value is read from environment variable VAR (repeatable)."),
        click.option("--temperature", type=number_range(), help="0 to 2."),
        click.option("--top-p", type=number_range(), help="0 to 1."),
        click.option("--max-tokens", type=int, help="Above 0."),
        click.option("--stream/--no-stream", default=None, help="Ask for a streamed (SSE) reply."),
        click.option("--extra", multiple=True, metavar="FIELD=JSON",
                     help="Extra JSON field in every request body (repeatable), e.g. --extra seed=7; one whose "
                          "name looks secret (session_token) goes to the OS keyring."),
        click.option("--extra-env", "extra_envs", multiple=True, metavar="FIELD=VAR",
                     help="An extra field whose value is read from environment variable VAR (repeatable)."),
        click.option("--connect-timeout", type=number_range(), metavar="S", help="Seconds to connect."),
        click.option("--read-timeout", type=number_range(), metavar="S", help="Seconds between bytes of the reply."),
        click.option("--first-token-timeout", type=number_range(), metavar="S", help="Seconds to the first token."),
        click.option("--verify/--no-verify", "verify", default=None, help="Verify TLS certificates (default on)."),
        click.option("--ca-bundle", metavar="PEM", help="CA bundle to verify TLS with."),
        click.option("--notes", help="Free text."),
        click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
                     help="Any setting by its dotted key, e.g. --set timeouts.read=60 (repeatable)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def settings_from_flags(flags: dict[str, Any], name: str) -> list[tuple[str, object]]:
    """The (dotted key, typed value) changes the add/edit flags ask for, in flag order."""
    from workbench.profiles.secret_fields import ENV_SOURCE, reference
    from workbench.profiles.settings import coerce_setting, parse_setting
    from workbench.redact import mask

    changes: list[tuple[str, object]] = [
        (dotted, flags[flag]) for flag, dotted in _PROFILE_FLAGS.items() if flags.get(flag) is not None
    ]
    for header in flags.get("headers", ()):
        separator = "=" if "=" in header else ":"
        header_name, found, value = header.partition(separator)
        if not found or not header_name.strip():
            raise UsageError(f"--header expects NAME=VALUE, got {mask(header) or 'nothing'}.",
                             "for example --header X-Team=voice")
        changes.append((f"headers.{header_name.strip()}", value.strip()))
    for extra in flags.get("extra", ()):
        field, value = parse_setting(extra, "--extra")
        changes.append((f"params.extra.{field}", coerce_setting(f"params.extra.{field}", value, name)))
    for option, table in (("header_envs", "headers"), ("extra_envs", "params.extra")):
        for pair in flags.get(option, ()):
            field, variable = parse_setting(pair, "--" + option.replace("_envs", "-env"))
            changes.append((f"{table}.{field}", reference(f"{ENV_SOURCE}{variable.strip()}")))
    for setting in flags.get("settings", ()):
        key, value = parse_setting(setting)
        changes.append((key, coerce_setting(key, value, name)))
    return changes
