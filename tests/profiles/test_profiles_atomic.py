"""Crash safety: a profile save stopped at any step leaves the old profile or the new one, whole."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from workbench import atomic
from workbench.errors import ProfileError
from workbench.profiles import Params, Profile, ProfileStore

OLD = Profile(name="prod", base_url="https://old.example.com/v1", model="old-model", notes="old " * 2000)
NEW = replace(OLD, base_url="https://new.example.com/v1", model="new-model", params=Params(temperature=0.3),
              notes="new " * 3000)  # fmt: skip
REAL_MKSTEMP = tempfile.mkstemp
STEPS = ("mkstemp", "fchmod", "write", "fsync", "close", "replace", "open", "unlink", "link")


class CrashingOS:
    """Stands in for `os` inside workbench.atomic: every file step is counted, and step
    number `crash_at` raises as a crash there would (before doing its work)."""

    def __init__(self, crash_at: int | None) -> None:
        self.crash_at = crash_at
        self.steps: list[str] = []

    def step(self, name: str, real):  # type: ignore[no-untyped-def]
        def run(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.steps.append(name)
            if len(self.steps) - 1 == self.crash_at:
                if name == "close":
                    real(*args, **kwargs)  # the descriptor is gone either way; do not leak it
                raise OSError(errno.EIO, f"crash injected at {name}")
            return real(*args, **kwargs)

        return run

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        real = getattr(os, name)
        return self.step(name, real) if name in STEPS else real


@pytest.fixture
def crash(monkeypatch: pytest.MonkeyPatch):
    """Install a CrashingOS (and a counted mkstemp) into workbench.atomic; returns it."""

    def install(crash_at: int | None) -> CrashingOS:
        fake = CrashingOS(crash_at)
        monkeypatch.setattr(atomic, "os", fake)
        monkeypatch.setattr(atomic.tempfile, "mkstemp", fake.step("mkstemp", REAL_MKSTEMP))
        return fake

    return install


def save_steps(tmp_path: Path, crash) -> list[str]:  # type: ignore[no-untyped-def]
    """The steps of one complete save, in order (the test then crashes at each in turn)."""
    store = ProfileStore(tmp_path / "probe")
    store.save(OLD)
    recorder = crash(None)
    store.save(NEW)
    return list(recorder.steps)


def test_the_save_goes_through_the_steps_that_make_it_atomic(tmp_path: Path, crash) -> None:
    steps = save_steps(tmp_path, crash)
    assert steps[0] == "mkstemp"
    # Written and fsynced before the rename; the folder fsynced after it.
    assert steps.index("write") < steps.index("fsync") < steps.index("replace") < steps.index("open")
    assert steps[-2:] == ["fsync", "close"]


def test_a_crash_at_every_step_leaves_the_old_or_the_new_profile(tmp_path: Path, crash) -> None:
    steps = save_steps(tmp_path, crash)
    replace_at = steps.index("replace")
    for crash_at, step in enumerate(steps):
        folder = tmp_path / f"crash-{crash_at}"
        store = ProfileStore(folder)
        store.save(OLD)
        fake = crash(crash_at)
        with pytest.raises(ProfileError) as caught:
            store.save(NEW)
        assert fake.steps[crash_at] == step
        assert f"crash injected at {step}" in caught.value.message
        assert "Could not save profile 'prod'" in caught.value.message
        survivor = ProfileStore(folder).get("prod")
        assert survivor == (OLD if crash_at <= replace_at else NEW), f"crash at step {crash_at} ({step})"
        assert sorted(p.name for p in folder.iterdir()) == ["prod.toml"], f"leftovers after a crash at {step}"


def test_a_crash_during_a_first_save_leaves_no_profile_rather_than_half_of_one(tmp_path: Path, crash) -> None:
    steps = save_steps(tmp_path, crash)
    for crash_at in range(steps.index("replace") + 1):
        folder = tmp_path / f"first-{crash_at}"
        folder.mkdir()
        crash(crash_at)
        with pytest.raises(ProfileError):
            ProfileStore(folder).save(NEW)
        assert list(folder.iterdir()) == []


def test_a_failed_save_says_the_previous_version_is_unchanged(tmp_path: Path, crash) -> None:
    store = ProfileStore(tmp_path)
    store.save(OLD)
    crash(0)
    with pytest.raises(ProfileError) as caught:
        store.save(NEW)
    assert "previous version of the file, if any, is unchanged" in caught.value.hint


CHILD = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from workbench.profiles import Params, Profile, ProfileStore

    store = ProfileStore(sys.argv[1])
    a = Profile(name="prod", base_url="https://old.example.com/v1", model="old-model", notes="old " * 2000)
    b = replace(a, base_url="https://new.example.com/v1", model="new-model", params=Params(temperature=0.3),
                notes="new " * 3000)
    store.save(a)
    print("saved", flush=True)
    i = 0
    while True:
        i += 1
        store.save(b if i % 2 else a)
    """
)


@pytest.mark.parametrize("delay_s", [0.0, 0.002, 0.005, 0.011, 0.023, 0.047])
def test_a_process_killed_mid_loop_of_saves_leaves_a_whole_profile(tmp_path: Path, delay_s: float) -> None:
    """A real SIGKILL, at a different point of the save loop each time (the delay only varies it)."""
    import time

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "saved\n"
        time.sleep(delay_s)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    survivor = ProfileStore(tmp_path).get("prod")
    assert survivor in (OLD, NEW)
    listing = ProfileStore(tmp_path).list()
    assert (len(listing.profiles), listing.problems) == (1, [])  # a leftover temporary file is never a profile
