"""`workbench profiles …` end to end through the real main(), with an in-memory keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from workbench.secrets import SERVICE

REPO_PROFILES = Path(__file__).resolve().parents[2] / "profiles"
CANARY = "sk-canary-5f1e2d3c4b5a69788796a5b4"
FIX_MARKERS = ("gnome-keyring-daemon --unlock", "api_key_env")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "profiles"


@pytest.fixture
def wb(run_workbench, folder: Path):
    """`workbench --profiles FOLDER ARGS…`."""

    def run(*args: str, **kwargs):  # type: ignore[no-untyped-def]
        return run_workbench("--profiles", str(folder), *args, **kwargs)

    return run


def add_staging(wb, *extra: str, input: str | None = None):  # type: ignore[no-untyped-def]
    run = wb("profiles", "add", "staging", "--url", "https://llm.example.com/v1", "--model", "my-llm",
             "--auth", "bearer", *extra, input=input)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    return run


# ---- add ------------------------------------------------------------------------------------------


def test_add_writes_a_profile_from_flags(wb, folder: Path, memory_keyring) -> None:
    run = add_staging(
        wb, "--platform", "polyai", "--header", "X-Team=voice", "--temperature", "0.7", "--top-p", "1",
        "--max-tokens", "200", "--no-stream", "--extra", "seed=7", "--read-timeout", "60", "--notes", "staging box",
    )  # fmt: skip
    assert f"Saved profile staging to {folder / 'staging.toml'}." in run.stdout
    assert "Next: store its key with `workbench profiles set-key staging`." in run.stdout
    data = tomllib.loads((folder / "staging.toml").read_text())
    assert data == {
        "base_url": "https://llm.example.com/v1", "model": "my-llm", "platform": "polyai", "auth": "bearer",
        "notes": "staging box", "headers": {"X-Team": "voice"},
        "params": {"temperature": 0.7, "top_p": 1.0, "max_tokens": 200, "stream": False, "extra": {"seed": 7}},
        "timeouts": {"read": 60.0},
    }  # fmt: skip


def test_add_needs_a_url_and_a_model(wb, memory_keyring) -> None:
    run = wb("profiles", "add", "staging", "--model", "my-llm")
    assert run.exit_code == 2
    assert "profiles add needs --url and --model" in run.stderr


def test_add_explains_a_bad_value_and_writes_nothing(wb, folder: Path, memory_keyring) -> None:
    run = wb("profiles", "add", "hot", "--url", "https://h/v1", "--model", "m", "--temperature", "3")
    assert run.exit_code == 1
    assert "params.temperature: expected a number from 0 to 2, got 3.0." in run.stderr
    assert not (folder / "hot.toml").exists()


def test_add_refuses_an_unsafe_name(wb, tmp_path: Path, memory_keyring) -> None:
    run = wb("profiles", "add", "../escape", "--url", "https://h/v1", "--model", "m")
    assert run.exit_code == 1
    assert "never a path" in run.stderr
    assert not (tmp_path / "escape.toml").exists()


def test_add_never_overwrites_unless_forced(wb, folder: Path, memory_keyring) -> None:
    add_staging(wb)
    run = wb("profiles", "add", "staging", "--url", "https://other/v1", "--model", "other")
    assert run.exit_code == 1 and "exists already" in run.stderr
    run = wb("profiles", "add", "staging", "--url", "https://other/v1", "--model", "other", "--force")
    assert run.exit_code == 0, run.stderr
    assert tomllib.loads((folder / "staging.toml").read_text())["model"] == "other"


def test_add_from_an_example_with_flags_on_top(wb, folder: Path, memory_keyring) -> None:
    run = wb("profiles", "add", "mine", "--from", str(REPO_PROFILES / "polyai-staging.toml"), "--model", "prod-llm")
    assert run.exit_code == 0, run.stderr
    data = tomllib.loads((folder / "mine.toml").read_text())
    assert (data["model"], data["platform"], data["auth"]) == ("prod-llm", "polyai", "x-api-key")


def test_add_refuses_a_credential_header_without_echoing_it(wb, folder: Path, memory_keyring) -> None:
    run = wb("profiles", "add", "leaky", "--url", "https://h/v1", "--model", "m",
             "--header", f"Authorization=Bearer {CANARY}")
    assert run.exit_code == 1
    assert "headers.Authorization: this header carries a credential" in run.stderr
    assert CANARY not in run.stdout + run.stderr
    assert not folder.exists() or not any(folder.iterdir())


def test_add_can_store_the_key_at_once(wb, memory_keyring) -> None:
    run = add_staging(wb, "--set-key", "--stdin", input=CANARY + "\n")
    assert "Stored the key for staging in the OS keyring (sk-…a5b4)." in run.stdout
    assert memory_keyring.entries == {(SERVICE, "staging"): CANARY}


# ---- keys ------------------------------------------------------------------------------------------


def test_set_key_from_a_hidden_confirmed_prompt(wb, memory_keyring) -> None:
    add_staging(wb)
    run = wb("profiles", "set-key", "staging", input=f"{CANARY}\n{CANARY}\n")
    assert run.exit_code == 0, run.stderr
    assert memory_keyring.entries == {(SERVICE, "staging"): CANARY}
    assert CANARY not in run.stdout  # hidden: not echoed


def test_set_key_reads_one_line_of_stdin(wb, memory_keyring) -> None:
    add_staging(wb)
    run = wb("profiles", "set-key", "staging", "--stdin", input=CANARY + "\r\nignored second line\n")
    assert run.exit_code == 0, run.stderr
    assert memory_keyring.entries == {(SERVICE, "staging"): CANARY}


def test_set_key_with_empty_stdin_is_a_usage_error(wb, memory_keyring) -> None:
    add_staging(wb)
    run = wb("profiles", "set-key", "staging", "--stdin", input="")
    assert run.exit_code == 2
    assert "--stdin read no key" in run.stderr
    assert memory_keyring.entries == {}


def test_set_key_takes_no_key_as_an_argument(wb, memory_keyring) -> None:
    add_staging(wb)
    run = wb("profiles", "set-key", "staging", CANARY)
    assert run.exit_code == 2
    assert memory_keyring.entries == {}


def test_set_key_for_an_unknown_profile_stores_nothing(wb, memory_keyring) -> None:
    add_staging(wb)
    run = wb("profiles", "set-key", "stagign", "--stdin", input=CANARY + "\n")
    assert run.exit_code == 1
    assert "No profile named 'stagign'" in run.stderr and "did you mean 'staging'?" in run.stderr
    assert memory_keyring.entries == {}


def test_set_key_warns_when_the_key_would_not_be_used(wb, memory_keyring, monkeypatch) -> None:
    wb("profiles", "add", "open", "--url", "http://127.0.0.1:8000/v1", "--model", "m")
    run = wb("profiles", "set-key", "open", "--stdin", input=CANARY + "\n")
    assert "uses auth none, so the key is not sent" in run.stderr
    add_staging(wb, "--api-key-env", "STAGING_KEY")
    monkeypatch.setenv("STAGING_KEY", "sk-env-wins-00001111")
    run = wb("profiles", "set-key", "staging", "--stdin", input=CANARY + "\n")
    assert "environment variable STAGING_KEY is set and wins over the keyring" in run.stderr


def test_forget_key_removes_only_the_key(wb, folder: Path, memory_keyring) -> None:
    add_staging(wb, "--set-key", "--stdin", input=CANARY + "\n")
    run = wb("profiles", "forget-key", "staging")
    assert (run.exit_code, run.stdout.strip()) == (0, "Removed the key of staging from the OS keyring.")
    assert memory_keyring.entries == {}
    assert (folder / "staging.toml").exists()
    again = wb("profiles", "forget-key", "staging")
    assert (again.exit_code, again.stdout.strip()) == (0, "staging had no key in the OS keyring; nothing to remove.")


# ---- show and list -----------------------------------------------------------------------------------


def test_show_masks_the_key_and_says_where_it_comes_from(wb, memory_keyring) -> None:
    add_staging(wb, "--set-key", "--stdin", input=CANARY + "\n")
    run = wb("profiles", "show", "staging")
    assert run.exit_code == 0, run.stderr
    assert "key       sk-…a5b4  (from the OS keyring: service byom-workbench, user staging)" in run.stdout
    assert CANARY not in run.stdout
    revealed = wb("profiles", "show", "staging", "--reveal")
    assert f"key       {CANARY}  (from the OS keyring" in revealed.stdout


def test_show_json_has_every_setting_and_no_secret_unless_revealed(wb, memory_keyring) -> None:
    add_staging(wb, "--set-key", "--stdin", input=CANARY + "\n")
    data = json.loads(wb("profiles", "show", "staging", "--format", "json").stdout)
    assert data["key"] == {"source": "keyring", "masked": "sk-…a5b4"}
    assert data["timeouts"] == {"connect": 5.0, "read": 30.0, "first_token": 20.0}
    assert (data["name"], data["auth"], data["params"]["stream"]) == ("staging", "bearer", True)
    revealed = json.loads(wb("profiles", "show", "staging", "--format", "json", "--reveal").stdout)
    assert revealed["key"]["value"] == CANARY


def test_show_says_the_environment_variable_wins(wb, memory_keyring, monkeypatch) -> None:
    add_staging(wb, "--api-key-env", "STAGING_KEY", "--set-key", "--stdin", input=CANARY + "\n")
    monkeypatch.setenv("STAGING_KEY", "sk-env-wins-00001111")
    run = wb("profiles", "show", "staging")
    assert "sk-…1111  (from environment variable STAGING_KEY; the keyring holds another, not used)" in run.stdout


def test_show_takes_the_path_of_an_example_file(run_workbench, memory_keyring) -> None:
    run = run_workbench("profiles", "show", str(REPO_PROFILES / "local-mock.toml"))
    assert run.exit_code == 0, run.stderr
    assert "base_url  http://127.0.0.1:8000/v1" in run.stdout
    assert "key       not needed (auth none)" in run.stdout


def test_list_shows_a_table_and_json_without_secrets(wb, folder: Path, memory_keyring, monkeypatch) -> None:
    add_staging(wb, "--set-key", "--stdin", input=CANARY + "\n")
    wb("profiles", "add", "local", "--url", "http://127.0.0.1:8000/v1", "--model", "mock-model")
    wb("profiles", "add", "envy", "--url", "https://e/v1", "--model", "m", "--auth", "x-api-key",
       "--api-key-env", "ENVY")
    monkeypatch.setenv("ENVY", "sk-envy-key-99990000")
    run = wb("profiles", "list")
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["NAME", "URL", "MODEL", "PLATFORM", "AUTH", "KEY"]
    assert [line.split() for line in lines[1:]] == [
        ["envy", "https://e/v1", "m", "openai", "x-api-key", "env:ENVY"],
        ["local", "http://127.0.0.1:8000/v1", "mock-model", "openai", "none", "none"],
        ["staging", "https://llm.example.com/v1", "my-llm", "openai", "bearer", "keyring"],
    ]
    as_json = wb("profiles", "list", "--format", "json")
    data = json.loads(as_json.stdout)
    assert [(p["name"], p["key_source"]) for p in data] == [
        ("envy", "env:ENVY"), ("local", "none"), ("staging", "keyring")]
    assert data[2]["file"] == str(folder / "staging.toml")
    assert CANARY not in run.stdout + as_json.stdout and "sk-envy-key-99990000" not in as_json.stdout


def test_list_reports_a_broken_file_and_still_lists_the_others(wb, folder: Path, memory_keyring) -> None:
    add_staging(wb)
    (folder / "broken.toml").write_text('base_url = "https://b/v1"\nmodel = \n')
    run = wb("profiles", "list")
    assert run.exit_code == 1
    assert "staging" in run.stdout
    assert f"problem: {folder / 'broken.toml'}:2:" in run.stderr
    assert "Traceback" not in run.stderr


def test_list_of_an_empty_folder_says_how_to_add_one(wb, memory_keyring) -> None:
    run = wb("profiles", "list")
    assert run.exit_code == 0
    assert "No profiles in" in run.stdout and "workbench profiles add NAME" in run.stdout
    assert json.loads(wb("profiles", "list", "--format", "json").stdout) == []


# ---- edit, rename, remove ------------------------------------------------------------------------------------


def test_edit_sets_and_unsets_settings(wb, folder: Path, memory_keyring) -> None:
    add_staging(wb, "--temperature", "0.2")
    run = wb("profiles", "edit", "staging", "--model", "v2", "--set", "timeouts.read=90",
             "--set", "headers.X-Team=voice", "--unset", "params.temperature")
    assert run.exit_code == 0, run.stderr
    assert "Updated profile staging (model, timeouts.read, headers.X-Team, params.temperature)" in run.stdout
    data = tomllib.loads((folder / "staging.toml").read_text())
    assert (data["model"], data["timeouts"], data["headers"]) == ("v2", {"read": 90.0}, {"X-Team": "voice"})
    assert "temperature" not in data["params"]


def test_edit_with_nothing_to_change_is_a_usage_error(wb, memory_keyring) -> None:
    add_staging(wb)
    run = wb("profiles", "edit", "staging")
    assert run.exit_code == 2 and "Nothing to change." in run.stderr


def test_edit_explains_a_typo_and_leaves_the_file_alone(wb, folder: Path, memory_keyring) -> None:
    add_staging(wb)
    before = (folder / "staging.toml").read_bytes()
    run = wb("profiles", "edit", "staging", "--set", "modle=v2")
    assert run.exit_code == 1
    assert "unknown setting 'modle'; did you mean 'model'?" in run.stderr
    assert (folder / "staging.toml").read_bytes() == before


def test_edit_repairs_a_bad_value(wb, folder: Path, memory_keyring) -> None:
    folder.mkdir()
    (folder / "hot.toml").write_text('base_url = "https://h/v1"\nmodel = "m"\n[params]\ntemperature = 7\n')
    assert wb("profiles", "show", "hot").exit_code == 1
    run = wb("profiles", "edit", "hot", "--temperature", "0.5")
    assert run.exit_code == 0, run.stderr
    assert wb("profiles", "show", "hot").exit_code == 0


def test_rename_moves_the_key_through_the_cli(wb, folder: Path, memory_keyring) -> None:
    add_staging(wb, "--set-key", "--stdin", input=CANARY + "\n")
    run = wb("profiles", "rename", "staging", "production")
    assert run.exit_code == 0, run.stderr
    assert "Renamed profile staging to production and moved its key in the OS keyring." in run.stdout
    assert memory_keyring.entries == {(SERVICE, "production"): CANARY}
    assert sorted(p.name for p in folder.iterdir()) == ["production.toml"]


def test_remove_asks_first_and_removes_the_key_too(wb, folder: Path, memory_keyring) -> None:
    add_staging(wb, "--set-key", "--stdin", input=CANARY + "\n")
    declined = wb("profiles", "remove", "staging", input="n\n")
    assert declined.exit_code != 0 and (folder / "staging.toml").exists()
    assert memory_keyring.entries
    accepted = wb("profiles", "remove", "staging", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert "Removed profile staging and its key from the OS keyring." in accepted.stdout
    assert not (folder / "staging.toml").exists() and memory_keyring.entries == {}


def test_remove_yes_skips_the_question_and_unknown_names_are_errors(wb, folder: Path, memory_keyring) -> None:
    add_staging(wb)
    assert wb("profiles", "remove", "staging", "--yes").exit_code == 0
    run = wb("profiles", "remove", "staging", "--yes")
    assert run.exit_code == 1 and "No profile named 'staging'" in run.stderr


# ---- without a keyring: the sentence with the fix, exit 1, never a traceback ------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("profiles", "set-key", "staging", "--stdin"), CANARY + "\n"),
        (("profiles", "set-key", "staging"), ""),  # fails before prompting for a key it could not keep
        (("profiles", "forget-key", "staging"), None),
        (("profiles", "show", "staging"), None),
        (("profiles", "show", "staging", "--reveal"), None),
        (("profiles", "show", "staging", "--format", "json"), None),
        (("profiles", "rename", "staging", "renamed"), None),
        (("profiles", "remove", "staging", "--yes"), None),
        (("profiles", "add", "other", "--url", "https://o/v1", "--model", "m", "--auth", "bearer",
          "--set-key", "--stdin"), CANARY + "\n"),
    ],
)
def test_without_a_keyring_every_command_that_needs_the_key_prints_the_fix(
    wb, folder, memory_keyring, args, stdin
) -> None:
    add_staging(wb)
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the memory_keyring fixture restores the original after
    run = wb(*args, input=stdin)
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert "error: No OS keyring is available" in run.stderr
    for marker in FIX_MARKERS:
        assert marker in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "Key for profile" not in run.stdout  # no prompt for a key that could not be kept
    assert (folder / "staging.toml").exists()


def test_without_a_keyring_list_still_lists_and_says_why_keys_are_unknown(wb, memory_keyring) -> None:
    add_staging(wb)
    wb("profiles", "add", "local", "--url", "http://127.0.0.1:8000/v1", "--model", "m")
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    run = wb("profiles", "list")
    assert run.exit_code == 0
    assert [line.split()[-1] for line in run.stdout.splitlines()[1:]] == ["none", "unavailable"]
    assert "warning: key sources marked 'unavailable': No OS keyring is available" in run.stderr


def test_without_a_keyring_the_real_command_exits_1_with_the_fix(tmp_path: Path) -> None:
    """A real process with keyring's fail backend: main()'s wording and exit code, no traceback."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    folder = tmp_path / "profiles"
    base = [sys.executable, "-m", "workbench", "--profiles", str(folder), "profiles"]
    added = subprocess.run([*base, "add", "x", "--url", "https://x/v1", "--model", "m", "--auth", "bearer"],
                           env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert added.returncode == 0, added.stderr
    done = subprocess.run([*base, "set-key", "x", "--stdin"], input=CANARY + "\n", env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("error: No OS keyring is available")
    assert all(marker in done.stderr for marker in FIX_MARKERS)
    assert "Traceback" not in done.stderr


# ---- the canary: a key never lands in a file, nor in output unless revealed ---------------------------


def test_the_canary_key_never_reaches_a_file_or_unrevealed_output(wb, folder: Path, memory_keyring, tmp_path) -> None:
    outputs: list[str] = []

    def step(*args: str, input: str | None = None) -> None:
        run = wb(*args, input=input)
        assert run.exit_code == 0, (args, run.stderr)
        outputs.append(run.stdout + run.stderr)

    step("profiles", "add", "canary", "--url", "https://llm.example.com/v1", "--model", "m", "--auth", "bearer",
         "--set-key", "--stdin", input=CANARY + "\n")  # fmt: skip
    step("profiles", "set-key", "canary", input=f"{CANARY}\n{CANARY}\n")
    step("profiles", "edit", "canary", "--model", "m2", "--header", "X-Team=voice", "--set", "params.extra.seed=1")
    step("profiles", "rename", "canary", "canary2")
    step("profiles", "show", "canary2")
    step("profiles", "show", "canary2", "--format", "json")
    step("profiles", "list")
    step("profiles", "list", "--format", "json")
    step("profiles", "locate")

    assert memory_keyring.entries == {(SERVICE, "canary2"): CANARY}  # it was really stored, and moved
    for text in outputs:
        assert CANARY not in text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert folder / "canary2.toml" in files
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
    assert CANARY in wb("profiles", "show", "canary2", "--reveal").stdout  # only when asked
