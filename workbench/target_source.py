"""Where a command's Target comes from: a profile (and its stored key), or --url/--model flags.

Shared by `chat`, `check`, `bench` and `simulate`, so `[PROFILE | --url URL --model M --auth …
--api-key-env VAR]` means the same everywhere. Keys never come from the command line: a
profile's key comes from the keyring or its environment variable, a --url target's from
--api-key-env.
"""

from __future__ import annotations

import os
from dataclasses import replace

from workbench.errors import UsageError
from workbench.target import AUTH_METHODS, Target, Timeouts


def resolve_target(
    profile: str | None,
    *,
    url: str | None = None,
    model: str | None = None,
    auth: str | None = None,
    api_key_env: str | None = None,
    timeout: float | None = None,
    profiles_dir: str | None = None,
) -> Target:
    """The Target to call. Flags given alongside a profile override its values."""
    if auth is not None and auth not in AUTH_METHODS:
        raise UsageError(f"Unknown auth method {auth!r}.", f"Use one of: {', '.join(AUTH_METHODS)}.")
    if url is not None:
        _check_url(url)
    key_from_env = _env_key(api_key_env) if api_key_env else None
    if profile:
        from workbench import profiles, secrets

        loaded = profiles.load(profile, profiles_dir)
        if auth is not None:
            loaded = replace(loaded, auth=auth)
        if key_from_env is not None:
            key = key_from_env
        else:
            key = secrets.require_credential(loaded).value
        target = loaded.to_target(key)
        changes = {k: v for k, v in (("base_url", url), ("model", model)) if v}
        if changes:
            target = target.with_(**changes)
    else:
        if not url:
            raise UsageError(
                "No target: name a profile, or give --url (and --model).",
                "For example: `workbench chat local-mock \"hello\"`, or "
                "`workbench chat --url http://127.0.0.1:8000/v1 --model mock-model \"hello\"`.",
            )
        if not model:
            raise UsageError(
                "--url needs --model: the request body must name a model.",
                "Add --model NAME (the mock accepts mock-model; `GET /v1/models` lists a server's names).",
            )
        method = auth or ("bearer" if key_from_env else "none")
        if method != "none" and key_from_env is None:
            raise UsageError(
                f"--auth {method} needs a key, and keys are never taken from the command line.",
                "Export the key in a variable and pass its name: --api-key-env MY_KEY_VAR.",
            )
        target = Target(base_url=url, model=model, auth=method, api_key=key_from_env)
    if timeout is not None:
        if timeout <= 0:
            raise UsageError(f"--timeout must be more than 0 seconds; got {timeout:g}.")
        target = target.with_(
            timeouts=Timeouts(connect=min(target.timeouts.connect, timeout), read=timeout, first_token=timeout)
        )
    return target


def _env_key(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UsageError(
            f"The environment variable {name} is not set or is empty, so there is no key to send.",
            f"Export it first (export {name}=YOUR_KEY), or leave out --api-key-env.",
        )
    return value


def _check_url(url: str) -> None:
    if not url.lower().startswith(("http://", "https://")):
        raise UsageError(
            f"--url must start with http:// or https://; got {url!r}.",
            "Give the base URL in full, e.g. http://127.0.0.1:8000/v1 (the client adds /chat/completions).",
        )
