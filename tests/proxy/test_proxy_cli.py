"""`workbench proxy` on the command line: its usage errors, and a real run in its own process (Ctrl-C stops it)."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys

import httpx
import pytest

FRONT_KEY = "CANARY-cli-front-door-9a8b7c6d"


@pytest.mark.parametrize(("args", "said"), [
    ([], "no endpoint to forward to: pass --to URL"),
    (["--to", "ftp://example.com/v1"], "--to must be the endpoint's base URL"),
    (["--to", "http://127.0.0.1:9/v1?x=1"], "without a query or fragment"),
    (["--to", "http://127.0.0.1:9/v1", "--as", "nope"], "unknown platform 'nope'"),
    (["--to", "http://127.0.0.1:9/v1", "--api-key-env", "WB_PROXY_TEST_UNSET"], "WB_PROXY_TEST_UNSET is not set"),
])
def test_usage_errors_are_sentences_with_exit_code_2(args, said, run_workbench) -> None:
    run = run_workbench("proxy", *args, env={"WB_PROXY_TEST_UNSET": None})
    assert run.exit_code == 2 and said in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_a_real_run_prints_a_line_per_round_trip_and_stops_on_ctrl_c(mock_thread, tmp_path, no_proxy) -> None:
    log = tmp_path / "proxy.jsonl"
    env = {**os.environ, "WB_FRONT": FRONT_KEY, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "proxy", "--to", mock_thread.base_url, "--port", "0", "--log", str(log),
         "--api-key-env", "WB_FRONT", "--as", "polyai"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        ready = process.stdout.readline()
        match = re.search(r"base URL (http://\S+) -> ", ready)
        assert match, ready
        base = match.group(1)
        assert "front door: key required" in ready and "judged as polyai" in ready and str(log) in ready
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": f"hello {FRONT_KEY}"}]}
        with httpx.Client(timeout=10) as http:
            ok = http.post(base + "/chat/completions", json=body, headers={"x-api-key": FRONT_KEY})
            refused = http.post(base + "/chat/completions", json=body)
        assert ok.status_code == 200 and refused.status_code == 401
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1] == "workbench proxy stopped."
    line = next(line for line in lines if "call 1.1" in line)
    assert re.search(r"\d\d:\d\d:\d\d  polyai  call 1\.1  POST /v1/chat/completions  200  first token \d+ ms  "
                     r"first sentence \S+( ms)?  ", line), line
    assert any(line.startswith("refused: POST /v1/chat/completions -> 401") for line in lines)
    assert "CANARY" not in out + err + log.read_text(encoding="utf-8")
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert json.loads(log.read_text(encoding="utf-8").splitlines()[0])["proxy"]["platform"] == "polyai"


def test_proxy_and_replay_help_import_neither_textual_nor_aiohttp() -> None:
    code = (
        "import sys\n"
        "from workbench.cli import main\n"
        "for command in ('proxy', 'replay'):\n"
        "    sys.argv = ['workbench', command, '--help']\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        "print('LOADED', sorted(m for m in ('textual', 'aiohttp', 'httpx', 'openai') if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert "--api-key-env VAR" in result.stdout and "--line K" in result.stdout
    assert "LOADED []" in result.stdout, result.stdout + result.stderr
