"""Whole calls played against the real mock over loopback: tool calls and their scripted results, a
caller barging in, long calls, and each call-level mock fault failing the turn it should."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from workbench.mock import MockConfig, MockServer
from workbench.simulate import DEFAULT_TOOL_RESULT, AgentRun, SimulationReport, load_agent, parse_agent, turn_lines
from workbench.target import Target

AGENTS = Path(__file__).resolve().parents[2] / "profiles" / "agents"
END_CALL = "That's all, thank you. Please end the call now."


@pytest.fixture
async def mock() -> AsyncIterator[MockServer]:
    async with MockServer(MockConfig(port=0)) as server:
        yield server


def target_for(server: MockServer) -> Target:
    return Target(base_url=server.base_url, model="mock-model")


def bodies(server: MockServer) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in server.requests if r.path.endswith("/chat/completions")]


async def play(text: str, server: MockServer, name: str = "call.toml") -> SimulationReport:
    return await AgentRun(parse_agent(text, name), target_for(server)).run()


def failed(report: SimulationReport, number: int) -> dict[str, str]:
    """The failed expectations of turn `number`, kind -> sentence."""
    return {e.kind: e.message for e in report.turns[number - 1].expectations if not e.passed}


# ---- tool calls and their results ---------------------------------------------------------------


async def test_a_scripted_tool_result_is_sent_back_as_the_platform_sends_it(mock: MockServer) -> None:
    agent = load_agent(AGENTS / "elevenlabs-end-call.toml")
    report = await AgentRun(agent, target_for(mock)).run()
    assert report.passed, report.problems
    turn = report.turns[1]
    (call,) = turn.tool_calls
    assert (call.name, call.result, call.scripted) == ("end_call", "The call ends after your goodbye.", True)
    assert turn.reply == "Done. The tool answered: The call ends after your goodbye."  # the reply after the result
    assert len(turn.exchanges) == 2
    sent = bodies(mock)
    assert len(sent) == 3  # turn 1, turn 2, and turn 2 again with the tool's result
    *_, assistant, tool = sent[2]["messages"]
    assert assistant["role"] == "assistant" and assistant["content"] is None
    (tool_call,) = assistant["tool_calls"]
    assert tool_call["function"]["name"] == "end_call" and json.loads(tool_call["function"]["arguments"])
    assert tool == {"role": "tool", "tool_call_id": tool_call["id"], "content": "The call ends after your goodbye."}
    assert [t["function"]["name"] for t in sent[2]["tools"]][:2] == ["end_call", "transfer_to_number"]
    kinds = [e.kind for e in turn.expectations]
    assert kinds == ["reply", "tool_call", "tool", "first_token_ms", "first_sentence_ms"]


async def test_the_transfer_example_checks_the_arguments_and_the_json_report_carries_the_call(mock: MockServer) -> None:
    report = await AgentRun(load_agent(AGENTS / "vapi-transfer.toml"), target_for(mock)).run()
    assert report.passed, report.problems
    data = report.to_dict()["turns"][1]
    (call,) = data["tool_calls"]
    assert call["name"] == "transferCall" and call["scripted"] is True
    assert call["result"] == "Transferring the caller to +15555550123."
    assert json.loads(call["arguments"]) == {
        "destination": "The caller said: Yes please, transfer this call to the events team."}
    assert data["requests"] == 2 and data["interrupted"] is False and data["heard"] is None
    arguments = [e for e in data["expectations"] if e["kind"] == "arguments"]
    assert len(arguments) == 1 and arguments[0]["passed"] is True
    lines = turn_lines(report.turns[1], 2)
    assert any(line.startswith("  tool:   transferCall(") and "→ Transferring the caller" in line for line in lines)


async def test_an_unscripted_tool_gets_the_default_result_and_the_report_says_so(mock: MockServer) -> None:
    report = await play(f'platform = "vapi"\n[[turns]]\nuser = "{END_CALL}"\n', mock)
    assert report.passed, report.problems
    (call,) = report.turns[0].tool_calls
    assert (call.name, call.result, call.scripted) == ("endCall", DEFAULT_TOOL_RESULT, False)
    assert bodies(mock)[1]["messages"][-1]["content"] == DEFAULT_TOOL_RESULT
    assert any("(default: no result scripted)" in line for line in turn_lines(report.turns[0], 1))


async def test_a_missing_or_wrong_tool_call_names_what_was_expected(mock: MockServer) -> None:
    report = await play(
        'platform = "elevenlabs"\n'
        '[[turns]]\nuser = "What time do you open?"\nexpect_tool = "end_call"\n'
        f'[[turns]]\nuser = "{END_CALL}"\nexpect_tool = "end_call"\nexpect_arguments = {{ reason = "done" }}\n', mock)
    assert failed(report, 1) == {
        "tool": 'turn 1: expected a call to end_call, but no tool was called (the reply was '
                '"You said: What time do you open?")'}
    (sentence,) = failed(report, 2).values()
    assert sentence == ('turn 2: expected end_call\'s arguments to hold reason = "done", but it was '
                        f'"The caller said: {END_CALL}"')


async def test_the_files_own_tools_are_offered_beside_the_platforms(mock: MockServer) -> None:
    report = await play(
        'platform = "vapi"\n'
        '[[tools]]\nname = "book_table"\ndescription = "Book a table."\n'
        '[tools.parameters]\nproperties = { day = { type = "string" } }\nrequired = ["day"]\n'
        '[[turns]]\nuser = "Please book table for Friday."\nexpect_tool = "book_table"\n'
        '[turns.tool_results]\nbook_table = { booked = true, day = "Friday" }\n', mock)
    assert report.passed, report.problems
    first = bodies(mock)[0]
    assert [t["function"]["name"] for t in first["tools"]] == ["transferCall", "endCall", "book_table"]
    assert first["tools"][2]["function"]["parameters"]["type"] == "object"
    assert bodies(mock)[1]["messages"][-1]["content"] == '{"booked":true,"day":"Friday"}'  # a table goes as JSON


async def test_a_tool_of_the_file_replaces_the_platforms_tool_of_that_name(mock: MockServer) -> None:
    await play('platform = "elevenlabs"\n[[tools]]\nname = "end_call"\ndescription = "Hang up."\n'
               '[[turns]]\nuser = "hello"\n', mock)
    tools = bodies(mock)[0]["tools"]
    names = [t["function"]["name"] for t in tools]
    assert names.count("end_call") == 1 and names[-1] == "end_call"
    assert tools[-1]["function"]["description"] == "Hang up."


# ---- each call-level mock fault fails the turn it should ----------------------------------------


TOOL_TURN = f'platform = "vapi"\n[[turns]]\nuser = "{END_CALL}"\nexpect_tool = "endCall"\n'


@pytest.mark.parametrize(("fault", "said"), [
    ("tool-call-stop", "ends with finish_reason 'stop', not \"tool_calls\". Vapi never runs it."),
    ("tool-arguments-not-json", "are not JSON"),
    ("tool-call-no-id", "has no `id` on its first fragment"),
    ("tool-call-no-index", "has no `index`"),
    ("arguments-object", "is a JSON object, not a string"),
])
async def test_a_malformed_tool_call_fails_the_turn_with_the_lints_sentence(fault: str, said: str) -> None:
    async with MockServer(MockConfig(port=0, fault=fault)) as server:
        report = await play(TOOL_TURN, server)
    turn = report.turns[0]
    assert not turn.passed
    sentences = [e.message for e in turn.expectations if e.kind == "tool_call" and not e.passed]
    assert sentences and sentences[0].startswith("turn 1: expected a tool call Vapi can run, but: ")
    assert any(said in s for s in sentences), sentences
    assert all(e.hint for e in turn.expectations if e.kind == "tool_call")


async def test_a_tool_call_the_platform_never_runs_gets_no_result_and_the_caller_hears_nothing() -> None:
    async with MockServer(MockConfig(port=0, fault="tool-call-stop")) as server:
        report = await play(TOOL_TURN, server)
        assert len(bodies(server)) == 1  # Vapi waits for "tool_calls": no tool ran, no result went back
    (call,) = report.turns[0].tool_calls
    assert call.result is None
    assert "a voice agent would say nothing" in failed(report, 1)["reply"]
    assert any("not run" in line for line in turn_lines(report.turns[0], 1))


async def test_a_tool_call_pipecat_still_runs_on_stop_is_a_note_not_a_failure() -> None:
    async with MockServer(MockConfig(port=0, fault="tool-call-stop")) as server:
        report = await play(f'platform = "pipecat"\n[[turns]]\nuser = "{END_CALL}"\n', server)
    turn = report.turns[0]
    assert turn.passed, turn.problems
    assert turn.tool_calls[0].result == DEFAULT_TOOL_RESULT
    assert any("Pipecat runs the call anyway" in note for note in turn.notes)


async def test_a_refused_tool_result_fails_the_turn_and_ends_the_call() -> None:
    agent = load_agent(AGENTS / "elevenlabs-end-call.toml")
    async with MockServer(MockConfig(port=0, fault="tool-result-500")) as server:
        report = await AgentRun(agent, target_for(server)).run()
    turn = report.turns[1]
    assert turn.failure is not None
    assert turn.failure.message.startswith("expected a usable reply to the request carrying the result of end_call, "
                                           "but the endpoint answered 500")
    assert "The call dies right after the tool." in turn.failure.message
    assert report.problems[0].startswith("turn 2: expected a usable reply to the request carrying the result")
    assert not report.passed


async def test_reasoning_read_aloud_fails_the_turn() -> None:
    async with MockServer(MockConfig(port=0, fault="reasoning-preamble")) as server:
        report = await play('platform = "vapi"\n[[turns]]\nuser = "hello"\n', server)
    sentence = failed(report, 1)["reasoning"]
    assert sentence.startswith("turn 1: expected words for the caller, but the reply began with ")
    assert "<think> reasoning" in sentence and "Vapi would read aloud" in sentence


async def test_reasoning_in_its_own_field_is_silence_noted_not_failed() -> None:
    async with MockServer(MockConfig(port=0, fault="reasoning-content")) as server:
        report = await play('platform = "vapi"\n[[turns]]\nuser = "hello"\n', server)
    turn = report.turns[0]
    assert "reasoning" not in failed(report, 1)
    assert any("characters of reasoning came before the first word" in note for note in turn.notes)


async def test_a_first_word_then_a_stall_fails_the_first_sentence_not_the_first_token() -> None:
    async with MockServer(MockConfig(port=0, fault="first-word-stall")) as server:
        report = await play('platform = "vapi"\n[[turns]]\nuser = "hello there, how are you today"\n', server)
    assert set(failed(report, 1)) == {"first_sentence_ms"}
    assert "(the caller hears the first words, then silence)" in failed(report, 1)["first_sentence_ms"]


async def test_a_refused_stream_options_fails_the_first_pipecat_turn() -> None:
    async with MockServer(MockConfig(port=0, fault="reject-stream-options")) as server:
        report = await play('platform = "pipecat"\n[[turns]]\nuser = "hello"\n[[turns]]\nuser = "again"\n', server)
    (turn,) = report.turns
    assert turn.failure is not None and "stream_options" in turn.failure.message
    assert turn.failure.message.startswith("expected HTTP 200, but the endpoint answered 400")
    assert report.stopped is not None


async def test_a_server_that_keeps_generating_holds_up_the_turn_after_a_barge_in() -> None:
    agent = load_agent(AGENTS / "pipecat-barge-in.toml")
    async with MockServer(MockConfig(port=0, fault="keep-generating")) as server:
        report = await AgentRun(agent, target_for(server)).run()
    assert report.turns[0].passed and report.turns[0].interrupted
    assert "first_token_ms" in failed(report, 2)


async def test_a_context_limit_breaks_the_long_call_naming_its_size() -> None:
    agent = load_agent(AGENTS / "polyai-long-call.toml")
    async with MockServer(MockConfig(port=0, fault="context-limit", context_tokens=4200)) as server:
        report = await AgentRun(agent, target_for(server)).run()
    last = report.turns[-1]
    assert 1 < last.number < len(agent.turns)  # it broke part way, not at once
    assert all(t.passed for t in report.turns[:-1])
    assert last.failure is not None and "context length" in last.failure.message
    assert f"(the request held {2 * last.number} messages, " in last.failure.message
    assert report.stopped is not None and report.stopped.startswith(f"the call stopped after turn {last.number}")


# ---- a caller barging in ------------------------------------------------------------------------


async def test_the_caller_barges_in_and_the_next_turn_carries_only_what_was_heard() -> None:
    agent = load_agent(AGENTS / "pipecat-barge-in.toml")
    async with MockServer(MockConfig(port=0, tokens_per_s=200)) as server:  # paced: the cut comes mid-reply
        report = await AgentRun(agent, target_for(server)).run()
        sent = bodies(server)
        for _ in range(200):  # the mock logs the cut request once its reply ends
            if len(server.requests) == 2:
                break
            await asyncio.sleep(0.01)
        cut = server.requests[0]
    assert report.passed, report.problems
    first = report.turns[0]
    assert first.interrupted and first.heard == "You said: I am"
    assert len(first.reply) >= len(first.heard)
    system, user, heard, next_user = sent[1]["messages"]
    assert (system["role"], user["content"]) == ("system", agent.turns[0].user)
    assert heard == {"role": "assistant", "content": "You said: I am"}  # Pipecat keeps only the spoken words
    assert next_user == {"role": "user", "content": agent.turns[1].user}
    assert cut.error  # the mock saw the client hang up mid-reply
    data = report.to_dict()["turns"][0]
    assert data["interrupted"] is True and data["heard"] == "You said: I am"
    assert any(line == "  heard:  You said: I am  (the caller barged in after 4 words, before a first sentence)"
               for line in turn_lines(first, 2))


async def test_a_reply_shorter_than_the_cut_is_carried_whole_with_a_note(mock: MockServer) -> None:
    report = await play('platform = "vapi"\n[[turns]]\nuser = "hi"\ninterrupt_after_words = 20\n'
                        '[[turns]]\nuser = "again"\n', mock)
    first = report.turns[0]
    assert report.passed and not first.interrupted and first.heard is None
    assert first.notes == ["the reply ended after 3 words, before the caller could barge in after 20"]
    assert bodies(mock)[1]["messages"][-2] == {"role": "assistant", "content": "You said: hi"}


async def test_reasoning_is_not_heard_so_the_cut_counts_spoken_words_only() -> None:
    async with MockServer(MockConfig(port=0, fault="reasoning-preamble", tokens_per_s=200)) as server:
        report = await play('platform = "openai"\n[[turns]]\nuser = "hi there"\ninterrupt_after_words = 2\n'
                            '[[turns]]\nuser = "again"\n', server)
        messages = bodies(server)[1]["messages"]
    assert report.turns[0].heard == "You said:"
    assert messages[-2] == {"role": "assistant", "content": "You said:"}  # no <think> text in the history


# ---- long calls ------------------------------------------------------------------------------


async def test_the_long_call_reads_its_prompt_file_and_grows_its_history(mock: MockServer) -> None:
    agent = load_agent(AGENTS / "polyai-long-call.toml")
    assert len(agent.turns) == 40 and len(agent.system_prompt.split()) > 3000
    report = await AgentRun(agent, target_for(mock)).run()
    assert report.passed, report.problems
    sent = bodies(mock)
    assert len(sent) == 40
    assert [len(b["messages"]) for b in sent] == [2 + 2 * n for n in range(40)]
    assert sent[0]["messages"][0]["content"] == agent.system_prompt.strip()
    assert (report.turns[5].repeat, report.turns[5].repeats) == (5, 13)
    assert turn_lines(report.turns[5], 40)[0].startswith("Turn 6 of 40 (repeat 5 of 13)  PASS")


async def test_a_first_sentence_budget_set_on_a_turn_is_the_one_judged() -> None:
    async with MockServer(MockConfig(port=0, ttft_ms=150)) as server:
        report = await play('platform = "vapi"\n[[turns]]\nuser = "hi"\nfirst_sentence_ms = 20\n', server)
    sentence = next(e for e in report.turns[0].expectations if e.kind == "first_sentence_ms")
    assert sentence.expected == "20" and not sentence.passed
    assert sentence.message.startswith("turn 1: expected the first sentence within 20 ms, but it came after ")
