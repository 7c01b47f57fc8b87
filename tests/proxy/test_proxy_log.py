"""The --log file: JSON lines that `workbench check --exchange`, Inspect and `read_log` open; written safely."""

from __future__ import annotations

import json
import os
import stat

import httpx
import pytest

from workbench.errors import UsageError
from workbench.proxy.log import ProxyLog, read_log

VAPI_BODY = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}],
             "call": {"id": "call-1"}, "metadata": {}}


async def test_each_round_trip_is_a_line_that_check_exchange_judges(mock_server, proxy_to, tmp_path,
                                                                     run_workbench) -> None:
    log = tmp_path / "calls.jsonl"
    async with proxy_to(mock_server.base_url, log_path=str(log)) as proxy, httpx.AsyncClient(timeout=10) as http:
        await http.post(proxy.base_url + "/chat/completions", json=VAPI_BODY)
        mock_server.set_fault("no-done")
        await http.post(proxy.base_url + "/chat/completions",
                        json={**VAPI_BODY, "messages": [*VAPI_BODY["messages"], {"role": "assistant", "content": "x"},
                                                        {"role": "user", "content": "again"}]})
        await proxy.wait_for(2)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["proxy"]["call"] for line in lines] == [1, 1] and [line["proxy"]["turn"] for line in lines] == [1, 2]
    assert lines[1]["proxy"]["platform"] == "vapi" and lines[1]["label"] == "proxy as vapi"
    assert [f["id"] for f in lines[1]["proxy"]["findings"]] == ["stream.done-missing"]
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600

    run = run_workbench("check", "--exchange", str(log), "--format", "json")
    assert run.exit_code == 0, run.stderr  # a missing [DONE] is a warning for Vapi, not an error
    report = json.loads(run.stdout)
    assert report["platform"] == "vapi" and [f["id"] for f in report["findings"]] == ["stream.done-missing"]
    assert report["metrics"] == {"exchanges": 2}
    run = run_workbench("check", "--exchange", str(log))
    assert "Exchange 2 of 2, proxy as vapi: POST" in run.stdout

    again = read_log(log)
    assert [(p.call, p.turn, p.platform) for p in again] == [(1, 1, "vapi"), (1, 2, "vapi")]
    assert [f.id for f in again[1].findings] == ["stream.done-missing"] and again[1].exchange.reply_text


def test_a_line_that_is_not_a_round_trip_is_named(tmp_path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text('{"request": {"method": "GET", "url": "http://x/v1/models", "headers": [], "body": ""}}\nnope\n')
    with pytest.raises(UsageError, match=r"bad\.jsonl, line 2: expected a saved exchange"):
        read_log(log)


def test_the_log_is_never_written_through_a_symlink_nor_to_a_fifo(tmp_path) -> None:
    target = tmp_path / "bashrc"
    target.write_text("# mine\n")
    link = tmp_path / "proxy.jsonl"
    link.symlink_to(target)
    with pytest.raises(UsageError, match="is a symbolic link; the proxy never writes through one"):
        ProxyLog(link).open()
    assert target.read_text() == "# mine\n"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="not a regular file"):
        ProxyLog(fifo).open()


def test_an_existing_log_is_appended_to_and_keeps_its_mode(tmp_path) -> None:
    log = tmp_path / "shared.jsonl"
    log.write_text("")
    os.chmod(log, 0o640)
    writer = ProxyLog(log)
    writer.open()
    writer.close()
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o640
