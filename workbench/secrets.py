"""Credentials in the OS keyring (masking them is workbench.redact's job).

A profile's key lives in the OS keyring under service `byom-workbench`, user = profile name,
or in an environment variable the profile names (`api_key_env`); never in a file.
Where no keyring works we say so with the fix and stop: there is no silent fallback to a
plaintext file, and a plaintext backend is used only if the user configured it for keyring
themselves. What the user may choose instead, in the TUI, is a session key: held in this
process's memory for the session only (never written, gone on exit; `SESSION_KEYS`). Every
keyring call runs under a deadline, because a Secret Service waiting on an unlock prompt nobody
can see (an SSH session, a container) would otherwise hang forever.
"""

from __future__ import annotations

import configparser
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from workbench.errors import ProfileError, SecretStoreError
from workbench.redact import SHORTEST_IN_BODIES, mask, remember

SERVICE = "byom-workbench"
TIMEOUT_ENV = "WORKBENCH_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT_S = 15.0

UNLOCK_FIX = (
    "start and unlock gnome-keyring (in a desktop session it is running already; on a headless box run "
    "`dbus-run-session -- $SHELL`, then `printf '%s\\n' \"$KEYRING_PASSWORD\" | "
    "gnome-keyring-daemon --unlock --components=secrets`)"
)
ENV_FIX = (
    "set api_key_env in the profile (`workbench profiles edit NAME --api-key-env VAR`) "
    "and export the key in that variable"
)
NO_KEYRING_FIX = f"{UNLOCK_FIX}, or {ENV_FIX}"

T = TypeVar("T")


class KeyedProfile(Protocol):
    """What credential lookup needs from a profile (workbench.profiles.Profile has it)."""

    # Read-only members, so a frozen dataclass (Profile) satisfies it.
    @property
    def name(self) -> str: ...
    @property
    def auth(self) -> str: ...
    @property
    def api_key_env(self) -> str | None: ...


@dataclass(frozen=True)
class Credential:
    """A resolved credential and where it came from.

    `source` is "keyring", "env:VAR", "session" (held in memory for this session only),
    "missing" (auth needs a key and none was found) or "none" (the profile's auth is none, so
    no key is needed). `note` explains a missing key.
    """

    value: str | None
    source: str
    note: str = ""

    @property
    def masked(self) -> str:
        return mask(self.value)

    def describe(self) -> str:
        if self.source == "keyring":
            return "the OS keyring"
        if self.source.startswith("env:"):
            return f"environment variable {self.source[4:]}"
        if self.source == "session":
            return SESSION_NOTE
        if self.source == "none":
            return "not needed (auth none)"
        return "missing" + (f": {self.note}" if self.note else "")


# ---- the keyring, with a deadline and errors worded for a person ------------------------------


def keyring_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


