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


async def test_playai_refuses_it_for_lack_of_streaming(flask_sample: str) -> None:
    report = await run_check(Target(flask_sample, "my-llm"), "playai", timeout=5)
    assert not report.compatible
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.id for f in errors] == ["stream.json-reply"]
    assert "text/event-stream" in errors[0].hint


async def test_base_url_with_v1_the_sample_lacks_is_diagnosed(flask_sample: str) -> None:
    report = await run_check(Target(flask_sample + "/v1", "my-llm"), "polyai", timeout=5)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.id for f in errors] == ["reachability.extra-v1"]
    assert flask_sample in errors[0].hint


async def test_base_url_missing_v1_is_diagnosed(flask_sample_v1: str) -> None:
    report = await run_check(Target(flask_sample_v1, "my-llm"), "polyai", timeout=5)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.id for f in errors] == ["reachability.missing-v1"]
    assert f"{flask_sample_v1}/v1" in errors[0].hint
    # The check went on at the corrected URL and found the rest.
    assert "auth.open" in {f.id for f in report.findings}
