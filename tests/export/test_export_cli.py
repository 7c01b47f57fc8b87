"""`workbench export`: the real command, every platform and format, masked unless --reveal."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from workbench.platforms import PLATFORMS
from workbench.profiles import Profile, ProfileStore
from workbench.redact import mask

CANARY = "sk-exportcanary-5a4b3c2d1e0f9988"


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profiles folder with one profile whose key is in the environment; data files in tmp."""
    folder = tmp_path / "profiles"
    ProfileStore(folder).save(Profile(name="prod", base_url="https://llm.example.com/v1", model="booking-llm",
                                      platform="playai", auth="bearer", api_key_env="EXPORT_KEY"))
    monkeypatch.setenv("EXPORT_KEY", CANARY)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # where check reports are saved
    return folder


@pytest.mark.parametrize("platform", list(PLATFORMS))
@pytest.mark.parametrize("fmt", ["markdown", "json", "text"])
def test_every_platform_and_format_masks_the_key(platform: str, fmt: str, profiles: Path,
                                                  run_workbench: Callable) -> None:
    result = run_workbench("--profiles", str(profiles), "export", "prod", "--for", platform, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert CANARY not in result.stdout + result.stderr
    assert mask(CANARY) in result.stdout
    if fmt == "json":
        assert json.loads(result.stdout)["platform"] == platform
    revealed = run_workbench("--profiles", str(profiles), "export", "prod", "--for", platform, "--format", fmt,
                             "--reveal")
    assert revealed.exit_code == 0
    assert CANARY in revealed.stdout


def test_for_defaults_to_the_profiles_platform(profiles: Path, run_workbench: Callable) -> None:
    result = run_workbench("--profiles", str(profiles), "export", "prod", "--format", "json")
    data = json.loads(result.stdout)
    assert data["platform"] == "playai"
    body = json.loads(data["snippets"]["patch_body"])
    assert body == {"llm": {"baseURL": "https://llm.example.com/v1", "apiKey": mask(CANARY)}}


def test_polyai_sheet_from_the_command_line(profiles: Path, run_workbench: Callable) -> None:
    result = run_workbench("--profiles", str(profiles), "export", "prod", "--for", "polyai")
    assert result.exit_code == 0
    for needed in ("Endpoint URL", "Model ID", "Auth method", "Credential", "Final checklist"):
        assert needed in result.stdout
    assert "no saved check" in result.stdout


def test_the_latest_saved_verdict_is_shown(profiles: Path, tmp_path: Path, run_workbench: Callable) -> None:
    reports = tmp_path / "data" / "byom-workbench" / "reports"
    reports.mkdir(parents=True)
    (reports / "prod.polyai.json").write_text(json.dumps({
        "compatible": True, "platform": "polyai", "target": "https://llm.example.com/v1",
        "findings": [{"id": "latency.slow", "category": "latency", "severity": "warning", "message": "m", "hint": "h"}],
        "metrics": {},
    }))
    result = run_workbench("--profiles", str(profiles), "export", "prod", "--for", "polyai", "--format", "text")
    assert "Latest check: compatible (0 errors, 1 warning), checked just now against https://llm.example.com/v1" \
        in result.stdout


def test_output_writes_a_private_file(profiles: Path, tmp_path: Path, run_workbench: Callable) -> None:
    out = tmp_path / "sheet.md"
    result = run_workbench("--profiles", str(profiles), "export", "prod", "--for", "polyai", "--reveal",
                           "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"to {out}" in result.stderr and "credential revealed" in result.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert CANARY in out.read_text()
    # an existing, more open file is replaced by a private one
    out.chmod(0o644)
    run_workbench("--profiles", str(profiles), "export", "prod", "--for", "polyai", "--output", str(out))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert CANARY not in out.read_text()


def test_the_keyring_holds_the_key(tmp_path: Path, memory_keyring: object, run_workbench: Callable,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.secrets import set_secret

    folder = tmp_path / "profiles"
    ProfileStore(folder).save(Profile(name="kr", base_url="https://x.example/v1", model="m", auth="x-api-key"))
    set_secret("kr", CANARY)
    result = run_workbench("--profiles", str(folder), "export", "kr", "--for", "polyai", "--format", "json")
    data = json.loads(result.stdout)
    assert data["credential_source"] == "keyring"
    assert data["settings"]["credential"] == mask(CANARY)
    assert CANARY not in result.stdout


def test_no_keyring_still_prints_the_sheet_and_says_why(tmp_path: Path, no_keyring: None,
                                                        run_workbench: Callable) -> None:
    folder = tmp_path / "profiles"
    ProfileStore(folder).save(Profile(name="kr", base_url="https://x.example/v1", model="m", auth="bearer"))
    result = run_workbench("--profiles", str(folder), "export", "kr", "--for", "polyai", "--format", "json")
    assert result.exit_code == 0, result.stderr
    field = next(f for f in json.loads(result.stdout)["fields"] if f["key"] == "credential")
    assert field["value"] == "not set"
    assert "keyring cannot be read" in field["note"]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["export", "prod", "--for", "teams"], 2, "unknown platform 'teams'"),
        (["export", "prod", "--format", "yaml"], 2, "Invalid value for '--format'"),
        (["export"], 2, "Missing argument 'PROFILE'"),
        (["export", "nope", "--for", "polyai"], 1, "No profile named 'nope'"),
        (["export", "prod", "--output", "/nonexistent-folder/sheet.md"], 2,
         "the folder /nonexistent-folder does not exist"),
    ],
)
def test_bad_input_is_a_sentence_with_the_right_exit_code(args: list[str], code: int, said: str, profiles: Path,
                                                          run_workbench: Callable) -> None:
    result = run_workbench("--profiles", str(profiles), *args)
    assert result.exit_code == code, result.stdout + result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert CANARY not in result.stdout + result.stderr