def _with_deadline(doing: str, call: Callable[[], T]) -> T:
    """Run one keyring call in a daemon thread; give up (not hang) after `keyring_timeout()`.

    A thread cannot be killed, but a daemon thread never keeps the process alive, so the
    command can report and exit while D-Bus keeps waiting.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error

    worker = threading.Thread(target=run, name="keyring-call", daemon=True)
    worker.start()
    timeout = keyring_timeout()
    worker.join(timeout)
    if worker.is_alive():
        raise SecretStoreError(
            f"The OS keyring did not answer within {timeout:g} s while {doing} "
            "(a locked keyring may be waiting for an unlock prompt nobody can see, as over SSH).",
            f"{NO_KEYRING_FIX}; or allow more time with {TIMEOUT_ENV}=SECONDS",
        )
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, SecretStoreError):
            raise error
        raise _explain(error, doing) from error
    value: T = outcome["value"]
    return value


def _explain(error: BaseException, doing: str) -> SecretStoreError:
    """Turn whatever keyring, secretstorage, jeepney or the OS raised into one sentence."""
    from keyring import errors as keyring_errors

    detail = str(error).strip() or type(error).__name__
    names = {cls.__name__ for cls in type(error).__mro__}
    if isinstance(error, keyring_errors.NoKeyringError):
        what = "No OS keyring is available (keyring found no working backend)"
    elif isinstance(error, keyring_errors.KeyringLocked) or names & {"LockedException", "PromptDismissedException"}:
        what = f"The OS keyring is locked and was not unlocked ({detail})"
    elif isinstance(error, keyring_errors.InitError):
        what = f"The OS keyring could not be opened ({detail})"
    elif isinstance(error, keyring_errors.PasswordSetError):
        what = f"The OS keyring refused to store the key ({detail})"
    elif names & {"SecretServiceNotAvailableException", "DBusErrorResponse", "SecretStorageException"}:
        what = f"The Secret Service could not be used over D-Bus ({detail})"
    elif isinstance(error, (OSError, EOFError)):
        what = f"The OS keyring could not be reached ({type(error).__name__}: {detail})"
    else:
        what = f"The OS keyring failed ({type(error).__name__}: {detail})"
    return SecretStoreError(f"{what} while {doing}.", NO_KEYRING_FIX)


def _explicitly_configured() -> bool:
    """True when the user chose keyring's backend (PYTHON_KEYRING_BACKEND or keyringrc.cfg)."""
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    from keyring.util import platform_

    config = configparser.RawConfigParser()
    try:
        config.read(platform_.config_root() / "keyringrc.cfg", encoding="utf-8")
    except (OSError, configparser.Error):
        return False
    return config.has_option("backend", "default-keyring")


def _stores_plaintext(backend: object) -> bool:
    """keyrings.alt backends keep secrets in files we would not pick: not an OS keyring."""
    return type(backend).__module__.startswith("keyrings.alt")


def _usable_backend() -> Any:
    """The backend keyring chose, or SecretStoreError when it cannot keep a secret safely."""
    import keyring
    from keyring.backends import chainer, fail, null

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or (isinstance(backend, chainer.ChainerBackend) and not backend.backends):
        # An empty chainer "stores" by doing nothing; that must not pass for success.
        raise SecretStoreError(
            "No OS keyring is available: keyring found no working backend "
            "(on Linux it needs a Secret Service such as gnome-keyring, reached over D-Bus).",
            NO_KEYRING_FIX,
        )
    if isinstance(backend, null.Keyring):
        raise SecretStoreError(
            "The OS keyring is turned off (keyring is configured with its null backend, which stores nothing).",
            "remove the null backend from keyring's config (`keyring diagnose` shows where it is), "
            f"or {ENV_FIX}",
        )
    first = backend.backends[0] if isinstance(backend, chainer.ChainerBackend) else backend
    if _stores_plaintext(first) and not _explicitly_configured():
        raise SecretStoreError(
            f"The only keyring backend available is {type(first).__module__}.{type(first).__name__}, "
            "which keeps secrets in a file; the workbench will not choose it for you.",
            f"{NO_KEYRING_FIX}; or, if you accept that file, select it yourself with "
            "PYTHON_KEYRING_BACKEND",
        )
    return backend


def backend_description() -> str:
    """The keyring backend in use, e.g. `keyring.backends.SecretService.Keyring`."""

    def describe() -> str:
        backend = _usable_backend()
        return f"{type(backend).__module__}.{type(backend).__name__}"

    return _with_deadline("looking for a keyring backend", describe)


def _check_name(profile_name: str) -> None:
    if not profile_name:
        raise ProfileError("A keyring entry needs a profile name; got an empty one.")


def _user(profile_name: str, field: str) -> str:
    """The keyring user: the profile's name for its key, "PROFILE/header/NAME" for a secret field
    (a profile name never holds a "/", so the two never meet)."""
    return f"{profile_name}/{field}" if field else profile_name


def _what(profile_name: str, field: str) -> str:
    if not field:
        return f"the key of profile {profile_name!r}"
    return f"the {field.replace('/', ' ', 1)} of profile {profile_name!r}"


