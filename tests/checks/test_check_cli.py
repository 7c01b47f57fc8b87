"""`workbench check` as a user runs it: formats, exit codes 0/1/2 (via subprocess), and the saved verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from workbench.checks.findings import CATEGORIES, SEVERITIES
from workbench.mock import MockConfig, MockServer

KEY = "sk-cli-check-key-4242"


@pytest.fixture(scope="module")
def mock():
    handle = MockServer.start_in_thread(MockConfig(port=0, api_key=KEY))
    yield handle
    handle.stop()


def workbench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "CHECK_KEY": KEY, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          env=full_env, timeout=60)


def check(mock, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return workbench("check", "--url", mock.base_url, "--model", "mock-model", "--api-key-env", "CHECK_KEY",
                     *extra, env=env)


def test_json_matches_the_design_contract(mock) -> None:
    mock.server.set_fault(None)
    done = check(mock, "--as", "playai", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report) == ["compatible", "platform", "target", "findings", "metrics"]
    assert report["compatible"] is True and report["platform"] == "playai"
    assert report["target"] == mock.base_url
    assert isinstance(report["metrics"]["ttft_ms"], float) and isinstance(report["metrics"]["total_ms"], float)
    assert KEY not in done.stdout + done.stderr


def test_incompatible_endpoint_exits_1_with_findings_in_the_contract_shape(mock) -> None:
    mock.server.set_fault("ndjson")
    try:
        done = check(mock, "--as", "vapi", "--format", "json")
    finally:
        mock.server.set_fault(None)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["compatible"] is False
    for f in report["findings"]:
        assert list(f) == ["id", "category", "severity", "message", "hint"]
        assert f["category"] in CATEGORIES and f["severity"] in SEVERITIES
        assert f["id"] == f["id"].lower() and f["id"].startswith(f["category"] + ".")
    assert "stream.ndjson" in [f["id"] for f in report["findings"]]


def test_junit_has_a_testcase_per_probe_and_finding(mock) -> None:
    mock.server.set_fault("no-done")
    try:
        done = check(mock, "--as", "vapi", "--format", "junit")
    finally:
        mock.server.set_fault(None)
    assert done.returncode == 0  # a warning only
    root = ET.fromstring(done.stdout)
    cases = root.findall(".//testcase")
    names = [c.get("name") for c in cases]
    assert any(n.startswith("stream.done-missing") for n in names)
    assert any(n.startswith("conversation:") for n in names)
    assert root.find(".//failure") is None

    mock.server.set_fault("cumulative-deltas")
    try:
        failed = check(mock, "--as", "vapi", "--format", "junit")
    finally:
        mock.server.set_fault(None)
    assert failed.returncode == 1
    failures = ET.fromstring(failed.stdout).findall(".//failure")
    assert [f.get("type") for f in failures] == ["stream.cumulative-deltas"]


def test_markdown_and_text_are_readable(mock) -> None:
    mock.server.set_fault("no-role")
    try:
        md = check(mock, "--as", "polyai", "--auth", "x-api-key", "--format", "markdown")
        text = check(mock, "--as", "polyai", "--auth", "x-api-key")
    finally:
        mock.server.set_fault(None)
    assert md.returncode == 0 and text.returncode == 0
    assert md.stdout.startswith("## `workbench check`: PolyAI")
    assert "| ⚠️ warning | `schema.role-missing` |" in md.stdout
    assert "Endpoint reachable with POST." in md.stdout  # PolyAI's own checklist
    assert "schema.role-missing" in text.stdout and "fix: " in text.stdout
    assert "Compatible with PolyAI, with warnings" in text.stdout
    assert "\x1b[" not in text.stdout  # no colour when not on a terminal


def test_usage_errors_exit_2() -> None:
    assert workbench("check", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--as", "nope").returncode == 2
    assert workbench("check", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--format", "xml").returncode == 2
    missing = workbench("check", "--url", "http://127.0.0.1:9/v1")
    assert missing.returncode == 2 and "--model" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_stalled_endpoint_respects_timeout(mock) -> None:
    mock.server.set_fault("stall")
    try:
        done = check(mock, "--as", "vapi", "--format", "json", "--timeout", "0.5")
    finally:
        mock.server.set_fault(None)
    assert done.returncode == 1
    assert "stream.stall" in [f["id"] for f in json.loads(done.stdout)["findings"]]


def test_profile_check_saves_the_latest_verdict(mock, tmp_path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "local.toml").write_text(
        f'name = "local"\nbase_url = "{mock.base_url}"\nmodel = "mock-model"\nplatform = "vapi"\n'
        'auth = "bearer"\napi_key_env = "CHECK_KEY"\n'
    )
    env = {"WORKBENCH_PROFILES": str(profiles), "XDG_DATA_HOME": str(tmp_path / "data")}
    done = workbench("check", "local", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    saved = tmp_path / "data" / "byom-workbench" / "reports" / "local.vapi.json"
    data = json.loads(saved.read_text())
    assert data["compatible"] is True and data["platform"] == "vapi" and "checked_at" in data
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    assert KEY not in saved.read_text()
    # `workbench export` shows it as the latest verdict.
    sheet = workbench("export", "local", "--for", "vapi", "--format", "json", env=env)
    assert sheet.returncode == 0, sheet.stderr
    assert json.loads(sheet.stdout)["latest_check"]["compatible"] is True
