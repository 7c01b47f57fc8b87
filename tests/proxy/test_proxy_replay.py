"""From a real call to a regression test: `simulate --from LOG` writes the call as an agent file, and
`replay LOG` resends one recorded request and compares the reply's shape and timing."""

from __future__ import annotations

import json

import httpx

from workbench.mock import MockConfig, MockServer
from workbench.simulate import parse_agent

KEY = "sk-replay-key-0123456789abcd"
SYSTEM = {"role": "system", "content": "You confirm appointments. Be brief."}


def _record_a_vapi_call(proxy, *, stream: bool = True) -> None:
    history = [SYSTEM, {"role": "user", "content": "Hi, about my appointment at nine."}]
    with httpx.Client(timeout=10) as http:
        for follow_up in ("Yes, I confirm.", None):
            body = {"model": "m", "stream": stream, "temperature": 0.5, "max_tokens": 250, "messages": history,
                    "call": {"id": "call-77"}, "metadata": {}, "stream_options": {"include_usage": True}}
            reply = http.post(proxy.base_url + "/chat/completions", json=body,
                                    headers={"Authorization": f"Bearer {KEY}"})
            assert reply.status_code == 200
            if follow_up:
                history = [*history, {"role": "assistant", "content": "You said it."},
                           {"role": "user", "content": follow_up}]


def test_simulate_from_a_log_writes_the_call_as_an_agent_file_and_plays_it(proxy_thread_to, tmp_path,
                                                                            run_workbench, no_proxy) -> None:
    log = tmp_path / "calls.jsonl"
    with MockServer.start_in_thread(MockConfig()) as mock, proxy_thread_to(mock.base_url, log_path=str(log)) as proxy:
        _record_a_vapi_call(proxy)
        proxy.wait_for(2)
        written = run_workbench("simulate", "--from", str(log))
        assert written.exit_code == 0, written.stderr
        agent = parse_agent(written.stdout, "written")
        assert agent.platform == "vapi" and agent.system_prompt == SYSTEM["content"]
        assert [turn.user for turn in agent.turns] == ["Hi, about my appointment at nine.", "Yes, I confirm."]
        assert agent.parameters.temperature == 0.5 and agent.parameters.max_tokens == 250
        assert agent.parameters.extra == {"stream_options": {"include_usage": True}}  # Vapi's own fields: not kept
        assert "# the endpoint answered then: 'You said it.'" in written.stdout

        played = run_workbench("simulate", "--from", str(log), "--call", "1", "--url", mock.base_url,
                               "--model", "mock-model")
        assert played.exit_code == 0, played.stdout + played.stderr
        assert "PASS: 2 of 2 turns passed" in played.stdout

        missing = run_workbench("simulate", "--from", str(log), "--call", "9")
        assert missing.exit_code == 2 and "has no call 9 (its calls: 1)" in missing.stderr


def test_replay_resends_a_recorded_request_and_compares_its_shape(proxy_thread_to, tmp_path, run_workbench,
                                                                  no_proxy) -> None:
    log = tmp_path / "calls.jsonl"
    with MockServer.start_in_thread(MockConfig(api_key=KEY, fault="no-done")) as mock, \
            proxy_thread_to(mock.base_url, log_path=str(log)) as proxy:
        _record_a_vapi_call(proxy)
        proxy.wait_for(2)
        mock.server.set_fault(None)  # the endpoint is fixed

        keyless = run_workbench("replay", str(log))
        assert keyless.exit_code == 2 and "carried a key (bearer), and the log holds it masked" in keyless.stderr

        run = run_workbench("replay", str(log), "--call", "1", "--turn", "1", "--api-key-env", "WB_REPLAY_KEY",
                            "--format", "json", env={"WB_REPLAY_KEY": KEY})
        assert run.exit_code == 0, run.stdout + run.stderr
        result = json.loads(run.stdout)
        rows = {row["what"]: row for row in result["rows"]}
        assert rows["[DONE]"]["then"] == "no" and rows["[DONE]"]["now"] == "yes" and not result["same_shape"]
        assert rows["status"]["same"] and "stream.done-missing" in rows["findings"]["then"]
        assert "stream.done-missing" not in rows["findings"]["now"]
        assert result["exchange"]["request"]["headers"]  # sent as recorded, its key masked again
        assert KEY not in run.stdout

        mock.server.set_fault("server-error")
        broken = run_workbench("replay", str(log), "--api-key-env", "WB_REPLAY_KEY", env={"WB_REPLAY_KEY": KEY})
        assert broken.exit_code == 1
        assert "≠ status         200" in broken.stdout and "errors.server-error" in broken.stdout