def get_secret(profile_name: str, *, field: str = "") -> str | None:
    """The key stored for this profile (or its secret `field`, e.g. "header/X-Custom-Auth"), or None."""
    _check_name(profile_name)
    value: str | None = _with_deadline(
        f"reading {_what(profile_name, field)}",
        lambda: _usable_backend().get_password(SERVICE, _user(profile_name, field)),
    )
    remember(value)
    return value


# ---- what a key may be ------------------------------------------------------------------------

# The shortest key the workbench sends: a shorter one turns up inside words, numbers and JSON field
# names, so it could be neither found in a reply to be masked (redact searches bodies for keys of
# this length or more) nor masked there without breaking what the checks judge.
SHORTEST_KEY = SHORTEST_IN_BODIES


def key_problem(value: str | None) -> tuple[str, str] | None:
    """(what is wrong, the fix) when `value` cannot be a key the workbench sends, else None.

    A key is printable ASCII (what an HTTP header carries), nothing around it, at least
    SHORTEST_KEY characters. The words never quote the key, not even one character of it.
    """
    if not value or not value.strip():
        return "is empty", "paste the key at the prompt, or pipe it in with --stdin"
    if value != value.strip() or "\n" in value or "\r" in value:
        return ("has spaces or line breaks around or in it (a copy-and-paste slip?)",
                "enter the key alone, on one line")
    for position, character in enumerate(value, 1):
        if not " " <= character <= "~":
            kind = "a non-ASCII character" if ord(character) > 127 else "a control character"
            return (f"holds {kind} (character {position} of {len(value)}), which an HTTP header cannot carry",
                    "check that the whole key was copied and nothing else: keys are printable ASCII")
    if len(value) < SHORTEST_KEY:
        what = (f"has {len(value)} characters; the workbench sends keys of {SHORTEST_KEY} or more, since a "
                "shorter one turns up inside words and numbers and could not be kept masked in replies and logs")
        fix = (f"use a key of {SHORTEST_KEY} characters or more (on a server you run, set a longer one), or auth "
               "none for an endpoint that takes any key")
        return what, fix
    return None


def require_sendable(value: str, whose: str) -> str:
    """`value` when it can be sent as a key; else ProfileError: "{whose} {what is wrong}; nothing was sent."."""
    problem = key_problem(value)
    if problem is not None:
        raise ProfileError(f"{whose} {problem[0]}; nothing was sent.", problem[1])
    return value


def set_secret(profile_name: str, value: str, *, field: str = "") -> None:
    """Store (or replace) the key of this profile (or its secret `field`); ProfileError (nothing stored)
    for a value it could not send."""
    _check_key(profile_name, value, field)
    _with_deadline(
        f"storing {_what(profile_name, field)}",
        lambda: _usable_backend().set_password(SERVICE, _user(profile_name, field), value),
    )


def _check_key(profile_name: str, value: str, field: str = "") -> None:
    """ProfileError (nothing stored) for a value the workbench could not send (`key_problem`)."""
    _check_name(profile_name)
    problem = key_problem(value)
    if problem is not None:
        whose = f"The key for profile {profile_name!r}" if not field else "T" + _what(profile_name, field)[1:]
        raise ProfileError(f"{whose} {problem[0]}; nothing was stored.", problem[1])


def delete_secret(profile_name: str, *, field: str = "") -> bool:
    """Remove the key of this profile (or its secret `field`); False when there was none."""
    from keyring.errors import PasswordDeleteError

    _check_name(profile_name)

    def delete() -> bool:
        backend = _usable_backend()
        try:
            backend.delete_password(SERVICE, _user(profile_name, field))
        except PasswordDeleteError:  # what every backend raises for "no such entry"
            return False
        return True

    return _with_deadline(f"removing {_what(profile_name, field)}", delete)


