"""Credentials: masking, keyring storage, where a key comes from, and keyrings that cannot be used."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import InitError, KeyringLocked, PasswordDeleteError

from workbench import secrets
from workbench.errors import ProfileError, SecretStoreError
from workbench.redact import mask
from workbench.secrets import SERVICE, Credential, resolve_credential

FIX_MARKERS = ("gnome-keyring-daemon --unlock", "api_key_env")


@dataclass
class FakeProfile:
    name: str = "staging"
    auth: str = "bearer"
    api_key_env: str | None = None


@pytest.fixture
def installed():
    """Install any backend for one test and restore the previous one after."""
    previous = keyring.core._keyring_backend

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.core._keyring_backend = previous


def assert_has_fix(error: SecretStoreError) -> None:
    text = str(error)
    for marker in FIX_MARKERS:
        assert marker in text, f"{marker!r} missing from: {text}"


# ---- mask ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        ("sk-abcdefghij9f3a", "sk-…9f3a"),
        ("abcdefghijklmnop", "ab…mnop"),
        ("short", "………"),
        ("12345678", "………"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_keeps_a_short_prefix_and_the_last_four(secret: str | None, masked: str) -> None:
    assert mask(secret) == masked


# ---- storing, reading, moving ---------------------------------------------------------------------


def test_set_get_delete_round_trip_under_the_workbench_service(memory_keyring) -> None:
    secrets.set_secret("prod", "sk-live-1234567890")
    assert memory_keyring.entries == {(SERVICE, "prod"): "sk-live-1234567890"}
    assert secrets.get_secret("prod") == "sk-live-1234567890"
    assert secrets.delete_secret("prod") is True
    assert secrets.get_secret("prod") is None
    assert secrets.delete_secret("prod") is False  # nothing left: not an error


def test_move_secret_moves_it_and_reports_whether_there_was_one(memory_keyring) -> None:
    secrets.set_secret("old", "sk-old-key-123456")
    assert secrets.move_secret("old", "new") is True
    assert memory_keyring.entries == {(SERVICE, "new"): "sk-old-key-123456"}
    assert secrets.move_secret("absent", "other") is False


def test_move_secret_never_lets_a_profile_inherit_a_stale_key(memory_keyring) -> None:
    secrets.set_secret("renamed-to", "sk-stale-left-behind")
    assert secrets.move_secret("keyless", "renamed-to") is False
    assert secrets.get_secret("renamed-to") is None


def test_move_secret_takes_the_copy_back_when_the_step_along_with_it_fails(memory_keyring) -> None:
    secrets.set_secret("old", "sk-old-key-123456")

    def fail() -> None:
        raise OSError("the profile file could not be renamed")

    with pytest.raises(OSError):
        secrets.move_secret("old", "new", along=fail)
    assert memory_keyring.entries == {(SERVICE, "old"): "sk-old-key-123456"}


def test_move_secret_without_a_keyring_still_does_the_step_when_the_key_is_not_required(no_keyring) -> None:
    done: list[str] = []
    assert secrets.move_secret("old", "new", along=lambda: done.append("moved"), required=False) is None
    assert done == ["moved"]
    with pytest.raises(SecretStoreError):
        secrets.move_secret("old", "new", along=lambda: done.append("again"))
    assert done == ["moved"]


@pytest.mark.parametrize(
    ("value", "words"),
    [("", "empty"), ("   ", "empty"), (" sk-padded-key ", "spaces"), ("sk-one\nsk-two", "line breaks")],
)
def test_set_secret_refuses_keys_that_are_empty_or_mangled(memory_keyring, value: str, words: str) -> None:
    with pytest.raises(ProfileError, match=words):
        secrets.set_secret("prod", value)
    assert memory_keyring.entries == {}


# ---- where the credential comes from ---------------------------------------------------------------


def test_auth_none_needs_no_key_and_asks_no_keyring(no_keyring) -> None:
    assert resolve_credential(FakeProfile(auth="none")) == Credential(None, "none")


def test_the_environment_variable_wins_over_the_keyring(memory_keyring, monkeypatch) -> None:
    secrets.set_secret("staging", "sk-from-keyring-0000")
    monkeypatch.setenv("STAGING_KEY", "sk-from-env-1111")
    credential = resolve_credential(FakeProfile(api_key_env="STAGING_KEY"))
    assert (credential.value, credential.source) == ("sk-from-env-1111", "env:STAGING_KEY")
    assert credential.describe() == "environment variable STAGING_KEY"


def test_an_unset_or_empty_variable_falls_back_to_the_keyring(memory_keyring, monkeypatch) -> None:
    secrets.set_secret("staging", "sk-from-keyring-0000")
    monkeypatch.setenv("STAGING_KEY", "")
    credential = resolve_credential(FakeProfile(api_key_env="STAGING_KEY"))
    assert (credential.value, credential.source) == ("sk-from-keyring-0000", "keyring")


def test_missing_key_is_reported_as_missing_with_the_reason(memory_keyring, monkeypatch) -> None:
    monkeypatch.delenv("STAGING_KEY", raising=False)
    credential = resolve_credential(FakeProfile(api_key_env="STAGING_KEY"))
    assert credential.source == "missing"
    assert "STAGING_KEY is not set" in credential.note
    assert resolve_credential(FakeProfile()).source == "missing"


def test_require_credential_says_how_to_provide_a_missing_key(memory_keyring, monkeypatch) -> None:
    monkeypatch.delenv("STAGING_KEY", raising=False)
    with pytest.raises(ProfileError) as caught:
        secrets.require_credential(FakeProfile(api_key_env="STAGING_KEY"))
    assert "workbench profiles set-key staging" in str(caught.value)
    assert "export STAGING_KEY" in str(caught.value)


def test_env_profile_without_its_variable_is_missing_not_a_keyring_error(no_keyring, monkeypatch) -> None:
    monkeypatch.delenv("STAGING_KEY", raising=False)
    credential = resolve_credential(FakeProfile(api_key_env="STAGING_KEY"))
    assert credential.source == "missing"
    assert "STAGING_KEY" in credential.note


def test_env_profile_works_without_any_keyring(no_keyring, monkeypatch) -> None:
    monkeypatch.setenv("STAGING_KEY", "sk-env-only-2222")
    assert resolve_credential(FakeProfile(api_key_env="STAGING_KEY")).source == "env:STAGING_KEY"


def test_keyring_profile_without_a_keyring_raises_the_fix(no_keyring) -> None:
    with pytest.raises(SecretStoreError) as caught:
        resolve_credential(FakeProfile())
    assert "No OS keyring is available" in caught.value.message
    assert_has_fix(caught.value)


# ---- keyrings that cannot be used ------------------------------------------------------------------


class RaisingKeyring(KeyringBackend):
    """A backend whose every call raises the error a real one raised in the field."""

    priority = -1  # type: ignore[assignment]

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


def secretstorage_error(name: str) -> BaseException:
    from secretstorage import exceptions

    return getattr(exceptions, name)("The name org.freedesktop.secrets was not provided by any .service files")


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (KeyringLocked("Failed to unlock the collection!"), "locked"),
        (InitError("Failed to create the collection: prompt dismissed."), "could not be opened"),
        (ConnectionRefusedError(111, "Connection refused"), "could not be reached"),
        (FileNotFoundError(2, "No such file or directory: '/run/user/0/bus'"), "could not be reached"),
        (RuntimeError("something unforeseen"), "failed (RuntimeError"),
    ],
)
@pytest.mark.parametrize("operation", ["get", "set", "delete"])
def test_every_keyring_failure_becomes_a_sentence_with_the_fix(installed, error, says, operation) -> None:
    installed(RaisingKeyring(error))
    call = {
        "get": lambda: secrets.get_secret("prod"),
        "set": lambda: secrets.set_secret("prod", "sk-never-stored-123"),
        "delete": lambda: secrets.delete_secret("prod"),
    }[operation]
    with pytest.raises(SecretStoreError) as caught:
        call()
    assert says in caught.value.message
    assert "profile 'prod'" in caught.value.message
    assert_has_fix(caught.value)


@pytest.mark.parametrize(
    ("name", "says"),
    [("SecretServiceNotAvailableException", "D-Bus"), ("LockedException", "locked"),
     ("PromptDismissedException", "locked")],
)
def test_secret_service_errors_are_explained(installed, name: str, says: str) -> None:
    installed(RaisingKeyring(secretstorage_error(name)))
    with pytest.raises(SecretStoreError) as caught:
        secrets.get_secret("prod")
    assert says in caught.value.message
    assert_has_fix(caught.value)


def test_the_fail_backend_is_no_keyring(installed) -> None:
    installed(fail.Keyring())
    with pytest.raises(SecretStoreError) as caught:
        secrets.set_secret("prod", "sk-never-stored-123")
    assert_has_fix(caught.value)
    assert "keyrings.alt" not in str(caught.value)  # keyring's own advice points at plaintext files


def test_a_chainer_with_nothing_to_chain_does_not_pass_for_storage(installed, monkeypatch) -> None:
    # An empty chainer "stores" by doing nothing and reads back None: a silent loss.
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    installed(chainer.ChainerBackend())
    with pytest.raises(SecretStoreError) as caught:
        secrets.set_secret("prod", "sk-never-stored-123")
    assert "No OS keyring is available" in caught.value.message
    assert_has_fix(caught.value)


def test_the_null_backend_is_reported_as_turned_off(installed) -> None:
    installed(null.Keyring())
    with pytest.raises(SecretStoreError, match="turned off"):
        secrets.get_secret("prod")


class PlaintextFileKeyring(KeyringBackend):
    """Stands for keyrings.alt's file backends: what matters is the module it comes from."""

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("No such password!")


