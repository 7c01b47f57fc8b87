"""Keys in a real Secret Service (gnome-keyring over D-Bus), driven through the real command line.

Skipped unless WORKBENCH_REAL_KEYRING=1: `scripts/test` sets it inside a `dbus-run-session`
with an unlocked gnome-keyring in a throwaway home, so these tests never touch a user's keyring.
What the CLI did is checked with keyring itself, not with the workbench's own reading.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.keyring,
    pytest.mark.skipif(
        os.environ.get("WORKBENCH_REAL_KEYRING") != "1",
        reason="needs a real Secret Service: run scripts/test (dbus-run-session + unlocked gnome-keyring)",
    ),
]

SERVICE = "byom-workbench"
FIX_MARKERS = ("gnome-keyring-daemon --unlock", "api_key_env")


@pytest.fixture
def keyring_backend():
    """keyring as keyring itself detects it in this session: it must be the Secret Service."""
    import keyring
    import keyring.core

    previous = keyring.core._keyring_backend
    keyring.core._keyring_backend = None  # detect afresh, whatever an earlier test installed
    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService", f"not the Secret Service: {backend}"
    yield backend
    keyring.core._keyring_backend = previous


@pytest.fixture
def names(keyring_backend):
    """Fresh profile names for this test; any entry left under them is removed afterwards."""
    made: list[str] = []

    def name() -> str:
        made.append(f"wb-real-{uuid.uuid4().hex[:10]}")
        return made[-1]

    yield name
    for leftover in made:
        if keyring_backend.get_password(SERVICE, leftover) is not None:
            keyring_backend.delete_password(SERVICE, leftover)


def workbench(folder: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    """`python -m workbench --profiles FOLDER ARGS` in a real process (it finds the keyring on its own)."""
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "--profiles", str(folder), *args],
        input=stdin, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done


def add_profile(folder: Path, name: str) -> None:
    done = workbench(folder, "profiles", "add", name, "--url", "https://llm.example.com/v1", "--model", "m",
                     "--auth", "bearer")
    assert done.returncode == 0, done.stderr


def test_set_read_rename_and_forget_a_key_through_the_cli(tmp_path: Path, keyring_backend, names) -> None:
    folder = tmp_path / "profiles"
    first, second = names(), names()
    canary = f"sk-real-canary-{uuid.uuid4().hex}"
    add_profile(folder, first)

    stored = workbench(folder, "profiles", "set-key", first, "--stdin", stdin=canary + "\n")
    assert stored.returncode == 0, stored.stderr
    assert keyring_backend.get_password(SERVICE, first) == canary

    shown = workbench(folder, "profiles", "show", first)
    assert shown.returncode == 0, shown.stderr
    assert f"sk-…{canary[-4:]}  (from the OS keyring: service byom-workbench, user {first})" in shown.stdout
    assert canary not in shown.stdout
    revealed = workbench(folder, "profiles", "show", first, "--reveal")
    assert canary in revealed.stdout

    renamed = workbench(folder, "profiles", "rename", first, second)
    assert renamed.returncode == 0, renamed.stderr
    assert keyring_backend.get_password(SERVICE, second) == canary
    assert keyring_backend.get_password(SERVICE, first) is None

    forgotten = workbench(folder, "profiles", "forget-key", second)
    assert forgotten.returncode == 0, forgotten.stderr
    assert keyring_backend.get_password(SERVICE, second) is None
    assert (folder / f"{second}.toml").exists()

    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), path


def test_remove_takes_the_key_out_of_the_secret_service(tmp_path: Path, keyring_backend, names) -> None:
    folder = tmp_path / "profiles"
    name = names()
    add_profile(folder, name)
    assert workbench(folder, "profiles", "set-key", name, "--stdin", stdin="sk-remove-me-0123456\n").returncode == 0
    assert keyring_backend.get_password(SERVICE, name) == "sk-remove-me-0123456"
    removed = workbench(folder, "profiles", "remove", name, "--yes")
    assert removed.returncode == 0, removed.stderr
    assert keyring_backend.get_password(SERVICE, name) is None
    assert not (folder / f"{name}.toml").exists()


def test_a_key_set_with_keyring_is_the_one_the_workbench_reads(tmp_path: Path, keyring_backend, names) -> None:
    folder = tmp_path / "profiles"
    name = names()
    add_profile(folder, name)
    keyring_backend.set_password(SERVICE, name, "sk-set-by-keyring-7777")
    shown = workbench(folder, "profiles", "show", name, "--format", "json", "--reveal")
    assert shown.returncode == 0, shown.stderr
    assert '"value": "sk-set-by-keyring-7777"' in shown.stdout


def test_locate_names_the_secret_service(tmp_path: Path, keyring_backend) -> None:
    done = workbench(tmp_path, "profiles", "locate")
    assert done.returncode == 0, done.stderr
    assert "keyring.backends.SecretService.Keyring" in done.stdout


@pytest.mark.skipif(not shutil.which("dbus-run-session"), reason="needs dbus-run-session")
def test_a_locked_keyring_is_reported_with_the_fix(tmp_path: Path) -> None:
    """In a D-Bus session of its own (so the suite's keyring stays unlocked): lock the collection
    the way a screen lock would, then ask the CLI for the key. No prompt can be shown here."""
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    script = tmp_path / "locked.sh"
    wb = f"{sys.executable} -m workbench --profiles {tmp_path}/p"
    lock = "secretstorage.get_default_collection(secretstorage.dbus_init()).lock()"
    script.write_text(
        textwrap.dedent(
            f"""
            export HOME={home} XDG_DATA_HOME={home}/data WORKBENCH_KEYRING_TIMEOUT=20
            printf 'pw\\n' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
            {wb} profiles add locked --url https://x/v1 --model m --auth bearer >/dev/null
            printf 'sk-locked-away-0000\\n' | {wb} profiles set-key locked --stdin >/dev/null
            {sys.executable} -c "import secretstorage; {lock}"
            {wb} profiles show locked
            echo "exit=$?"
            """
        )
    )
    done = subprocess.run(["dbus-run-session", "--", "bash", str(script)], capture_output=True, text=True, timeout=120)
    assert "exit=1" in done.stdout, (done.stdout, done.stderr)
    assert "error: The OS keyring is locked" in done.stderr or "did not answer" in done.stderr, done.stderr
    for marker in FIX_MARKERS:
        assert marker in done.stderr
    assert "sk-locked-away-0000" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