def move_secret(old_name: str, new_name: str, *, along: Callable[[], None] = lambda: None,
                required: bool = True, field: str = "") -> bool | None:
    """Move a profile's key to a new profile name, and do `along` with it (the profile store
    renames the profile's file there); False when the old name had no key.

    The copy is written before `along` and the original removed after it, so a failure at any
    step leaves two copies rather than none, and an `along` that fails takes the copy back. A
    stale key under the new name (left by an earlier profile of that name) is removed, so a
    renamed profile never inherits someone else's key. With `required=False` (a profile whose
    key comes from elsewhere), a keyring that cannot be read does not stop `along`: it runs
    alone, and the answer is None.
    """
    try:
        value = get_secret(old_name, field=field)
    except SecretStoreError:
        if required:
            raise
        along()
        return None
    if value is None:
        delete_secret(new_name, field=field)
        along()
        return False
    _with_deadline(f"storing {_what(new_name, field)}",  # as it was: a key stored before the rule moves too
                   lambda: _usable_backend().set_password(SERVICE, _user(new_name, field), value))
    try:
        along()
    except BaseException:
        delete_secret(new_name, field=field)
        raise
    delete_secret(old_name, field=field)
    return True


# ---- a key for this session only, where no keyring works ------------------------------------

SESSION_NOTE = "this session only (held in memory, never written; gone when the workbench exits)"


class SessionKeys:
    """Keys held in this process's memory, by profile name: the TUI's answer to a box with no
    working keyring (a container, an SSH session), chosen by the user. Never written anywhere."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()  # workers on several threads resolve credentials

    def set(self, profile_name: str, value: str) -> None:
        _check_key(profile_name, value)
        remember(value)
        with self._lock:
            self._keys[profile_name] = value

    def get(self, profile_name: str) -> str | None:
        with self._lock:
            return self._keys.get(profile_name)

    def forget(self, profile_name: str) -> bool:
        with self._lock:
            return self._keys.pop(profile_name, None) is not None

    def move(self, old_name: str, new_name: str) -> None:
        with self._lock:
            if old_name in self._keys:
                self._keys[new_name] = self._keys.pop(old_name)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


SESSION_KEYS = SessionKeys()


# ---- where a profile's credential comes from --------------------------------------------------


def resolve_credential(profile: KeyedProfile) -> Credential:
    """The profile's credential: its environment variable if set and present (read now, so one
    set since start-up counts), else a key held for this session, else the keyring.

    Raises SecretStoreError (with the fix) only when the keyring is the one place left to
    look and it cannot be used.
    """
    if profile.auth == "none":
        return Credential(None, "none")
    if profile.api_key_env:
        from_env = os.environ.get(profile.api_key_env)
        if from_env:
            remember(from_env)
            return Credential(from_env, f"env:{profile.api_key_env}")
    held = SESSION_KEYS.get(profile.name)
    if held:
        return Credential(held, "session")
    if profile.api_key_env:
        try:
            stored = get_secret(profile.name)
        except SecretStoreError:
            # The profile chose the environment; say that is what is missing, not the keyring.
            return Credential(None, "missing", f"environment variable {profile.api_key_env} is not set")
        if stored:
            return Credential(stored, "keyring")
        return Credential(None, "missing",
                          f"environment variable {profile.api_key_env} is not set and the keyring holds no key")
    stored = get_secret(profile.name)
    if stored:
        return Credential(stored, "keyring")
    return Credential(None, "missing", "the keyring holds no key for it")


def require_credential(profile: KeyedProfile) -> Credential:
    """Like resolve_credential, but a missing key is an error that says how to provide one."""
    credential = resolve_credential(profile)
    if credential.source == "missing":
        ways = f"run `workbench profiles set-key {profile.name}`"
        if profile.api_key_env:
            ways += f", or export {profile.api_key_env}"
        raise ProfileError(
            f"Profile {profile.name!r} uses {profile.auth} auth but has no key: {credential.note}.", ways
        )
    return credential