PlaintextFileKeyring.__module__ = "keyrings.alt.file"


def test_a_plaintext_backend_is_never_chosen_for_the_user(installed, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # no keyringrc.cfg choosing it either
    backend = installed(PlaintextFileKeyring())
    with pytest.raises(SecretStoreError) as caught:
        secrets.set_secret("prod", "sk-never-stored-123")
    assert "keeps secrets in a file" in caught.value.message
    assert backend.entries == {}


def test_a_plaintext_backend_the_user_selected_is_respected(installed, monkeypatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    backend = installed(PlaintextFileKeyring())
    secrets.set_secret("prod", "sk-user-chose-this")
    assert backend.entries == {(SERVICE, "prod"): "sk-user-chose-this"}


def test_a_keyring_that_never_answers_gives_up_instead_of_hanging(installed, monkeypatch) -> None:
    release = threading.Event()

    class HangingKeyring(RaisingKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            release.wait()  # like a Secret Service waiting on an unlock prompt nobody sees
            return None

    installed(HangingKeyring(RuntimeError()))
    monkeypatch.setenv(secrets.TIMEOUT_ENV, "0.2")
    try:
        with pytest.raises(SecretStoreError) as caught:
            secrets.get_secret("prod")
    finally:
        release.set()
    assert "did not answer within 0.2 s" in caught.value.message
    assert secrets.TIMEOUT_ENV in caught.value.hint


def test_a_bad_timeout_setting_falls_back_to_the_default(monkeypatch) -> None:
    for raw in ("soon", "-3", "0"):
        monkeypatch.setenv(secrets.TIMEOUT_ENV, raw)
        assert secrets.keyring_timeout() == secrets.DEFAULT_TIMEOUT_S


def test_without_d_bus_the_real_detection_fails_fast_with_the_fix(tmp_path) -> None:
    """No mocks: a fresh process whose session bus does not exist, as on a headless server."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_KEYRING_BACKEND", "WORKBENCH_REAL_KEYRING")}
    env.update(
        DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus",
        XDG_RUNTIME_DIR=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    code = (
        "import sys\n"
        "from workbench import secrets\n"
        "from workbench.errors import SecretStoreError\n"
        "try:\n    secrets.get_secret('prod')\n"
        "except SecretStoreError as error:\n    print(error)\n    sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "No OS keyring is available" in done.stdout
    for marker in FIX_MARKERS:
        assert marker in done.stdout
