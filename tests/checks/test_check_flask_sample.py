"""The seed's Flask sample (PolyAI's BYOM docs), served for real by Flask, checked as PolyAI and Play.ai.

It answers non-streaming requests correctly and has no auth and no streaming: PolyAI (whose
streaming is optional) accepts it with warnings; Play.ai (which requires SSE) does not.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbench.checks.runner import run_check
from workbench.target import Target

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", app, "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"flask exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("flask did not start listening")


@pytest.fixture(scope="module")
def flask_sample():
    process, url = _serve("benchmarks/flask_sample")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def flask_sample_v1():
    process, url = _serve("tests/fixtures/flask_sample_v1")
    yield url
    process.terminate()
    process.wait(timeout=10)


async def test_polyai_accepts_it_with_warnings(flask_sample: str) -> None:
    report = await run_check(Target(flask_sample, "my-llm"), "polyai", timeout=5)
    ids = {f.id for f in report.findings}
    assert report.compatible
    assert {f.severity for f in report.findings} == {"warning"}
    assert "stream.json-reply" in ids  # no streaming (optional for PolyAI)
    assert "auth.open" in ids  # no auth
    # What else the sample really does: Flask's HTML 400 page for bad JSON, and a reply to a body without messages.
    assert ids <= {"stream.json-reply", "auth.open", "errors.error-shape", "errors.malformed-accepted"}
    streaming = next(f for f in report.findings if f.id == "stream.json-reply")
    assert "optional for PolyAI" in streaming.message
    # No line passes with a claim another line refutes: Flask's 400 to bad JSON is an HTML page
    # (errors.error-shape), so the malformed-JSON line promises the status only.
    shape = next(f for f in report.findings if f.id == "errors.error-shape")
    assert "HTML page" in shape.message
    passed = [r.title for r in report.probes if r.status == "passed"]
    assert "Malformed JSON gets a 4xx" in passed and not any("error body" in title for title in passed)


async def test_a_passing_check_ticks_what_it_proved_on_the_export(flask_sample: str, tmp_path) -> None:
    from workbench.checks.verdicts import save_latest
    from workbench.export import export_sheet
    from workbench.profiles import Profile

    report = await run_check(Target(flask_sample, "my-llm"), "polyai", timeout=5)
    save_latest(report, "flask", tmp_path)
    profile = Profile(name="flask", base_url=flask_sample, model="my-llm", platform="polyai")
    sheet = export_sheet(profile, "polyai", None, reports_dir=tmp_path)
    assert "- [x] Endpoint reachable with POST." in sheet
    assert "- [x] Request/response match OpenAI chat/completions schema." in sheet
    assert "- [ ] Authentication header configured" in sheet  # auth.open: it has none
    assert "- [ ] (Optional) Streaming supported if needed." in sheet  # stream.json-reply
    assert "[x]" in export_sheet(profile, "polyai", None, reports_dir=tmp_path, fmt="text")


async def test_playai_refuses_it_for_lack_of_streaming(flask_sample: str) -> None:
    report = await run_check(Target(flask_sample, "my-llm"), "playai", timeout=5)
    assert not report.compatible
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.id for f in errors] == ["stream.json-reply"]
    assert "text/event-stream" in errors[0].hint
    # Play.ai's own words: it always streams; the OpenAI SDK is not what calls it.
    assert errors[0].message.startswith("Play.ai always streams") and "OpenAI SDK" not in errors[0].message


async def test_base_url_with_v1_the_sample_lacks_is_diagnosed(flask_sample: str) -> None:
    report = await run_check(Target(flask_sample + "/v1", "my-llm"), "polyai", timeout=5)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.id for f in errors] == ["reachability.extra-v1"]
    assert flask_sample in errors[0].hint
    titles = [r.title for r in report.probes]
    assert len(titles) == len(set(titles)), titles  # "PolyAI's own request" once, the retry named for its URL
    assert f"PolyAI's own request (non-streaming) at the working base URL {flask_sample}" in titles


async def test_base_url_missing_v1_is_diagnosed(flask_sample_v1: str) -> None:
    report = await run_check(Target(flask_sample_v1, "my-llm"), "polyai", timeout=5)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.id for f in errors] == ["reachability.missing-v1"]
    assert f"{flask_sample_v1}/v1" in errors[0].hint
    # The check went on at the corrected URL and found the rest.
    assert "auth.open" in {f.id for f in report.findings}
