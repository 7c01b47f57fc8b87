"""`workbench mock` on the command line: light --help, --list-faults, the ready line, a clean Ctrl-C.

And the fault table in docs/mock.md.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workbench.mock import FAULTS
from workbench.mock.faults import markdown_table

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-cli-canary-0123456789abcdef"
READY = re.compile(
    r"^workbench mock ready: base URL (http://127\.0\.0\.1:\d+/v1) \| (.*) \| fault: (.*) \| Ctrl-C stops$")


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return {**base, "PYTHONUNBUFFERED": "1", **extra}


def test_mock_help_imports_neither_textual_nor_aiohttp() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['workbench', 'mock', '--help']\n"
        "from workbench.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('textual', 'aiohttp', 'httpx', 'openai') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), timeout=60)
    assert "--fault NAME" in result.stdout and "--api-key-env VAR" in result.stdout
    assert "LOADED []" in result.stdout, result.stdout + result.stderr


def test_list_faults_prints_every_fault_with_its_scope(run_workbench) -> None:
    result = run_workbench("mock", "--list-faults")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(FAULTS)
    for line, (name, description) in zip(lines, FAULTS.items(), strict=True):
        assert line.split()[0] == name and line.endswith(description)
    assert any("streams" in line for line in lines) and any("all requests" in line for line in lines)


def test_readme_fault_table_is_made_from_faults() -> None:
    readme = (ROOT / "docs" / "mock.md").read_text()
    table = re.search(r"<!-- faults:start[^\n]*-->\n(.*?)\n<!-- faults:end -->", readme, re.DOTALL)
    assert table is not None, "docs/mock.md lost its fault table markers"
    assert table.group(1) == markdown_table(), (
        "regenerate: python -c 'from workbench.mock.faults import markdown_table; print(markdown_table())'")


@pytest.mark.parametrize(("args", "words"), [
    (["--fault", "nope"], ("unknown fault 'nope'", "--list-faults")),
    (["--api-key-env", "WORKBENCH_TEST_UNSET_VAR"], ("WORKBENCH_TEST_UNSET_VAR is not set",)),
    (["--api-key", "a-key-12345", "--api-key-env", "HOME"], ("either --api-key or --api-key-env",)),
    (["--reply", "/nonexistent/replies.toml"], ("/nonexistent/replies.toml", "does not exist")),
])
def test_bad_options_exit_2_with_a_sentence(args: list[str], words: tuple[str, ...], run_workbench) -> None:
    result = run_workbench("mock", *args, env={"WORKBENCH_TEST_UNSET_VAR": None})
    assert result.exit_code == 2
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_reply_file_names_the_line(tmp_path: Path, run_workbench) -> None:
    replies = tmp_path / "replies.toml"
    replies.write_text('[[reply]]\nmatch = "hi"\nreply = "hello"\n\n[[reply]]\nregex = "("\nreply = "x"\n')
    result = run_workbench("mock", "--reply", str(replies), "--port", "0")
    assert result.exit_code == 2 and f"{replies}: line 5" in result.stderr and "does not compile" in result.stderr


@pytest.fixture
def mock_process(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], re.Match[str]]]:
    args, extra_env = request.param
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "mock", "--port", "0", *args], cwd=ROOT, env=env(**extra_env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline().rstrip("\n")  # type: ignore[union-attr]
        ready = READY.match(line)
        assert ready, (f"not a ready line: {line!r}; "
                       f"stderr: {process.stderr.read() if process.poll() is not None else ''}")
        yield process, ready
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("mock_process", [([], {})], indirect=True)
def test_subprocess_serves_logs_and_stops_cleanly_on_sigint(mock_process) -> None:
    process, ready = mock_process
    base_url = ready.group(1)
    assert ready.group(2) == "auth: open (no API key required)" and ready.group(3) == "none"
    with httpx.Client(timeout=10) as http:
        reply = http.post(base_url + "/chat/completions",
                          json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        assert reply.json()["choices"][0]["message"]["content"] == "You said: hi"
        request_line = process.stdout.readline()  # type: ignore[union-attr]
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert re.match(r"^\d\d:\d\d:\d\d  POST /v1/chat/completions  auth=none  200  \d+\.\d ms$", request_line.rstrip())
    assert process.returncode == 0
    assert out.rstrip().endswith("workbench mock stopped.")
    assert "Traceback" not in err and err == ""


@pytest.mark.parametrize("mock_process", [(["--api-key-env", "MOCK_KEY", "--auth-header", "x-api-key", "--fault",
                                            "no-done", "--fault-rate", "0.5"], {"MOCK_KEY": KEY})], indirect=True)
def test_subprocess_key_from_the_environment_never_printed(mock_process) -> None:
    process, ready = mock_process
    assert ready.group(2) == "auth: x-api-key: <key> only" and ready.group(3) == "no-done on 50% of requests"
    with httpx.Client(timeout=10) as http:
        refused = http.get(ready.group(1) + "/models", headers={"authorization": f"Bearer {KEY}"})
        accepted = http.get(ready.group(1) + "/models", headers={"x-api-key": KEY})
    assert (refused.status_code, accepted.status_code) == (401, 200)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0 and KEY not in out + err
    assert "auth=authorization  401" in out and "auth=x-api-key  200" in out


@pytest.mark.parametrize("mock_process", [(["--fault", "stall", "--stall-s", "60"], {})], indirect=True)
def test_sigint_closes_an_open_stream_instead_of_waiting(mock_process) -> None:
    process, ready = mock_process
    with httpx.Client(timeout=60) as http:
        with http.stream("POST", ready.group(1) + "/chat/completions",
                         json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
                         ) as stream:
            pieces = stream.iter_raw()
            assert b'"role":"assistant"' in next(pieces)  # the stream is open, stalled for 60 s
            process.send_signal(signal.SIGINT)
            with pytest.raises(httpx.RemoteProtocolError):
                for _ in pieces:
                    pass
    out, err = process.communicate(timeout=20)  # well inside the 60 s stall
    assert process.returncode == 0 and err == ""
    assert "fault=stall" in out and "closed: the server is shutting down" in out
