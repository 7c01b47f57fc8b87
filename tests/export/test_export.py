"""Setup sheets: every platform in every format, the credential masked unless revealed."""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.checks.verdicts import describe_age, load_latest
from workbench.checks.verdicts import latest_path as report_path
from workbench.export import FORMATS, build_sheet, export_sheet, render
from workbench.platforms import PLATFORMS
from workbench.profiles import Profile
from workbench.redact import mask
from workbench.secrets import Credential

CANARY = "sk-canary-7f3e1d2c9b8a6f5e4d3c"
PROFILE = Profile(
    name="staging",
    base_url="https://llm.example.com/v1",
    model="booking-llm",
    platform="polyai",
    auth="bearer",
    api_key_env="STAGING_LLM_KEY",
)
CREDENTIAL = Credential(CANARY, "env:STAGING_LLM_KEY")


@pytest.mark.parametrize("platform", list(PLATFORMS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_credential_is_masked_unless_revealed(platform: str, fmt: str, tmp_path: Path) -> None:
    masked = export_sheet(PROFILE, platform, CREDENTIAL, fmt=fmt, reports_dir=tmp_path)
    assert CANARY not in masked
    assert CANARY[-8:] not in masked  # not even a longer tail than mask() shows
    assert mask(CANARY) in masked
    assert PROFILE.base_url in masked and PROFILE.model in masked
    revealed = export_sheet(PROFILE, platform, CREDENTIAL, fmt=fmt, reveal=True, reports_dir=tmp_path)
    assert CANARY in revealed
    if fmt == "json":
        assert json.loads(masked)["revealed"] is False
        assert json.loads(revealed)["revealed"] is True


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_json_sheets_parse_and_name_their_settings(platform: str, tmp_path: Path) -> None:
    data = json.loads(export_sheet(PROFILE, platform, CREDENTIAL, fmt="json", reports_dir=tmp_path))
    assert data["platform"] == platform
    assert data["profile"] == "staging"
    assert data["credential_source"] == "env:STAGING_LLM_KEY"
    assert PROFILE.base_url in data["settings"].values()
    assert PROFILE.model in data["settings"].values()
    assert mask(CANARY) in data["settings"].values()
    assert data["checklist"] == list(PLATFORMS[platform].checklist)
    assert data["latest_check"] is None
    assert data["check_command"] == f"workbench check staging --as {platform}"


def test_polyai_sheet_has_what_the_rep_asks_for() -> None:
    sheet = build_sheet(PROFILE, "polyai", CREDENTIAL)
    settings = {f.label: f.value for f in sheet.fields}
    assert settings["Endpoint URL"] == "https://llm.example.com/v1"
    assert settings["Model ID"] == "booking-llm"
    assert settings["Auth method"].startswith("Bearer token")
    assert settings["Credential"] == mask(CANARY)
    text = render(sheet, "markdown")
    assert "PolyAI representative" in text
    assert "## Final checklist" in text
    assert "- [ ] Endpoint reachable with POST." in text


def test_polyai_sends_x_api_key_when_the_profile_does() -> None:
    profile = Profile(name="p", base_url="https://x.example/v1", model="m", auth="x-api-key", api_key_env="K")
    data = build_sheet(profile, "polyai", CREDENTIAL).to_dict()
    assert data["auth_method"] == "x-api-key"
    assert data["settings"]["auth_method"] == "API key, sent as the x-api-key header"


def _playai_body(sheet_json: dict) -> dict:
    return json.loads(sheet_json["snippets"]["patch_body"])


def _curl_argv(curl: str) -> list[str]:
    return shlex.split(curl.replace("\\\n", " "))


def test_playai_patch_body_and_curl(tmp_path: Path) -> None:
    data = json.loads(export_sheet(PROFILE, "playai", CREDENTIAL, fmt="json", reports_dir=tmp_path))
    body = _playai_body(data)
    assert body == {"llm": {"baseURL": "https://llm.example.com/v1", "apiKey": mask(CANARY)}}
    argv = _curl_argv(data["snippets"]["curl"])
    assert argv[:3] == ["curl", "--request", "PATCH"]
    assert "https://api.play.ai/api/v1/agents/${PLAYAI_AGENT_ID}" in argv
    assert "Authorization: Bearer ${PLAYAI_API_KEY}" in argv
    assert "X-User-Id: ${PLAYAI_USER_ID}" in argv
    sent = json.loads(argv[argv.index("--data-raw") + 1])
    assert sent == body
    revealed = json.loads(export_sheet(PROFILE, "playai", CREDENTIAL, fmt="json", reveal=True, reports_dir=tmp_path))
    assert _playai_body(revealed)["llm"]["apiKey"] == CANARY
    argv = _curl_argv(revealed["snippets"]["curl"])
    assert json.loads(argv[argv.index("--data-raw") + 1])["llm"]["apiKey"] == CANARY


def test_a_key_with_quotes_survives_the_curl_quoting() -> None:
    awkward = Credential("sk-it's-\"quoted\"-$HOME-0123", "keyring")
    sheet = build_sheet(PROFILE, "playai", awkward, reveal=True).to_dict()
    argv = _curl_argv(sheet["snippets"]["curl"])
    assert json.loads(argv[argv.index("--data-raw") + 1])["llm"]["apiKey"] == awkward.value


def test_vapi_sheet_is_a_custom_llm_provider() -> None:
    data = build_sheet(PROFILE, "vapi", CREDENTIAL).to_dict()
    model = json.loads(data["snippets"]["assistant_model"])["model"]
    assert model == {"provider": "custom-llm", "url": "https://llm.example.com/v1", "model": "booking-llm"}
    assert json.loads(data["snippets"]["credential"]) == {"provider": "custom-llm", "apiKey": mask(CANARY)}
    assert "VAPI_API_KEY" in data["snippets"]["credential_curl"]


def test_elevenlabs_sheet_names_server_url_model_and_secret() -> None:
    data = build_sheet(PROFILE, "elevenlabs", CREDENTIAL).to_dict()
    assert data["settings"]["llm"] == "Custom LLM"
    assert data["settings"]["server_url"] == "https://llm.example.com/v1"
    assert data["settings"]["model_id"] == "booking-llm"
    assert data["settings"]["api_key_secret_name"] == "staging-llm-key"


def test_openai_snippet_is_python_that_reads_the_key_from_the_environment() -> None:
    data = build_sheet(PROFILE, "openai", CREDENTIAL, reveal=True).to_dict()
    code = data["snippets"]["python"]
    compile(code, "snippet.py", "exec")
    assert 'base_url="https://llm.example.com/v1"' in code
    assert 'os.environ["STAGING_LLM_KEY"]' in code
    assert CANARY not in code  # even revealed, a key never goes into code


def test_openai_snippet_for_an_x_api_key_endpoint_sends_that_header() -> None:
    profile = Profile(name="p", base_url="https://x.example/v1", model="m", auth="x-api-key")
    code = build_sheet(profile, "openai", CREDENTIAL).to_dict()["snippets"]["python"]
    compile(code, "snippet.py", "exec")
    assert 'default_headers={"x-api-key": os.environ["LLM_API_KEY"]}' in code


def test_polyant_sheet_shows_how_to_list_models() -> None:
    data = build_sheet(PROFILE, "polyant", CREDENTIAL).to_dict()
    argv = shlex.split(data["snippets"]["models_curl"])
    assert argv[-1] == "https://llm.example.com/v1/models"
    assert "Authorization: Bearer ${STAGING_LLM_KEY}" in argv


def test_a_missing_credential_says_how_to_set_one() -> None:
    missing = Credential(None, "missing", "environment variable STAGING_LLM_KEY is not set")
    sheet = build_sheet(PROFILE, "polyai", missing)
    field = next(f for f in sheet.fields if f.key == "credential")
    assert field.value == "not set"
    assert "STAGING_LLM_KEY is not set" in field.note
    assert "workbench profiles set-key staging" in field.note
    body = json.loads(build_sheet(PROFILE, "playai", missing).to_dict()["snippets"]["patch_body"])
    assert body["llm"]["apiKey"] == "<your API key>"


def test_an_open_local_endpoint_gets_warnings_a_developer_can_act_on() -> None:
    local = Profile(name="local", base_url="http://127.0.0.1:8000/v1", model="mock-model", auth="none")
    sheet = build_sheet(local, "polyai", Credential(None, "none"))
    notes = " ".join(sheet.notes)
    assert "cannot reach it" in notes and "tunnel" in notes
    assert "no auth" in notes
    assert {f.key: f.value for f in sheet.fields}["credential"] == "none"


def test_an_auth_style_the_platform_does_not_send_is_called_out() -> None:
    profile = Profile(name="p", base_url="https://x.example/v1", model="m", auth="x-api-key")
    notes = " ".join(build_sheet(profile, "playai", CREDENTIAL).notes)
    assert "Play.ai sends the key as Authorization: Bearer, but this profile uses x-api-key" in notes


# ---- the latest saved verdict -----------------------------------------------------------


def _save_report(folder: Path, compatible: bool, age_s: float) -> Path:
    path = report_path("staging", "polyai", folder)
    path.write_text(
        json.dumps(
            {
                "compatible": compatible,
                "platform": "polyai",
                "target": "https://llm.example.com/v1",
                "findings": [
                    {"id": "stream.done-missing", "category": "stream", "severity": "warning", "message": "m",
                     "hint": "h"},
                    {"id": "auth.open", "category": "auth", "severity": "error", "message": "m", "hint": "h"},
                ],
                "metrics": {"ttft_ms": 41.2},
            }
        )
    )
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_latest_verdict_is_included_with_its_age(fmt: str, tmp_path: Path) -> None:
    _save_report(tmp_path, compatible=False, age_s=3 * 3600 + 60)
    out = export_sheet(PROFILE, "polyai", CREDENTIAL, fmt=fmt, reports_dir=tmp_path)
    if fmt == "json":
        check = json.loads(out)["latest_check"]
        assert check["compatible"] is False
        assert (check["errors"], check["warnings"]) == (1, 1)
        assert check["age"] == "3 hours ago"
        assert check["target"] == "https://llm.example.com/v1"
    else:
        assert "NOT compatible (1 error, 1 warning), checked 3 hours ago" in out


def test_no_verdict_says_how_to_make_one(tmp_path: Path) -> None:
    out = export_sheet(PROFILE, "polyai", CREDENTIAL, fmt="text", reports_dir=tmp_path)
    assert "no saved check" in out and "workbench check staging --as polyai" in out


def test_a_broken_report_file_is_ignored_not_fatal(tmp_path: Path) -> None:
    report_path("staging", "polyai", tmp_path).write_text("{not json")
    assert load_latest("staging", "polyai", tmp_path) is None
    assert "no saved check" in export_sheet(PROFILE, "polyai", CREDENTIAL, fmt="markdown", reports_dir=tmp_path)


def test_checked_at_in_the_report_wins_over_the_file_time(tmp_path: Path) -> None:
    path = _save_report(tmp_path, compatible=True, age_s=0)
    data = json.loads(path.read_text())
    data["checked_at"] = "2020-01-01T00:00:00+00:00"
    path.write_text(json.dumps(data))
    verdict = load_latest("staging", "polyai", tmp_path)
    assert verdict is not None and verdict.checked_at == 1577836800.0
    assert verdict.age().endswith("days ago")


def test_describe_age() -> None:
    assert describe_age(5) == "just now"
    assert describe_age(60) == "1 minute ago"
    assert describe_age(7200) == "2 hours ago"
    assert describe_age(86400 * 3 + 5) == "3 days ago"


def test_unknown_platform_and_format_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown platform"):
        build_sheet(PROFILE, "teams", CREDENTIAL)
    with pytest.raises(UsageError, match="unknown export format"):
        export_sheet(PROFILE, "polyai", CREDENTIAL, fmt="yaml")
