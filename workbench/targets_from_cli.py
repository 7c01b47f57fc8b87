"""The one way a command line names an endpoint: a PROFILE, or --url/--model/--auth/--api-key-env.

Every command that calls an endpoint (chat, check, bench, simulate) resolves its options here,
so a profile and its flags mean the same thing everywhere. Flags given next to a profile
override that profile's fields for this run only. No click here: the shells pass plain values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from workbench.errors import UsageError
from workbench.target import AUTH_METHODS, Target, Timeouts


@dataclass(frozen=True)
class ResolvedTarget:
    """The Target to call, and the platform its profile names (None without a profile)."""

    target: Target
    profile_platform: str | None = None


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
      chosen platform sends keys) when --api-key-env is given, else none. The key is only ever read from the environment, never from argv.
    """
    resolved = _resolve(profile, url=url, model=model, auth=auth, api_key_env=api_key_env,
                        profiles_dir=profiles_dir, default_auth=default_auth)
    if timeout is None:
        return resolved
    if timeout <= 0:
        raise UsageError(f"--timeout must be more than 0 seconds; got {timeout:g}.")
    # One bound for every wait: connect keeps its own default when that is already shorter.
    timeouts = Timeouts(connect=min(resolved.target.timeouts.connect, timeout), read=timeout, first_token=timeout)
    return replace(resolved, target=resolved.target.with_(timeouts=timeouts))


def _resolve(
    profile: str | None,
    *,
    url: str | None,
    model: str | None,
    auth: str | None,
    api_key_env: str | None,
    profiles_dir: str | None,
    default_auth: str,
) -> ResolvedTarget:
    if auth is not None and auth not in AUTH_METHODS:
        raise UsageError(f"unknown auth method {auth!r}.", f"use one of: {', '.join(AUTH_METHODS)}.")
    key_from_env = _key_from_env(api_key_env) if api_key_env else None
    if profile:
        return _from_profile(profile, url=url, model=model, auth=auth, key_from_env=key_from_env,
                             profiles_dir=profiles_dir)
    if not url:
        raise UsageError(
            "no endpoint given: name a profile or pass --url.",
            "for example `--url http://127.0.0.1:8000/v1 --model mock-model` "
            "(start a local one with `workbench mock`), or `workbench profiles list` to see your profiles.",
        )
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--url must start with http:// or https://; got {url!r}.", "e.g. --url http://127.0.0.1:8000/v1")
    if not model:
        raise UsageError(
            f"--url {url} needs --model: the endpoint is asked for a model by name.",
            "pass the model id your endpoint serves, e.g. --model mock-model for `workbench mock`.",
        )
    chosen_auth = auth or (default_auth if api_key_env else "none")
    if chosen_auth != "none" and not api_key_env:
        raise UsageError(
            f"--auth {chosen_auth} needs a key, and keys are not taken on the command line.",
            "export it and name the variable: --api-key-env MY_KEY_VAR (or save a profile: "
            "`workbench profiles add`).",
        )
    return ResolvedTarget(Target(base_url=url, model=model, auth=chosen_auth, api_key=key_from_env))


def _from_profile(
    reference: str,
    *,
    url: str | None,
    model: str | None,
    auth: str | None,
    key_from_env: str | None,
    profiles_dir: str | None,
) -> ResolvedTarget:
    from workbench.profiles import load
    from workbench.secrets import require_credential

    loaded = load(reference, profiles_dir)
    chosen_auth = auth or loaded.auth
    if chosen_auth == "none":
        api_key = None
    elif key_from_env is not None:
        api_key = key_from_env
    else:
        api_key = require_credential(replace(loaded, auth=chosen_auth)).value
    target = loaded.to_target(api_key).with_(auth=chosen_auth)
    if url:
        target = target.with_(base_url=url)
    if model:
        target = target.with_(model=model)
    return ResolvedTarget(target, loaded.platform)


def _key_from_env(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise UsageError(
            f"the environment variable {variable} is not set or is empty.",
            f"export {variable}=YOUR_KEY first (keys are read from the environment so they stay out of `ps`).",
        )
    from workbench.redact import remember

    remember(value)  # masked in any error line main() prints, even an unexpected one
    return value