BOOK_TABLE = {"type": "function", "function": {
    "name": "book_table", "description": "Book a table.",
    "parameters": {"type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"]}}}


def _record_a_vapi_call_with_a_tool(proxy, result: str) -> None:
    """The caller asks for a booking: the endpoint calls book_table, the platform sends its result, the
    caller says thanks. Three requests, each history the last one's grown."""
    from workbench.platforms.vapi import DEFAULT_TOOLS

    history: list[dict] = [SYSTEM, {"role": "user", "content": "Please book table for Friday."}]
    with httpx.Client(timeout=10) as http:
        for step in range(3):
            body = {"model": "m", "stream": False, "messages": history, "tools": [*DEFAULT_TOOLS, BOOK_TABLE],
                    "call": {"id": "call-88"}}
            reply = http.post(proxy.base_url + "/chat/completions", json=body).json()["choices"][0]["message"]
            if step == 0:
                call = reply["tool_calls"][0]
                assert call["function"]["name"] == "book_table"
                history = [*history, {"role": "assistant", "content": None, "tool_calls": [call]},
                           {"role": "tool", "tool_call_id": call["id"], "content": result}]
            elif step == 1:
                history = [*history, {"role": "assistant", "content": reply["content"]},
                           {"role": "user", "content": "Thanks, that's all."}]


def test_simulate_from_a_log_keeps_the_tools_offered_and_the_results_sent_back(proxy_thread_to, tmp_path,
                                                                               run_workbench, no_proxy) -> None:
    """A call with a tool round becomes a file that offers the same tool and answers it with the same
    result, so replaying it against the endpoint plays the same round."""
    log = tmp_path / "calls.jsonl"
    with MockServer.start_in_thread(MockConfig()) as mock, proxy_thread_to(mock.base_url, log_path=str(log)) as proxy:
        _record_a_vapi_call_with_a_tool(proxy, "Booked: table 4 at 8 pm")
        proxy.wait_for(3)
        written = run_workbench("simulate", "--from", str(log))
        assert written.exit_code == 0, written.stderr
        agent = parse_agent(written.stdout, "written")
        assert [turn.user for turn in agent.turns] == ["Please book table for Friday.", "Thanks, that's all."]
        assert agent.turns[0].tool_results == {"book_table": "Booked: table 4 at 8 pm"}
        assert agent.turns[1].tool_results == {}
        assert [tool["function"]["name"] for tool in agent.tools] == ["book_table"]  # Vapi's own are its own
        assert agent.tools[0]["function"]["parameters"]["required"] == ["day"]
        assert "tools" not in agent.parameters.extra
        assert "# the endpoint called then: book_table(" in written.stdout

        played = run_workbench("simulate", "--from", str(log), "--url", mock.base_url, "--model", "mock-model",
                               "--format", "json")
        assert played.exit_code == 0, played.stdout + played.stderr
        first = json.loads(played.stdout)["turns"][0]
        assert [(call["name"], call["result"], call["scripted"]) for call in first["tool_calls"]] == \
            [("book_table", "Booked: table 4 at 8 pm", True)]
        assert "Booked: table 4 at 8 pm" in first["reply"]  # the mock read the recorded result back


def test_a_tool_result_the_file_cannot_offer_is_left_as_a_comment() -> None:
    """A tool called but never offered (and one whose schema TOML cannot hold) loses nothing silently."""
    from workbench.simulate.from_call import agent_from_call

    odd = {"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"id": {"type": "string", "default": None}}}}}
    body = {"tools": [odd], "messages": [
        {"role": "user", "content": "Find order 12."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"id": "12"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "order 12: shipped"},
        {"role": "assistant", "content": "It has shipped."}]}
    written = agent_from_call(body, "openai", name="call-1", description="recorded")
    agent = parse_agent(written, "written")
    assert agent.tools == () and agent.turns[0].tool_results == {}
    assert "# the call also offered the tool 'lookup', which an agent file cannot hold as it came" in written
    assert "(its result is not kept: 'lookup' is not among the tools this file offers)" in written
    assert "# the endpoint answered then: 'It has shipped.'" in written
