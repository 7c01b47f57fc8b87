"""Profiles under faults: a read-only folder, files edited by hand into every kind of mess, two workbenches at once.

(tests/profiles/test_profiles_atomic.py kills a save at every step.) Here every fault must end in one
clear sentence (what, where, the fix) with exit status 1 and no traceback, the other
profiles must keep loading, and two processes editing one folder must lose nothing and
corrupt nothing.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from workbench.profiles import ProfileStore

TESTS = Path(__file__).resolve().parents[1]  # the helpers live in tests/
URL = "http://127.0.0.1:9/v1"


@pytest.fixture
def folder(tmp_path: Path, run_workbench, memory_keyring) -> Path:
    """A profiles folder with two good profiles, 'good' and 'other'."""
    profiles = tmp_path / "profiles"
    for name in ("good", "other"):
        added = run_workbench("--profiles", str(profiles), "profiles", "add", name, "--url", URL, "--model", "m")
        assert added.exit_code == 0
    return profiles


def wb(run_workbench, folder: Path, *args: str):
    done = run_workbench("--profiles", str(folder), *args)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def one_sentence(text: str) -> str:
    """The `error: …` line of stderr (the hint follows on its own line)."""
    lines = [line for line in text.splitlines() if line.startswith(("error:", "problem:"))]
    assert lines, text
    return lines[0]


# ---- a folder that cannot be written ----------------------------------------------------------------


def _writes_are_refused(path: Path) -> bool:
    try:
        probe = path / ".probe"
        probe.write_text("x")
        probe.unlink()
    except PermissionError:
        return True
    return False


def test_a_read_only_folder_with_real_permissions(folder: Path, run_workbench) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    folder.chmod(0o500)
    try:
        if not _writes_are_refused(folder):
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 0500 does not stop writes here; "
                        "test_a_folder_where_every_write_fails covers the same paths by failing the system calls")
        for args in (("profiles", "add", "new", "--url", URL, "--model", "m"),
                     ("profiles", "edit", "good", "--model", "x"),
                     ("profiles", "rename", "good", "renamed"), ("profiles", "remove", "good", "-y")):
            done = wb(run_workbench, folder, *args)
            assert done.exit_code == 1 and "ermission denied" in one_sentence(done.stderr), args
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    finally:
        folder.chmod(0o700)


def _refuse(*args: object, **kwargs: object) -> None:
    raise PermissionError(errno.EACCES, "Permission denied")


SYSTEM_CALLS = {"tempfile.mkstemp": (tempfile, "mkstemp"), "os.replace": (os, "replace"), "os.link": (os, "link"),
                "os.rename": (os, "rename"), "pathlib.Path.unlink": (pathlib.Path, "unlink")}


@pytest.mark.parametrize(("args", "calls"), [
    (("profiles", "add", "new", "--url", URL, "--model", "m"), ["tempfile.mkstemp"]),
    (("profiles", "edit", "good", "--model", "x"), ["tempfile.mkstemp"]),
    (("profiles", "edit", "good", "--model", "x"), ["os.replace"]),
    (("profiles", "rename", "good", "renamed"), ["os.link", "os.rename"]),
    (("profiles", "remove", "good", "-y"), ["pathlib.Path.unlink"]),
], ids=["add", "edit-no-temp-file", "edit-no-replace", "rename", "remove"])
def test_a_folder_where_every_write_fails(folder: Path, run_workbench, monkeypatch: pytest.MonkeyPatch,
                                          args: tuple[str, ...], calls: list[str]) -> None:
    """What a read-only folder does, made to happen even as root: the system calls that write fail with EACCES."""
    before = {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}
    for dotted in calls:
        owner, name = SYSTEM_CALLS[dotted]
        monkeypatch.setattr(owner, name, _refuse)
    done = wb(run_workbench, folder, *args)
    sentence = one_sentence(done.stderr)
    assert done.exit_code == 1 and "Permission denied" in sentence and str(folder) in sentence
    assert "hint:" in done.stderr
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}
    assert after == before  # nothing lost, nothing half-written
    assert wb(run_workbench, folder, "profiles", "list").exit_code == 0


def test_a_folder_that_cannot_be_listed_is_a_sentence(folder: Path, run_workbench,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pathlib.Path, "iterdir", _refuse)
    done = wb(run_workbench, folder, "profiles", "list")
    sentence = one_sentence(done.stderr)
    assert done.exit_code == 1 and str(folder) in sentence and "Permission denied" in sentence
    assert "unexpected" not in done.stderr


# ---- files edited by hand -------------------------------------------------------------------------------

HAND_EDITS = {
    # name: (file content, what the sentence must hold)
    "unclosed-quote": (b'base_url = "http://127.0.0.1:9/v1\nmodel = "m"\n', ["broken.toml:1", "not valid TOML"]),
    "duplicate-key": (b'base_url = "http://x/v1"\nmodel = "m"\nmodel = "n"\n', ["broken.toml:3", "not valid TOML"]),
    "missing-equals": (b'base_url "http://x/v1"\n', ["broken.toml:1", "not valid TOML"]),
    "wrong-type": (b'base_url = "http://x/v1"\nmodel = 3\n', ["broken.toml:2", "model"]),
    "unknown-key": (b'base_url = "http://x/v1"\nmodel = "m"\nmodle = "n"\n', ["broken.toml:3", "modle"]),
    "bad-table": (b'base_url = "http://x/v1"\nmodel = "m"\n[params\ntemperature = 1\n', ["broken.toml:3"]),
    "not-utf8": (b'base_url = "http://x/v1"\nmodel = "caf\xe9"\n', ["broken.toml:2", "UTF-8"]),
    "empty": (b"", ["broken.toml", "base_url"]),
    "binary": (bytes(range(256)) * 4, ["broken.toml"]),
    "secret-pasted": (b'base_url = "http://x/v1"\nmodel = "m"\napi_key = "sk-pasted-by-hand-123456"\n',
                      ["broken.toml"]),
}


@pytest.mark.parametrize("edit", sorted(HAND_EDITS))
def test_a_file_broken_by_hand_is_one_sentence_and_the_others_still_load(
    folder: Path, run_workbench, edit: str
) -> None:
    content, says = HAND_EDITS[edit]
    (folder / "broken.toml").write_bytes(content)
    listed = wb(run_workbench, folder, "profiles", "list", "--format", "json")
    assert listed.exit_code == 1
    assert sorted(p["name"] for p in json.loads(listed.stdout)) == ["good", "other"]
    problem = listed.stderr[listed.stderr.index("problem:"):]  # the sentence, and the lines of a many-problem file
    assert all(word in problem for word in says), (problem, says)
    assert "sk-pasted-by-hand" not in listed.stdout + listed.stderr
    for args in (("profiles", "show", "broken"), ("chat", "broken", "hi"), ("check", "broken"),
                 ("export", "broken", "--for", "polyai")):
        done = wb(run_workbench, folder, *args)
        assert done.exit_code == 1 and "broken.toml" in one_sentence(done.stderr), args
    assert wb(run_workbench, folder, "profiles", "show", "good").exit_code == 0
    removed = wb(run_workbench, folder, "profiles", "remove", "broken", "-y")  # a broken file can always go
    assert removed.exit_code == 0 and not (folder / "broken.toml").exists()


def test_a_bad_value_can_be_repaired_with_edit(folder: Path, run_workbench) -> None:
    (folder / "broken.toml").write_text('base_url = "http://x/v1"\nmodel = 3\n')
    assert wb(run_workbench, folder, "profiles", "edit", "broken", "--model", "fixed").exit_code == 0
    assert wb(run_workbench, folder, "profiles", "list").exit_code == 0


def test_a_byte_order_mark_from_a_windows_editor_is_accepted(folder: Path, run_workbench) -> None:
    (folder / "notepad.toml").write_bytes(b'\xef\xbb\xbfbase_url = "http://x/v1"\nmodel = "m"\n')
    shown = wb(run_workbench, folder, "profiles", "show", "notepad")
    assert shown.exit_code == 0, shown.stderr


def test_a_folder_named_like_a_profile_and_a_dangling_link_are_not_profiles(folder: Path, run_workbench) -> None:
    (folder / "sub.toml").mkdir()
    (folder / "dangling.toml").symlink_to(folder / "nowhere.toml")
    listed = wb(run_workbench, folder, "profiles", "list", "--format", "json")
    assert sorted(p["name"] for p in json.loads(listed.stdout)) == ["good", "other"]


# ---- two workbenches editing one folder ---------------------------------------------------------------


def test_two_workbench_processes_editing_one_folder_lose_and_corrupt_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "profiles"
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # no keyring: auth none
    subprocess.run([sys.executable, "-m", "workbench", "--profiles", str(folder), "profiles", "add", "shared",
                    "--url", URL, "--model", "m"], env=env, check=True, capture_output=True)
    iterations = 30
    processes = [subprocess.Popen([sys.executable, str(TESTS / "_profile_editor_process.py"), str(folder), tag,
                                   str(iterations)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for tag in "ab"]
    outputs = [process.communicate(timeout=300) for process in processes]
    steps = {tag: [json.loads(line) for line in out.splitlines()] for tag, (out, _) in zip("ab", outputs, strict=True)}
    for tag, (_, err) in zip("ab", outputs, strict=True):
        assert "Traceback" not in err, err
        assert [s for s in steps[tag] if s["outcome"] == "unexpected"] == [], tag
        for step in steps[tag]:
            if step["outcome"] == "error":
                assert step["message"].strip() and step["message"].rstrip().endswith("."), step

    store = ProfileStore(folder)
    listing = store.list()
    assert listing.problems == []  # nothing half-written, nothing unparseable
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind
    # Different profiles: every one each process made is there, with its last edit.
    for tag in "ab":
        for i in range(iterations):
            profile = store.get(f"{tag}-{i}-r")
            assert profile.model == f"m-{i}" and profile.params.max_tokens == i + 1
    # The shared profile: still exactly one of it, and neither process's last edit lost.
    assert sorted(p.name for p in folder.glob("shared*.toml")) == ["shared.toml"], "a rename raced an edit"
    shared = store.get("shared")
    last = {}
    for tag, _field in (("a", "--temperature"), ("b", "--top-p")):
        done = [s for s in steps[tag] if s["args"][:3] == ["profiles", "edit", "shared"] and s["outcome"] == "ok"]
        assert done, f"process {tag} never managed an edit of the shared profile"
        last[tag] = float(done[-1]["args"][4])
    assert (shared.params.temperature, shared.params.top_p) == (last["a"], last["b"]), "an edit was lost"
    counts = Counter(s["outcome"] for tag in "ab" for s in steps[tag])
    assert counts["ok"] > counts["error"]


def test_an_edit_waits_for_another_holder_of_the_folder_lock(folder: Path) -> None:
    """The same guarantee, shown step by step: while another workbench holds the lock, an edit waits."""
    import threading

    from workbench.folder_lock import folder_lock
    from workbench.profiles import apply_settings

    store = ProfileStore(folder)
    holding, release = threading.Event(), threading.Event()

    def other_workbench() -> None:
        with folder_lock(folder):  # another thread: its own descriptor, so flock makes it a separate holder
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=other_workbench)
    holder.start()
    assert holding.wait(30)
    editor = threading.Thread(target=store.edit,
                              args=("good", lambda data: apply_settings(data, [("model", "edited")])))
    editor.start()
    editor.join(0.5)
    assert editor.is_alive() and store.get("good").model == "m"  # waiting, nothing written
    release.set()
    holder.join(30)
    editor.join(30)
    assert not editor.is_alive() and store.get("good").model == "edited"


@pytest.mark.parametrize("depth", [150, 100_000])
def test_a_json_setting_nested_absurdly_deep_is_a_sentence(folder: Path, run_workbench, depth: int) -> None:
    value = "[" * depth + "]" * depth
    done = wb(run_workbench, folder, "profiles", "edit", "good", "--extra", f"deep={value}")
    if depth <= 200:
        assert done.exit_code == 0 and wb(run_workbench, folder, "profiles", "show", "good").exit_code == 0
    else:
        assert done.exit_code == 1 and "nested too deep" in one_sentence(done.stderr)
        assert "unexpected" not in done.stderr
