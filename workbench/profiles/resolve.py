"""The one place a profile, or a command line's endpoint flags, becomes a Target with its key.

Every command that calls an endpoint (chat, check, bench, simulate) and every screen of the
terminal UI resolves here, so a profile and its flags mean the same thing everywhere:
`target_of` gives a profile's Target, its key from the given environment variable, the
profile's own, or the OS keyring, and its secret headers and fields (profiles.secret_fields);
`resolve_target` adds the command line (a PROFILE, or
--url/--model/--auth/--api-key-env; flags next to a profile override its fields for this run
only); `target_for` is `target_of` for the UI, with the keyring asked off the event loop. No
click here: the shells pass plain values.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, replace

from workbench import base_url, secrets
from workbench.errors import SecretStoreError, UsageError
from workbench.profiles.model import Profile
from workbench.profiles.secret_fields import secret_values
from workbench.profiles.store import load
from workbench.redact import remember
from workbench.target import AUTH_METHODS, Target, Timeouts

EXAMPLE_URL = "http://127.0.0.1:8000/v1"


# The terminal UI's way out where no keyring works (secrets.SESSION_KEYS), named in its fixes.
SESSION_KEY_FIX = "or keep a key for this session only (Profiles, F2: the button under API key)"


@dataclass(frozen=True)
class ResolvedTarget:
    """The Target to call, and the platform its profile names (None without a profile)."""

    target: Target
    profile_platform: str | None = None


def target_of(profile: Profile, *, auth: str | None = None, api_key: str | None = None) -> Target:
    """The Target to call for `profile`, with `auth` instead of the profile's when given.

    The key is `api_key` when given (read from --api-key-env), else the profile's environment
    variable or the OS keyring: ProfileError when there is none (saying how to provide one),
    SecretStoreError when the keyring cannot be used. No key is looked for with auth none.
    """
    chosen = replace(profile, auth=auth) if auth else profile
    # The secret headers and extra fields, from the keyring or the environment (profiles.secret_fields).
    values = secret_values(chosen.name, chosen.secret_references())
    if chosen.auth == "none":
        return chosen.to_target(None, values)
    if api_key is not None:
        return chosen.to_target(api_key, values)
    credential = secrets.require_credential(chosen)
    assert credential.value is not None  # require_credential says so
    whose = f"The key of profile {chosen.name!r} (from {credential.describe()})"
    return chosen.to_target(secrets.require_sendable(credential.value, whose), values)


async def target_for(profile: Profile, *, api_key: str | None = None) -> Target:
    """`target_of` for the terminal UI: the keyring (which may wait on an unlock prompt) is
    asked in a thread, so the UI never blocks. Every screen calls here (chat, Test connection,
    check, simulate, bench, curl with key): one key source, so none says ✓ with a key another
    would not use; where no keyring works, the fix names the UI's session key too."""
    try:
        return await asyncio.to_thread(target_of, profile, api_key=api_key)
    except SecretStoreError as error:
        raise SecretStoreError(error.message, f"{error.hint}; {SESSION_KEY_FIX}") from error


def resolve_target(
    profile: str | None = None,
    *,
    url: str | None = None,
    model: str | None = None,
    auth: str | None = None,
    api_key_env: str | None = None,
    profiles_dir: str | None = None,
    default_auth: str = "bearer",
    timeout: float | None = None,
) -> ResolvedTarget:
    """Turn a command line's endpoint options into a Target, with its credential resolved.

    - PROFILE: the profile (a name in the profiles folder, or a path to a .toml file), its key from
      its environment variable or the OS keyring; any flag given overrides that field.
    - no PROFILE: --url is required, --model too; --auth defaults to `default_auth` (the way the
      chosen platform sends keys) when --api-key-env is given, else none. The key is only ever
      read from the environment, never from argv.
    """
    if auth is not None and auth not in AUTH_METHODS:
        raise UsageError(f"unknown auth method {auth!r}.", f"use one of: {', '.join(AUTH_METHODS)}.")
    if url is not None:
        check_url_flag(url)
    key_from_env = _key_from_env(api_key_env) if api_key_env else None
    if profile:
        loaded = load(profile, profiles_dir)
        target = target_of(loaded, auth=auth, api_key=key_from_env).with_(base_url=url or loaded.base_url,
                                                                           model=model or loaded.model)
        resolved = ResolvedTarget(target, loaded.platform)
    else:
        resolved = ResolvedTarget(_from_flags(url, model, auth or (default_auth if api_key_env else "none"),
                                              key_from_env))
    if timeout is None:
        return resolved
    if timeout <= 0:
        raise UsageError(f"--timeout must be more than 0 seconds; got {timeout:g}.")
    # One bound for every wait: connect keeps its own default when that is already shorter.
    timeouts = Timeouts(connect=min(resolved.target.timeouts.connect, timeout), read=timeout, first_token=timeout)
    return replace(resolved, target=resolved.target.with_(timeouts=timeouts))


def _from_flags(url: str | None, model: str | None, auth: str, api_key: str | None) -> Target:
    """The Target of --url/--model/--auth alone, without a profile."""
    if not url:
        raise UsageError(
            "no endpoint given: name a profile or pass --url.",
            "for example `--url http://127.0.0.1:8000/v1 --model mock-model` "
            "(start a local one with `workbench mock`), or `workbench profiles list` to see your profiles.",
        )
    if not model:
        raise UsageError(
            f"--url {base_url.shown(url)} needs --model: the endpoint is asked for a model by name.",
            "pass the model id your endpoint serves, e.g. --model mock-model for `workbench mock`.",
        )
    if auth != "none" and api_key is None:
        raise UsageError(
            f"--auth {auth} needs a key, and keys are not taken on the command line.",
            "export it and name the variable: --api-key-env MY_KEY_VAR (or save a profile: "
            "`workbench profiles add`).",
        )
    return Target(base_url=url, model=model, auth=auth, api_key=api_key)


def check_url_flag(url: str) -> None:
    """--url obeys the rule of a profile's base_url (workbench.base_url): UsageError naming the safe way when not.

    A credential in it (user:password@, ?api_key=…) is refused, never sent: the key goes in an
    environment variable named by --api-key-env.
    """
    found = base_url.problem(url)
    if found is None:
        return
    if found.credential:
        raise UsageError(f"--url: {found.message} Nothing was sent.",
                         "give the URL without it, and the key in an environment variable: "
                         "export MY_KEY=… and pass --api-key-env MY_KEY (--auth bearer or x-api-key says how it is "
                         "sent), or save a profile and store its key with `workbench profiles set-key NAME`.")
    raise UsageError(f"--url: {found.message}", f"give the base URL the endpoint serves, e.g. --url {EXAMPLE_URL}")


def _key_from_env(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise UsageError(
            f"the environment variable {variable} is not set or is empty.",
            f"export {variable}=YOUR_KEY first (keys are read from the environment so they stay out of `ps`).",
        )
    remember(value)  # masked in any error line main() prints, even an unexpected one
    return secrets.require_sendable(value, f"The key in environment variable {variable}")
